"""Helpers of Kiln's black-box test suite: the server process, the clients, the contract
validator, git repositories and build waiters."""

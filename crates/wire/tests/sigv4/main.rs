//! SigV4 verifier tests: the AWS signing test suite, every error case, and a property test
//! against the `aws-sigv4` signer as an oracle.

mod common;
mod errors;
mod oracle;
mod suite;
mod unread_body;

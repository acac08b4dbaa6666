//! CodeCommit-style repository events from real git.
//!
//! A ref change (`old new ref`, as git's hooks and `git ls-remote` snapshots describe it) becomes
//! the two shapes CodeCommit publishes: the EventBridge "CodeCommit Repository State Change"
//! event ([`event`]) and the repository trigger record that Lambda and SNS receive ([`trigger`]).
//! Everything here is pure: the caller supplies times and ids.

mod change;
mod error;
pub mod event;
pub mod ls_remote;
pub mod post_receive;
mod repository;
mod time;
pub mod trigger;

pub use change::{ChangeKind, RefChange, ReferenceType};
pub use error::Error;
pub use event::StateChange;
pub use repository::{Repository, name_from_git_dir};
pub use trigger::Trigger;

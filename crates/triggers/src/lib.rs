//! What starts builds without anyone calling StartBuild: provider webhooks (and, beside them,
//! event patterns and repository events). Pure logic: no store, no HTTP, no clock.

pub mod codecommit;
pub mod pattern;
pub mod webhook;

//! Scheduling and running builds on this machine.
//!
//! The [`Scheduler`] claims QUEUED builds from the store up to the concurrency limit, expires
//! builds that waited past their queued timeout, and at start finishes builds that a crash left
//! running. Each claimed build is run by [`run::run_build`]: it starts the build agent
//! (`kiln agent outer`) in its own process group, turns the agent's events into phase, log and
//! status changes in the store, and kills the whole process group on StopBuild or timeout.

mod job;
mod log_writer;
pub mod metrics;
mod recorder;
mod reports;
mod reserve;
mod run;
mod scheduler;
mod secrets;

pub use metrics::PhaseObserver;
pub use scheduler::{ExecutorConfig, Scheduler};

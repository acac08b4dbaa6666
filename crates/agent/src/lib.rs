//! The build agent: the program that runs one build, started by the executor as
//! `kiln agent outer <job.json>`, reporting [`protocol::Event`]s as JSON lines on stdout.
//!
//! It has two stages. The outer stage runs with the server user's rights: it prepares the
//! build directory, fetches the source at the exact version and reads the buildspec. The inner
//! stage (`kiln agent inner`) runs the buildspec's phases inside the sandbox. Executors that run
//! builds elsewhere (containers, Kubernetes) start the same agent and read the same events.

pub mod cache;
pub mod clock;
mod download;
pub mod emit;
mod environment;
mod git_credentials;
mod inherit;
mod inner;
pub mod local_source;
pub mod mask;
pub mod objects;
mod outer;
pub mod protocol;
mod reports;
mod run_as;
pub mod sandbox;
mod secrets;
pub mod shell;
mod spool;
mod upload;

use emit::Emitter;
use protocol::Job;

/// `kiln agent outer|inner <job.json>`: returns the process exit code.
pub fn main(stage: &str, job_file: &std::path::Path) -> i32 {
    let emit = Emitter::stdout();
    let job: Job = match std::fs::read(job_file)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(job) => job,
        Err(e) => {
            eprintln!("kiln agent: cannot read job {}: {e}", job_file.display());
            return 2;
        }
    };
    match stage {
        "outer" => outer::run(job, &emit),
        "inner" => {
            // The outer stage passes the event pipe on a descriptor of its own (see `inherit`).
            let emit = match job.events_fd.map(inherit::take) {
                Some(Ok(pipe)) => Emitter::to(Box::new(pipe)),
                Some(Err(e)) => {
                    eprintln!("kiln agent: cannot take over the event pipe: {e}");
                    return 2;
                }
                None => emit,
            };
            inner::run(&job, &emit);
            0
        }
        other => {
            eprintln!("kiln agent: unknown stage {other}");
            2
        }
    }
}

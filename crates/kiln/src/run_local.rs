//! `kiln run [DIR]`: one build of a local directory with its buildspec, with no server and no
//! store. It writes a job for the build agent (the same agent `kiln serve` starts, so the same
//! phases, variables and artifacts), starts `kiln agent outer` on it, prints the build's log
//! as it comes, then copies the artifacts out of a scratch object store into --artifacts-dir.

mod artifacts;
mod job;
mod render;
mod scratch;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context as _;
use clap::Args;
use kiln_agent::protocol::{Event, Resolution};

/// Exit codes, as the client commands' (`cli::exit`): the build SUCCEEDED, FAILED, could not
/// start (bad arguments, no buildspec), or the agent ended without a result (FAULT).
pub const EXIT_SUCCEEDED: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_NOT_RUN: u8 = 2;
pub const EXIT_FAULT: u8 = 3;

#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// The directory to build.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// A build variable, NAME=VALUE (repeatable); it wins over the buildspec's.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Build this commit, branch or tag of DIR's git repository instead of the working tree.
    #[arg(long, value_name = "VERSION")]
    pub source_version: Option<String>,
    /// The buildspec file (default: buildspec.yml in the source).
    #[arg(long, value_name = "FILE")]
    pub buildspec: Option<PathBuf>,
    /// Where the artifacts are written.
    #[arg(long, value_name = "DIR", default_value = "kiln-artifacts")]
    pub artifacts_dir: PathBuf,
    /// How artifacts are packaged: NONE (the files) or ZIP (one archive per artifact).
    #[arg(long, default_value = "NONE", value_parser = ["NONE", "ZIP"], ignore_case = true)]
    pub packaging: String,
    /// Sandbox for build phases: auto (bubblewrap when it works), bwrap, or none.
    #[arg(long, default_value = "auto")]
    pub sandbox: String,
    /// The project name the build carries (default: DIR's name).
    #[arg(long)]
    pub project_name: Option<String>,
}

/// Runs the build; returns the process exit code.
pub fn main(args: RunArgs) -> u8 {
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kiln run: {e:#}");
            EXIT_NOT_RUN
        }
    }
}

/// The exit code, or why the build could not run.
fn run(args: &RunArgs) -> anyhow::Result<u8> {
    let plan = job::plan(args)?;
    let scratch = scratch::Scratch::create()?;
    let result = run_in(args, &plan, scratch.path());
    drop(scratch);
    result
}

fn run_in(args: &RunArgs, plan: &job::Plan, scratch: &Path) -> anyhow::Result<u8> {
    let job = job::job(args, plan, scratch)?;
    let job_file = scratch.join("job.json");
    std::fs::write(&job_file, serde_json::to_vec(&job)?).with_context(|| format!("writing {}", job_file.display()))?;

    let exe = std::env::current_exe().context("finding the kiln binary")?;
    let mut command = Command::new(exe);
    command.arg("agent").arg("outer").arg(&job_file);
    // Only the scratch store: a configured S3 endpoint must not receive these artifacts.
    for var in [
        kiln_agent::objects::ENDPOINT,
        kiln_agent::objects::REGION,
        kiln_agent::objects::ACCESS_KEY_ID,
        kiln_agent::objects::SECRET_ACCESS_KEY,
        kiln_agent::objects::SESSION_TOKEN,
    ] {
        command.env_remove(var);
    }
    command.env(kiln_agent::local_source::EXCLUDE_ENV, &plan.artifacts_dir);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the build agent")?;
    let mut agent_stdin = child.stdin.take();
    let stdout = child.stdout.take().context("the build agent has no output pipe")?;
    let mut outcome = render::Outcome::default();
    let mut out = std::io::stdout();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the build agent's output")?;
        match Event::from_line(&line) {
            Some(Event::ResolveSecrets { lookups }) => {
                let answer = Resolution { values: Vec::new(), error: Some(job::no_secrets(&lookups, plan)) };
                if let Some(stdin) = agent_stdin.as_mut() {
                    // An agent that is gone has nothing left to ask.
                    let _ = writeln!(stdin, "{}", serde_json::to_string(&answer)?);
                }
            }
            Some(event) => outcome.apply(event, &mut out),
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    drop(agent_stdin);
    let status = child.wait().context("waiting for the build agent")?;
    let Some(result) = outcome.status.clone() else {
        eprintln!("kiln run: the build agent ended without a result ({status})");
        return Ok(EXIT_FAULT);
    };
    let copied = artifacts::copy_out(&scratch.join("objects"), &outcome.artifacts, &plan.artifacts_dir)?;
    render::summary(&outcome, &copied, &mut out);
    Ok(if result == "SUCCEEDED" { EXIT_SUCCEEDED } else { EXIT_FAILED })
}

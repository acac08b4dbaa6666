//! The client commands (`start-build`, `builds`, `projects`, `completions`) and the options
//! they share. Registered in `Command` by one flattened variant.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::client::Client;
use super::output::Format;
use super::{builds, completions, credentials, exit, projects, start_build};

/// Where and how to talk to a Kiln server, and how to print its answers.
#[derive(Debug, Args, Clone)]
pub struct ClientArgs {
    /// The Kiln endpoint.
    #[arg(long, env = "KILN_ENDPOINT", default_value = "http://127.0.0.1:7171", global = true)]
    pub endpoint: String,
    /// json (the API's JSON), table (aligned columns) or text (tab-separated, for scripts).
    #[arg(long, env = "KILN_OUTPUT", value_enum, default_value = "table", global = true)]
    pub output: Format,
    /// The region requests are signed for (default: AWS_REGION, the profile, or us-east-1).
    #[arg(long, global = true)]
    pub region: Option<String>,
}

impl ClientArgs {
    pub fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::new(&self.endpoint, credentials::resolve(self.region.as_deref())?))
    }
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Start a build and print its id; --follow shows it until it ends.
    ///
    /// With --follow, the phases are shown as they advance and the log is streamed; the exit
    /// code is the build's result: 0 SUCCEEDED, 1 FAILED, 3 FAULT, 4 TIMED_OUT, 5 STOPPED
    /// (2: usage and other errors).
    StartBuild(start_build::StartBuildArgs),
    /// List, show, stop and retry builds.
    Builds(builds::BuildsArgs),
    /// Create, update, list, show and delete build projects.
    Projects(projects::ProjectsArgs),
    /// Print a shell completion script (e.g. `kiln completions bash > /etc/bash_completion.d/kiln`).
    Completions(completions::CompletionsArgs),
}

/// Runs a client command; errors are printed and exit with code 2.
pub fn run(command: ClientCommand) -> ExitCode {
    let result = match command {
        ClientCommand::StartBuild(args) => start_build::run(args),
        ClientCommand::Builds(args) => builds::run(args),
        ClientCommand::Projects(args) => projects::run(args),
        ClientCommand::Completions(args) => completions::run(args),
    };
    match result {
        Ok(code) => exit::code(code),
        Err(e) => {
            eprintln!("kiln: {e:#}");
            exit::code(exit::ERROR)
        }
    }
}

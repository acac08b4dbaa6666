//! `kiln`: a self-hosted build service that speaks the AWS CodeBuild API and really runs builds.

mod cli;
mod config;
mod hook;
mod logging;
mod repo_events;
mod run_local;
mod server;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        // The agent is synchronous and short-lived: no runtime, no logging setup.
        cli::Command::Agent { stage, args } => {
            let code = match (stage.as_str(), args.as_slice()) {
                ("hash-files", patterns) => kiln_agent::cache::hash_files_main(patterns),
                (_, [job]) => kiln_agent::main(&stage, std::path::Path::new(job)),
                _ => {
                    eprintln!("usage: kiln agent outer|inner <job.json>");
                    2
                }
            };
            std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        cli::Command::Serve(args) => {
            let format = args.log_format;
            run_async_logged(format, async move { server::serve(*args).await })
        }
        // Synchronous like the agent it starts: no runtime.
        cli::Command::Run(args) => std::process::ExitCode::from(run_local::main(args)),
        cli::Command::Logs(args) => run_async(async move { cli::logs(args).await }),
        cli::Command::Client(command) => cli::commands::run(command),
        cli::Command::Hook(command) => run_async(async move { hook::run(command).await }),
    }
}

fn run_async(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> std::process::ExitCode {
    run_async_logged(logging::LogFormat::Text, fut)
}

fn run_async_logged(
    format: logging::LogFormat,
    fut: impl std::future::Future<Output = anyhow::Result<()>>,
) -> std::process::ExitCode {
    logging::init(format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kiln: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiln: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

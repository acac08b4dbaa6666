//! `kiln`: a self-hosted build service that speaks the AWS CodeBuild API and really runs builds.

mod cli;
mod config;
mod hook;
mod repo_events;
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
        cli::Command::Serve(args) => run_async(async move { server::serve(*args).await }),
        cli::Command::Logs(args) => run_async(async move { cli::logs(args).await }),
        cli::Command::Hook(command) => run_async(async move { hook::run(command).await }),
    }
}

fn run_async(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> std::process::ExitCode {
    init_tracing();
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

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

//! `kiln start-build`: StartBuild with the common overrides, then optionally follow the build.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Value, json};

use super::client::Client;
use super::commands::ClientArgs;
use super::output::{Format, col, render};
use super::progress::Progress;
use super::{exit, follow};

#[derive(Debug, Args, Clone)]
pub struct StartBuildArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The project to build.
    #[arg(long, short)]
    pub project: String,
    /// The commit, branch, tag or pull request to build (sourceVersion).
    #[arg(long)]
    pub source_version: Option<String>,
    /// An environment variable for this build, as NAME=VALUE (repeatable; PLAINTEXT).
    #[arg(long = "env", short = 'e', value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// A buildspec file to use instead of the project's (sent inline as buildspecOverride).
    #[arg(long, value_name = "FILE")]
    pub buildspec: Option<PathBuf>,
    /// Show the phases and the log until the build ends, and exit with its result.
    #[arg(long, short)]
    pub follow: bool,
}

pub fn run(args: StartBuildArgs) -> anyhow::Result<u8> {
    let body = request(&args)?;
    let client = args.client.client()?;
    let answer = client.codebuild("StartBuild", &body)?;
    let build = &answer["build"];
    let id = build["id"].as_str().context("StartBuild answered without a build id")?.to_string();
    print_started(args.client.output, &answer, build, &id)?;
    if !args.follow {
        return Ok(exit::SUCCEEDED);
    }
    follow_to_exit(&client, &id)
}

/// Follows a build on stdout and turns its result into the exit code.
pub fn follow_to_exit(client: &Client, id: &str) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut progress = Progress::new(stdout.is_terminal(), true);
    let mut out = stdout.lock();
    let build = follow::follow(client, id, &mut out, &mut progress)?;
    out.flush()?;
    Ok(exit::for_build_status(build["buildStatus"].as_str().unwrap_or_default()))
}

/// Prints a started build: its id (table, text) or the API's answer (json).
pub fn print_started(format: Format, answer: &Value, build: &Value, id: &str) -> anyhow::Result<()> {
    let text = match format {
        Format::Json => render(format, answer, std::slice::from_ref(build), &[col("ID", "/id")]),
        Format::Table | Format::Text => format!("{id}\n"),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn request(args: &StartBuildArgs) -> anyhow::Result<Value> {
    let mut body = json!({ "projectName": args.project });
    if let Some(version) = &args.source_version {
        body["sourceVersion"] = json!(version);
    }
    if !args.env.is_empty() {
        body["environmentVariablesOverride"] =
            Value::Array(args.env.iter().map(|e| env_var(e)).collect::<Result<_, _>>()?);
    }
    if let Some(path) = &args.buildspec {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        body["buildspecOverride"] = json!(text);
    }
    Ok(body)
}

fn env_var(spec: &str) -> anyhow::Result<Value> {
    match spec.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok(json!({ "name": name, "value": value, "type": "PLAINTEXT" })),
        _ => bail!("--env takes NAME=VALUE, not {spec:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Test {
        #[command(flatten)]
        args: StartBuildArgs,
    }

    #[test]
    fn overrides_become_the_start_build_request() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("bs.yml");
        std::fs::write(&spec, "version: 0.2\n").unwrap();
        let args = Test::parse_from([
            "t",
            "--project",
            "p",
            "--source-version",
            "main",
            "-e",
            "A=1",
            "--env",
            "B=x=y",
            "--buildspec",
            spec.to_str().unwrap(),
        ])
        .args;
        assert_eq!(
            request(&args).unwrap(),
            json!({
                "projectName": "p", "sourceVersion": "main", "buildspecOverride": "version: 0.2\n",
                "environmentVariablesOverride": [
                    {"name": "A", "value": "1", "type": "PLAINTEXT"},
                    {"name": "B", "value": "x=y", "type": "PLAINTEXT"},
                ],
            })
        );
        let bad = Test::parse_from(["t", "--project", "p", "--env", "NOVALUE"]).args;
        assert!(request(&bad).is_err());
    }
}

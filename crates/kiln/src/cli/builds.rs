//! `kiln builds list|get|stop|retry`.

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::client::Client;
use super::commands::ClientArgs;
use super::output::{self, Column, Format, col, time_col};
use super::{exit, start_build};

/// BatchGetBuilds takes at most this many ids.
const BATCH: usize = 100;

const COLUMNS: [Column; 6] = [
    col("ID", "/id"),
    col("STATUS", "/buildStatus"),
    col("PHASE", "/currentPhase"),
    col("SOURCE VERSION", "/resolvedSourceVersion"),
    time_col("STARTED", "/startTime"),
    time_col("ENDED", "/endTime"),
];

#[derive(Debug, Args, Clone)]
pub struct BuildsArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: BuildsCommand,
}

#[derive(Debug, Subcommand, Clone)]
pub enum BuildsCommand {
    /// The newest builds (of one project with --project).
    List {
        #[arg(long, short)]
        project: Option<String>,
        /// How many builds to show (at most 100).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=100))]
        max: u16,
    },
    /// Show builds by id.
    Get {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Stop a running build.
    Stop { id: String },
    /// Start a build again with the same settings; prints the new build's id.
    Retry {
        id: String,
        /// Follow the new build, as `kiln start-build --follow`.
        #[arg(long, short)]
        follow: bool,
    },
}

pub fn run(args: BuildsArgs) -> anyhow::Result<u8> {
    let client = args.client.client()?;
    let format = args.client.output;
    match args.command {
        BuildsCommand::List { project, max } => {
            let ids = list_ids(&client, project.as_deref(), usize::from(max))?;
            let answer = if ids.is_empty() { json!({ "builds": [] }) } else { batch_get(&client, &ids)? };
            print(format, &answer, &answer["builds"])
        }
        BuildsCommand::Get { ids } => {
            let answer = batch_get(&client, &ids)?;
            print(format, &answer, &answer["builds"])?;
            output::fail_on_not_found(&answer, "buildsNotFound", "builds")?;
            Ok(exit::SUCCEEDED)
        }
        BuildsCommand::Stop { id } => {
            let answer = client.codebuild("StopBuild", &json!({ "id": id }))?;
            print(format, &answer, &json!([answer["build"]]))
        }
        BuildsCommand::Retry { id, follow } => {
            let answer = client.codebuild("RetryBuild", &json!({ "id": id }))?;
            let build = &answer["build"];
            let new_id = build["id"].as_str().context("RetryBuild answered without a build id")?.to_string();
            start_build::print_started(format, &answer, build, &new_id)?;
            if follow { start_build::follow_to_exit(&client, &new_id) } else { Ok(exit::SUCCEEDED) }
        }
    }
}

fn print(format: Format, answer: &Value, builds: &Value) -> anyhow::Result<u8> {
    output::print(format, answer, builds, &COLUMNS)
}

/// Up to `max` build ids, newest first, following nextToken.
fn list_ids(client: &Client, project: Option<&str>, max: usize) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({ "sortOrder": "DESCENDING" });
        if let Some(t) = &token {
            request["nextToken"] = json!(t);
        }
        let page = match project {
            Some(p) => {
                request["projectName"] = json!(p);
                client.codebuild("ListBuildsForProject", &request)?
            }
            None => client.codebuild("ListBuilds", &request)?,
        };
        ids.extend(page["ids"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
        token = page["nextToken"].as_str().map(str::to_string);
        if ids.len() >= max || token.is_none() {
            ids.truncate(max);
            return Ok(ids);
        }
    }
}

fn batch_get(client: &Client, ids: &[String]) -> anyhow::Result<Value> {
    if ids.len() > BATCH {
        bail!("at most {BATCH} builds at a time");
    }
    Ok(client.codebuild("BatchGetBuilds", &json!({ "ids": ids }))?)
}

//! `kiln projects create|update|list|get|delete`. create and update take the JSON of
//! `aws codebuild create-project --cli-input-json` (the API's request), sent as it is.

use std::io::Read as _;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::client::Client;
use super::commands::ClientArgs;
use super::exit;
use super::output::{self, Column, Format, col, time_col};

/// BatchGetProjects takes at most this many names.
const BATCH: usize = 100;

const COLUMNS: [Column; 4] = [
    col("NAME", "/name"),
    col("SOURCE", "/source/type"),
    time_col("CREATED", "/created"),
    col("DESCRIPTION", "/description"),
];

#[derive(Debug, Args, Clone)]
pub struct ProjectsArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: ProjectsCommand,
}

#[derive(Debug, Subcommand, Clone)]
pub enum ProjectsCommand {
    /// Create a project from CreateProject's JSON.
    Create(InputJson),
    /// Change a project with UpdateProject's JSON (`name` and the fields to change).
    Update(InputJson),
    /// All projects.
    List,
    /// Show projects by name.
    Get {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Delete a project.
    Delete { name: String },
}

#[derive(Debug, Args, Clone)]
pub struct InputJson {
    /// The request as JSON: a file, file://FILE, `-` for stdin, or the JSON itself.
    #[arg(long, value_name = "FILE|-")]
    pub cli_input_json: String,
}

pub fn run(args: ProjectsArgs) -> anyhow::Result<u8> {
    let client = args.client.client()?;
    let format = args.client.output;
    match args.command {
        ProjectsCommand::Create(input) => {
            let answer = client.codebuild("CreateProject", &read_input(&input.cli_input_json)?)?;
            print(format, &answer, &json!([answer["project"]]))
        }
        ProjectsCommand::Update(input) => {
            let answer = client.codebuild("UpdateProject", &read_input(&input.cli_input_json)?)?;
            print(format, &answer, &json!([answer["project"]]))
        }
        ProjectsCommand::List => {
            let names = list_names(&client)?;
            let mut projects = Vec::new();
            for chunk in names.chunks(BATCH) {
                let answer = client.codebuild("BatchGetProjects", &json!({ "names": chunk }))?;
                projects.extend(answer["projects"].as_array().cloned().unwrap_or_default());
            }
            let answer = json!({ "projects": projects });
            print(format, &answer, &answer["projects"])
        }
        ProjectsCommand::Get { names } => {
            if names.len() > BATCH {
                bail!("at most {BATCH} projects at a time");
            }
            let answer = client.codebuild("BatchGetProjects", &json!({ "names": names }))?;
            print(format, &answer, &answer["projects"])?;
            output::fail_on_not_found(&answer, "projectsNotFound", "projects")?;
            Ok(exit::SUCCEEDED)
        }
        ProjectsCommand::Delete { name } => {
            let answer = client.codebuild("DeleteProject", &json!({ "name": name }))?;
            if format == Format::Json {
                print(format, &answer, &json!([]))?;
            }
            Ok(exit::SUCCEEDED)
        }
    }
}

fn print(format: Format, answer: &Value, projects: &Value) -> anyhow::Result<u8> {
    output::print(format, answer, projects, &COLUMNS)
}

fn list_names(client: &Client) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({ "sortBy": "NAME", "sortOrder": "ASCENDING" });
        if let Some(t) = &token {
            request["nextToken"] = json!(t);
        }
        let page = client.codebuild("ListProjects", &request)?;
        names.extend(page["projects"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
        token = page["nextToken"].as_str().map(str::to_string);
        if token.is_none() {
            return Ok(names);
        }
    }
}

/// `--cli-input-json`: `-` (stdin), `file://PATH` or PATH, or inline JSON; must be an object.
fn read_input(arg: &str) -> anyhow::Result<Value> {
    let text = if arg == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading the JSON from stdin")?;
        s
    } else if arg.trim_start().starts_with('{') {
        arg.to_string()
    } else {
        let path = arg.strip_prefix("file://").unwrap_or(arg);
        std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?
    };
    let value: Value = serde_json::from_str(&text).context("--cli-input-json is not valid JSON")?;
    if !value.is_object() {
        bail!("--cli-input-json must be a JSON object");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_json_comes_from_a_file_a_file_url_or_inline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, r#"{"name": "p"}"#).unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(read_input(path).unwrap(), json!({"name": "p"}));
        assert_eq!(read_input(&format!("file://{path}")).unwrap(), json!({"name": "p"}));
        assert_eq!(read_input(r#" {"name": "q"}"#).unwrap(), json!({"name": "q"}));
        let list = dir.path().join("list.json");
        std::fs::write(&list, "[1]").unwrap();
        assert!(read_input(list.to_str().unwrap()).is_err(), "not an object");
        assert!(read_input("/nonexistent/p.json").is_err());
    }
}

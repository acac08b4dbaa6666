//! The client commands of the `kiln` binary (start-build, builds, projects, completions)
//! against a live server.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use common::{Server, create_inline_project};
use serde_json::{Value, json};

/// `kiln ARGS --endpoint <server>`, with no AWS settings from the machine running the tests.
fn kiln(server: &Server) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
    cmd.env("KILN_ENDPOINT", &server.endpoint);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "KILN_ACCESS_KEY_ID",
        "KILN_SECRET_ACCESS_KEY",
        "KILN_OUTPUT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/kiln-test/config");
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kiln-test/credentials");
    cmd
}

fn run(server: &Server, args: &[&str]) -> Output {
    kiln(server).args(args).stdin(Stdio::null()).output().expect("run kiln")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn describe(out: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", out.status, stdout(out), String::from_utf8_lossy(&out.stderr))
}

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "{}", describe(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", describe(out)))
}

const NO_ARTIFACTS: fn() -> Value = || json!({"type": "NO_ARTIFACTS"});

#[test]
fn start_build_follow_streams_phases_and_log_and_exits_with_the_result() {
    let server = Server::start();
    create_inline_project(
        &server,
        "cli-ok",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello-from-build\n",
        NO_ARTIFACTS(),
    );
    let out = run(&server, &["start-build", "--project", "cli-ok", "--follow"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = stdout(&out);
    let id = text.lines().next().unwrap_or_default();
    assert!(id.starts_with("cli-ok:"), "the first line is the build id: {text}");
    assert!(text.contains("\nhello-from-build\n"), "{text}");
    assert!(text.contains("[phase] SUBMITTED SUCCEEDED"), "{text}");
    assert!(text.contains("[phase] BUILD SUCCEEDED"), "{text}");
    // Phases are reported once each, in order.
    assert_eq!(text.matches("[phase] BUILD ").count(), 1, "{text}");
    let submitted = text.find("[phase] SUBMITTED").unwrap_or(usize::MAX);
    assert!(submitted < text.find("[phase] BUILD ").unwrap_or(0), "{text}");
    assert!(text.trim_end().lines().last().unwrap_or_default().starts_with(&format!("[build] {id} SUCCEEDED in ")));

    create_inline_project(
        &server,
        "cli-fail",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo before-failure\n      - exit 7\n",
        NO_ARTIFACTS(),
    );
    let out = run(&server, &["start-build", "--project", "cli-fail", "--follow"]);
    assert_eq!(out.status.code(), Some(1), "FAILED exits 1: {}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains("\nbefore-failure\n"), "{text}");
    assert!(text.contains("[phase] BUILD FAILED"), "{text}");
    assert!(text.contains(" FAILED in "), "{text}");

    // Without --follow: only the id, at once.
    let out = run(&server, &["start-build", "--project", "cli-ok"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("cli-ok:"), "{text}");

    // An unknown project is an API error: exit 2, the error on stderr.
    let out = run(&server, &["start-build", "--project", "nope", "--follow"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ResourceNotFoundException"), "{}", describe(&out));
}

#[test]
fn start_build_overrides_the_buildspec_and_environment() {
    let server = Server::start();
    create_inline_project(
        &server,
        "cli-over",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - exit 1\n",
        NO_ARTIFACTS(),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("buildspec.yml");
    std::fs::write(&spec, "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"greeting=$GREETING\"\n")
        .expect("write buildspec");
    let out = run(
        &server,
        &[
            "start-build",
            "--project",
            "cli-over",
            "--env",
            "GREETING=hi there",
            "--buildspec",
            spec.to_str().expect("utf-8 path"),
            "--follow",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains("\ngreeting=hi there\n"), "{text}");
    // --output json: the StartBuild answer comes first.
    let started: Value = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .next()
        .expect("a JSON document")
        .expect("valid JSON");
    assert_eq!(started["build"]["projectName"], "cli-over");
    assert_eq!(started["build"]["environment"]["environmentVariables"][0]["value"], "hi there", "{started}");
}

#[test]
fn a_stopped_build_exits_5_and_builds_can_be_listed_fetched_and_retried() {
    let server = Server::start();
    create_inline_project(
        &server,
        "cli-slow",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 60\n",
        NO_ARTIFACTS(),
    );
    let mut follower = kiln(&server)
        .args(["start-build", "--project", "cli-slow", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kiln");
    let mut lines = BufReader::new(follower.stdout.take().expect("stdout"));
    let mut id = String::new();
    lines.read_line(&mut id).expect("read the id");
    let id = id.trim().to_string();
    assert!(id.starts_with("cli-slow:"), "{id}");

    let stopped = json_of(&run(&server, &["builds", "stop", &id, "--output", "json"]));
    assert_eq!(stopped["build"]["id"], id.as_str());
    let status = follower.wait().expect("wait for kiln");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut lines, &mut rest).expect("read the rest");
    assert_eq!(status.code(), Some(5), "STOPPED exits 5: {rest}");
    assert!(rest.contains(&format!("[build] {id} STOPPED")), "{rest}");

    // get: the API's JSON, and the table.
    let got = json_of(&run(&server, &["builds", "get", &id, "--output", "json"]));
    assert_eq!(got["builds"][0]["buildStatus"], "STOPPED");
    let out = run(&server, &["builds", "get", &id]);
    let table = stdout(&out);
    let header = table.lines().next().unwrap_or_default();
    assert!(header.starts_with("ID") && header.contains("STATUS") && header.contains("STARTED"), "{table}");
    assert!(table.lines().nth(1).unwrap_or_default().starts_with(&format!("{id}  ")), "{table}");
    let out = run(&server, &["builds", "get", "cli-slow:00000000-0000-0000-0000-000000000000"]);
    assert_eq!(out.status.code(), Some(2), "an unknown build: {}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("builds not found: cli-slow:00000000-0000-0000-0000-000000000000"), "{err}");

    // retry: a new build of the same project; with --follow it runs to the end (stop it again).
    let out = run(&server, &["builds", "retry", &id, "--output", "text"]);
    assert!(out.status.success(), "{}", describe(&out));
    let retried = stdout(&out).trim().to_string();
    assert!(retried.starts_with("cli-slow:") && retried != id, "{retried}");
    assert!(run(&server, &["builds", "stop", &retried]).status.success());

    // list: newest first; text is one tab-separated record a line.
    let out = run(&server, &["builds", "list", "--project", "cli-slow", "--output", "text"]);
    assert!(out.status.success(), "{}", describe(&out));
    let ids: Vec<String> = stdout(&out).lines().map(|l| l.split('\t').next().unwrap_or_default().to_string()).collect();
    assert_eq!(ids, [retried.clone(), id.clone()]);
    let listed = json_of(&run(&server, &["builds", "list", "--max", "1", "--output", "json"]));
    assert_eq!(listed["builds"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["builds"][0]["id"], retried.as_str());
}

#[test]
fn projects_are_created_from_cli_input_json_and_managed() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let input = json!({
        "name": "from-json",
        "description": "made by the cli",
        "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands:\n      - echo from-json\n"},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
        "serviceRole": "arn:aws:iam::000000000000:role/build",
    });
    let file = dir.path().join("project.json");
    std::fs::write(&file, input.to_string()).expect("write json");
    let created = json_of(&run(
        &server,
        &["projects", "create", "--cli-input-json", &format!("file://{}", file.display()), "--output", "json"],
    ));
    assert_eq!(created["project"]["name"], "from-json");
    assert_eq!(created["project"]["description"], "made by the cli");

    // From stdin.
    let mut child = kiln(&server)
        .args(["projects", "create", "--cli-input-json", "-", "--output", "text"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start kiln");
    let mut second = input.clone();
    second["name"] = json!("from-stdin");
    child.stdin.take().expect("stdin").write_all(second.to_string().as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stdout(&out).starts_with("from-stdin\tNO_SOURCE\t"), "{}", describe(&out));

    let out = run(&server, &["projects", "create", "--cli-input-json", &file.display().to_string()]);
    assert_eq!(out.status.code(), Some(2), "a second create: {}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ResourceAlreadyExistsException"), "{}", describe(&out));

    let out = run(
        &server,
        &[
            "projects",
            "update",
            "--cli-input-json",
            r#"{"name": "from-json", "description": "changed"}"#,
            "--output",
            "json",
        ],
    );
    assert_eq!(json_of(&out)["project"]["description"], "changed");

    let out = run(&server, &["projects", "list"]);
    let table = stdout(&out);
    assert!(table.starts_with("NAME"), "{table}");
    let names: Vec<&str> = table.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names, ["from-json", "from-stdin"], "{table}");

    let got = json_of(&run(&server, &["projects", "get", "from-json", "--output", "json"]));
    assert_eq!(got["projects"][0]["source"]["type"], "NO_SOURCE");

    // The created project builds.
    let out = run(&server, &["start-build", "--project", "from-json", "--follow"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(stdout(&out).contains("\nfrom-json\n"), "{}", describe(&out));

    assert!(run(&server, &["projects", "delete", "from-stdin"]).status.success());
    let out = run(&server, &["projects", "get", "from-stdin"]);
    assert_eq!(out.status.code(), Some(2), "a deleted project: {}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("projects not found: from-stdin"), "{}", describe(&out));
    let out = run(&server, &["projects", "create", "--cli-input-json", "[1]"]);
    assert_eq!(out.status.code(), Some(2), "not an object: {}", describe(&out));
}

#[test]
fn requests_are_signed_with_the_aws_credential_chain() {
    let server =
        Server::start_with(&[], &[("KILN_ACCESS_KEY_ID", "AKIDCLITEST"), ("KILN_SECRET_ACCESS_KEY", "s3cret")]);
    let list = ["projects", "list", "--output", "json"];

    let out = run(&server, &list);
    assert_eq!(out.status.code(), Some(2), "unsigned requests are refused: {}", describe(&out));

    let out = kiln(&server)
        .args(list)
        .env("AWS_ACCESS_KEY_ID", "AKIDCLITEST")
        .env("AWS_SECRET_ACCESS_KEY", "s3cret")
        .output()
        .expect("run kiln");
    assert_eq!(json_of(&out)["projects"], json!([]));

    let out = kiln(&server)
        .args(list)
        .env("AWS_ACCESS_KEY_ID", "AKIDCLITEST")
        .env("AWS_SECRET_ACCESS_KEY", "wrong")
        .output()
        .expect("run kiln");
    assert_eq!(out.status.code(), Some(2), "a wrong secret: {}", describe(&out));

    // A profile in the shared credentials file.
    let dir = tempfile::tempdir().expect("tempdir");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[kiln]\naws_access_key_id = AKIDCLITEST\naws_secret_access_key = s3cret\n",
    )
    .expect("write credentials");
    let out = kiln(&server)
        .args(list)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_PROFILE", "kiln")
        .output()
        .expect("run kiln");
    assert_eq!(json_of(&out)["projects"], json!([]));
}

#[test]
fn completions_are_generated_for_bash() {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln")).args(["completions", "bash"]).output().expect("run kiln");
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains("complete -F _kiln"), "{script}");
    for word in ["start-build", "projects", "retry", "--cli-input-json", "--follow"] {
        assert!(script.contains(word), "{word} missing from the bash completions");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kiln")).args(["completions", "tcsh"]).output().expect("run kiln");
    assert_eq!(out.status.code(), Some(2), "an unknown shell is a usage error");
}

#[test]
fn a_timed_out_build_exits_4() {
    // A "minute" of 0.2s: the 5-minute timeout ends the build after a second.
    let server = Server::start_with(&["--minute-seconds", "0.2"], &[]);
    let project = json!({
        "name": "cli-timeout",
        "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 60\n"},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {"type": "LINUX_CONTAINER", "image": "img", "computeType": "BUILD_GENERAL1_SMALL"},
        "serviceRole": "role",
        "timeoutInMinutes": 5,
    });
    let out = run(&server, &["projects", "create", "--cli-input-json", &project.to_string()]);
    assert!(out.status.success(), "{}", describe(&out));
    let out = run(&server, &["start-build", "--project", "cli-timeout", "--follow"]);
    assert_eq!(out.status.code(), Some(4), "TIMED_OUT exits 4: {}", describe(&out));
    assert!(stdout(&out).contains(" TIMED_OUT in "), "{}", describe(&out));
}

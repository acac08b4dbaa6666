//! The `kiln` command line against a running server.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Server, create_inline_project, json_call, wait_for};
use serde_json::json;

fn start(server: &Server, project: &str) -> String {
    let (status, body) = json_call(&server.addr, "CodeBuild_20161006.StartBuild", &json!({"projectName": project}));
    assert_eq!(status, 200, "{body}");
    body["build"]["id"].as_str().expect("id").to_string()
}

fn kiln_logs(server: &Server, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("logs")
        .args(args)
        .arg("--endpoint")
        .arg(&server.endpoint)
        .env_remove("AWS_ACCESS_KEY_ID")
        .output()
        .expect("run kiln logs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn logs_prints_a_finished_build_and_follows_a_running_one() {
    let server = Server::start();
    create_inline_project(
        &server,
        "cli-logs",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo first-line\n",
        json!({"type": "NO_ARTIFACTS"}),
    );
    let id = start(&server, "cli-logs");
    wait_for("build to finish", Duration::from_secs(30), || {
        let (_, body) = json_call(&server.addr, "CodeBuild_20161006.BatchGetBuilds", &json!({"ids": [id]}));
        body["builds"][0]["buildComplete"].as_bool().filter(|done| *done)
    });
    let (ok, text) = kiln_logs(&server, &[&id]);
    assert!(ok);
    assert!(text.contains("\nfirst-line\n"), "{text}");
    assert!(text.contains("Phase complete: BUILD State: SUCCEEDED"), "{text}");

    // --follow returns only when the build has ended, with every line.
    create_inline_project(
        &server,
        "cli-follow",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo early\n      - sleep 1\n      - echo late\n",
        json!({"type": "NO_ARTIFACTS"}),
    );
    let id = start(&server, "cli-follow");
    let (ok, text) = kiln_logs(&server, &["--follow", &id]);
    assert!(ok);
    assert!(text.contains("\nearly\n") && text.contains("\nlate\n"), "{text}");
    assert!(text.contains("Phase complete: FINALIZING"), "{text}");

    let (ok, _) = kiln_logs(&server, &["cli-logs:00000000-0000-0000-0000-000000000000"]);
    assert!(!ok, "an unknown build is an error");
}

/// The sandbox hides /tmp and the data dir; a kiln binary installed under either must still be
/// able to start its agent inside the sandbox.
#[test]
fn builds_run_when_the_kiln_binary_lives_under_tmp() {
    let dir = tempfile::Builder::new().prefix("kiln-bin").tempdir_in("/tmp").expect("tempdir in /tmp");
    let exe = dir.path().join("kiln");
    std::fs::copy(env!("CARGO_BIN_EXE_kiln"), &exe).expect("copy kiln");
    let server = Server::start_from(&exe, &[], &[]);
    create_inline_project(
        &server,
        "from-tmp",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ran\n",
        json!({"type": "NO_ARTIFACTS"}),
    );
    let id = start(&server, "from-tmp");
    let status = wait_for("build to finish", Duration::from_secs(30), || {
        let (_, body) = json_call(&server.addr, "CodeBuild_20161006.BatchGetBuilds", &json!({"ids": [id]}));
        let build = &body["builds"][0];
        (build["buildComplete"] == true).then(|| build["buildStatus"].as_str().unwrap_or_default().to_string())
    });
    assert_eq!(status, "SUCCEEDED");
}

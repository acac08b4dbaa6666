//! The `bootstrap` executable as Lambda runs it: configured only by environment variables
//! (AWS_ENDPOINT_URL_CODEBUILD, credentials, region, the project map), served events through
//! the Lambda Runtime API, calling StartBuild on a live Kiln.

mod common;

use std::process::{Child, Command, Stdio};

use aws_sdk_codebuild::types::StatusType;
use common::runtime_api::RuntimeApi;
use common::{BUILDSPEC, Repo, Server, create_project, fixture, wait_complete};

/// Kills the function when the test ends, whatever happened.
struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `bootstrap` with nothing from the test runner's environment but what Lambda would set.
fn bootstrap(runtime_api: &str, vars: &[(&str, &str)]) -> Command {
    let home = std::env::temp_dir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "kiln-codecommit-trigger")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        // No shared config or credentials files: only the variables below count.
        .env("AWS_CONFIG_FILE", home.join("kiln-lambda-test-no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("kiln-lambda-test-no-credentials"))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_serves_invocations_against_the_endpoint_from_the_environment() {
    let repo = Repo::new();
    let pushed = repo.commit(&[("buildspec.yml", BUILDSPEC), ("message.txt", "pushed")], "pushed");
    let server = Server::start(&[("some-repo", repo.path())]);
    let cb = server.client();
    create_project(&cb, "some-ci", "some-repo").await;

    let good = fixture("eventbridge-reference-updated.json", &[("COMMIT", &pushed), ("OLD_COMMIT", &pushed)]);
    let malformed = serde_json::json!({"Records": [{"eventSource": "aws:codecommit"}]});
    let api = RuntimeApi::start(vec![good, malformed]);
    let _function = Function(
        bootstrap(
            &api.address,
            &[
                ("AWS_ENDPOINT_URL_CODEBUILD", server.endpoint.as_str()),
                ("AWS_ACCESS_KEY_ID", "AKIDLAMBDA"),
                ("AWS_SECRET_ACCESS_KEY", "lambda-secret"),
                ("AWS_SESSION_TOKEN", "lambda-session"),
                ("KILN_PROJECT_MAP", "some-repo:main=some-ci"),
            ],
        )
        .stderr(Stdio::null())
        .spawn()
        .expect("start bootstrap"),
    );

    let first = api.next_reply();
    assert_eq!((first.request_id.as_str(), first.kind.as_str()), ("req-1", "response"), "{first:?}");
    let started = &first.body["started"];
    assert_eq!(started.as_array().map(Vec::len), Some(1), "{first:?}");
    assert_eq!(started[0]["commit"], pushed.as_str());
    assert_eq!(started[0]["project"], "some-ci");
    let build_id = started[0]["buildId"].as_str().expect("buildId").to_string();

    let second = api.next_reply();
    assert_eq!((second.request_id.as_str(), second.kind.as_str()), ("req-2", "error"), "{second:?}");
    assert_eq!(second.body["errorType"], "MalformedEvent");
    let message = second.body["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("Records[0]") && message.contains("eventSourceARN"), "{message}");

    // The build ran on the Kiln the environment pointed at, signed with the function's credentials.
    let build = wait_complete(&cb, &build_id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Succeeded), "{:#?}", build.phases());
    assert_eq!(build.resolved_source_version(), Some(pushed.as_str()));
    assert_eq!(build.initiator(), Some("AKIDLAMBDA"));
}

/// A Kiln that checks signatures cannot know the function role's keys: KILN_ACCESS_KEY_ID and
/// KILN_SECRET_ACCESS_KEY sign instead.
#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_signs_with_kiln_keys_when_given_them() {
    let repo = Repo::new();
    let pushed = repo.commit(&[("buildspec.yml", BUILDSPEC), ("message.txt", "pushed")], "pushed");
    let keys = [("KILN_ACCESS_KEY_ID", "AKIDKILN"), ("KILN_SECRET_ACCESS_KEY", "kiln-secret")];
    let server = Server::start_with_env(&[("some-repo", repo.path())], &keys);
    let cb = server.client_with("AKIDKILN", "kiln-secret");
    create_project(&cb, "some-ci", "some-repo").await;
    let event = fixture("eventbridge-reference-updated.json", &[("COMMIT", &pushed), ("OLD_COMMIT", &pushed)]);
    let role_keys = [
        ("AWS_ENDPOINT_URL_CODEBUILD", server.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "ASIAROLE"),
        ("AWS_SECRET_ACCESS_KEY", "role-secret"),
        ("AWS_SESSION_TOKEN", "role-session"),
        ("PROJECT_NAME", "some-ci"),
    ];

    // The role's keys alone: Kiln refuses the call, and the function reports it.
    let api = RuntimeApi::start(vec![event.clone()]);
    let _function = Function(bootstrap(&api.address, &role_keys).stderr(Stdio::null()).spawn().expect("start"));
    let refused = api.next_reply();
    assert_eq!(refused.kind, "error", "{refused:?}");
    assert_eq!(refused.body["errorType"], "StartBuildFailed", "{refused:?}");

    let api = RuntimeApi::start(vec![event]);
    let _function = Function(
        bootstrap(&api.address, &[&role_keys[..], &keys[..]].concat()).stderr(Stdio::null()).spawn().expect("start"),
    );
    let reply = api.next_reply();
    assert_eq!(reply.kind, "response", "{reply:?}");
    let build_id = reply.body["started"][0]["buildId"].as_str().expect("buildId").to_string();
    let build = wait_complete(&cb, &build_id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Succeeded), "{:#?}", build.phases());
    assert_eq!(build.resolved_source_version(), Some(pushed.as_str()));
    assert_eq!(build.initiator(), Some("AKIDKILN"));
}

#[test]
fn bootstrap_without_a_project_fails_at_start_and_says_what_to_set() {
    let api = RuntimeApi::start(Vec::new());
    let out = bootstrap(&api.address, &[]).stderr(Stdio::piped()).output().expect("run bootstrap");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("KILN_PROJECT_MAP") && stderr.contains("PROJECT_NAME"), "{stderr}");

    let half_keys = [("PROJECT_NAME", "some-ci"), ("KILN_ACCESS_KEY_ID", "AKIDKILN")];
    let out = bootstrap(&api.address, &half_keys).stderr(Stdio::piped()).output().expect("run bootstrap");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("KILN_SECRET_ACCESS_KEY"), "{stderr}");
}

//! The Rust AWS SDK (aws-sdk-codebuild, aws-sdk-cloudwatchlogs) against a running Kiln.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_codebuild::types::{
    ArtifactsType, Build, BuildPhaseType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment,
    ProjectSource, SourceType, StatusType,
};
use common::{Repo, Server};

fn client(endpoint: &str, key: &str, secret: &str) -> Client {
    let conf = aws_sdk_codebuild::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .build();
    Client::from_conf(conf)
}

fn logs_client(endpoint: &str) -> aws_sdk_cloudwatchlogs::Client {
    let conf = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new("AK", "SK", None, None, "test"))
        .build();
    aws_sdk_cloudwatchlogs::Client::from_conf(conf)
}

async fn create_project(cb: &Client, name: &str, source: ProjectSource) {
    cb.create_project()
        .name(name)
        .source(source)
        .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build().expect("artifacts"))
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .expect("environment"),
        )
        .service_role("arn:aws:iam::000000000000:role/codebuild")
        .send()
        .await
        .expect("create project");
}

fn inline_source(buildspec: &str) -> ProjectSource {
    ProjectSource::builder().r#type(SourceType::NoSource).buildspec(buildspec).build().expect("source")
}

async fn wait_complete(cb: &Client, id: &str) -> Build {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = cb.batch_get_builds().ids(id).send().await.expect("batch get builds");
        let build = out.builds().first().cloned().expect("build exists");
        if build.build_complete() {
            return build;
        }
        assert!(Instant::now() < deadline, "build {id} did not complete");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Polls until the build's current phase is `phase`.
async fn wait_for_phase(cb: &Client, id: &str, phase: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = cb.batch_get_builds().ids(id).send().await.expect("batch get builds");
        if out.builds().first().and_then(|b| b.current_phase()) == Some(phase) {
            return;
        }
        assert!(Instant::now() < deadline, "build {id} never reached {phase}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn phase_types(build: &Build) -> Vec<String> {
    build.phases().iter().filter_map(|p| p.phase_type().map(|t| t.as_str().to_string())).collect()
}

/// The CodeBuild documentation's story: a CodeCommit project, StartBuild of `refs/heads/f3`,
/// the exact commit built, the log readable through CloudWatch Logs.
#[tokio::test(flavor = "multi_thread")]
async fn codecommit_story_builds_the_requested_branch() {
    let repo = Repo::new();
    repo.commit(
        &[
            ("message.txt", "from main"),
            (
                "buildspec.yml",
                "version: 0.2\nenv:\n  exported-variables:\n    - MESSAGE\nphases:\n  build:\n    commands:\n      - MESSAGE=$(cat message.txt)\n      - 'echo \"built $CODEBUILD_RESOLVED_SOURCE_VERSION: $MESSAGE\"'\n",
            ),
        ],
        "main",
    );
    repo.git(&["checkout", "-q", "-b", "f3"]);
    let f3 = repo.commit(&[("message.txt", "from f3")], "f3");
    repo.git(&["checkout", "-q", "main"]);

    // The CodeCommit URL reaches the local repository through git's insteadOf, as the README shows.
    let gitconfig = tempfile::NamedTempFile::new().expect("gitconfig");
    std::fs::write(
        gitconfig.path(),
        format!(
            "[url \"{}\"]\n\tinsteadOf = https://git-codecommit.us-east-1.amazonaws.com/v1/repos/MyDemoRepo\n",
            repo.path().display()
        ),
    )
    .expect("write gitconfig");
    let config_path = gitconfig.path().display().to_string();
    let server = Server::start_with(&[], &[("GIT_CONFIG_GLOBAL", &config_path)]);
    let cb = client(&server.endpoint, "AKIDEXAMPLE", "secret");
    let source = ProjectSource::builder()
        .r#type(SourceType::Codecommit)
        .location("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/MyDemoRepo")
        .build()
        .expect("source");
    create_project(&cb, "learn_codebuild_single", source).await;

    let started = cb
        .start_build()
        .project_name("learn_codebuild_single")
        .source_version("refs/heads/f3")
        .send()
        .await
        .expect("start build")
        .build_value()
        .cloned()
        .expect("build");
    let id = started.id().expect("id").to_string();
    let (project, uuid) = id.split_once(':').expect("id is project:uuid");
    assert_eq!(project, "learn_codebuild_single");
    assert_eq!(uuid.len(), 36);
    assert_eq!(started.arn(), Some(format!("arn:aws:codebuild:us-east-1:000000000000:build/{id}").as_str()));
    assert_eq!(started.build_number(), Some(1));
    assert_eq!(started.build_status(), Some(&StatusType::InProgress));
    assert_eq!(started.current_phase(), Some("QUEUED"));
    assert_eq!(phase_types(&started)[..2], ["SUBMITTED", "QUEUED"]);
    assert_eq!(started.initiator(), Some("AKIDEXAMPLE"));

    let build = wait_complete(&cb, &id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Succeeded), "{:#?}", build.phases());
    assert_eq!(build.resolved_source_version(), Some(f3.as_str()));
    let exported = build.exported_environment_variables();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].value(), Some("from f3"));
    assert_eq!(
        phase_types(&build),
        [
            "SUBMITTED",
            "QUEUED",
            "PROVISIONING",
            "DOWNLOAD_SOURCE",
            "INSTALL",
            "PRE_BUILD",
            "BUILD",
            "POST_BUILD",
            "UPLOAD_ARTIFACTS",
            "FINALIZING",
            "COMPLETED"
        ]
    );
    let completed = build.phases().last().expect("phases");
    assert_eq!(completed.phase_status(), None);
    assert_eq!(completed.end_time(), None);

    let logs = build.logs().expect("logs");
    assert_eq!(logs.group_name(), Some("/aws/codebuild/learn_codebuild_single"));
    assert_eq!(logs.stream_name(), Some(uuid));
    let events = logs_client(&server.endpoint)
        .get_log_events()
        .log_group_name(logs.group_name().unwrap_or_default())
        .log_stream_name(logs.stream_name().unwrap_or_default())
        .start_from_head(true)
        .send()
        .await
        .expect("get log events");
    let text: String = events.events().iter().filter_map(|e| e.message()).collect();
    assert!(text.contains(&format!("built {f3}: from f3")), "log was:\n{text}");
    assert!(text.contains("Entering phase BUILD"), "log was:\n{text}");
}

/// A failing BUILD still runs POST_BUILD (with CODEBUILD_BUILD_SUCCEEDING=0); a failing INSTALL
/// skips straight to FINALIZING.
#[tokio::test(flavor = "multi_thread")]
async fn failure_transitions_follow_codebuild() {
    let server = Server::start();
    let cb = client(&server.endpoint, "AK", "SK");
    create_project(
        &cb,
        "fails-in-build",
        inline_source(
            "version: 0.2\nenv:\n  exported-variables: [SEEN]\nphases:\n  build:\n    commands:\n      - exit 3\n  post_build:\n    commands:\n      - SEEN=$CODEBUILD_BUILD_SUCCEEDING\n",
        ),
    )
    .await;
    let id = start(&cb, "fails-in-build").await;
    let build = wait_complete(&cb, &id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Failed));
    let build_phase = build.phases().iter().find(|p| p.phase_type() == Some(&BuildPhaseType::Build)).expect("BUILD");
    assert_eq!(build_phase.phase_status(), Some(&StatusType::Failed));
    let context = &build_phase.contexts()[0];
    assert_eq!(context.status_code(), Some("COMMAND_EXECUTION_ERROR"));
    assert_eq!(context.message(), Some("Error while executing command: exit 3. Reason: exit status 3"));
    assert!(phase_types(&build).contains(&"POST_BUILD".to_string()));
    assert!(phase_types(&build).contains(&"UPLOAD_ARTIFACTS".to_string()));
    assert_eq!(build.exported_environment_variables()[0].value(), Some("0"));

    create_project(
        &cb,
        "fails-in-install",
        inline_source("version: 0.2\nphases:\n  install:\n    commands:\n      - false\n  build:\n    commands:\n      - echo never\n"),
    )
    .await;
    let id = start(&cb, "fails-in-install").await;
    let build = wait_complete(&cb, &id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Failed));
    assert_eq!(
        phase_types(&build),
        ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "FINALIZING", "COMPLETED"]
    );
}

/// StopBuild ends a running build STOPPED and leaves none of its processes behind.
#[tokio::test(flavor = "multi_thread")]
async fn stop_build_kills_the_process_group() {
    let server = Server::start_with(&["--stop-grace-seconds", "1"], &[]);
    let cb = client(&server.endpoint, "AK", "SK");
    let marker = format!("kiln-stop-marker-{}", std::process::id());
    create_project(
        &cb,
        "stoppable",
        inline_source(&format!(
            "version: 0.2\nphases:\n  build:\n    commands:\n      - echo started\n      - sh -c 'sleep 300; echo {marker}'\n"
        )),
    )
    .await;
    let id = start(&cb, "stoppable").await;
    wait_for_marker(&marker).await;
    let stopped = cb.stop_build().id(&id).send().await.expect("stop build");
    // Like CodeBuild, StopBuild answers with the build already stopped (the process group
    // ends within the wait on SIGTERM).
    assert_eq!(stopped.build_value().and_then(|b| b.build_status()), Some(&StatusType::Stopped));
    let build = wait_complete(&cb, &id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Stopped));
    let last_two: Vec<String> = phase_types(&build).into_iter().rev().take(2).collect();
    assert_eq!(last_two, ["COMPLETED", "BUILD"]);
    assert!(!marker_running(&marker), "the build's process survived StopBuild");
    // Stopping it again is refused.
    let err = cb.stop_build().id(&id).send().await.expect_err("second stop");
    assert_eq!(err.as_service_error().and_then(|e| e.meta().code()), Some("InvalidInputException"));
}

/// Waits until the build's command runs: its process is visible.
async fn wait_for_marker(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !marker_running(marker) {
        assert!(Instant::now() < deadline, "build command never started");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Starts a build of `project`; returns its id.
async fn start(cb: &Client, project: &str) -> String {
    let out = cb.start_build().project_name(project).send().await.expect("start build");
    out.build_value().and_then(|b| b.id()).expect("build id").to_string()
}

fn marker_running(marker: &str) -> bool {
    std::process::Command::new("pgrep")
        .arg("-f")
        .arg(format!("sleep 300; echo {marker}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Errors carry the exception names of the model.
#[tokio::test(flavor = "multi_thread")]
async fn errors_have_codebuild_exception_names() {
    let server = Server::start();
    let cb = client(&server.endpoint, "AK", "SK");
    let err = cb.start_build().project_name("nope").send().await.expect_err("unknown project");
    let service = err.as_service_error().expect("service error");
    assert!(service.is_resource_not_found_exception(), "{service:?}");
    assert_eq!(
        service.meta().message(),
        Some("Project cannot be found: arn:aws:codebuild:us-east-1:000000000000:project/nope")
    );

    create_project(&cb, "dup", inline_source("version: 0.2\nphases:\n  build:\n    commands: [true]\n")).await;
    let err = cb
        .create_project()
        .name("dup")
        .source(inline_source("version: 0.2\n"))
        .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build().expect("artifacts"))
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("i")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .expect("environment"),
        )
        .service_role("r")
        .send()
        .await
        .expect_err("duplicate");
    assert!(err.as_service_error().expect("service").is_resource_already_exists_exception());

    let err =
        cb.start_build().project_name("dup").timeout_in_minutes_override(1).send().await.expect_err("timeout range");
    let service = err.as_service_error().expect("service error");
    assert!(service.is_invalid_input_exception());
    assert!(service.meta().message().unwrap_or_default().contains("timeoutInMinutesOverride"));

    let out = cb.batch_get_builds().ids("dup:00000000-0000-0000-0000-000000000000").send().await.expect("batch get");
    assert!(out.builds().is_empty());
    assert_eq!(out.builds_not_found(), ["dup:00000000-0000-0000-0000-000000000000"]);
}

/// With credentials configured, only requests signed with them are served.
#[tokio::test(flavor = "multi_thread")]
async fn signatures_are_verified_when_keys_are_configured() {
    let server =
        Server::start_with(&[], &[("KILN_ACCESS_KEY_ID", "AKIAKILN"), ("KILN_SECRET_ACCESS_KEY", "kiln-secret")]);
    client(&server.endpoint, "AKIAKILN", "kiln-secret").list_projects().send().await.expect("signed call works");

    let err = client(&server.endpoint, "AKIAKILN", "wrong").list_projects().send().await.expect_err("bad secret");
    assert_eq!(err.as_service_error().and_then(|e| e.meta().code()), Some("InvalidSignatureException"));

    let err = client(&server.endpoint, "AKIAOTHER", "kiln-secret").list_projects().send().await.expect_err("bad key");
    assert_eq!(err.as_service_error().and_then(|e| e.meta().code()), Some("UnrecognizedClientException"));
}

/// A build running when the server is killed ends FAULT after the restart; queued builds run.
#[tokio::test(flavor = "multi_thread")]
async fn builds_survive_a_crash_truthfully() {
    let mut server = Server::start_with(&["--concurrency", "1"], &[]);
    let cb = client(&server.endpoint, "AK", "SK");
    let marker = format!("kiln-crash-marker-{}", std::process::id());
    create_project(
        &cb,
        "crashy",
        inline_source(&format!(
            "version: 0.2\nphases:\n  build:\n    commands:\n      - sh -c 'sleep 300; echo {marker}'\n"
        )),
    )
    .await;
    create_project(&cb, "after-crash", inline_source("version: 0.2\nphases:\n  build:\n    commands: [echo ok]\n"))
        .await;
    let running = start(&cb, "crashy").await;
    wait_for_marker(&marker).await;
    // The command runs before the executor has necessarily stored that BUILD started; the crash
    // must come after both.
    wait_for_phase(&cb, &running, "BUILD").await;
    let queued = start(&cb, "after-crash").await;

    server.kill9();
    server.restart();
    let cb = client(&server.endpoint, "AK", "SK");
    let build = wait_complete(&cb, &running).await;
    assert_eq!(build.build_status(), Some(&StatusType::Fault));
    let build_phase = build.phases().iter().find(|p| p.phase_type() == Some(&BuildPhaseType::Build)).expect("BUILD");
    assert!(build_phase.contexts()[0].message().unwrap_or_default().contains("server stopped"));
    assert!(!marker_running(&marker), "the interrupted build's process survived the restart");
    let build = wait_complete(&cb, &queued).await;
    assert_eq!(build.build_status(), Some(&StatusType::Succeeded));
    let projects = cb.list_projects().send().await.expect("list");
    assert_eq!(projects.projects().len(), 2);
}

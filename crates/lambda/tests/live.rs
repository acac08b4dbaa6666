//! The handler against a live Kiln: recorded CodeCommit trigger and EventBridge events start
//! builds of exactly the pushed commit, through the Rust AWS SDK.

mod common;

use aws_sdk_codebuild::types::StatusType;
use common::{BUILDSPEC, Repo, Server, builds_of, config, create_project, exported_value, fixture, wait_complete};
use kiln_lambda::{DEFAULT_PROJECT, Error, PROJECT_MAP, Started, handle};

/// A repository whose `main` has moved on since the pushed commit: building the branch would
/// build the wrong commit, so only a build of the event's commit passes.
fn repo_with_two_commits() -> (Repo, String, String) {
    let repo = Repo::new();
    let pushed = repo.commit(&[("buildspec.yml", BUILDSPEC), ("message.txt", "pushed")], "pushed");
    let later = repo.commit(&[("message.txt", "later")], "later");
    (repo, pushed, later)
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_event_builds_the_pushed_commit_once() {
    let (repo, pushed, later) = repo_with_two_commits();
    let server = Server::start(&[("MyDemoRepo", repo.path())]);
    let cb = server.client();
    create_project(&cb, "demo-ci", "MyDemoRepo").await;
    let config = config(&[(PROJECT_MAP, "MyDemoRepo:main=demo-ci")]);
    let event = fixture("codecommit-trigger.json", &[("COMMIT", &pushed), ("TAG_COMMIT", &later)]);

    let outcome = handle(event.clone(), &cb, &config).await.expect("handled");
    assert_eq!(outcome.started.len(), 1, "{outcome:?}");
    let Started { repository, reference, commit, project, build_id } = &outcome.started[0];
    assert_eq!(
        (repository.as_str(), reference.as_str(), commit.as_str(), project.as_str()),
        ("MyDemoRepo", "refs/heads/main", pushed.as_str(), "demo-ci")
    );
    // The tag in the same event is left alone, and says why.
    assert_eq!(outcome.skipped.len(), 1, "{outcome:?}");
    assert_eq!(outcome.skipped[0].reference.as_deref(), Some("refs/tags/v1.0"));
    assert!(outcome.skipped[0].reason.contains("KILN_BUILD_TAGS"), "{:?}", outcome.skipped);

    let build = wait_complete(&cb, build_id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Succeeded), "{:#?}", build.phases());
    assert_eq!(build.source_version(), Some(pushed.as_str()));
    assert_eq!(build.resolved_source_version(), Some(pushed.as_str()));
    assert_eq!(exported_value(&build, "MESSAGE").as_deref(), Some("pushed"));
    assert_eq!(exported_value(&build, "KILN_TRIGGER_REPOSITORY").as_deref(), Some("MyDemoRepo"));
    assert_eq!(exported_value(&build, "KILN_TRIGGER_REF").as_deref(), Some("refs/heads/main"));
    assert_eq!(exported_value(&build, "KILN_TRIGGER_EVENT").as_deref(), Some("updated"));

    // Lambda retries and redelivers; the same event must not start a second build.
    let again = handle(event, &cb, &config).await.expect("handled again");
    assert_eq!(again.started[0].build_id, *build_id);
    assert_eq!(builds_of(&cb, "demo-ci").await, [build_id.as_str()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn eventbridge_event_builds_the_pushed_commit() {
    let (repo, pushed, later) = repo_with_two_commits();
    let server = Server::start(&[("some-repo", repo.path())]);
    let cb = server.client();
    create_project(&cb, "some-ci", "some-repo").await;
    // No entry names some-repo: the default project takes it.
    let config = config(&[(PROJECT_MAP, "another-repo=another-ci"), (DEFAULT_PROJECT, "some-ci")]);
    let event = fixture("eventbridge-reference-updated.json", &[("COMMIT", &pushed), ("OLD_COMMIT", &later)]);

    let outcome = handle(event, &cb, &config).await.expect("handled");
    assert!(outcome.skipped.is_empty(), "{outcome:?}");
    assert_eq!(outcome.started.len(), 1, "{outcome:?}");
    assert_eq!(outcome.started[0].project, "some-ci");
    let build = wait_complete(&cb, &outcome.started[0].build_id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Succeeded), "{:#?}", build.phases());
    assert_eq!(build.resolved_source_version(), Some(pushed.as_str()));
    assert_eq!(exported_value(&build, "MESSAGE").as_deref(), Some("pushed"));
    assert_eq!(exported_value(&build, "KILN_TRIGGER_REPOSITORY").as_deref(), Some("some-repo"));
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_not_routed_starts_nothing_and_failures_are_reported() {
    let (repo, pushed, later) = repo_with_two_commits();
    let server = Server::start(&[("MyDemoRepo", repo.path())]);
    let cb = server.client();
    create_project(&cb, "demo-ci", "MyDemoRepo").await;
    let only_other_repos = config(&[(PROJECT_MAP, "elsewhere=demo-ci")]);

    // An unknown repository and a deleted branch: skipped with a reason, nothing started.
    let trigger = fixture("codecommit-trigger.json", &[("COMMIT", &pushed), ("TAG_COMMIT", &later)]);
    let outcome = handle(trigger.clone(), &cb, &only_other_repos).await.expect("handled");
    assert!(outcome.started.is_empty(), "{outcome:?}");
    assert!(outcome.skipped[0].reason.contains("no project for main in MyDemoRepo"), "{outcome:?}");
    let deleted = fixture("eventbridge-reference-deleted.json", &[("OLD_COMMIT", &pushed)]);
    let outcome = handle(deleted, &cb, &config(&[(DEFAULT_PROJECT, "demo-ci")])).await.expect("handled");
    assert!(outcome.started.is_empty(), "{outcome:?}");
    assert!(outcome.skipped[0].reason.contains("deleted"), "{outcome:?}");
    assert!(builds_of(&cb, "demo-ci").await.is_empty());

    // A malformed event is an error, not a panic and not a build.
    let mut broken = trigger.clone();
    broken["Records"][0]["codecommit"]["references"][0]["commit"] = serde_json::json!(42);
    let err = handle(broken, &cb, &config(&[(DEFAULT_PROJECT, "demo-ci")])).await.expect_err("malformed");
    assert!(matches!(err, Error::Malformed(_)), "{err}");
    assert!(err.to_string().contains("Records[0].codecommit.references[0].commit"), "{err}");

    // A project that does not exist: the other project still starts, and the error says both.
    let two = config(&[(PROJECT_MAP, "MyDemoRepo:main=demo-ci; MyDemoRepo:main=missing-ci")]);
    let err = handle(trigger, &cb, &two).await.expect_err("missing project");
    assert_eq!(err.error_type(), "StartBuildFailed");
    let Error::StartBuild(failures) = &err else { panic!("{err}") };
    assert_eq!(failures.failures.len(), 1);
    assert_eq!(failures.failures[0].project, "missing-ci");
    assert!(failures.failures[0].message.contains("ResourceNotFoundException"), "{err}");
    assert_eq!(failures.outcome.started.len(), 1);
    let started = &failures.outcome.started[0];
    assert_eq!(started.project, "demo-ci");
    assert!(err.to_string().contains("StartBuild failed for 1 of 2 builds"), "{err}");
    assert!(err.to_string().contains(&started.build_id), "{err}");
    assert_eq!(builds_of(&cb, "demo-ci").await, [started.build_id.as_str()]);
}

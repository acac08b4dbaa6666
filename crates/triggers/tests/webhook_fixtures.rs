//! Real-shaped payloads of every provider and event, read into events: the fields filter groups
//! see, the source version built, and the `CODEBUILD_WEBHOOK_*` variables. Pull request and
//! release variants are the fixture with `action` (and `merged`) changed, as the providers send
//! them.

use kiln_model::codebuild::{WebhookFilter, WebhookFilterType};
use kiln_triggers::webhook::{
    Decision, Delivery, Event, EventType, Headers, PayloadError, Provider, Trigger, normalize, sign, verify,
};
use serde_json::Value;

fn fixture(path: &str) -> Value {
    let file = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The fixture with the values at dotted paths replaced.
fn patched(path: &str, changes: &[(&str, Value)]) -> Vec<u8> {
    let mut value = fixture(path);
    for (at, new) in changes {
        let mut target = &mut value;
        for key in at.split('.') {
            target = target.get_mut(key).unwrap_or_else(|| panic!("{path} has no {at}"));
        }
        *target = new.clone();
    }
    serde_json::to_vec(&value).expect("encode")
}

fn read(provider: Provider, event_header: (&str, &str), body: &[u8]) -> Delivery {
    normalize(provider, &Headers::new([event_header]), body).unwrap_or_else(|e| panic!("{event_header:?}: {e}"))
}

fn event(provider: Provider, event_header: (&str, &str), body: &[u8]) -> Event {
    match read(provider, event_header, body) {
        Delivery::Event(e) => *e,
        other => panic!("{event_header:?}: {other:?}"),
    }
}

fn vars(event: &Event) -> Vec<(String, String)> {
    let mut v = event.variables();
    v.sort();
    v
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    v.sort();
    v
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

// ---- GitHub ----

#[test]
fn github_push() {
    let e = event(Provider::GitHub, ("X-GitHub-Event", "push"), &patched("github/push.json", &[]));
    assert_eq!(
        e,
        Event {
            event: EventType::Push,
            actor_account_id: s("583231"),
            head_ref: s("refs/heads/main"),
            base_ref: None,
            file_paths: ["src/parser.rs", "src/lib.rs", "README.md", "docs/old.md"].map(String::from).to_vec(),
            commit_message: s("Document the parser [CodeBuild]"),
            tag_name: None,
            release_name: None,
            repository_name: s("kiln-demo"),
            organization_name: s("octo-org"),
            source_version: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c".to_string(),
            prev_commit: s("6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
            merge_commit: None,
            trigger: "branch/main".to_string(),
        }
    );
    assert_eq!(
        vars(&e),
        pairs(&[
            ("CODEBUILD_WEBHOOK_EVENT", "PUSH"),
            ("CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "583231"),
            ("CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/main"),
            ("CODEBUILD_WEBHOOK_PREV_COMMIT", "6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
            ("CODEBUILD_WEBHOOK_TRIGGER", "branch/main"),
        ])
    );
}

#[test]
fn github_tag_push_and_deletion() {
    let body = patched(
        "github/push.json",
        &[("ref", "refs/tags/v1.2.0".into()), ("base_ref", "refs/heads/main".into()), ("created", true.into())],
    );
    let e = event(Provider::GitHubEnterprise, ("X-GitHub-Event", "push"), &body);
    assert_eq!((e.head_ref.as_deref(), e.trigger.as_str()), (Some("refs/tags/v1.2.0"), "tag/v1.2.0"));
    assert_eq!(e.source_version, "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");

    let deleted = patched(
        "github/push.json",
        &[("deleted", true.into()), ("after", "0000000000000000000000000000000000000000".into())],
    );
    assert_eq!(
        read(Provider::GitHub, ("X-GitHub-Event", "push"), &deleted),
        Delivery::Ignored("the push deletes refs/heads/main: nothing to build".to_string())
    );
}

fn github_pr(action: &str, merged: bool) -> Event {
    let body = patched(
        "github/pull_request.json",
        &[
            ("action", action.into()),
            ("pull_request.merged", merged.into()),
            (
                "pull_request.merge_commit_sha",
                if merged { "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00".into() } else { Value::Null },
            ),
        ],
    );
    event(Provider::GitHub, ("X-GitHub-Event", "pull_request"), &body)
}

#[test]
fn github_pull_requests_build_pr_refs() {
    let opened = github_pr("opened", false);
    assert_eq!(
        opened,
        Event {
            event: EventType::PullRequestCreated,
            actor_account_id: s("1001"),
            head_ref: s("refs/heads/feature/fast"),
            base_ref: s("refs/heads/main"),
            repository_name: s("kiln-demo"),
            organization_name: s("octo-org"),
            source_version: "pr/7".to_string(),
            trigger: "pr/7".to_string(),
            ..Default::default()
        }
    );
    assert_eq!(
        vars(&opened),
        pairs(&[
            ("CODEBUILD_WEBHOOK_EVENT", "PULL_REQUEST_CREATED"),
            ("CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "1001"),
            ("CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/feature/fast"),
            ("CODEBUILD_WEBHOOK_BASE_REF", "refs/heads/main"),
            ("CODEBUILD_WEBHOOK_TRIGGER", "pr/7"),
        ])
    );
    assert_eq!(github_pr("synchronize", false).event, EventType::PullRequestUpdated);
    assert_eq!(github_pr("reopened", false).event, EventType::PullRequestReopened);
    assert_eq!(github_pr("closed", false).event, EventType::PullRequestClosed);
    assert_eq!(github_pr("closed", false).merge_commit, None);
    let merged = github_pr("closed", true);
    assert_eq!(merged.event, EventType::PullRequestMerged);
    assert_eq!(merged.merge_commit.as_deref(), Some("c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"));
    assert_eq!(merged.source_version, "pr/7");
}

#[test]
fn github_pull_request_synchronize_carries_the_previous_head() {
    let body = patched("github/pull_request.json", &[("action", "synchronize".into())]);
    let mut value: Value = serde_json::from_slice(&body).expect("json");
    value["before"] = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e".into();
    value["after"] = "ec26c3e57ca3a959ca5aad62de7213c562f8c821".into();
    let e = event(Provider::GitHub, ("X-GitHub-Event", "pull_request"), &serde_json::to_vec(&value).expect("json"));
    assert_eq!(e.prev_commit.as_deref(), Some("f95f852bd8fca8fcc58a9a2d6c842781e32a215e"));
}

#[test]
fn github_pull_request_actions_that_build_nothing() {
    for action in ["labeled", "edited", "assigned", "review_requested", "ready_for_review"] {
        let body = patched("github/pull_request.json", &[("action", action.into())]);
        assert_eq!(
            read(Provider::GitHub, ("X-GitHub-Event", "pull_request"), &body),
            Delivery::Ignored(format!("pull request action \"{action}\" does not start builds"))
        );
    }
}

#[test]
fn github_releases() {
    let released = event(Provider::GitHub, ("X-GitHub-Event", "release"), &patched("github/release.json", &[]));
    assert_eq!(
        released,
        Event {
            event: EventType::Released,
            actor_account_id: s("583231"),
            head_ref: s("refs/tags/v1.2.0"),
            tag_name: s("v1.2.0"),
            release_name: s("Version 1.2"),
            repository_name: s("kiln-demo"),
            organization_name: s("octo-org"),
            source_version: "refs/tags/v1.2.0".to_string(),
            trigger: "tag/v1.2.0".to_string(),
            ..Default::default()
        }
    );
    let pre = patched("github/release.json", &[("action", "prereleased".into()), ("release.prerelease", true.into())]);
    assert_eq!(event(Provider::GitHub, ("X-GitHub-Event", "release"), &pre).event, EventType::Prereleased);
    // `published` comes with `released` or `prereleased`: building it too would build twice.
    for action in ["published", "created", "edited", "deleted"] {
        let body = patched("github/release.json", &[("action", action.into())]);
        assert!(matches!(read(Provider::GitHub, ("X-GitHub-Event", "release"), &body), Delivery::Ignored(_)));
    }
    let unnamed = patched("github/release.json", &[("release.name", Value::Null)]);
    assert_eq!(event(Provider::GitHub, ("X-GitHub-Event", "release"), &unnamed).release_name, None);
}

#[test]
fn github_ping() {
    assert_eq!(read(Provider::GitHub, ("X-GitHub-Event", "ping"), &patched("github/ping.json", &[])), Delivery::Ping);
}

// ---- GitLab ----

#[test]
fn gitlab_push() {
    let e = event(Provider::GitLab, ("X-Gitlab-Event", "Push Hook"), &patched("gitlab/push.json", &[]));
    assert_eq!(
        e,
        Event {
            event: EventType::Push,
            actor_account_id: s("4"),
            head_ref: s("refs/heads/main"),
            file_paths: ["locale/ca.po", "README.md", "docs/old.md"].map(String::from).to_vec(),
            commit_message: s("fixed readme"),
            repository_name: s("Kiln Demo"),
            source_version: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7".to_string(),
            prev_commit: s("95790bf891e76fee5e1747ab589903a6a1f80f22"),
            trigger: "branch/main".to_string(),
            ..Default::default()
        }
    );
    let deleted = patched("gitlab/push.json", &[("after", "0000000000000000000000000000000000000000".into())]);
    assert!(matches!(read(Provider::GitLab, ("X-Gitlab-Event", "Push Hook"), &deleted), Delivery::Ignored(_)));
}

#[test]
fn gitlab_tag_push() {
    let e =
        event(Provider::GitLabSelfManaged, ("X-Gitlab-Event", "Tag Push Hook"), &patched("gitlab/tag_push.json", &[]));
    assert_eq!(e.event, EventType::Push);
    assert_eq!((e.head_ref.as_deref(), e.trigger.as_str()), (Some("refs/tags/v1.0.0"), "tag/v1.0.0"));
    assert_eq!(e.source_version, "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7");
    assert_eq!(e.actor_account_id.as_deref(), Some("1"));
    assert_eq!(e.commit_message, None, "no commits listed");
}

fn gitlab_mr(action: &str, extra: &[(&str, Value)]) -> Event {
    let mut changes = vec![("object_attributes.action", Value::from(action))];
    changes.extend(extra.iter().cloned());
    event(Provider::GitLab, ("X-Gitlab-Event", "Merge Request Hook"), &patched("gitlab/merge_request.json", &changes))
}

#[test]
fn gitlab_merge_requests_build_their_head_commit() {
    let opened = gitlab_mr("open", &[]);
    assert_eq!(
        opened,
        Event {
            event: EventType::PullRequestCreated,
            actor_account_id: s("1"),
            head_ref: s("refs/heads/ms-viewport"),
            base_ref: s("refs/heads/main"),
            commit_message: s("fixed readme"),
            repository_name: s("Kiln Demo"),
            source_version: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7".to_string(),
            trigger: "pr/1".to_string(),
            ..Default::default()
        }
    );
    let updated = gitlab_mr("update", &[]);
    assert_eq!(updated.event, EventType::PullRequestUpdated);
    assert_eq!(gitlab_mr("reopen", &[]).event, EventType::PullRequestReopened);
    assert_eq!(gitlab_mr("close", &[]).event, EventType::PullRequestClosed);
    let merged = gitlab_mr("merge", &[("object_attributes.merge_commit_sha", "feedface".into())]);
    assert_eq!((merged.event, merged.merge_commit.as_deref()), (EventType::PullRequestMerged, Some("feedface")));
    for action in ["approved", "unapproved", "approval"] {
        let body = patched("gitlab/merge_request.json", &[("object_attributes.action", action.into())]);
        assert!(matches!(
            read(Provider::GitLab, ("X-Gitlab-Event", "Merge Request Hook"), &body),
            Delivery::Ignored(_)
        ));
    }
}

#[test]
fn gitlab_release() {
    let e = event(Provider::GitLab, ("X-Gitlab-Event", "Release Hook"), &patched("gitlab/release.json", &[]));
    assert_eq!(
        e,
        Event {
            event: EventType::Released,
            head_ref: s("refs/tags/v1.1"),
            commit_message: s("Release v1.1"),
            tag_name: s("v1.1"),
            release_name: s("Version 1.1"),
            repository_name: s("Kiln Demo"),
            source_version: "refs/tags/v1.1".to_string(),
            trigger: "tag/v1.1".to_string(),
            ..Default::default()
        }
    );
    let updated = patched("gitlab/release.json", &[("action", "update".into())]);
    assert_eq!(event(Provider::GitLab, ("X-Gitlab-Event", "Release Hook"), &updated).event, EventType::Released);
    let deleted = patched("gitlab/release.json", &[("action", "delete".into())]);
    assert!(matches!(read(Provider::GitLab, ("X-Gitlab-Event", "Release Hook"), &deleted), Delivery::Ignored(_)));
}

// ---- Bitbucket ----

#[test]
fn bitbucket_push() {
    let e = event(Provider::Bitbucket, ("X-Event-Key", "repo:push"), &patched("bitbucket/push.json", &[]));
    assert_eq!(
        e,
        Event {
            event: EventType::Push,
            actor_account_id: s("557058:c0b0c0d0-e0f0-4a0b-8c0d-0e0f1a2b3c4d"),
            head_ref: s("refs/heads/main"),
            commit_message: s("Speed up the build [CodeBuild]\n"),
            repository_name: s("kiln-demo"),
            source_version: "709d658dc5b6d6afcd46049c2f332ee3f515a67d".to_string(),
            prev_commit: s("1e65c05c1d5171631d92438a13901ca7dae9618c"),
            trigger: "branch/main".to_string(),
            ..Default::default()
        }
    );
}

#[test]
fn bitbucket_tag_push_and_deletion() {
    let body = patched(
        "bitbucket/push.json",
        &[(
            "push.changes",
            serde_json::json!([{"old": null, "new": {"type": "tag", "name": "v2.0",
            "target": {"type": "commit", "hash": "709d658dc5b6d6afcd46049c2f332ee3f515a67d", "message": "m"}},
            "created": true, "closed": false}]),
        )],
    );
    let e = event(Provider::Bitbucket, ("X-Event-Key", "repo:push"), &body);
    assert_eq!((e.head_ref.as_deref(), e.trigger.as_str(), e.prev_commit), (Some("refs/tags/v2.0"), "tag/v2.0", None));

    let deleted = patched(
        "bitbucket/push.json",
        &[(
            "push.changes",
            serde_json::json!([{"old": {"type": "branch", "name": "gone",
            "target": {"hash": "1e65c05c1d5171631d92438a13901ca7dae9618c"}}, "new": null, "closed": true}]),
        )],
    );
    assert!(matches!(read(Provider::Bitbucket, ("X-Event-Key", "repo:push"), &deleted), Delivery::Ignored(_)));
}

fn bitbucket_pr(key: &str, extra: &[(&str, Value)]) -> Event {
    event(Provider::Bitbucket, ("X-Event-Key", key), &patched("bitbucket/pullrequest.json", extra))
}

#[test]
fn bitbucket_pull_requests_build_their_source_commit() {
    let created = bitbucket_pr("pullrequest:created", &[]);
    assert_eq!(
        created,
        Event {
            event: EventType::PullRequestCreated,
            actor_account_id: s("557058:c0b0c0d0-e0f0-4a0b-8c0d-0e0f1a2b3c4d"),
            head_ref: s("refs/heads/feature/faster"),
            base_ref: s("refs/heads/main"),
            repository_name: s("kiln-demo"),
            source_version: "d3ab5f2e9c41".to_string(),
            trigger: "pr/12".to_string(),
            ..Default::default()
        }
    );
    assert_eq!(bitbucket_pr("pullrequest:updated", &[]).event, EventType::PullRequestUpdated);
    assert_eq!(
        bitbucket_pr("pullrequest:rejected", &[("pullrequest.state", "DECLINED".into())]).event,
        EventType::PullRequestClosed
    );
    let merged = bitbucket_pr(
        "pullrequest:fulfilled",
        &[
            ("pullrequest.state", "MERGED".into()),
            ("pullrequest.merge_commit", serde_json::json!({"hash": "5a2f0e9b7c1d"})),
        ],
    );
    assert_eq!((merged.event, merged.merge_commit.as_deref()), (EventType::PullRequestMerged, Some("5a2f0e9b7c1d")));
    assert!(vars(&merged).contains(&("CODEBUILD_WEBHOOK_MERGE_COMMIT".to_string(), "5a2f0e9b7c1d".to_string())));
    let approved =
        read(Provider::Bitbucket, ("X-Event-Key", "pullrequest:approved"), &patched("bitbucket/pullrequest.json", &[]));
    assert!(matches!(approved, Delivery::Ignored(_)));
}

// ---- malformed payloads name what is wrong ----

#[test]
fn malformed_payloads_name_the_problem() {
    let err = |provider, header, body: &[u8]| match normalize(provider, &Headers::new([header]), body) {
        Err(e) => e,
        Ok(d) => panic!("{header:?} read as {d:?}"),
    };
    assert!(matches!(err(Provider::GitHub, ("X-GitHub-Event", "push"), b"{not json"), PayloadError::NotJson(_)));
    let no_after = patched("github/push.json", &[("after", Value::Null)]);
    assert_eq!(
        err(Provider::GitHub, ("X-GitHub-Event", "push"), &no_after),
        PayloadError::Missing("after".to_string())
    );
    let no_number = patched("github/pull_request.json", &[("pull_request.number", Value::Null)]);
    assert_eq!(
        err(Provider::GitHub, ("X-GitHub-Event", "pull_request"), &no_number).to_string(),
        "the payload has no pull_request.number"
    );
    let no_commit = patched("gitlab/merge_request.json", &[("object_attributes.last_commit", Value::Null)]);
    assert_eq!(
        err(Provider::GitLab, ("X-Gitlab-Event", "Merge Request Hook"), &no_commit),
        PayloadError::Missing("object_attributes.last_commit.id".to_string())
    );
    let no_changes = patched("bitbucket/push.json", &[("push", serde_json::json!({}))]);
    assert_eq!(
        err(Provider::Bitbucket, ("X-Event-Key", "repo:push"), &no_changes),
        PayloadError::Missing("push.changes".to_string())
    );
    assert!(matches!(
        err(Provider::Bitbucket, ("X-Event-Key", "pullrequest:approved"), b"[]"),
        PayloadError::NotJson(_)
    ));
}

// ---- signatures over the fixtures ----

#[test]
fn fixtures_verify_with_their_secret_only() {
    let body = patched("github/push.json", &[]);
    let signed = Headers::new([("X-Hub-Signature-256", sign(b"s3cret", &body))]);
    assert_eq!(verify(Provider::GitHub, Some(b"s3cret"), &signed, &body), Ok(()));
    assert!(verify(Provider::GitHub, Some(b"s3cret!"), &signed, &body).is_err());
    let mut tampered = body.clone();
    tampered.push(b' ');
    assert!(verify(Provider::GitHub, Some(b"s3cret"), &signed, &tampered).is_err());
}

// ---- the documentation's filter group examples, on the fixtures ----

fn f(kind: WebhookFilterType, pattern: &str, exclude: bool) -> WebhookFilter {
    WebhookFilter { r#type: Some(kind), pattern: Some(pattern.to_string()), exclude_matched_pattern: Some(exclude) }
}

#[test]
fn documented_filter_groups_decide_on_real_payloads() {
    use WebhookFilterType::*;
    // "Pull requests created or updated into main from myBranch, or pushes to myBranch."
    let groups = vec![
        vec![
            f(Event, "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED", false),
            f(HeadRef, "^refs/heads/feature/fast$", false),
            f(BaseRef, "^refs/heads/main$", false),
        ],
        vec![f(Event, "PUSH", false), f(HeadRef, "^refs/heads/feature/fast$", false)],
    ];
    let t = Trigger::compile(&groups, None, Provider::GitHub).expect("compile");
    assert_eq!(t.decide(&github_pr("opened", false)), Decision::Build { group: Some(0) });
    assert!(matches!(t.decide(&github_pr("closed", true)), Decision::Skip(_)));
    let push = event(Provider::GitHub, ("X-GitHub-Event", "push"), &patched("github/push.json", &[]));
    assert!(matches!(t.decide(&push), Decision::Skip(_)), "a push to main");

    // "Everything but tags", "only when buildspec files change", "[CodeBuild] in the message".
    let not_tags = Trigger::compile(
        &[vec![f(Event, "PUSH, PULL_REQUEST_CREATED", false), f(HeadRef, "^refs/tags/.*", true)]],
        None,
        Provider::GitHub,
    )
    .expect("compile");
    assert!(matches!(not_tags.decide(&push), Decision::Build { .. }));
    let tag = event(
        Provider::GitHub,
        ("X-GitHub-Event", "push"),
        &patched("github/push.json", &[("ref", "refs/tags/v1".into())]),
    );
    assert!(matches!(not_tags.decide(&tag), Decision::Skip(_)));
    let sources =
        Trigger::compile(&[vec![f(Event, "PUSH", false), f(FilePath, r"^src/.*\.rs$", false)]], None, Provider::GitHub)
            .expect("compile");
    assert!(matches!(sources.decide(&push), Decision::Build { .. }));
    let gitlab_push = event(Provider::GitLab, ("X-Gitlab-Event", "Push Hook"), &patched("gitlab/push.json", &[]));
    let gitlab_sources =
        Trigger::compile(&[vec![f(Event, "PUSH", false), f(FilePath, r"^src/", false)]], None, Provider::GitLab)
            .expect("compile");
    assert!(matches!(gitlab_sources.decide(&gitlab_push), Decision::Skip(_)));
    let marked = Trigger::compile(
        &[vec![f(Event, "PUSH", false), f(CommitMessage, r"\[CodeBuild\]", false)]],
        None,
        Provider::Bitbucket,
    )
    .expect("compile");
    let bb_push = event(Provider::Bitbucket, ("X-Event-Key", "repo:push"), &patched("bitbucket/push.json", &[]));
    assert!(matches!(marked.decide(&bb_push), Decision::Build { .. }));
    // Not the actor 12345 (excludeMatchedPattern on ACTOR_ACCOUNT_ID).
    let not_actor =
        Trigger::compile(&[vec![f(Event, "PUSH", false), f(ActorAccountId, "^583231$", true)]], None, Provider::GitHub)
            .expect("compile");
    assert!(matches!(not_actor.decide(&push), Decision::Skip(_)));
    // Releases by tag and name.
    let releases = Trigger::compile(
        &[vec![f(Event, "RELEASED", false), f(TagName, r"^v1\.", false), f(ReleaseName, "^Version", false)]],
        None,
        Provider::GitHub,
    )
    .expect("compile");
    let released = event(Provider::GitHub, ("X-GitHub-Event", "release"), &patched("github/release.json", &[]));
    assert!(matches!(releases.decide(&released), Decision::Build { .. }));
    // Repository and organization names (global and organization webhooks).
    let repo = Trigger::compile(
        &[vec![
            f(Event, "PUSH", false),
            f(RepositoryName, "^kiln-demo$", false),
            f(OrganizationName, "^octo-org$", false),
        ]],
        None,
        Provider::GitHub,
    )
    .expect("compile");
    assert!(matches!(repo.decide(&push), Decision::Build { .. }));
}

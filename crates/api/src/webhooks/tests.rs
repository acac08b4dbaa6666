//! The webhook operations and deliveries over an in-memory store (builds are queued, not run).

use kiln_model::codebuild::*;
use kiln_triggers::webhook::sign;
use serde_json::{Value, json};

use super::{Headers, WebhookDelivery, WebhookReply};
use crate::testing::api;
use crate::{Api, ApiError};

const PUSH: &str = r#"{"ref":"refs/heads/main","before":"1111111111111111111111111111111111111111",
  "after":"2222222222222222222222222222222222222222","sender":{"id":42},"repository":{"name":"demo"},
  "head_commit":{"message":"change"},"commits":[{"added":["src/a.rs"],"modified":[],"removed":[]}]}"#;

fn project(api: &Api, name: &str, source_type: SourceType) {
    let source = match source_type {
        SourceType::NoSource => ProjectSource {
            r#type: Some(source_type),
            buildspec: Some("version: 0.2".to_string()),
            ..Default::default()
        },
        _ => ProjectSource {
            r#type: Some(source_type),
            location: Some("https://example.com/demo.git".to_string()),
            ..Default::default()
        },
    };
    let input = CreateProjectInput { source: Some(source), ..crate::testing::no_source_project(name, "") };
    api.create_project(input).expect("create project");
}

fn filter(kind: WebhookFilterType, pattern: &str) -> WebhookFilter {
    WebhookFilter { r#type: Some(kind), pattern: Some(pattern.to_string()), exclude_matched_pattern: None }
}

fn create(api: &Api, name: &str, groups: Option<Vec<Vec<WebhookFilter>>>) -> Result<Webhook, ApiError> {
    let input =
        CreateWebhookInput { project_name: Some(name.to_string()), filter_groups: groups, ..Default::default() };
    api.create_webhook(input).map(|o| o.webhook.expect("webhook"))
}

fn message(result: Result<impl std::fmt::Debug, ApiError>) -> (&'static str, String) {
    match result {
        Ok(out) => panic!("expected an error, got {out:?}"),
        Err(e) => (e.code(), e.to_string()),
    }
}

fn token(webhook: &Webhook) -> String {
    let url = webhook.payload_url.as_deref().expect("payload url");
    url.split("t=").nth(1).and_then(|rest| rest.split('&').next()).expect("token").to_string()
}

fn deliver(api: &Api, token: &str, headers: &[(&str, &str)], body: &str) -> WebhookReply {
    let delivery = WebhookDelivery {
        token: Some(token.to_string()),
        headers: Headers::new(headers.iter().copied()),
        body: body.as_bytes().to_vec(),
    };
    api.receive_webhook(&delivery)
}

fn github_push(api: &Api, webhook: &Webhook, delivery: &str) -> WebhookReply {
    let secret = webhook.secret.as_deref().expect("secret");
    let signature = sign(secret.as_bytes(), PUSH.as_bytes());
    deliver(
        api,
        &token(webhook),
        &[
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", delivery),
            ("X-Hub-Signature-256", &signature),
            ("User-Agent", "GitHub-Hookshot/4b0f4a1"),
        ],
        PUSH,
    )
}

fn builds_of(api: &Api, name: &str) -> Vec<Build> {
    let ids = api
        .list_builds_for_project(ListBuildsForProjectInput {
            project_name: Some(name.to_string()),
            ..Default::default()
        })
        .expect("list")
        .ids
        .unwrap_or_default();
    if ids.is_empty() {
        return Vec::new();
    }
    api.batch_get_builds(BatchGetBuildsInput { ids: Some(ids) }).expect("get").builds.unwrap_or_default()
}

fn outcomes(api: &Api, name: &str) -> Vec<String> {
    let listed = api.list_webhook_deliveries(name).expect("deliveries");
    listed["deliveries"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["outcome"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn create_webhook_answers_a_payload_url_and_secret_and_fills_defaults() {
    let api = api().with_public_url("https://kiln.example.com/");
    project(&api, "gh", SourceType::Github);
    let webhook = create(&api, "gh", Some(vec![vec![filter(WebhookFilterType::Event, "PUSH")]])).expect("create");
    let payload = webhook.payload_url.clone().expect("payload url");
    assert!(payload.starts_with("https://kiln.example.com/webhooks?t="), "{payload}");
    assert!(payload.ends_with("&v=1"), "{payload}");
    assert_eq!(token(&webhook).len(), 64);
    assert_eq!(webhook.url.as_deref(), Some(payload.as_str()));
    assert_eq!(webhook.secret.as_deref().map(str::len), Some(64));
    assert_eq!(webhook.build_type, Some(WebhookBuildType::Build));
    assert_eq!(webhook.status, Some(WebhookStatus::Active));
    assert!(webhook.last_modified_secret.is_some());
    let groups = webhook.filter_groups.clone().expect("groups");
    assert_eq!(groups[0][0].exclude_matched_pattern, Some(false), "CodeBuild shows the default");

    // BatchGetProjects shows the webhook, without its secret.
    let shown = api
        .batch_get_projects(BatchGetProjectsInput { names: Some(vec!["gh".to_string()]) })
        .expect("get")
        .projects
        .and_then(|p| p.into_iter().next())
        .and_then(|p| p.webhook)
        .expect("webhook shown");
    assert_eq!(shown.payload_url, webhook.payload_url);
    assert_eq!(shown.secret, None);
    assert_eq!(shown.filter_groups, webhook.filter_groups);

    let (code, msg) = message(create(&api, "gh", None));
    assert_eq!(code, "ResourceAlreadyExistsException");
    assert_eq!(msg, "Webhook already exists for project: arn:aws:codebuild:us-east-1:000000000000:project/gh");
}

#[test]
fn create_webhook_refuses_what_kiln_cannot_do() {
    let api = api();
    project(&api, "gh", SourceType::Github);
    project(&api, "bb", SourceType::Bitbucket);
    project(&api, "cc", SourceType::Codecommit);
    project(&api, "none", SourceType::NoSource);
    assert_eq!(message(create(&api, "missing", None)).0, "ResourceNotFoundException");
    for name in ["cc", "none"] {
        let (code, msg) = message(create(&api, name, None));
        assert_eq!(code, "InvalidInputException");
        assert!(msg.contains("does not support webhooks"), "{msg}");
    }
    let (code, msg) =
        message(create(&api, "gh", Some(vec![vec![filter(WebhookFilterType::HeadRef, "^refs/heads/main$")]])));
    assert_eq!(code, "InvalidInputException");
    assert_eq!(msg, "Invalid input: filterGroups[0] has no EVENT filter: every filter group needs one");
    let (_, msg) = message(create(&api, "bb", Some(vec![vec![filter(WebhookFilterType::Event, "RELEASED")]])));
    assert!(msg.contains("BITBUCKET webhooks do not send RELEASED events"), "{msg}");
    let (_, msg) = message(create(
        &api,
        "gh",
        Some(vec![vec![filter(WebhookFilterType::Event, "PUSH"), filter(WebhookFilterType::FilePath, "[")]]),
    ));
    assert!(msg.starts_with("Invalid input: filterGroups[0][1]: FILE_PATH pattern \"[\""), "{msg}");
    let batch = CreateWebhookInput {
        project_name: Some("gh".to_string()),
        build_type: Some(WebhookBuildType::BuildBatch),
        ..Default::default()
    };
    assert!(message(api.create_webhook(batch)).1.contains("buildType BUILD_BATCH"));
    let approval = CreateWebhookInput {
        project_name: Some("gh".to_string()),
        pull_request_build_policy: Some(PullRequestBuildPolicy {
            requires_comment_approval: Some(PullRequestBuildCommentApproval::AllPullRequests),
            approver_roles: None,
        }),
        ..Default::default()
    };
    assert!(message(api.create_webhook(approval)).1.contains("requiresCommentApproval"));
    let missing_pattern = CreateWebhookInput {
        project_name: Some("gh".to_string()),
        filter_groups: Some(vec![vec![WebhookFilter { r#type: Some(WebhookFilterType::Event), ..Default::default() }]]),
        ..Default::default()
    };
    assert_eq!(message(api.create_webhook(missing_pattern)).0, "InvalidInputException");
    // Nothing was stored by the refusals.
    assert!(create(&api, "gh", None).is_ok());
}

#[test]
fn bitbucket_webhooks_have_no_secret() {
    let api = api();
    project(&api, "bb", SourceType::Bitbucket);
    let webhook = create(&api, "bb", None).expect("create");
    assert_eq!(webhook.secret, None);
    assert_eq!(webhook.last_modified_secret, None);
    let rotated = api
        .update_webhook(UpdateWebhookInput {
            project_name: Some("bb".to_string()),
            rotate_secret: Some(true),
            ..Default::default()
        })
        .expect("update")
        .webhook
        .expect("webhook");
    assert_eq!(rotated.secret, None, "rotateSecret is ignored for Bitbucket");
}

#[test]
fn update_webhook_replaces_what_is_given_and_rotates_the_secret() {
    let api = api();
    project(&api, "gh", SourceType::Github);
    let created = create(&api, "gh", Some(vec![vec![filter(WebhookFilterType::Event, "PUSH")]])).expect("create");
    let update = |input: UpdateWebhookInput| api.update_webhook(input).map(|o| o.webhook.expect("webhook"));
    let branch = update(UpdateWebhookInput {
        project_name: Some("gh".to_string()),
        branch_filter: Some("^main$".to_string()),
        ..Default::default()
    })
    .expect("update");
    assert_eq!(branch.branch_filter.as_deref(), Some("^main$"));
    assert_eq!(branch.filter_groups, created.filter_groups, "groups kept");
    assert_eq!(branch.secret, None, "the secret is shown only when made");
    assert_eq!(branch.payload_url, created.payload_url);

    let rotated = update(UpdateWebhookInput {
        project_name: Some("gh".to_string()),
        rotate_secret: Some(true),
        filter_groups: Some(vec![vec![filter(WebhookFilterType::Event, "PULL_REQUEST_CREATED")]]),
        ..Default::default()
    })
    .expect("rotate");
    let new_secret = rotated.secret.clone().expect("new secret");
    assert_ne!(Some(new_secret.as_str()), created.secret.as_deref());
    assert_eq!(
        rotated.filter_groups.as_ref().map(|g| g[0][0].pattern.clone()),
        Some(Some("PULL_REQUEST_CREATED".into()))
    );
    // The old secret no longer signs deliveries; the new one does.
    let old = github_push(&api, &created, "d-old");
    assert_eq!(old.status, 401, "{:?}", old.body);

    let (code, _) = message(update(UpdateWebhookInput {
        project_name: Some("gh".to_string()),
        filter_groups: Some(vec![vec![filter(WebhookFilterType::Event, "NOPE")]]),
        ..Default::default()
    }));
    assert_eq!(code, "InvalidInputException");
    project(&api, "plain", SourceType::Github);
    let (code, msg) = message(update(UpdateWebhookInput { project_name: Some("plain".into()), ..Default::default() }));
    assert_eq!(
        (code, msg.as_str()),
        (
            "ResourceNotFoundException",
            "Webhook does not exist for project: arn:aws:codebuild:us-east-1:000000000000:project/plain"
        )
    );
}

#[test]
fn delete_webhook_forgets_the_payload_url() {
    let api = api();
    project(&api, "gh", SourceType::Github);
    let webhook = create(&api, "gh", None).expect("create");
    api.delete_webhook(DeleteWebhookInput { project_name: Some("gh".to_string()) }).expect("delete");
    let (code, _) = message(api.delete_webhook(DeleteWebhookInput { project_name: Some("gh".to_string()) }));
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(github_push(&api, &webhook, "d1").status, 404);
    let shown = api
        .batch_get_projects(BatchGetProjectsInput { names: Some(vec!["gh".to_string()]) })
        .expect("get")
        .projects
        .and_then(|p| p.into_iter().next())
        .expect("project");
    assert_eq!(shown.webhook, None);
    assert_eq!(
        message(api.delete_webhook(DeleteWebhookInput { project_name: Some("zz".into()) })).0,
        "ResourceNotFoundException"
    );
}

#[test]
fn a_signed_push_starts_one_build_of_the_pushed_commit() {
    let api = api();
    project(&api, "gh", SourceType::Github);
    let webhook = create(&api, "gh", Some(vec![vec![filter(WebhookFilterType::Event, "PUSH")]])).expect("create");
    let reply = github_push(&api, &webhook, "delivery-1");
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["outcome"], "STARTED");
    let builds = builds_of(&api, "gh");
    assert_eq!(builds.len(), 1);
    let build = &builds[0];
    assert_eq!(reply.body["buildId"], json!(build.id));
    assert_eq!(build.source_version.as_deref(), Some("2222222222222222222222222222222222222222"));
    assert_eq!(build.initiator.as_deref(), Some("GitHub-Hookshot/4b0f4a1"));
    let vars: Vec<(String, String, EnvironmentVariableType)> = build
        .environment
        .as_ref()
        .and_then(|e| e.environment_variables.clone())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| Some((v.name?, v.value?, v.r#type?)))
        .collect();
    for (name, value) in [
        ("CODEBUILD_WEBHOOK_EVENT", "PUSH"),
        ("CODEBUILD_WEBHOOK_TRIGGER", "branch/main"),
        ("CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/main"),
        ("CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "42"),
        ("CODEBUILD_WEBHOOK_PREV_COMMIT", "1111111111111111111111111111111111111111"),
    ] {
        assert!(
            vars.contains(&(name.to_string(), value.to_string(), EnvironmentVariableType::Plaintext)),
            "{name}={value} in {vars:?}"
        );
    }

    // The same delivery again: answered, recorded, no second build.
    let again = github_push(&api, &webhook, "delivery-1");
    assert_eq!(again.status, 200);
    assert_eq!(again.body["outcome"], "DUPLICATE");
    assert_eq!(again.body["duplicateOf"], reply.body["id"]);
    assert_eq!(builds_of(&api, "gh").len(), 1);
    // A new delivery of the same push is a new build.
    assert_eq!(github_push(&api, &webhook, "delivery-2").body["outcome"], "STARTED");
    assert_eq!(builds_of(&api, "gh").len(), 2);
    assert_eq!(outcomes(&api, "gh"), ["STARTED", "DUPLICATE", "STARTED"]);
}

#[test]
fn unverified_unreadable_and_unmatched_deliveries_are_recorded_and_build_nothing() {
    let api = api();
    project(&api, "gh", SourceType::Github);
    let webhook =
        create(&api, "gh", Some(vec![vec![filter(WebhookFilterType::Event, "PULL_REQUEST_CREATED")]])).expect("create");
    let t = token(&webhook);
    let secret = webhook.secret.clone().expect("secret");
    let signed = |body: &str| sign(secret.as_bytes(), body.as_bytes());

    let unsigned = deliver(&api, &t, &[("X-GitHub-Event", "push")], PUSH);
    assert_eq!(unsigned.status, 401);
    assert_eq!(
        unsigned.body["reason"],
        "the X-Hub-Signature-256 header is missing: the delivery is not signed with the webhook's secret"
    );
    let forged = deliver(
        &api,
        &t,
        &[("X-GitHub-Event", "push"), ("X-Hub-Signature-256", &sign(b"guess", PUSH.as_bytes()))],
        PUSH,
    );
    assert_eq!(forged.status, 401);

    let garbage = "{\"ref\": ";
    let malformed =
        deliver(&api, &t, &[("X-GitHub-Event", "push"), ("X-Hub-Signature-256", &signed(garbage))], garbage);
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.body["reason"].as_str().unwrap_or("").starts_with("the payload is not JSON"),
        "{:?}",
        malformed.body
    );
    let unknown = deliver(&api, &t, &[("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", &signed(PUSH))], PUSH);
    assert_eq!(unknown.status, 400);
    let no_event = deliver(&api, &t, &[("X-Hub-Signature-256", &signed(PUSH))], PUSH);
    assert_eq!(no_event.status, 400);
    assert_eq!(no_event.body["reason"], "the X-GitHub-Event header is missing: Kiln cannot tell which event this is");

    let ping = deliver(&api, &t, &[("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", &signed("{}"))], "{}");
    assert_eq!((ping.status, ping.body["outcome"].as_str()), (200, Some("IGNORED")));
    let unmatched = deliver(&api, &t, &[("X-GitHub-Event", "push"), ("X-Hub-Signature-256", &signed(PUSH))], PUSH);
    assert_eq!((unmatched.status, unmatched.body["reason"].as_str()), (200, Some("no filter group matched")));
    assert_eq!(unmatched.body["event"], "PUSH");

    assert!(builds_of(&api, "gh").is_empty());
    assert_eq!(
        outcomes(&api, "gh"),
        ["IGNORED", "IGNORED", "REJECTED", "REJECTED", "REJECTED", "REJECTED", "REJECTED"]
    );
    let listed = api.list_webhook_deliveries("gh").expect("list");
    let first: &Value = &listed["deliveries"][6];
    assert_eq!(first["provider"], "GITHUB");
    assert_eq!(first["payloadSha256"].as_str().map(str::len), Some(64));

    assert_eq!(deliver(&api, "not-a-token", &[], PUSH).status, 404);
    let no_token = api.receive_webhook(&WebhookDelivery::default());
    assert_eq!(no_token.status, 404);
    assert!(no_token.body["message"].as_str().unwrap_or("").contains("no t parameter"));
    assert_eq!(message(api.list_webhook_deliveries("nobody")).0, "ResourceNotFoundException");
}

#[test]
fn gitlab_deliveries_carry_the_token_and_build_merge_request_heads() {
    let api = api();
    project(&api, "gl", SourceType::Gitlab);
    let webhook =
        create(&api, "gl", Some(vec![vec![filter(WebhookFilterType::Event, "PULL_REQUEST_CREATED")]])).expect("create");
    let secret = webhook.secret.clone().expect("gitlab webhooks have a secret");
    let body = r#"{"object_kind":"merge_request","user":{"id":9},"project":{"name":"demo"},
        "object_attributes":{"iid":3,"action":"open","source_branch":"topic","target_branch":"main",
        "last_commit":{"id":"abcabcabcabcabcabcabcabcabcabcabcabcabca","message":"m"}}}"#;
    let headers =
        [("X-Gitlab-Event", "Merge Request Hook"), ("X-Gitlab-Event-UUID", "u-1"), ("User-Agent", "GitLab/17.0.0")];
    let wrong = deliver(&api, &token(&webhook), &[headers[0], ("X-Gitlab-Token", "wrong")], body);
    assert_eq!(wrong.status, 401);
    let mut with_token = headers.to_vec();
    with_token.push(("X-Gitlab-Token", secret.as_str()));
    let reply = deliver(&api, &token(&webhook), &with_token, body);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let build = builds_of(&api, "gl").pop().expect("build");
    assert_eq!(build.source_version.as_deref(), Some("abcabcabcabcabcabcabcabcabcabcabcabcabca"));
    assert_eq!(build.initiator.as_deref(), Some("GitLab/17.0.0"));
    assert_eq!(reply.body["providerDeliveryId"], "u-1");
}

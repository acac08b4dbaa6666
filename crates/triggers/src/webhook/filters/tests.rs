use kiln_model::codebuild::{WebhookFilter, WebhookFilterType};

use super::{Decision, Trigger};
use crate::webhook::event::{Event, EventType, Provider};

fn filter(kind: WebhookFilterType, pattern: &str) -> WebhookFilter {
    WebhookFilter { r#type: Some(kind), pattern: Some(pattern.to_string()), exclude_matched_pattern: None }
}

fn excluded(kind: WebhookFilterType, pattern: &str) -> WebhookFilter {
    WebhookFilter { exclude_matched_pattern: Some(true), ..filter(kind, pattern) }
}

fn error(groups: &[Vec<WebhookFilter>], provider: Provider) -> String {
    match Trigger::compile(groups, None, provider) {
        Err(e) => e.0,
        Ok(_) => panic!("{groups:?} compiled"),
    }
}

fn push(head_ref: &str) -> Event {
    Event { event: EventType::Push, head_ref: Some(head_ref.to_string()), ..Default::default() }
}

fn builds(trigger: &Trigger, event: &Event) -> bool {
    matches!(trigger.decide(event), Decision::Build { .. })
}

use WebhookFilterType::*;

#[test]
fn every_group_needs_an_event_filter() {
    let msg = error(&[vec![filter(Event, "PUSH")], vec![filter(HeadRef, "^refs/heads/main$")]], Provider::GitHub);
    assert_eq!(msg, "Invalid input: filterGroups[1] has no EVENT filter: every filter group needs one");
    let msg = error(&[vec![]], Provider::GitHub);
    assert!(msg.starts_with("Invalid input: filterGroups[0] is empty"), "{msg}");
}

#[test]
fn event_patterns_are_comma_lists_of_known_events() {
    let ok = Trigger::compile(&[vec![filter(Event, " PUSH ,PULL_REQUEST_CREATED,")]], None, Provider::GitHub);
    assert!(ok.is_ok());
    let msg = error(&[vec![filter(Event, "PUSH, PULL_REQUEST_OPENED")]], Provider::GitHub);
    assert!(msg.starts_with("Invalid input: filterGroups[0][0]: \"PULL_REQUEST_OPENED\" is not a webhook event type"));
    let msg = error(&[vec![filter(Event, " , ")]], Provider::GitHub);
    assert!(msg.contains("must name at least one event type"), "{msg}");
    // A regular expression is not an event list.
    let msg = error(&[vec![filter(Event, "PULL_REQUEST_.*")]], Provider::GitHub);
    assert!(msg.contains("is not a webhook event type"), "{msg}");
}

#[test]
fn events_a_provider_never_sends_are_refused() {
    let msg = error(&[vec![filter(Event, "PUSH, PULL_REQUEST_REOPENED")]], Provider::Bitbucket);
    assert_eq!(
        msg,
        "Invalid input: filterGroups[0][0]: BITBUCKET webhooks do not send PULL_REQUEST_REOPENED events; they send \
         PUSH, PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_MERGED, PULL_REQUEST_CLOSED"
    );
    assert!(error(&[vec![filter(Event, "PRERELEASED")]], Provider::GitLab).contains("GITLAB webhooks do not send"));
    assert!(error(&[vec![filter(Event, "RELEASED")]], Provider::GitHubEnterprise).contains("do not send RELEASED"));
    assert!(Trigger::compile(&[vec![filter(Event, "RELEASED, PRERELEASED")]], None, Provider::GitHub).is_ok());
    assert!(error(&[vec![filter(Event, "WORKFLOW_JOB_QUEUED")]], Provider::GitHub).contains("runner builds"));
}

#[test]
fn bad_regular_expressions_are_named() {
    let msg = error(&[vec![filter(Event, "PUSH"), filter(HeadRef, "^refs/heads/(main$")]], Provider::GitHub);
    assert!(
        msg.starts_with(
            "Invalid input: filterGroups[0][1]: HEAD_REF pattern \"^refs/heads/(main$\" is not a valid regular expression: "
        ),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "one line: {msg}");
    // RE2 has no look-around or back-references, and neither do these patterns.
    assert!(
        error(&[vec![filter(Event, "PUSH"), filter(HeadRef, "^(?!refs/tags)")]], Provider::GitHub)
            .contains("not a valid regular expression")
    );
    assert!(
        error(&[vec![filter(Event, "PUSH"), filter(CommitMessage, r"(a)\1")]], Provider::GitHub)
            .contains("not a valid regular expression")
    );
    let msg = match Trigger::compile(&[], Some("(["), Provider::GitHub) {
        Err(e) => e.0,
        Ok(_) => panic!("compiled"),
    };
    assert!(msg.starts_with("Invalid input: branchFilter \"([\" is not a valid regular expression"), "{msg}");
}

#[test]
fn patterns_search_unanchored_unless_anchored() {
    let t = Trigger::compile(&[vec![filter(Event, "PUSH"), filter(HeadRef, "heads/ma")]], None, Provider::GitHub)
        .expect("compile");
    assert!(builds(&t, &push("refs/heads/main")));
    assert!(!builds(&t, &push("refs/tags/main")));
    let anchored =
        Trigger::compile(&[vec![filter(Event, "PUSH"), filter(HeadRef, "^refs/heads/main$")]], None, Provider::GitHub)
            .expect("compile");
    assert!(builds(&anchored, &push("refs/heads/main")));
    assert!(!builds(&anchored, &push("refs/heads/main2")));
}

#[test]
fn case_insensitive_and_unicode_patterns_compile() {
    let t = Trigger::compile(
        &[vec![filter(Event, "PUSH"), filter(CommitMessage, r"(?i)\[ci build\] \p{L}+")]],
        None,
        Provider::GitHub,
    )
    .expect("compile");
    let event = Event { commit_message: Some("[CI BUILD] Änderung".to_string()), ..push("refs/heads/main") };
    assert!(builds(&t, &event));
}

#[test]
fn a_missing_value_does_not_match_and_so_passes_an_exclusion() {
    let base = Trigger::compile(&[vec![filter(Event, "PUSH"), filter(BaseRef, ".*")]], None, Provider::GitHub)
        .expect("compile");
    assert!(!builds(&base, &push("refs/heads/main")), "a push has no base ref, not an empty one");
    let not_base = Trigger::compile(&[vec![filter(Event, "PUSH"), excluded(BaseRef, ".*")]], None, Provider::GitHub)
        .expect("compile");
    assert!(builds(&not_base, &push("refs/heads/main")));
}

#[test]
fn file_path_matches_when_any_changed_file_does() {
    let t = Trigger::compile(&[vec![filter(Event, "PUSH"), filter(FilePath, r"^src/.*\.rs$")]], None, Provider::GitHub)
        .expect("compile");
    let with =
        |files: &[&str]| Event { file_paths: files.iter().map(|f| f.to_string()).collect(), ..push("refs/heads/x") };
    assert!(builds(&t, &with(&["README.md", "src/lib.rs"])));
    assert!(!builds(&t, &with(&["README.md", "docs/src/x.rs"])));
    assert!(!builds(&t, &with(&[])));
    let not_docs =
        Trigger::compile(&[vec![filter(Event, "PUSH"), excluded(FilePath, "^docs/")]], None, Provider::GitHub)
            .expect("compile");
    assert!(builds(&not_docs, &with(&["src/lib.rs"])));
    assert!(!builds(&not_docs, &with(&["src/lib.rs", "docs/guide.md"])), "one matching file is a match");
}

#[test]
fn the_first_passing_group_is_reported() {
    let t = Trigger::compile(
        &[
            vec![filter(Event, "PULL_REQUEST_CREATED")],
            vec![filter(Event, "PUSH"), filter(HeadRef, "^refs/heads/dev$")],
            vec![filter(Event, "PUSH")],
        ],
        None,
        Provider::GitHub,
    )
    .expect("compile");
    assert_eq!(t.decide(&push("refs/heads/dev")), Decision::Build { group: Some(1) });
    assert_eq!(t.decide(&push("refs/heads/main")), Decision::Build { group: Some(2) });
    let release = Event { event: EventType::Released, ..Default::default() };
    assert_eq!(t.decide(&release), Decision::Skip("no filter group matched".to_string()));
}

#[test]
fn without_filter_groups_pushes_and_pull_request_changes_build() {
    let t = Trigger::compile(&[], None, Provider::GitHub).expect("compile");
    assert!(builds(&t, &push("refs/heads/main")));
    for event in [EventType::PullRequestCreated, EventType::PullRequestUpdated, EventType::PullRequestReopened] {
        assert!(builds(&t, &Event { event, ..Default::default() }), "{event}");
    }
    for event in [EventType::PullRequestMerged, EventType::PullRequestClosed, EventType::Released] {
        assert!(!builds(&t, &Event { event, ..Default::default() }), "{event}");
    }
}

#[test]
fn branch_filter_matches_the_branch_name() {
    let t = Trigger::compile(&[], Some("^(main|release/.*)$"), Provider::GitHub).expect("compile");
    assert!(builds(&t, &push("refs/heads/main")));
    assert!(builds(&t, &push("refs/heads/release/1.2")));
    assert_eq!(
        t.decide(&push("refs/heads/feature")),
        Decision::Skip("branch \"feature\" does not match the webhook's branchFilter".to_string())
    );
    // An empty branchFilter is no filter.
    let all = Trigger::compile(&[], Some(""), Provider::GitHub).expect("compile");
    assert!(builds(&all, &push("refs/heads/feature")));
}

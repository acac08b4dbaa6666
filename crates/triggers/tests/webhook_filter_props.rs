//! Filter groups against a model written without regular expressions: patterns here are
//! literals, optionally anchored, so the model can say what an unanchored RE2 search means with
//! `contains`, `starts_with` and `ends_with`. OR across groups, AND within a group,
//! `excludeMatchedPattern` inverting one filter, FILE_PATH matching when any file matches, and an
//! absent value never matching.

use kiln_model::codebuild::{WebhookFilter, WebhookFilterType};
use kiln_triggers::webhook::{Decision, Event, EventType, Provider, Trigger};
use proptest::prelude::*;

const REGEX_TYPES: &[WebhookFilterType] = &[
    WebhookFilterType::ActorAccountId,
    WebhookFilterType::HeadRef,
    WebhookFilterType::BaseRef,
    WebhookFilterType::FilePath,
    WebhookFilterType::CommitMessage,
    WebhookFilterType::TagName,
    WebhookFilterType::ReleaseName,
    WebhookFilterType::RepositoryName,
    WebhookFilterType::OrganizationName,
];

/// A filter as the model sees it.
#[derive(Debug, Clone)]
enum Model {
    Events { events: Vec<EventType>, exclude: bool },
    Literal { kind: WebhookFilterType, text: String, start: bool, end: bool, exclude: bool },
}

impl Model {
    fn to_filter(&self) -> WebhookFilter {
        match self {
            Model::Events { events, exclude } => WebhookFilter {
                r#type: Some(WebhookFilterType::Event),
                pattern: Some(events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")),
                exclude_matched_pattern: Some(*exclude),
            },
            Model::Literal { kind, text, start, end, exclude } => WebhookFilter {
                r#type: Some(*kind),
                pattern: Some(format!(
                    "{}{}{}",
                    if *start { "^" } else { "" },
                    regex_escape(text),
                    if *end { "$" } else { "" }
                )),
                exclude_matched_pattern: if *exclude { Some(true) } else { None },
            },
        }
    }

    fn passes(&self, e: &Event) -> bool {
        match self {
            Model::Events { events, exclude } => events.contains(&e.event) != *exclude,
            Model::Literal { kind, text, start, end, exclude } => {
                let hit = |v: &str| match (start, end) {
                    (true, true) => v == text,
                    (true, false) => v.starts_with(text.as_str()),
                    (false, true) => v.ends_with(text.as_str()),
                    (false, false) => v.contains(text.as_str()),
                };
                let matched = match kind {
                    WebhookFilterType::FilePath => e.file_paths.iter().any(|f| hit(f)),
                    other => field(*other, e).is_some_and(hit),
                };
                matched != *exclude
            }
        }
    }
}

fn field(kind: WebhookFilterType, e: &Event) -> Option<&str> {
    match kind {
        WebhookFilterType::ActorAccountId => e.actor_account_id.as_deref(),
        WebhookFilterType::HeadRef => e.head_ref.as_deref(),
        WebhookFilterType::BaseRef => e.base_ref.as_deref(),
        WebhookFilterType::CommitMessage => e.commit_message.as_deref(),
        WebhookFilterType::TagName => e.tag_name.as_deref(),
        WebhookFilterType::ReleaseName => e.release_name.as_deref(),
        WebhookFilterType::RepositoryName => e.repository_name.as_deref(),
        WebhookFilterType::OrganizationName => e.organization_name.as_deref(),
        _ => None,
    }
}

/// Escapes what is special in a regular expression; the alphabet below has some of each.
fn regex_escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// Short strings over a small alphabet (with regex metacharacters), so literals often match.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just('a'), Just('b'), Just('/'), Just('.'), Just('*'), Just('[')], 0..4)
        .prop_map(|cs| cs.into_iter().collect())
}

fn value() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.8, text())
}

fn event_type() -> impl Strategy<Value = EventType> {
    proptest::sample::select(Provider::GitHub.events().to_vec())
}

fn event() -> impl Strategy<Value = Event> {
    (
        event_type(),
        (value(), value(), value(), value()),
        (value(), value(), value(), value()),
        proptest::collection::vec(text(), 0..3),
    )
        .prop_map(|(event, (actor, head, base, message), (tag, release, repo, org), files)| Event {
            event,
            actor_account_id: actor,
            head_ref: head,
            base_ref: base,
            commit_message: message,
            tag_name: tag,
            release_name: release,
            repository_name: repo,
            organization_name: org,
            file_paths: files,
            ..Default::default()
        })
}

fn events_filter() -> impl Strategy<Value = Model> {
    (proptest::sample::subsequence(Provider::GitHub.events().to_vec(), 1..4), any::<bool>())
        .prop_map(|(events, exclude)| Model::Events { events, exclude })
}

fn literal_filter() -> impl Strategy<Value = Model> {
    (proptest::sample::select(REGEX_TYPES.to_vec()), text(), any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(kind, text, start, end, exclude)| Model::Literal { kind, text, start, end, exclude })
}

/// A group: an EVENT filter first (every group needs one), then zero or more of any kind.
fn group() -> impl Strategy<Value = Vec<Model>> {
    (events_filter(), proptest::collection::vec(prop_oneof![3 => literal_filter(), 1 => events_filter()], 0..4))
        .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect())
}

fn compile(groups: &[Vec<Model>]) -> Trigger {
    let filters: Vec<Vec<WebhookFilter>> = groups.iter().map(|g| g.iter().map(Model::to_filter).collect()).collect();
    Trigger::compile(&filters, None, Provider::GitHub).unwrap_or_else(|e| panic!("{filters:?}: {e}"))
}

fn model_group(groups: &[Vec<Model>], e: &Event) -> Option<usize> {
    groups.iter().position(|g| g.iter().all(|f| f.passes(e)))
}

fn builds(t: &Trigger, e: &Event) -> bool {
    matches!(t.decide(e), Decision::Build { .. })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// OR across groups, AND within: the first group whose filters all pass is the one reported.
    #[test]
    fn decisions_follow_the_model(groups in proptest::collection::vec(group(), 1..4), e in event()) {
        let decided = compile(&groups).decide(&e);
        match model_group(&groups, &e) {
            Some(g) => prop_assert_eq!(decided, Decision::Build { group: Some(g) }),
            None => prop_assert_eq!(decided, Decision::Skip("no filter group matched".to_string())),
        }
    }

    /// Flipping `excludeMatchedPattern` on one filter of a group flips that filter, so with an
    /// EVENT filter that lets the event through, exactly one of the two groups builds.
    #[test]
    fn exclusion_inverts_a_filter(filter in literal_filter(), e in event()) {
        let all = Model::Events { events: vec![e.event], exclude: false };
        let flipped = match filter.clone() {
            Model::Literal { kind, text, start, end, exclude } => Model::Literal { kind, text, start, end, exclude: !exclude },
            other => other,
        };
        let one = builds(&compile(&[vec![all.clone(), filter]]), &e);
        let other = builds(&compile(&[vec![all, flipped]]), &e);
        prop_assert_ne!(one, other);
    }

    /// Adding a group never stops a build (OR); adding a filter to a group never starts one (AND).
    #[test]
    fn groups_widen_and_filters_narrow(
        groups in proptest::collection::vec(group(), 1..3),
        extra_group in group(),
        extra_filter in literal_filter(),
        e in event(),
    ) {
        let before = builds(&compile(&groups), &e);
        let mut wider = groups.clone();
        wider.push(extra_group);
        prop_assert!(!before || builds(&compile(&wider), &e));
        let mut narrower = groups.clone();
        narrower[0].push(extra_filter);
        prop_assert!(!builds(&compile(&narrower), &e) || before, "a filter made a skipped event build");
    }

    /// The order of groups decides which group is reported, never whether the event builds.
    #[test]
    fn group_order_does_not_change_the_outcome(groups in proptest::collection::vec(group(), 1..4), e in event()) {
        let mut reversed = groups.clone();
        reversed.reverse();
        prop_assert_eq!(builds(&compile(&groups), &e), builds(&compile(&reversed), &e));
    }

    /// An unanchored pattern finds any substring of the value; anchored, only the whole value.
    #[test]
    fn patterns_search_unless_anchored(prefix in text(), middle in text(), suffix in text()) {
        let head = format!("{prefix}{middle}{suffix}");
        let e = Event { head_ref: Some(head.clone()), ..Default::default() };
        let search = Model::Literal { kind: WebhookFilterType::HeadRef, text: middle.clone(), start: false, end: false, exclude: false };
        let whole = Model::Literal { kind: WebhookFilterType::HeadRef, text: middle.clone(), start: true, end: true, exclude: false };
        let push = Model::Events { events: vec![EventType::Push], exclude: false };
        prop_assert!(builds(&compile(&[vec![push.clone(), search]]), &e));
        prop_assert_eq!(builds(&compile(&[vec![push, whole]]), &e), head == middle);
    }
}

//! One provider-neutral event: what filter groups look at, and what the build gets.

use kiln_model::codebuild::SourceType;

/// Where a delivery comes from: the project's source type decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    GitHub,
    GitHubEnterprise,
    GitLab,
    GitLabSelfManaged,
    Bitbucket,
}

impl Provider {
    /// The provider of a project source, or `None` for sources without webhooks.
    pub fn from_source_type(source: SourceType) -> Option<Provider> {
        match source {
            SourceType::Github => Some(Provider::GitHub),
            SourceType::GithubEnterprise => Some(Provider::GitHubEnterprise),
            SourceType::Gitlab => Some(Provider::GitLab),
            SourceType::GitlabSelfManaged => Some(Provider::GitLabSelfManaged),
            SourceType::Bitbucket => Some(Provider::Bitbucket),
            _ => None,
        }
    }

    pub fn source_type(self) -> SourceType {
        match self {
            Provider::GitHub => SourceType::Github,
            Provider::GitHubEnterprise => SourceType::GithubEnterprise,
            Provider::GitLab => SourceType::Gitlab,
            Provider::GitLabSelfManaged => SourceType::GitlabSelfManaged,
            Provider::Bitbucket => SourceType::Bitbucket,
        }
    }

    pub(crate) fn is_github(self) -> bool {
        matches!(self, Provider::GitHub | Provider::GitHubEnterprise)
    }

    pub(crate) fn is_gitlab(self) -> bool {
        matches!(self, Provider::GitLab | Provider::GitLabSelfManaged)
    }

    /// Bitbucket webhooks carry no secret in CodeBuild (the model says so).
    pub fn has_secret(self) -> bool {
        self != Provider::Bitbucket
    }

    /// The header naming the provider's delivery, used to recognise redeliveries.
    pub fn delivery_header(self) -> &'static str {
        match self {
            Provider::GitHub | Provider::GitHubEnterprise => "x-github-delivery",
            Provider::GitLab | Provider::GitLabSelfManaged => "x-gitlab-event-uuid",
            Provider::Bitbucket => "x-request-uuid",
        }
    }

    /// The header naming the kind of event.
    pub fn event_header(self) -> &'static str {
        match self {
            Provider::GitHub | Provider::GitHubEnterprise => "x-github-event",
            Provider::GitLab | Provider::GitLabSelfManaged => "x-gitlab-event",
            Provider::Bitbucket => "x-event-key",
        }
    }

    /// The event types this provider can send, as CodeBuild documents them per provider (less
    /// WORKFLOW_JOB_QUEUED: runner builds are not Kiln's).
    pub fn events(self) -> &'static [EventType] {
        use EventType::*;
        match self {
            Provider::GitHub => &[
                Push,
                PullRequestCreated,
                PullRequestUpdated,
                PullRequestMerged,
                PullRequestReopened,
                PullRequestClosed,
                Released,
                Prereleased,
            ],
            Provider::GitHubEnterprise => &[
                Push,
                PullRequestCreated,
                PullRequestUpdated,
                PullRequestMerged,
                PullRequestReopened,
                PullRequestClosed,
            ],
            Provider::GitLab | Provider::GitLabSelfManaged => &[
                Push,
                PullRequestCreated,
                PullRequestUpdated,
                PullRequestMerged,
                PullRequestReopened,
                PullRequestClosed,
                Released,
            ],
            Provider::Bitbucket => {
                &[Push, PullRequestCreated, PullRequestUpdated, PullRequestMerged, PullRequestClosed]
            }
        }
    }
}

/// CodeBuild's webhook event types (the values of an EVENT filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EventType {
    #[default]
    Push,
    PullRequestCreated,
    PullRequestUpdated,
    PullRequestMerged,
    PullRequestReopened,
    PullRequestClosed,
    Released,
    Prereleased,
    WorkflowJobQueued,
}

impl EventType {
    pub const ALL: &'static [EventType] = &[
        EventType::Push,
        EventType::PullRequestCreated,
        EventType::PullRequestUpdated,
        EventType::PullRequestMerged,
        EventType::PullRequestReopened,
        EventType::PullRequestClosed,
        EventType::Released,
        EventType::Prereleased,
        EventType::WorkflowJobQueued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Push => "PUSH",
            EventType::PullRequestCreated => "PULL_REQUEST_CREATED",
            EventType::PullRequestUpdated => "PULL_REQUEST_UPDATED",
            EventType::PullRequestMerged => "PULL_REQUEST_MERGED",
            EventType::PullRequestReopened => "PULL_REQUEST_REOPENED",
            EventType::PullRequestClosed => "PULL_REQUEST_CLOSED",
            EventType::Released => "RELEASED",
            EventType::Prereleased => "PRERELEASED",
            EventType::WorkflowJobQueued => "WORKFLOW_JOB_QUEUED",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|e| e.as_str() == s)
    }

    pub fn is_pull_request(self) -> bool {
        matches!(
            self,
            EventType::PullRequestCreated
                | EventType::PullRequestUpdated
                | EventType::PullRequestMerged
                | EventType::PullRequestReopened
                | EventType::PullRequestClosed
        )
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A delivery that can start a build, normalized. Every filter type reads one field; a field
/// the provider's payload does not carry for this event is `None` (or empty for files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub event: EventType,
    /// GitHub `sender.id`, GitLab `user_id` / `user.id`, Bitbucket `actor.account_id`.
    pub actor_account_id: Option<String>,
    /// `refs/heads/<branch>` or `refs/tags/<tag>`: the pushed ref, the pull request's source
    /// branch, the release's tag.
    pub head_ref: Option<String>,
    /// The pull request's target branch, `refs/heads/<branch>`.
    pub base_ref: Option<String>,
    /// Changed files, when the payload lists them (push payloads of GitHub and GitLab).
    pub file_paths: Vec<String>,
    /// The head commit's message, when the payload carries it.
    pub commit_message: Option<String>,
    pub tag_name: Option<String>,
    pub release_name: Option<String>,
    pub repository_name: Option<String>,
    pub organization_name: Option<String>,
    /// What StartBuild builds: the pushed commit, `pr/<n>` (GitHub), the pull request's head
    /// commit (GitLab, Bitbucket), or `refs/tags/<tag>` for a release.
    pub source_version: String,
    /// The commit before a push or pull request update.
    pub prev_commit: Option<String>,
    /// The merge commit of a merged pull request.
    pub merge_commit: Option<String>,
    /// `pr/<n>`, `branch/<name>` or `tag/<name>`.
    pub trigger: String,
}

impl Event {
    /// The `CODEBUILD_WEBHOOK_*` variables of a build this event starts (only those with a
    /// value).
    pub fn variables(&self) -> Vec<(String, String)> {
        let mut vars = vec![("CODEBUILD_WEBHOOK_EVENT".to_string(), self.event.as_str().to_string())];
        let mut add = |name: &str, value: &Option<String>| {
            if let Some(v) = value {
                vars.push((format!("CODEBUILD_WEBHOOK_{name}"), v.clone()));
            }
        };
        add("ACTOR_ACCOUNT_ID", &self.actor_account_id);
        add("HEAD_REF", &self.head_ref);
        add("BASE_REF", &self.base_ref);
        add("PREV_COMMIT", &self.prev_commit);
        add("MERGE_COMMIT", &self.merge_commit);
        add("TRIGGER", &Some(self.trigger.clone()));
        vars
    }
}

/// What a delivery turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An event that filter groups decide on.
    Event(Box<Event>),
    /// GitHub's `ping`, sent when a webhook is created: answered, never built.
    Ping,
    /// A well-formed delivery CodeBuild never builds (a pull request labelled, a release
    /// edited, a branch deleted, ...), with the reason.
    Ignored(String),
}

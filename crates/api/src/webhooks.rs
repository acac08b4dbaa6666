//! CreateWebhook, UpdateWebhook and DeleteWebhook, and the `webhook` a project shows.
//!
//! Kiln cannot create the webhook on GitHub, GitLab or Bitbucket itself, so every webhook is
//! what CodeBuild calls a manual one: the answer carries the `payloadUrl` (Kiln's public URL,
//! `/webhooks?t=<token>&v=1`) and the `secret` to configure at the provider. The secret is
//! shown when it is made (CreateWebhook, UpdateWebhook with `rotateSecret`), never again.
//! Deliveries to the payload URL are handled in [`receive`].

mod deliveries;
mod receive;
mod stored;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use kiln_model::Timestamp;
use kiln_model::codebuild::*;
use kiln_store::WebhookRecord;
use kiln_triggers::webhook::{Provider, Trigger};

pub use deliveries::delivery_json;
pub use kiln_triggers::webhook::Headers;
pub use receive::{WebhookDelivery, WebhookReply};

use crate::names::project_name_from;
use crate::{Api, ApiError, now_ms};
use stored::{new_secret, new_token, seal_secret};

/// The public URL until the server says otherwise (`kiln serve`'s default listen address).
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:7171";

impl Api {
    /// Sets the URL providers reach Kiln at (no trailing slash needed).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    pub fn create_webhook(&self, input: CreateWebhookInput) -> Result<CreateWebhookOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = project_name_from(input.project_name.as_deref().unwrap_or_default()).to_string();
        let provider = self.webhook_provider(&name)?;
        if input.scope_configuration.is_some() {
            return Err(ApiError::InvalidInput(
                "Invalid input: scopeConfiguration (global and organization webhooks) is not supported by Kiln: \
                 create one webhook per project"
                    .to_string(),
            ));
        }
        let mut webhook = Webhook {
            branch_filter: input.branch_filter.filter(|b| !b.is_empty()),
            build_type: input.build_type,
            filter_groups: input.filter_groups,
            manual_creation: input.manual_creation,
            pull_request_build_policy: input.pull_request_build_policy,
            ..Default::default()
        };
        check(&mut webhook, provider)?;
        if self.store.get_webhook(&name)?.is_some() {
            return Err(self.webhook_exists(&name));
        }
        let now = now_ms();
        let secret = provider.has_secret().then(new_secret);
        if secret.is_some() {
            webhook.last_modified_secret = Some(Timestamp::from_millis(now));
        }
        let record = WebhookRecord {
            project: name.clone(),
            token: new_token(),
            secret: secret.as_deref().map(|s| seal_secret(&self.config.vault, &name, s)).transpose()?,
            created_ms: now,
            modified_ms: now,
            doc: stored::to_doc(&webhook)?,
        };
        self.store.create_webhook(&record).map_err(|e| match e {
            kiln_store::StoreError::AlreadyExists(_) => self.webhook_exists(&name),
            other => other.into(),
        })?;
        let mut shown = self.shown(&record.token, webhook);
        shown.secret = secret;
        Ok(CreateWebhookOutput { webhook: Some(shown) })
    }

    pub fn update_webhook(&self, input: UpdateWebhookInput) -> Result<UpdateWebhookOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = project_name_from(input.project_name.as_deref().unwrap_or_default()).to_string();
        let provider = self.webhook_provider(&name)?;
        let mut record = self.store.get_webhook(&name)?.ok_or_else(|| self.no_webhook(&name))?;
        let mut webhook: Webhook = stored::from_doc(&record.doc)?;
        if let Some(groups) = input.filter_groups {
            webhook.filter_groups = Some(groups);
        }
        if let Some(branch_filter) = input.branch_filter {
            webhook.branch_filter = Some(branch_filter).filter(|b| !b.is_empty());
        }
        if input.build_type.is_some() {
            webhook.build_type = input.build_type;
        }
        if input.pull_request_build_policy.is_some() {
            webhook.pull_request_build_policy = input.pull_request_build_policy;
        }
        check(&mut webhook, provider)?;
        let now = now_ms();
        // Bitbucket webhooks have no secret to rotate; CodeBuild ignores the flag for them.
        let secret = (input.rotate_secret == Some(true) && provider.has_secret()).then(new_secret);
        if let Some(secret) = &secret {
            record.secret = Some(seal_secret(&self.config.vault, &name, secret)?);
            webhook.last_modified_secret = Some(Timestamp::from_millis(now));
        }
        record.modified_ms = now;
        record.doc = stored::to_doc(&webhook)?;
        self.store.update_webhook(&record).map_err(|e| match e {
            kiln_store::StoreError::NotFound(_) => self.no_webhook(&name),
            other => other.into(),
        })?;
        let mut shown = self.shown(&record.token, webhook);
        shown.secret = secret;
        Ok(UpdateWebhookOutput { webhook: Some(shown) })
    }

    pub fn delete_webhook(&self, input: DeleteWebhookInput) -> Result<DeleteWebhookOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = project_name_from(input.project_name.as_deref().unwrap_or_default()).to_string();
        self.require_project(&name)?;
        if !self.store.delete_webhook(&name)? {
            return Err(self.no_webhook(&name));
        }
        Ok(DeleteWebhookOutput {})
    }

    /// The project's webhook as BatchGetProjects shows it (without the secret).
    pub(crate) fn project_webhook(&self, project: &str) -> Result<Option<Webhook>, ApiError> {
        match self.store.get_webhook(project)? {
            Some(record) => Ok(Some(self.shown(&record.token, stored::from_doc(&record.doc)?))),
            None => Ok(None),
        }
    }

    /// `<public url>/webhooks?t=<token>&v=1`.
    pub fn payload_url(&self, token: &str) -> String {
        format!("{}/webhooks?t={token}&v=1", self.public_url)
    }

    /// The stored webhook with what is computed when shown: the payload URL (the public URL may
    /// have changed since the webhook was made) and its status.
    fn shown(&self, token: &str, mut webhook: Webhook) -> Webhook {
        let url = self.payload_url(token);
        webhook.url = Some(url.clone());
        webhook.payload_url = Some(url);
        webhook.status = Some(WebhookStatus::Active);
        webhook.secret = None;
        webhook
    }

    /// The provider of the project's source, or CodeBuild's errors for a missing project or a
    /// source without webhooks.
    fn webhook_provider(&self, name: &str) -> Result<Provider, ApiError> {
        let project = self.load_project(name)?;
        let source = project.source.and_then(|s| s.r#type).unwrap_or(SourceType::NoSource);
        Provider::from_source_type(source).ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "Invalid input: source type {source} does not support webhooks; webhooks work with GITHUB, \
                 GITHUB_ENTERPRISE, GITLAB, GITLAB_SELF_MANAGED and BITBUCKET sources"
            ))
        })
    }

    fn webhook_exists(&self, name: &str) -> ApiError {
        ApiError::ResourceAlreadyExists(format!(
            "Webhook already exists for project: {}",
            self.config.project_arn(name)
        ))
    }

    fn no_webhook(&self, name: &str) -> ApiError {
        ApiError::ResourceNotFound(format!("Webhook does not exist for project: {}", self.config.project_arn(name)))
    }
}

/// The webhook settings Kiln can honour, with CodeBuild's defaults filled in.
fn check(webhook: &mut Webhook, provider: Provider) -> Result<(), ApiError> {
    match webhook.build_type.get_or_insert(WebhookBuildType::Build) {
        WebhookBuildType::Build => {}
        other => {
            return Err(ApiError::InvalidInput(format!(
                "Invalid input: buildType {other} is not supported by Kiln; webhooks start BUILD builds"
            )));
        }
    }
    let approval = webhook.pull_request_build_policy.as_ref().and_then(|p| p.requires_comment_approval);
    if approval.is_some_and(|a| a != PullRequestBuildCommentApproval::Disabled) {
        return Err(ApiError::InvalidInput(
            "Invalid input: pullRequestBuildPolicy.requiresCommentApproval must be DISABLED: Kiln cannot read \
             pull request comments"
                .to_string(),
        ));
    }
    let groups = webhook.filter_groups.get_or_insert_with(Vec::new);
    for filter in groups.iter_mut().flatten() {
        filter.exclude_matched_pattern.get_or_insert(false);
    }
    Trigger::compile(groups, webhook.branch_filter.as_deref(), provider)
        .map_err(|e| ApiError::InvalidInput(e.to_string()))?;
    Ok(())
}

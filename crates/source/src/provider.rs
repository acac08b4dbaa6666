//! Git hosting providers, as far as they change how a version is interpreted.

/// Where a git source is hosted. Only pull-request versions depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GitProvider {
    CodeCommit,
    GitHub,
    GitHubEnterprise,
    GitLab,
    GitLabSelfManaged,
    Bitbucket,
    /// Any other git server. Not a CodeBuild source type, so CodeBuild's restriction of
    /// pull-request refs to GitHub does not apply: a plain git server may well carry
    /// `refs/pull/*` (e.g. a mirror of a GitHub repository).
    #[default]
    Other,
}

impl GitProvider {
    /// Maps a CodeBuild `SourceType` (`CODECOMMIT`, `GITHUB`, ...) to a provider.
    /// Non-git source types (`S3`, `CODEPIPELINE`, `NO_SOURCE`) give `None`.
    pub fn from_source_type(source_type: &str) -> Option<Self> {
        Some(match source_type {
            "CODECOMMIT" => Self::CodeCommit,
            "GITHUB" => Self::GitHub,
            "GITHUB_ENTERPRISE" => Self::GitHubEnterprise,
            "GITLAB" => Self::GitLab,
            "GITLAB_SELF_MANAGED" => Self::GitLabSelfManaged,
            "BITBUCKET" => Self::Bitbucket,
            _ => return None,
        })
    }

    /// Whether `pr/<n>` and `refs/pull/...` versions are accepted (CodeBuild: GitHub and
    /// GitHub Enterprise Server only).
    pub fn supports_pull_requests(self) -> bool {
        matches!(self, Self::GitHub | Self::GitHubEnterprise | Self::Other)
    }

    /// Human name used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::CodeCommit => "CodeCommit",
            Self::GitHub => "GitHub",
            Self::GitHubEnterprise => "GitHub Enterprise",
            Self::GitLab => "GitLab",
            Self::GitLabSelfManaged => "GitLab Self Managed",
            Self::Bitbucket => "Bitbucket",
            Self::Other => "git",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_types_map_to_providers() {
        assert_eq!(GitProvider::from_source_type("GITHUB_ENTERPRISE"), Some(GitProvider::GitHubEnterprise));
        assert_eq!(GitProvider::from_source_type("CODECOMMIT"), Some(GitProvider::CodeCommit));
        assert_eq!(GitProvider::from_source_type("S3"), None);
    }

    #[test]
    fn only_github_family_and_plain_git_take_pull_requests() {
        assert!(GitProvider::GitHub.supports_pull_requests());
        assert!(GitProvider::GitHubEnterprise.supports_pull_requests());
        assert!(!GitProvider::GitLab.supports_pull_requests());
        assert!(!GitProvider::GitLabSelfManaged.supports_pull_requests());
        assert!(!GitProvider::Bitbucket.supports_pull_requests());
        assert!(!GitProvider::CodeCommit.supports_pull_requests());
    }
}

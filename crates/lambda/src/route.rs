//! Decides what a reference change starts: the projects to build at which commit, or why nothing.

use crate::config::{BUILD_DELETIONS, BUILD_TAGS, Config, DEFAULT_PROJECT, PROJECT_MAP};
use crate::event::{ChangeKind, RefChange};

#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    Start { commit: &'a str, projects: Vec<&'a str> },
    Skip(String),
}

pub fn decide<'a>(change: &'a RefChange, config: &'a Config) -> Decision<'a> {
    let (name, is_tag) = if let Some(branch) = change.reference.strip_prefix("refs/heads/") {
        (branch, false)
    } else if let Some(tag) = change.reference.strip_prefix("refs/tags/") {
        (tag, true)
    } else {
        return Decision::Skip(format!("{} is neither a branch nor a tag", change.reference));
    };
    if is_tag && !config.build_tags {
        return Decision::Skip(format!("tag {name} ignored ({BUILD_TAGS} is not true)"));
    }
    if change.kind == ChangeKind::Deleted && !config.build_deletions {
        return Decision::Skip(format!("{} was deleted ({BUILD_DELETIONS} is not true)", change.reference));
    }
    // CodeCommit's "test trigger" sends no commit or one of all zeros: nothing to build.
    let Some(commit) = change.commit.as_deref().filter(|c| c.chars().any(|ch| ch != '0')) else {
        return Decision::Skip(format!("{} names no commit", change.reference));
    };
    let projects = config.projects_for(&change.repository, name);
    if projects.is_empty() {
        return Decision::Skip(format!(
            "no project for {name} in {} (neither {PROJECT_MAP} nor {DEFAULT_PROJECT} names one)",
            change.repository
        ));
    }
    Decision::Start { commit, projects }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "f6b437ece0d7b10fd95e6ea3b00ac6d76e0c5d7e";

    fn change(reference: &str, kind: ChangeKind, commit: Option<&str>) -> RefChange {
        RefChange {
            repository: "web".into(),
            reference: reference.into(),
            commit: commit.map(str::to_string),
            kind,
            event_id: None,
        }
    }

    fn config(vars: &[(&str, &str)]) -> Config {
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())).expect("config")
    }

    fn skip_reason(d: Decision<'_>) -> String {
        match d {
            Decision::Skip(reason) => reason,
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn a_mapped_branch_starts_its_projects_at_the_commit() {
        let c = config(&[(PROJECT_MAP, "web:main=ci-a;web:.*=ci-b")]);
        let ch = change("refs/heads/main", ChangeKind::Updated, Some(SHA));
        assert_eq!(decide(&ch, &c), Decision::Start { commit: SHA, projects: vec!["ci-a", "ci-b"] });
        let created = change("refs/heads/main", ChangeKind::Created, Some(SHA));
        assert_eq!(decide(&created, &c), Decision::Start { commit: SHA, projects: vec!["ci-a", "ci-b"] });
    }

    #[test]
    fn tags_and_deletions_only_when_configured() {
        let tag = change("refs/tags/v1", ChangeKind::Created, Some(SHA));
        let gone = change("refs/heads/old", ChangeKind::Deleted, Some(SHA));
        let off = config(&[(DEFAULT_PROJECT, "p1")]);
        assert!(skip_reason(decide(&tag, &off)).contains(BUILD_TAGS));
        assert!(skip_reason(decide(&gone, &off)).contains(BUILD_DELETIONS));
        let on = config(&[
            (PROJECT_MAP, "web:v.*=release"),
            (DEFAULT_PROJECT, "p1"),
            (BUILD_TAGS, "true"),
            (BUILD_DELETIONS, "true"),
        ]);
        assert_eq!(decide(&tag, &on), Decision::Start { commit: SHA, projects: vec!["release"] });
        assert_eq!(decide(&gone, &on), Decision::Start { commit: SHA, projects: vec!["p1"] });
    }

    #[test]
    fn nothing_to_build_is_a_skip_with_a_reason() {
        let c = config(&[(PROJECT_MAP, "web:main=ci-a")]);
        let unmapped = change("refs/heads/dev", ChangeKind::Updated, Some(SHA));
        assert!(skip_reason(decide(&unmapped, &c)).contains("no project for dev in web"));
        let zeros = change("refs/heads/main", ChangeKind::Updated, Some(&"0".repeat(40)));
        assert!(skip_reason(decide(&zeros, &c)).contains("names no commit"));
        let on = config(&[(PROJECT_MAP, "web:main=ci-a"), (BUILD_DELETIONS, "true")]);
        let deleted_without_commit = change("refs/heads/main", ChangeKind::Deleted, None);
        assert!(skip_reason(decide(&deleted_without_commit, &on)).contains("names no commit"));
        let note = change("refs/notes/commits", ChangeKind::Updated, Some(SHA));
        assert!(skip_reason(decide(&note, &c)).contains("neither a branch nor a tag"));
    }
}

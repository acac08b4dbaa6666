//! The function's configuration, from environment variables (read once, at cold start):
//!
//! * `KILN_PROJECT_MAP` — entries `REPOSITORY[:BRANCH_PATTERN]=PROJECT`, separated by `;` or
//!   newlines. `REPOSITORY` is a repository name or `*` for any; `BRANCH_PATTERN` is a regular
//!   expression that must match the whole branch (or tag) name, and matches every name when
//!   left out. Every matching entry starts its project (each project once).
//! * `PROJECT_NAME` — the project for a change no entry matches.
//! * `KILN_BUILD_TAGS` — `true` to build tags too (default: branches only).
//! * `KILN_BUILD_DELETIONS` — `true` to build the last commit of a deleted reference.

use regex::Regex;

pub const PROJECT_MAP: &str = "KILN_PROJECT_MAP";
pub const DEFAULT_PROJECT: &str = "PROJECT_NAME";
pub const BUILD_TAGS: &str = "KILN_BUILD_TAGS";
pub const BUILD_DELETIONS: &str = "KILN_BUILD_DELETIONS";

#[derive(Debug, Clone)]
pub struct Config {
    routes: Vec<Route>,
    default_project: Option<String>,
    pub build_tags: bool,
    pub build_deletions: bool,
}

/// One `KILN_PROJECT_MAP` entry.
#[derive(Debug, Clone)]
struct Route {
    /// None: any repository.
    repository: Option<String>,
    /// Anchored; None: any name.
    pattern: Option<Regex>,
    project: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn err(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { variable, message: message.into() }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `get` (tests pass their own).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let routes = parse_map(get(PROJECT_MAP).as_deref().unwrap_or(""))?;
        let default_project = match get(DEFAULT_PROJECT).map(|p| p.trim().to_string()) {
            Some(p) if p.is_empty() => None,
            Some(p) => Some(check_project(&p).map_err(|m| err(DEFAULT_PROJECT, m))?),
            None => None,
        };
        if routes.is_empty() && default_project.is_none() {
            return Err(err(PROJECT_MAP, format!("no project to build: set {PROJECT_MAP} or {DEFAULT_PROJECT}")));
        }
        Ok(Config {
            routes,
            default_project,
            build_tags: flag(BUILD_TAGS, get(BUILD_TAGS))?,
            build_deletions: flag(BUILD_DELETIONS, get(BUILD_DELETIONS))?,
        })
    }

    /// The projects a change of `name` (a branch or tag name) in `repository` builds, each once:
    /// every matching entry's, or else the default project.
    pub fn projects_for(&self, repository: &str, name: &str) -> Vec<&str> {
        let mut projects: Vec<&str> = Vec::new();
        for route in &self.routes {
            let repo_matches = route.repository.as_deref().is_none_or(|r| r == repository);
            let name_matches = route.pattern.as_ref().is_none_or(|p| p.is_match(name));
            if repo_matches && name_matches && !projects.contains(&route.project.as_str()) {
                projects.push(&route.project);
            }
        }
        if projects.is_empty()
            && let Some(default) = &self.default_project
        {
            projects.push(default);
        }
        projects
    }
}

fn parse_map(map: &str) -> Result<Vec<Route>, ConfigError> {
    let entries = map.split([';', '\n']).map(str::trim).filter(|e| !e.is_empty());
    entries
        .enumerate()
        .map(|(i, entry)| parse_entry(entry).map_err(|m| err(PROJECT_MAP, format!("entry {} {entry:?}: {m}", i + 1))))
        .collect()
}

fn parse_entry(entry: &str) -> Result<Route, String> {
    // Project names cannot hold `=` and repository names cannot hold `:`, so the pattern may
    // hold either.
    let (left, project) = entry.rsplit_once('=').ok_or("expected REPOSITORY[:BRANCH_PATTERN]=PROJECT")?;
    let project = check_project(project.trim())?;
    let (repository, pattern) = match left.split_once(':') {
        Some((repository, pattern)) => (repository.trim(), Some(pattern.trim())),
        None => (left.trim(), None),
    };
    let repository = match repository {
        "*" => None,
        name => Some(check_repository(name)?),
    };
    let pattern = match pattern {
        None | Some("") => None,
        Some(p) => Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| format!("invalid branch pattern: {e}"))?),
    };
    Ok(Route { repository, pattern, project })
}

/// CodeBuild project names: 2–150 of `[A-Za-z0-9_-]`, starting with a letter or digit.
fn check_project(name: &str) -> Result<String, String> {
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let ok_start = name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ok_chars && ok_start && (2..=150).contains(&name.len()) {
        Ok(name.to_string())
    } else {
        Err(format!("{name:?} is not a CodeBuild project name"))
    }
}

/// CodeCommit repository names: 1–100 of `[A-Za-z0-9._-]`.
fn check_repository(name: &str) -> Result<String, String> {
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok_chars && (1..=100).contains(&name.len()) {
        Ok(name.to_string())
    } else {
        Err(format!("{name:?} is not a repository name (or * for any)"))
    }
}

fn flag(variable: &'static str, value: Option<String>) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => Err(err(variable, format!("expected true or false, got {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn every_matching_entry_builds_its_project_once() {
        let c = config(&[(
            PROJECT_MAP,
            "web:main=web-ci; web:release/.*=web-release;\n api=api-ci; *:main=audit; web:main|dev=web-ci",
        )])
        .expect("config");
        assert_eq!(c.projects_for("web", "main"), ["web-ci", "audit"]);
        assert_eq!(c.projects_for("web", "release/1.2"), ["web-release"]);
        assert_eq!(c.projects_for("web", "dev"), ["web-ci"]);
        assert_eq!(c.projects_for("api", "anything/at/all"), ["api-ci"]);
        assert_eq!(c.projects_for("other", "main"), ["audit"]);
        assert!(c.projects_for("other", "dev").is_empty());
    }

    #[test]
    fn patterns_match_whole_names() {
        let c = config(&[(PROJECT_MAP, "web:main=ci")]).expect("config");
        assert!(c.projects_for("web", "main2").is_empty());
        assert!(c.projects_for("web", "not-main").is_empty());
        assert!(c.projects_for("web2", "main").is_empty());
    }

    #[test]
    fn the_default_project_takes_what_no_entry_matches() {
        let c = config(&[(PROJECT_MAP, "web:main=web-ci"), (DEFAULT_PROJECT, "fallback")]).expect("config");
        assert_eq!(c.projects_for("web", "main"), ["web-ci"]);
        assert_eq!(c.projects_for("web", "dev"), ["fallback"]);
        let only_default = config(&[(DEFAULT_PROJECT, "everything")]).expect("config");
        assert_eq!(only_default.projects_for("any-repo", "any/branch"), ["everything"]);
        assert!(!only_default.build_tags && !only_default.build_deletions);
    }

    #[test]
    fn patterns_may_hold_colons_and_equals_signs() {
        let c = config(&[(PROJECT_MAP, "web:(?:a|b)=c?=proj")]).expect("config");
        assert_eq!(c.projects_for("web", "a=c"), ["proj"]);
        assert_eq!(c.projects_for("web", "b="), ["proj"]);
    }

    #[test]
    fn flags_parse() {
        let c = config(&[(DEFAULT_PROJECT, "p1"), (BUILD_TAGS, "TRUE"), (BUILD_DELETIONS, "1")]).expect("config");
        assert!(c.build_tags && c.build_deletions);
        let e = config(&[(DEFAULT_PROJECT, "p1"), (BUILD_TAGS, "sometimes")]).expect_err("bad flag");
        assert_eq!(e.variable, BUILD_TAGS);
        assert!(e.message.contains("sometimes"));
    }

    #[test]
    fn bad_configuration_is_a_clear_error() {
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Vars, &str, &str)] = &[
            (&[], PROJECT_MAP, "no project to build"),
            (&[(PROJECT_MAP, "  ;  ")], PROJECT_MAP, "no project to build"),
            (&[(PROJECT_MAP, "web-ci")], PROJECT_MAP, "expected REPOSITORY"),
            (&[(PROJECT_MAP, "web:main=bad name")], PROJECT_MAP, "not a CodeBuild project name"),
            (&[(PROJECT_MAP, "web:main=")], PROJECT_MAP, "not a CodeBuild project name"),
            (&[(PROJECT_MAP, "ok=p1; we b:main=p2")], PROJECT_MAP, "entry 2"),
            (&[(PROJECT_MAP, "web:(unclosed=p1")], PROJECT_MAP, "invalid branch pattern"),
            (&[(DEFAULT_PROJECT, "-leading-dash")], DEFAULT_PROJECT, "not a CodeBuild project name"),
        ];
        for (vars, variable, needle) in cases {
            let e = config(vars).expect_err("bad config");
            assert_eq!(&e.variable, variable, "{vars:?}");
            assert!(e.to_string().contains(needle), "{vars:?}: {e}");
        }
    }
}

//! `env.git-credential-helper: yes`: the build's own git commands reach the build's
//! repositories the way the source download did.
//!
//! CodeBuild gives such builds a credential helper that answers with the source credentials.
//! Kiln's source download uses the server user's git configuration, so the build gets the
//! part of it that decides how repositories are reached: its `url.<base>.insteadOf` rules, and
//! the credentials the server's credential helpers give for each source URL (written to a
//! store file in the build's home, for git's `store` helper, and masked in the log). Without
//! the flag the build's git sees none of it, as in CodeBuild.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::emit::Emitter;
use crate::protocol::Job;

/// Configures git in the build's home; problems are logged, never fatal (git then simply
/// works without the server's settings).
pub fn configure(job: &Job, emit: &Emitter) {
    let home = job.build_dir.join("home");
    let config = home.join(".gitconfig");
    let mut rules = 0;
    for (base, public) in insteadof_rules() {
        if git_config(&config, &[&format!("url.{base}.insteadOf"), &public]) {
            rules += 1;
        }
    }
    let store = home.join(".git-credentials-kiln");
    let mut lines = Vec::new();
    let locations = std::iter::once(&job.source).chain(job.secondary_sources.iter().map(|s| &s.source));
    for location in locations.filter_map(|s| s.location.as_deref()) {
        if let Some(credential) = fill(location) {
            emit.hide([credential.password.clone()]);
            lines.push(credential.store_line());
        }
    }
    if !lines.is_empty() {
        let written = write_private(&store, &(lines.join("\n") + "\n"));
        let helper = format!("store --file={}", store.display());
        if written.is_ok() && git_config(&config, &["credential.helper", &helper]) {
            emit.agent(&format!("git-credential-helper: credentials for {} source URLs", lines.len()));
        }
    }
    emit.agent(&format!("git-credential-helper: {rules} url rewrite rules from the server's git configuration"));
}

/// The server user's `url.<base>.insteadOf <public>` rules, as `(base, public)`.
fn insteadof_rules() -> Vec<(String, String)> {
    let Ok(out) = Command::new("git")
        .args(["config", "--global", "--get-regexp", r"^url\..*\.insteadof$"])
        .stdin(Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (key, public) = line.split_once(' ')?;
            let base = key.strip_prefix("url.")?.strip_suffix(".insteadof")?;
            Some((base.to_string(), public.to_string()))
        })
        .collect()
}

/// A credential git's helpers give for an https URL.
#[derive(Debug, PartialEq, Eq)]
struct Credential {
    protocol: String,
    host: String,
    username: String,
    password: String,
}

impl Credential {
    /// The line git's `store` helper reads: `https://user:password@host`.
    fn store_line(&self) -> String {
        format!("{}://{}:{}@{}", self.protocol, encode(&self.username), encode(&self.password), self.host)
    }
}

/// Asks the server's credential helpers (never a human) for `url`'s credential.
fn fill(url: &str) -> Option<Credential> {
    if !url.starts_with("https://") && !url.starts_with("http://") {
        return None;
    }
    let mut child = Command::new("git")
        .args(["credential", "fill"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("GCM_INTERACTIVE", "never")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(format!("url={url}\n\n").as_bytes()).ok()?;
    }
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    parse_fill(&String::from_utf8_lossy(&out.stdout))
}

/// `git credential fill`'s `key=value` lines.
fn parse_fill(text: &str) -> Option<Credential> {
    let get = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=')).map(str::to_string);
    let credential = Credential {
        protocol: get("protocol")?,
        host: get("host")?,
        username: get("username")?,
        password: get("password")?,
    };
    (!credential.password.is_empty()).then_some(credential)
}

/// Percent-encodes what a URL's user-info part cannot hold as is.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn git_config(file: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("config")
        .arg("--file")
        .arg(file)
        .arg("--add")
        .args(args)
        .stdin(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_output_becomes_a_store_line() {
        let c = parse_fill("protocol=https\nhost=git.example.com\nusername=ci bot\npassword=p@ss:word/1\n").unwrap();
        assert_eq!(c.store_line(), "https://ci%20bot:p%40ss%3Aword%2F1@git.example.com");
        assert_eq!(parse_fill("protocol=https\nhost=h\nusername=u\npassword=\n"), None);
        assert_eq!(parse_fill("protocol=https\nhost=h\n"), None);
    }
}

//! Real git repositories for the fetch tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_source::{FetchRequest, Fetched, GitProvider, SourceError, fetch};
use tempfile::TempDir;

/// Env that keeps git away from the developer's own configuration.
pub fn isolated_env() -> Vec<(String, String)> {
    vec![("GIT_CONFIG_GLOBAL".into(), "/dev/null".into()), ("GIT_CONFIG_NOSYSTEM".into(), "1".into())]
}

/// Runs git in `dir` with an isolated config and fixed identity; panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .envs(isolated_env())
        .env("GIT_AUTHOR_NAME", "Kiln Test")
        .env("GIT_AUTHOR_EMAIL", "kiln@example.com")
        .env("GIT_COMMITTER_NAME", "Kiln Test")
        .env("GIT_COMMITTER_EMAIL", "kiln@example.com")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path, content: &str) -> String {
    std::fs::write(dir.join("content.txt"), content).expect("write");
    git(dir, &["add", "content.txt"]);
    git(dir, &["commit", "-q", "-m", content]);
    git(dir, &["rev-parse", "HEAD"])
}

/// An upstream repository, default branch `trunk`:
///
/// ```text
/// trunk:   c1 ── c2 ── merge ── c3          (content.txt = one, two, merged, three)
///            \         /
/// feature:    f1 ─────'                     (content.txt = feature)
/// tags: v1.0 (annotated) → c1; light, both (lightweight) → c2
/// branch both → f1 (same name as a tag); refs/pull/7/head → p7 (on no branch, "pr7")
/// with-sub: c3 + submodule libsub (sub.txt = "sub")
/// ```
pub struct Upstream {
    _tmp: TempDir,
    pub path: PathBuf,
    pub sub_path: PathBuf,
    pub c1: String,
    pub c2: String,
    pub f1: String,
    pub merge: String,
    pub c3: String,
    pub p7: String,
    pub with_sub: String,
}

impl Upstream {
    pub fn new() -> Self {
        let tmp = TempDir::new().expect("tempdir");
        let path = tmp.path().join("up");
        let sub_path = tmp.path().join("sub");
        std::fs::create_dir(&sub_path).expect("mkdir");
        git(&sub_path, &["init", "-q", "-b", "main"]);
        std::fs::write(sub_path.join("sub.txt"), "sub").expect("write");
        git(&sub_path, &["add", "sub.txt"]);
        git(&sub_path, &["commit", "-q", "-m", "sub"]);

        std::fs::create_dir(&path).expect("mkdir");
        let up = path.as_path();
        git(up, &["init", "-q", "-b", "trunk"]);
        let c1 = commit(up, "one");
        git(up, &["tag", "-a", "-m", "release 1.0", "v1.0"]);
        let c2 = commit(up, "two");
        git(up, &["tag", "light"]);
        git(up, &["tag", "both"]);
        git(up, &["checkout", "-q", "-b", "feature", &c1]);
        let f1 = commit(up, "feature");
        git(up, &["branch", "both", &f1]);
        git(up, &["checkout", "-q", "trunk"]);
        git(up, &["merge", "-q", "--no-commit", "-s", "ours", "feature"]);
        let merge = commit(up, "merged");
        let c3 = commit(up, "three");
        git(up, &["checkout", "-q", "--detach", &c3]);
        let p7 = commit(up, "pr7");
        git(up, &["update-ref", "refs/pull/7/head", &p7]);
        git(up, &["checkout", "-q", "-b", "with-sub", &c3]);
        let sub_url = sub_path.to_str().expect("utf-8 path");
        git(up, &["-c", "protocol.file.allow=always", "submodule", "add", "-q", sub_url, "libsub"]);
        git(up, &["commit", "-q", "-m", "add submodule"]);
        let with_sub = git(up, &["rev-parse", "HEAD"]);
        git(up, &["checkout", "-q", "trunk"]);
        Upstream { _tmp: tmp, path, sub_path, c1, c2, f1, merge, c3, p7, with_sub }
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }
}

/// Result of one fetch into a fresh directory.
pub struct Run {
    pub tmp: TempDir,
    pub result: Result<Fetched, SourceError>,
    pub logs: Vec<String>,
}

impl Run {
    pub fn dest(&self) -> PathBuf {
        self.tmp.path().join("src")
    }

    pub fn fetched(&self) -> &Fetched {
        match &self.result {
            Ok(fetched) => fetched,
            Err(e) => panic!("fetch failed: {e}\nlog:\n{}", self.logs.join("\n")),
        }
    }

    pub fn content(&self) -> String {
        std::fs::read_to_string(self.dest().join("content.txt")).expect("content.txt")
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.dest(), args)
    }

    pub fn is_shallow(&self) -> bool {
        self.git(&["rev-parse", "--is-shallow-repository"]) == "true"
    }
}

pub fn request(location: &str, provider: GitProvider, version: Option<&str>) -> FetchRequest {
    FetchRequest {
        location: location.to_string(),
        provider,
        version: version.map(str::to_string),
        git_env: isolated_env(),
        ..Default::default()
    }
}

/// Fetches `req` into a new temp dir (its `dest` is replaced).
pub fn run(mut req: FetchRequest) -> Run {
    let tmp = TempDir::new().expect("tempdir");
    req.dest = tmp.path().join("src");
    let mut logs = Vec::new();
    let result = fetch(&req, &mut |line: &str| logs.push(line.to_string()));
    Run { tmp, result, logs }
}

/// Fetches `version` of `up` from its file:// URL.
pub fn run_version(up: &Upstream, version: Option<&str>, depth: Option<u32>) -> Run {
    let mut req = request(&up.url(), GitProvider::GitHub, version);
    req.depth = depth;
    run(req)
}

/// Adds `GIT_TRACE2_EVENT` to `req` so that [`git_commands`] can tell which git commands ran.
pub fn trace_commands(req: &mut FetchRequest, trace: &Path) {
    req.git_env.push(("GIT_TRACE2_EVENT".into(), trace.to_str().expect("utf-8 path").into()));
}

/// The git commands (`init`, `fetch`, ...) a trace written by [`trace_commands`] records,
/// in order: top-level processes only, not their children (`upload-pack`, `index-pack`, ...).
pub fn git_commands(trace: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(trace).unwrap_or_default();
    let field = |line: &str, name: &str| -> Option<String> {
        let start = line.find(&format!("\"{name}\":\""))? + name.len() + 4;
        let len = line[start..].find('"')?;
        Some(line[start..start + len].to_string())
    };
    text.lines()
        .filter(|line| line.contains("\"event\":\"cmd_name\""))
        .filter(|line| field(line, "sid").is_some_and(|sid| !sid.contains('/')))
        .filter_map(|line| field(line, "name"))
        .collect()
}

/// All git processes a trace written by [`trace_commands`] records, children included.
pub fn git_processes(trace: &Path) -> usize {
    let text = std::fs::read_to_string(trace).unwrap_or_default();
    text.lines().filter(|line| line.contains("\"event\":\"start\"")).count()
}

//! Unknown versions, bad locations, and what error messages reveal.

mod common;

use std::time::{Duration, Instant};

use common::{Upstream, request, run, run_version};
use kiln_source::{FetchRequest, GitProvider, SourceError, fetch};

fn assert_not_found(up: &Upstream, version: &str) {
    let run = run_version(up, Some(version), Some(1));
    match &run.result {
        Err(SourceError::RefNotFound { version: v, message }) => {
            assert_eq!(v, version);
            assert_eq!(message, &format!("reference not found for primary source and source version {version}"));
        }
        other => panic!("{version}: {other:?}"),
    }
}

#[test]
fn unknown_branch_tag_or_commit_is_ref_not_found() {
    let up = Upstream::new();
    for version in [
        "no-such-branch",
        "refs/heads/no-such-branch",
        "refs/tags/v9.9",
        "pr/8",
        "0000000000000000000000000000000000000001",
        "fedcba9",
    ] {
        assert_not_found(&up, version);
    }
    assert_not_found(&up, &format!("refs/heads/gone^{{{}}}", up.c1));
}

#[test]
fn malformed_versions_are_rejected_before_running_git() {
    let up = Upstream::new();
    for version in ["--upload-pack=touch /tmp/kiln-pwned", "a..b", "main^{abc}"] {
        let run = run_version(&up, Some(version), None);
        assert!(matches!(run.result, Err(SourceError::InvalidVersion(_))), "{version}: {:?}", run.result);
        assert!(run.logs.is_empty());
    }
}

#[test]
fn missing_locations_fail_fast_naming_the_location() {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let not_a_repo = tmp.path().join("empty");
    std::fs::create_dir(&not_a_repo).expect("mkdir");
    let not_a_repo = not_a_repo.to_str().expect("utf-8").to_string();
    for location in
        ["/nonexistent/kiln/repo.git".to_string(), "file:///nonexistent/kiln/repo.git".to_string(), not_a_repo]
    {
        let started = Instant::now();
        let r = run(request(&location, GitProvider::Other, Some("main")));
        let elapsed = started.elapsed();
        match &r.result {
            Err(SourceError::Git { command, stderr }) => {
                assert!(command.contains(&location), "{command}");
                assert!(!stderr.is_empty());
            }
            other => panic!("{location}: {other:?}"),
        }
        assert!(elapsed < Duration::from_secs(30), "{location} took {elapsed:?}");
    }
}

#[test]
fn credentials_in_urls_never_reach_logs_or_errors() {
    // Port 1 on localhost refuses connections at once; no prompt may appear either.
    let location = "https://kiln-user:hunter2@127.0.0.1:1/o/r.git";
    let mut req = request(location, GitProvider::GitHub, None);
    // Shallow: the clone is tried first, and its command line is logged too.
    req.depth = Some(1);
    for key in ["no_proxy", "NO_PROXY"] {
        req.git_env.push((key.into(), "127.0.0.1".into()));
    }
    let started = Instant::now();
    let r = run(req);
    assert!(started.elapsed() < Duration::from_secs(30));
    let err = match &r.result {
        Err(e @ SourceError::Git { .. }) => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(err.contains("https://***@127.0.0.1:1/o/r.git"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!r.logs.is_empty());
    for line in &r.logs {
        assert!(!line.contains("hunter2"), "{line}");
    }
}

#[test]
fn bad_locations_are_rejected() {
    for location in ["", "--upload-pack=evil", "/tmp/a\nb"] {
        let r = run(request(location, GitProvider::Other, None));
        assert!(matches!(r.result, Err(SourceError::Git { .. })), "{location:?}");
        assert!(r.logs.is_empty());
    }
}

#[test]
fn destination_must_be_empty() {
    let up = Upstream::new();
    let tmp = tempfile::TempDir::new().expect("tempdir");
    std::fs::write(tmp.path().join("keep.txt"), "x").expect("write");
    let req = FetchRequest { dest: tmp.path().to_path_buf(), ..request(&up.url(), GitProvider::GitHub, None) };
    match fetch(&req, &mut |_| {}) {
        Err(SourceError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read_to_string(tmp.path().join("keep.txt")).ok().as_deref(), Some("x"));

    // An existing empty directory is fine.
    let empty = tempfile::TempDir::new().expect("tempdir");
    let req =
        FetchRequest { dest: empty.path().to_path_buf(), ..request(&up.url(), GitProvider::GitHub, Some("feature")) };
    let fetched = fetch(&req, &mut |_| {}).expect("fetch");
    assert_eq!(fetched.commit, up.f1);
}

/// Commits whose ids depend only on their (fixed) content; the 5879th and 8126th share the
/// abbreviated id `05a90df`.
fn repo_with_colliding_short_ids(dir: &std::path::Path) {
    use std::io::Write;
    use std::process::{Command, Stdio};

    common::git(dir, &["init", "-q", "-b", "main"]);
    let mut stream = String::new();
    for i in 1..=8126 {
        let msg = format!("c{i}\n");
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter K <k@e> 1700000000 +0000\ndata {}\n{msg}",
            msg.len()
        ));
        if i > 1 {
            stream.push_str(&format!("from :{}\n", i - 1));
        }
        stream.push('\n');
    }
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(["fast-import", "--quiet"])
        .envs(common::isolated_env())
        .stdin(Stdio::piped())
        .spawn()
        .expect("fast-import");
    child.stdin.take().expect("stdin").write_all(stream.as_bytes()).expect("write");
    assert!(child.wait().expect("wait").success());
}

#[test]
fn ambiguous_short_commit_is_invalid_version() {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    repo_with_colliding_short_ids(tmp.path());
    let all = common::git(tmp.path(), &["rev-list", "main"]);
    let matching: Vec<&str> = all.lines().filter(|id| id.starts_with("05a90df")).collect();
    assert_eq!(matching.len(), 2, "fixture no longer collides");

    let location = tmp.path().to_str().expect("utf-8");
    let r = run(request(location, GitProvider::Other, Some("05a90df")));
    match &r.result {
        Err(SourceError::InvalidVersion(msg)) => assert!(msg.contains("ambiguous"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // One more digit is unambiguous.
    let longer = &matching[0][..12];
    let r = run(request(location, GitProvider::Other, Some(longer)));
    assert_eq!(r.fetched().commit, matching[0]);
}

#[test]
fn the_shallow_default_branch_falls_back_to_the_general_path_and_its_errors() {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let empty_repo = tmp.path().join("empty.git");
    common::git(tmp.path(), &["init", "-q", "--bare", empty_repo.to_str().expect("utf-8")]);
    let missing = "file:///nonexistent/kiln/repo.git".to_string();
    for location in [missing, format!("file://{}", empty_repo.display())] {
        let mut shallow = request(&location, GitProvider::Other, None);
        shallow.depth = Some(1);
        let shallow = run(shallow);
        let full = run(request(&location, GitProvider::Other, None));
        // The clone was tried, then the general path ran in the emptied directory and failed
        // as it does without a depth.
        assert!(shallow.logs.iter().any(|l| l.starts_with("git clone")), "{:?}", shallow.logs);
        assert!(shallow.logs.iter().any(|l| l.starts_with("git init")), "{:?}", shallow.logs);
        let (Err(shallow_error), Err(full_error)) = (&shallow.result, &full.result) else {
            panic!("{location}: {:?} / {:?}", shallow.result, full.result);
        };
        assert_eq!(shallow_error.to_string(), full_error.to_string(), "{location}");
    }
}

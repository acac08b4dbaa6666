//! `kiln run`: the real binary building sample directories, no server.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

fn kiln_run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("run")
        .args(["--sandbox", "none"])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("kiln runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Kiln Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const SUCCEEDING: &str = r#"version: 0.2
env:
  variables:
    GREETING: from-buildspec
  exported-variables:
    - VERSION_LABEL
phases:
  build:
    commands:
      - echo "greeting is $GREETING"
      - export VERSION_LABEL="v-$(cat version.txt)"
      - mkdir -p dist && echo "built $(cat version.txt)" > dist/app.txt
      - test ! -e kiln-artifacts
artifacts:
  files:
    - '**/*'
  base-directory: dist
  secondary-artifacts:
    docs:
      files:
        - version.txt
"#;

#[test]
fn a_succeeding_build_prints_exports_and_writes_loose_artifacts() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("myapp");
    write(&dir.join("buildspec.yml"), SUCCEEDING);
    write(&dir.join("version.txt"), "1.2\n");

    // Twice, from inside the directory with the default artifacts dir: the second build must
    // not see the first one's artifacts in its source (`test ! -e kiln-artifacts`).
    for _ in 0..2 {
        let out = kiln_run(&dir, &[]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
        assert!(text.contains("greeting is from-buildspec"), "{text}");
        assert!(text.contains("Build SUCCEEDED"), "{text}");
        assert!(text.contains("VERSION_LABEL=v-1.2"), "{text}");
        assert!(text.contains("UPLOAD_ARTIFACTS"), "{text}");
    }
    let artifacts = dir.join("kiln-artifacts");
    assert_eq!(std::fs::read_to_string(artifacts.join("app.txt")).expect("primary artifact"), "built 1.2\n");
    assert_eq!(std::fs::read_to_string(artifacts.join("docs/version.txt")).expect("secondary artifact"), "1.2\n");
}

#[test]
fn zip_packaging_writes_one_archive_with_the_files() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("zipped");
    write(&dir.join("buildspec.yml"), SUCCEEDING);
    write(&dir.join("version.txt"), "3.0\n");
    let out_dir = work.path().join("out");
    let out = kiln_run(work.path(), &["zipped", "--packaging", "zip", "--artifacts-dir", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let archive = out_dir.join("zipped.zip");
    assert!(stdout(&out).contains(&archive.display().to_string()), "{}", stdout(&out));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&archive).expect("zip written")).expect("a zip");
    let mut text = String::new();
    zip.by_name("app.txt").expect("app.txt in the zip").read_to_string(&mut text).expect("read");
    assert_eq!(text, "built 3.0\n");
    assert!(out_dir.join("docs.zip").is_file());
}

#[test]
fn a_failing_build_exits_1() {
    let work = tempfile::tempdir().expect("tempdir");
    write(
        &work.path().join("buildspec.yml"),
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo about to fail\n      - exit 3\n",
    );
    let out = kiln_run(work.path(), &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));
    assert!(text.contains("about to fail"), "{text}");
    assert!(text.contains("Build FAILED"), "{text}");
    assert!(text.contains("COMMAND_EXECUTION_ERROR") || text.contains("exit status 3"), "{text}");
}

#[test]
fn source_version_builds_that_commit_not_the_working_tree() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    write(
        &dir.join("buildspec.yml"),
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"content=$(cat file.txt)\"\n      - echo \"resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION\"\n      - git rev-parse HEAD\n",
    );
    write(&dir.join("file.txt"), "first");
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "first"]);
    let first = git(dir, &["rev-parse", "HEAD"]);
    write(&dir.join("file.txt"), "second");
    git(dir, &["commit", "-q", "-am", "second"]);
    write(&dir.join("file.txt"), "uncommitted");

    let out = kiln_run(dir, &["--source-version", &first]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("content=first"), "{text}");
    assert!(text.contains(&format!("resolved={first}")), "{text}");
    assert!(text.contains(&format!("(commit {first})")), "{text}");

    // Without it: the working tree as it is, .git included.
    let out = kiln_run(dir, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("content=uncommitted"), "{text}");
}

#[test]
fn env_flags_override_buildspec_variables() {
    let work = tempfile::tempdir().expect("tempdir");
    write(
        &work.path().join("buildspec.yml"),
        "version: 0.2\nenv:\n  variables:\n    A: spec\n    B: spec\nphases:\n  build:\n    commands:\n      - echo \"A=$A B=$B C=$C\"\n",
    );
    let out = kiln_run(work.path(), &["--env", "A=flag", "--env", "C=x=y"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("A=flag B=spec C=x=y"), "{text}");
}

#[test]
fn a_buildspec_file_outside_the_directory_is_used() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("src");
    write(&dir.join("data.txt"), "payload");
    let spec = work.path().join("ci.yml");
    write(
        &spec,
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"got $(cat data.txt) in $CODEBUILD_BUILD_ID\"",
    );
    let out = kiln_run(work.path(), &["src", "--buildspec", "ci.yml", "--project-name", "demo"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("got payload in demo:"), "{text}");
}

#[test]
fn a_missing_buildspec_is_a_clear_error() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = kiln_run(work.path(), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("buildspec.yml does not exist") && err.contains("--buildspec"), "{err}");

    let out = kiln_run(work.path(), &["--buildspec", "nope.yml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nope.yml"), "{err}");
}

#[test]
fn secret_variables_fail_download_source_naming_them() {
    let work = tempfile::tempdir().expect("tempdir");
    write(
        &work.path().join("buildspec.yml"),
        "version: 0.2\nenv:\n  parameter-store:\n    DB_PASSWORD: /prod/db\nphases:\n  build:\n    commands:\n      - echo never\n",
    );
    let out = kiln_run(work.path(), &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));
    assert!(text.contains("DB_PASSWORD (parameter-store /prod/db)"), "{text}");
    assert!(!text.contains("\nnever"), "{text}");

    // A value given with --env replaces the lookup.
    let out = kiln_run(work.path(), &["--env", "DB_PASSWORD=local"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
}

//! Test harness: a real `kiln serve` whose git fetches CodeCommit URLs from local repositories,
//! git repositories to push to, recorded event fixtures, and an SDK client for checking builds.
#![allow(dead_code)]

pub mod runtime_api;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_codebuild::types::{
    ArtifactsType, Build, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment, ProjectSource, SourceType,
};

/// The CodeCommit clone URL of `repository` in us-east-1.
pub fn codecommit_url(repository: &str) -> String {
    format!("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/{repository}")
}

/// The kiln binary: $KILN_BIN, else the one in this test's target dir (`cargo build -p kiln`).
fn kiln_exe() -> PathBuf {
    if let Some(path) = std::env::var_os("KILN_BIN") {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/<this test> → target/<profile>/kiln
    let exe = std::env::current_exe().expect("current exe");
    let path = exe.parent().and_then(Path::parent).expect("target dir").join("kiln");
    assert!(path.exists(), "{} does not exist: run `cargo build -p kiln` first, or set KILN_BIN", path.display());
    path
}

pub struct Server {
    child: Child,
    pub endpoint: String,
    _tmp: tempfile::TempDir,
}

impl Server {
    /// Starts `kiln serve` on a free port; git sees only a gitconfig in which each
    /// `(repository, local path)` answers for that repository's CodeCommit URL.
    pub fn start(repos: &[(&str, &Path)]) -> Server {
        Server::start_with_env(repos, &[])
    }

    /// As [`Server::start`], with extra environment (e.g. the keys requests must be signed with).
    pub fn start_with_env(repos: &[(&str, &Path)], env: &[(&str, &str)]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut gitconfig = String::from("[protocol \"file\"]\n\tallow = always\n");
        for (name, path) in repos {
            gitconfig.push_str(&format!("[url \"{}\"]\n\tinsteadOf = {}\n", path.display(), codecommit_url(name)));
        }
        let gitconfig_path = tmp.path().join("gitconfig");
        std::fs::write(&gitconfig_path, gitconfig).expect("write gitconfig");
        let mut child = Command::new(kiln_exe())
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(tmp.path().join("data"))
            .env_remove("KILN_ACCESS_KEY_ID")
            .env_remove("KILN_SECRET_ACCESS_KEY")
            .env("GIT_CONFIG_GLOBAL", &gitconfig_path)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("start kiln");
        let stdout = child.stdout.take().expect("stdout");
        let line = BufReader::new(stdout).lines().next().expect("kiln printed nothing").expect("read stdout");
        let endpoint = line.strip_prefix("kiln listening on ").expect("listening line").to_string();
        Server { child, endpoint, _tmp: tmp }
    }

    /// A CodeBuild client with explicit settings (the handler tests do not touch the environment).
    pub fn client(&self) -> Client {
        self.client_with("AKIDTEST", "secret")
    }

    /// A client signing with the given keys.
    pub fn client_with(&self, key: &str, secret: &str) -> Client {
        let conf = aws_sdk_codebuild::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .build();
        Client::from_conf(conf)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A git repository in a temporary directory, on branch `main`.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        let repo = Repo { dir: tempfile::tempdir().expect("tempdir") };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "user.name", "Test"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Writes files and commits them; returns the commit id.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (name, content) in files {
            std::fs::write(self.path().join(name), content).expect("write");
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

/// A buildspec that exports what the build saw: the file `message.txt` and the trigger variables.
pub const BUILDSPEC: &str = "version: 0.2
env:
  exported-variables: [MESSAGE, KILN_TRIGGER_REPOSITORY, KILN_TRIGGER_REF, KILN_TRIGGER_EVENT]
phases:
  build:
    commands:
      - MESSAGE=$(cat message.txt)
      - echo \"built $CODEBUILD_RESOLVED_SOURCE_VERSION\"
";

/// CreateProject with a CodeCommit source whose buildspec lives in the repository.
pub async fn create_project(cb: &Client, name: &str, repository: &str) {
    cb.create_project()
        .name(name)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::Codecommit)
                .location(codecommit_url(repository))
                .build()
                .expect("source"),
        )
        .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build().expect("artifacts"))
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .expect("environment"),
        )
        .service_role("arn:aws:iam::000000000000:role/codebuild")
        .send()
        .await
        .expect("create project");
}

/// Polls BatchGetBuilds until the build completes.
pub async fn wait_complete(cb: &Client, id: &str) -> Build {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = cb.batch_get_builds().ids(id).send().await.expect("batch get builds");
        let build = out.builds().first().cloned().expect("build exists");
        if build.build_complete() {
            return build;
        }
        assert!(Instant::now() < deadline, "build {id} did not complete");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The build's exported variables as (name, value) pairs.
pub fn exported(build: &Build) -> Vec<(String, String)> {
    build
        .exported_environment_variables()
        .iter()
        .map(|v| (v.name().unwrap_or_default().to_string(), v.value().unwrap_or_default().to_string()))
        .collect()
}

pub fn exported_value(build: &Build, name: &str) -> Option<String> {
    exported(build).into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// All build ids of a project.
pub async fn builds_of(cb: &Client, project: &str) -> Vec<String> {
    let out = cb.list_builds_for_project().project_name(project).send().await.expect("list builds");
    out.ids().to_vec()
}

/// A recorded event from tests/fixtures with `${NAME}` placeholders filled in.
pub fn fixture(file: &str, values: &[(&str, &str)]) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(file);
    let mut text = std::fs::read_to_string(&path).expect("read fixture");
    for (name, value) in values {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    assert!(!text.contains("${"), "{file}: a placeholder was left unfilled");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A configuration from literal variables.
pub fn config(vars: &[(&str, &str)]) -> kiln_lambda::Config {
    kiln_lambda::Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
        .expect("config")
}

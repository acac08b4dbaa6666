//! Command-line interface: `kiln serve`, `kiln logs`, and the hidden `kiln agent`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::default_data_dir;

// The client commands: start-build, builds, projects, completions.
mod builds;
mod client;
pub mod commands;
mod completions;
mod credentials;
mod exit;
mod follow;
mod output;
mod progress;
mod projects;
mod start_build;

/// Kiln: a self-hosted build service that speaks the AWS CodeBuild API.
#[derive(Debug, Parser)]
#[command(name = "kiln", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Kiln service (CodeBuild API, CloudWatch Logs API, builds) on an embedded store.
    // Boxed: its many flags would make every other command as large.
    Serve(Box<ServeArgs>),
    /// Print a build's log; with --follow, keep printing until the build ends.
    Logs(LogsArgs),
    #[command(flatten)]
    Client(commands::ClientCommand),
    /// Build a local directory once with its buildspec, without a server; exits 0 when the
    /// build SUCCEEDED, 1 when it FAILED, 2 when it could not start, 3 when the agent broke.
    Run(crate::run_local::RunArgs),
    /// Git hooks that publish pushes as CodeCommit repository events (`kiln hook install <repo>`).
    #[command(subcommand)]
    Hook(crate::hook::HookCommand),
    /// The build agent (started by the server for each build).
    #[command(hide = true)]
    Agent {
        /// `outer` (source, buildspec, sandbox), `inner` (the phases, inside the sandbox), or
        /// `hash-files` (the build's `codebuild-hash-files`).
        stage: String,
        /// The job file; for `hash-files`, the glob patterns.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// The default listen address: loopback, port 7171.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7171";

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KILN_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Where the store, and the builds' working directories, live.
    /// Default: $XDG_DATA_HOME/kiln, or ~/.local/share/kiln.
    #[arg(long, env = "KILN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The AWS region Kiln answers as.
    #[arg(long, env = "KILN_REGION", default_value = "us-east-1")]
    pub region: String,
    /// The AWS account id Kiln answers as.
    #[arg(long, env = "KILN_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,
    /// Builds that run at once (default: the number of CPUs). More are queued.
    #[arg(long, env = "KILN_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Builds that may wait in the queue before StartBuild answers AccountLimitExceededException
    /// (default: five times the concurrency, as in CodeBuild).
    #[arg(long, env = "KILN_MAX_QUEUED_BUILDS")]
    pub max_queued_builds: Option<usize>,
    /// Sandbox for build phases: auto (bubblewrap when it works), bwrap, or none.
    #[arg(long, env = "KILN_SANDBOX", default_value = "auto")]
    pub sandbox: String,
    /// Seconds between SIGTERM and SIGKILL when a build is stopped or times out.
    #[arg(long, env = "KILN_STOP_GRACE_SECONDS", default_value_t = 5.0)]
    pub stop_grace_seconds: f64,
    /// How many nice(1) steps builds run below the server (0 to 19; 0: the same priority).
    /// Below it, the API and the scheduler answer promptly while builds use every core.
    #[arg(long, env = "KILN_BUILD_NICE", default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=19))]
    pub build_nice: u8,
    /// An AWS-style credentials file ([default] aws_access_key_id / aws_secret_access_key)
    /// holding the keys requests must be signed with. KILN_ACCESS_KEY_ID and
    /// KILN_SECRET_ACCESS_KEY do the same.
    #[arg(long, env = "KILN_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,
    /// An S3-compatible endpoint (http(s)://host:port) to keep artifacts, caches and S3 sources
    /// in, instead of `<data-dir>/objects`; Kiln's own S3 API then serves it too. Its keys come
    /// from KILN_OBJECT_STORE_ACCESS_KEY_ID, KILN_OBJECT_STORE_SECRET_ACCESS_KEY and
    /// KILN_OBJECT_STORE_SESSION_TOKEN.
    #[arg(long, env = "KILN_OBJECT_STORE_ENDPOINT")]
    pub object_store_endpoint: Option<String>,
    /// The object store's region (default: --region).
    #[arg(long, env = "KILN_OBJECT_STORE_REGION")]
    pub object_store_region: Option<String>,
    /// The URL GitHub, GitLab and Bitbucket reach this server at: webhooks' payload URLs start
    /// with it (default: http://<the address it listens on>).
    #[arg(long, env = "KILN_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// A remote to poll with `git ls-remote`, as NAME=URL (repeatable; KILN_WATCH_REPOS takes a
    /// comma-separated list): its branch and tag changes publish CodeCommit repository events
    /// for repository NAME. The first poll after a start only records the refs.
    #[arg(long = "watch-repo", env = "KILN_WATCH_REPOS", value_delimiter = ',', value_name = "NAME=URL")]
    pub watch_repos: Vec<String>,
    /// Seconds between polls of the --watch-repo remotes.
    #[arg(long, env = "KILN_WATCH_INTERVAL_SECONDS", default_value_t = 60.0)]
    pub watch_interval_seconds: f64,
    /// Also deliver every repository change as a CodeCommit trigger record (JSON POSTed to this
    /// http:// URL, as triggers deliver to Lambda and SNS).
    #[arg(long, env = "KILN_CODECOMMIT_TRIGGER_URL")]
    pub codecommit_trigger_url: Option<String>,
    /// For tests: how many seconds a "minute" of the build and queued timeouts lasts.
    #[arg(long, env = "KILN_MINUTE_SECONDS", default_value_t = 60.0, hide = true)]
    pub minute_seconds: f64,
    /// The server log on stderr: text, or json (one object per line, for log shippers).
    #[arg(long, env = "KILN_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: crate::logging::LogFormat,
}

impl ServeArgs {
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(default_data_dir)
    }
}

#[derive(Debug, Args, Clone)]
pub struct LogsArgs {
    /// The build id (`<project>:<uuid>`) or ARN.
    pub build_id: String,
    /// Keep printing new lines until the build ends.
    #[arg(long, short)]
    pub follow: bool,
    /// The Kiln endpoint.
    #[arg(long, env = "KILN_ENDPOINT", default_value = "http://127.0.0.1:7171")]
    pub endpoint: String,
}

pub async fn logs(args: LogsArgs) -> anyhow::Result<()> {
    crate::server::client::print_logs(&args.endpoint, &args.build_id, args.follow).await
}

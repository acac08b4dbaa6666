//! `kiln hook`: git hooks that turn pushes into CodeCommit-style repository events.
//!
//! `post-receive` runs inside a repository Kiln's users host (git feeds it `<old> <new> <ref>`
//! lines) and publishes one "CodeCommit Repository State Change" event per branch or tag to a
//! Kiln endpoint with PutEvents; `install` writes that hook into a repository.

mod git;
mod install;
mod put_events;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use kiln_triggers::codecommit::{self, RefChange, Repository, StateChange};

pub use install::install;

/// The endpoint a hook publishes to when neither `--endpoint` nor KILN_ENDPOINT says.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:7171";

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Git's post-receive hook: reads `<old> <new> <ref>` lines on stdin and publishes a
    /// CodeCommit Repository State Change event per branch or tag to Kiln (PutEvents).
    PostReceive(PostReceiveArgs),
    /// Installs the post-receive hook into a repository (bare or not), calling this kiln binary.
    Install(InstallArgs),
}

#[derive(Debug, Args)]
pub struct PostReceiveArgs {
    /// The Kiln endpoint to publish to.
    #[arg(long, env = "KILN_ENDPOINT", default_value = DEFAULT_ENDPOINT)]
    pub endpoint: String,
    /// The repository name in events (default: the repository directory's name without `.git`).
    #[arg(long)]
    pub repository_name: Option<String>,
    /// The region in the repository ARN (Kiln's --region).
    #[arg(long, env = "KILN_REGION", default_value = "us-east-1")]
    pub region: String,
    /// The account id in the repository ARN (Kiln's --account-id).
    #[arg(long, env = "KILN_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,
    /// How long each request to Kiln may take before the hook gives up (the push itself has
    /// already succeeded; the hook only holds up the pusher's terminal).
    #[arg(long, default_value_t = 10.0)]
    pub timeout_seconds: f64,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The repository: a bare repository's directory, or a working tree.
    pub repository: PathBuf,
    /// The Kiln endpoint the hook publishes to (default: KILN_ENDPOINT when the hook runs, else
    /// http://127.0.0.1:7171).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The repository name in events (default: the directory's name without `.git`, when the
    /// hook runs).
    #[arg(long)]
    pub repository_name: Option<String>,
    /// Replace a post-receive hook that Kiln did not write.
    #[arg(long)]
    pub force: bool,
}

pub async fn run(command: HookCommand) -> anyhow::Result<()> {
    match command {
        HookCommand::PostReceive(args) => post_receive(args).await,
        HookCommand::Install(args) => install(&args),
    }
}

async fn post_receive(args: PostReceiveArgs) -> anyhow::Result<()> {
    let input = std::io::read_to_string(std::io::stdin()).context("reading the hook's input")?;
    let changes = codecommit::post_receive::parse(&input).context("git's post-receive input")?;
    let git_dir = git::absolute_git_dir().context("finding the repository the hook runs in")?;
    let repo = repository(args.repository_name.as_deref(), &git_dir, &args.region, &args.account_id)?;
    let caller = caller_user_arn(&args.account_id);
    let events: Vec<(RefChange, StateChange)> = changes
        .into_iter()
        .filter_map(|c| git::peel_tags(&git_dir, c))
        .filter_map(|c| StateChange::new(&repo, &c, caller.as_deref()).map(|e| (c, e)))
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    let timeout = Duration::from_secs_f64(args.timeout_seconds.clamp(0.1, 3600.0));
    let entries: Vec<_> = events.iter().map(|(_, e)| e.put_events_entry()).collect();
    let results = put_events::publish(&args.endpoint, &entries, timeout).await.with_context(|| {
        format!(
            "could not publish {} repository event(s) for {} to Kiln at {} (the push itself succeeded)",
            entries.len(),
            repo.name(),
            args.endpoint
        )
    })?;
    let mut failed = 0;
    for ((change, event), result) in events.iter().zip(&results) {
        let what = format!("{} {}", event.detail()["event"].as_str().unwrap_or("event"), change.full_name());
        match result {
            Ok(id) => eprintln!("kiln: {what} published to {} (event {id})", args.endpoint),
            Err(e) => {
                failed += 1;
                eprintln!("kiln: {what} was not published: {e}");
            }
        }
    }
    anyhow::ensure!(failed == 0, "{failed} of {} repository event(s) were not published", results.len());
    Ok(())
}

/// The repository events are about: named by the flag, else by the git directory.
fn repository(
    name: Option<&str>,
    git_dir: &std::path::Path,
    region: &str,
    account: &str,
) -> anyhow::Result<Repository> {
    let name = match name {
        Some(n) => n.to_string(),
        None => codecommit::name_from_git_dir(git_dir)
            .with_context(|| format!("cannot name the repository at {}: pass --repository-name", git_dir.display()))?,
    };
    Repository::new(&name, region, account).map_err(|e| anyhow::anyhow!("{e}; pass --repository-name"))
}

/// Who pushed, as CodeCommit's `callerUserArn`: the user the hook runs as, when that is a
/// valid IAM user name.
fn caller_user_arn(account: &str) -> Option<String> {
    let user = std::env::var("USER").ok()?;
    let valid =
        (1..=64).contains(&user.len()) && user.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    valid.then(|| format!("arn:aws:iam::{account}:user/{user}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn repository_names_come_from_the_flag_or_the_directory() {
        let r = repository(None, Path::new("/srv/git/MyRepo.git"), "us-east-1", "1").unwrap();
        assert_eq!(r.arn(), "arn:aws:codecommit:us-east-1:1:MyRepo");
        let r = repository(Some("Other"), Path::new("/srv/git/MyRepo.git"), "us-east-1", "1").unwrap();
        assert_eq!(r.name(), "Other");
        let err = repository(None, Path::new("/srv/git/my repo.git"), "us-east-1", "1").unwrap_err().to_string();
        assert!(
            err.contains("\"my repo\" is not a valid repository name") && err.contains("--repository-name"),
            "{err}"
        );
    }
}

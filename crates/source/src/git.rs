//! Running the git CLI non-interactively, with the caller's extra environment, logging what
//! ran and redacting credentials.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::SourceError;
use crate::redact::redact_urls;

/// Inherited variables that would point git at some other repository than ours.
const REPO_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
];

/// Result of one git invocation.
pub(crate) struct Outcome {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A git runner bound to one working directory.
pub(crate) struct Git<'a> {
    cwd: PathBuf,
    env: &'a [(String, String)],
    ssh_command: Option<&'static str>,
    log: &'a mut dyn FnMut(&str),
}

impl<'a> Git<'a> {
    pub fn new(cwd: &Path, env: &'a [(String, String)], log: &'a mut dyn FnMut(&str)) -> Self {
        Git { cwd: cwd.to_path_buf(), env, ssh_command: None, log }
    }

    /// Forces ssh into batch mode (no password or host-key prompts). Only used when the
    /// user configured no ssh command of their own, so their configuration still wins.
    pub fn use_batch_ssh(&mut self) {
        self.ssh_command = Some("ssh -o BatchMode=yes");
    }

    /// Emits a line to the build log.
    pub fn log(&mut self, line: &str) {
        (self.log)(&redact_urls(line));
    }

    /// Whether `name` is set in the environment git will see.
    pub fn env_is_set(&self, name: &str) -> bool {
        self.env.iter().any(|(k, _)| k == name) || std::env::var_os(name).is_some()
    }

    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.cwd).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for name in REPO_ENV {
            cmd.env_remove(name);
        }
        // Never wait for a human: no terminal prompts, an askpass that answers nothing,
        // no Git Credential Manager dialogs. Credential helpers from the user's config
        // still run, which is how non-interactive auth is meant to work.
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "true")
            .env("GCM_INTERACTIVE", "never")
            // Error texts are matched below; keep them untranslated.
            .env("LC_ALL", "C")
            .env_remove("LANGUAGE");
        if let Some(ssh) = self.ssh_command {
            cmd.env("GIT_SSH_COMMAND", ssh);
        }
        for (key, value) in self.env {
            cmd.env(key, value);
        }
        cmd
    }

    /// Runs git and returns its outcome whatever the exit status.
    pub fn exec<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Outcome, SourceError> {
        let output =
            self.command(args).output().map_err(|e| std::io::Error::new(e.kind(), format!("cannot run git: {e}")))?;
        Ok(Outcome {
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Logs and runs git; a non-zero exit becomes [`SourceError::Git`].
    pub fn run(&mut self, args: &[&str]) -> Result<Outcome, SourceError> {
        let display = display(args);
        self.run_as(&display, args)
    }

    /// Like [`Git::run`], but logs and reports the command as `display`.
    pub fn run_as(&mut self, display: &str, args: &[&str]) -> Result<Outcome, SourceError> {
        self.log(display);
        let outcome = self.exec(args)?;
        if outcome.success { Ok(outcome) } else { Err(failure(display, &outcome)) }
    }

    /// Runs a read-only query without logging; `None` if git exits non-zero.
    pub fn probe(&self, args: &[&str]) -> Result<Option<String>, SourceError> {
        let outcome = self.exec(args)?;
        Ok(outcome.success.then(|| outcome.stdout.trim().to_string()))
    }
}

/// `git <args>` with credentials redacted.
pub(crate) fn display(args: &[&str]) -> String {
    redact_urls(&format!("git {}", args.join(" ")))
}

/// The error for a failed command.
pub(crate) fn failure(display: &str, outcome: &Outcome) -> SourceError {
    let mut stderr = redact_urls(outcome.stderr.trim());
    if stderr.is_empty() {
        stderr = match outcome.code {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_string(),
        };
    }
    SourceError::Git { command: redact_urls(display), stderr }
}

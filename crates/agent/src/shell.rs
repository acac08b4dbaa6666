//! Runs buildspec commands one at a time with CodeBuild's shell semantics.
//!
//! Each command entry runs as its own script (`<shell> <script>`), never in one long-lived shell.
//! With buildspec 0.2 the working directory and all shell variables (exported or not) carry over
//! to later commands and phases; functions, aliases, arrays and shell options (`set -e`) do not.
//! An `EXIT` trap installed by a prologue dumps the state after the command, so `exit N` still
//! keeps everything set before it. With 0.1 every command starts from the initial state.

mod output;
mod script;
mod state;

use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

pub use output::{LEAK_TIMEOUT, MAX_LINE_BYTES};

/// Receives the merged stdout/stderr of commands as blocks of whole lines, each line ending
/// with `\n` (one is added to an unterminated last line), the lines of each read together.
/// Output of background processes may keep arriving after [`ShellSession::run`] returns.
pub type OutputSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The shell that runs buildspec commands (`env.shell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShellKind {
    /// `/bin/sh` (dash on Debian/Ubuntu images): CodeBuild's default on Linux.
    #[default]
    Sh,
    /// `bash`.
    Bash,
}

impl ShellKind {
    /// Parses a buildspec `env.shell` value; `None` for shells Kiln does not support
    /// (e.g. `powershell.exe`).
    pub fn from_buildspec(value: &str) -> Option<Self> {
        match value.trim() {
            "sh" | "/bin/sh" | "/usr/bin/sh" => Some(Self::Sh),
            "bash" | "/bin/bash" | "/usr/bin/bash" => Some(Self::Bash),
            _ => None,
        }
    }

    /// The program to start. Bash is looked up on the command's `PATH` when `/bin/bash` is missing.
    pub fn program(self) -> &'static str {
        match self {
            Self::Sh => "/bin/sh",
            Self::Bash if Path::new("/bin/bash").exists() => "/bin/bash",
            Self::Bash => "bash",
        }
    }
}

/// A sequence of buildspec commands sharing shell state.
#[derive(Debug)]
pub struct ShellSession {
    kind: ShellKind,
    carry_state: bool,
    vars: state::Vars,
    initial_cwd: PathBuf,
    cwd: PathBuf,
    state_dir: PathBuf,
    epilogue_written: bool,
    /// A command the shell runs under (`run-as`: see `crate::run_as`); empty for none.
    wrapper: Vec<String>,
}

const SCRIPT_FILE: &str = "script.sh";
const PROLOGUE_FILE: &str = "kiln-prologue.sh";
const EPILOGUE_FILE: &str = "kiln-epilogue.sh";

impl ShellSession {
    /// `env` is the initial (exported) environment and `cwd` the initial working directory.
    /// `state_dir` is a private directory for the scripts and state dumps (created on first use,
    /// mode 0700). `carry_state: false` gives buildspec 0.1 semantics.
    pub fn new(
        kind: ShellKind,
        mut env: BTreeMap<String, String>,
        cwd: PathBuf,
        state_dir: PathBuf,
        carry_state: bool,
    ) -> Self {
        // The shell gets PWD from the session's working directory.
        env.remove("PWD");
        Self {
            kind,
            carry_state,
            vars: state::Vars { exported: env, locals: BTreeMap::new() },
            initial_cwd: cwd.clone(),
            cwd,
            state_dir,
            epilogue_written: false,
            wrapper: Vec::new(),
        }
    }

    /// Runs the following commands under `wrapper` (a program and its arguments, given the
    /// working directory with `--chdir`); an empty one runs them directly.
    pub fn set_wrapper(&mut self, wrapper: Vec<String>) {
        self.wrapper = wrapper;
    }

    /// Runs one command (possibly a multi-line block) and returns its exit status (128+signal if
    /// the shell was killed). stdout and stderr go, merged in order, to `output`. `extra_env`
    /// overrides variables for this command only, without being saved as state.
    pub fn run(&mut self, command: &str, extra_env: &[(String, String)], output: &OutputSink) -> io::Result<i32> {
        self.prepare()?;
        self.check_cwd(output);
        let script_path = self.write_scripts(command, extra_env)?;
        let mut cmd = match self.wrapper.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg("--chdir").arg(&self.cwd).arg("--").arg(self.kind.program());
                cmd
            }
            None => Command::new(self.kind.program()),
        };
        cmd.arg(&script_path)
            .env_clear()
            .envs(&self.vars.exported)
            .env("PWD", &self.cwd)
            .envs(extra_env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd);
        let status = output::run_with_output(cmd, output);
        // The prologue holds variable values, possibly secrets: keep them on disk only briefly.
        let _ = std::fs::remove_file(&script_path);
        let _ = std::fs::remove_file(self.state_dir.join(PROLOGUE_FILE));
        let status = status?;
        if self.carry_state {
            self.absorb_dump(extra_env)?;
        }
        Ok(status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(-1))
    }

    /// `text` as the shell expands it with the session's state (`$VAR`, `$(command)`), as
    /// CodeBuild evaluates `artifacts.name`: an unquoted here-document expands exactly those and
    /// keeps every quote. Errors of the expansion are dropped; a failed expansion gives `None`.
    pub fn expand(&mut self, text: &str) -> io::Result<Option<String>> {
        let mut delimiter = "KILN_EXPAND_END".to_string();
        while text.lines().any(|line| line == delimiter) {
            delimiter.push('_');
        }
        let command = format!("{{ cat <<{delimiter}\n{text}\n{delimiter}\n}} 2>/dev/null");
        let output = Arc::new(std::sync::Mutex::new(String::new()));
        let sink: OutputSink = {
            let output = output.clone();
            Arc::new(move |lines: &str| {
                if let Ok(mut kept) = output.lock() {
                    kept.push_str(lines);
                }
            })
        };
        let status = self.run(&command, &[], &sink)?;
        let expanded =
            output.lock().map(|kept| kept.strip_suffix('\n').unwrap_or(&kept).to_string()).unwrap_or_default();
        Ok((status == 0).then_some(expanded))
    }

    /// A shell variable's value, exported or not (for `env.exported-variables`).
    pub fn var(&self, name: &str) -> Option<&str> {
        if name == "PWD" {
            return self.cwd.to_str();
        }
        self.vars.exported.get(name).or_else(|| self.vars.locals.get(name)).map(String::as_str)
    }

    /// The exported variables: the next command's process environment (besides `PWD`).
    pub fn exported(&self) -> &BTreeMap<String, String> {
        &self.vars.exported
    }

    /// Unexported shell variables carried to the next command.
    pub fn locals(&self) -> &BTreeMap<String, String> {
        &self.vars.locals
    }

    /// The working directory of the next command (the logical path, as `pwd` shows it).
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// Sets an exported variable for all later commands (e.g. `CODEBUILD_*` between phases).
    pub fn set_exported(&mut self, name: &str, value: &str) {
        self.vars.locals.remove(name);
        self.vars.exported.insert(name.to_string(), value.to_string());
    }

    fn prepare(&mut self) -> io::Result<()> {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.state_dir)?;
        if self.carry_state && !self.epilogue_written {
            let path = self.state_dir.join(EPILOGUE_FILE);
            write_private(&path, &script::epilogue(&self.state_dir))?;
            self.epilogue_written = true;
        }
        Ok(())
    }

    /// Writes the script for `command` (and, for 0.2, its prologue) and returns the script's path.
    fn write_scripts(&self, command: &str, extra_env: &[(String, String)]) -> io::Result<PathBuf> {
        let script_path = self.state_dir.join(SCRIPT_FILE);
        if !self.carry_state {
            write_private(&script_path, &script::command_script(command, None))?;
            return Ok(script_path);
        }
        state::clear_markers(&self.state_dir)?;
        let epilogue = self.state_dir.join(EPILOGUE_FILE);
        let prologue = self.state_dir.join(PROLOGUE_FILE);
        // A per-command override also hides a carried-over local of the same name.
        let locals = self.vars.locals.iter().filter(|(name, _)| !extra_env.iter().any(|(n, _)| n == *name));
        write_private(&prologue, &script::prologue(&epilogue, locals))?;
        write_private(&script_path, &script::command_script(command, Some((&prologue, &epilogue))))?;
        Ok(script_path)
    }

    /// Takes over the state the epilogue dumped, if it ran to the end.
    fn absorb_dump(&mut self, extra_env: &[(String, String)]) -> io::Result<()> {
        let dump = state::read_dump(&self.state_dir);
        state::remove_dump(&self.state_dir);
        if let Some(dump) = dump? {
            self.vars = self.vars.merge(&dump, extra_env);
            if let Some(cwd) = dump.cwd {
                self.cwd = cwd;
            }
        }
        Ok(())
    }

    /// A command may have removed its own working directory; later ones start over in the
    /// initial directory.
    fn check_cwd(&mut self, output: &OutputSink) {
        if self.cwd != self.initial_cwd && !self.cwd.is_dir() {
            output(&format!(
                "[Kiln] Working directory {} no longer exists; running in {}\n",
                self.cwd.display(),
                self.initial_cwd.display()
            ));
            self.cwd = self.initial_cwd.clone();
        }
    }
}

/// Replaces `path` with a new owner-only file (a new inode, so nothing still reading the old one
/// sees the change).
fn write_private(path: &Path, text: &str) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    io::Write::write_all(&mut file, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_kind_from_buildspec() {
        assert_eq!(ShellKind::from_buildspec("bash"), Some(ShellKind::Bash));
        assert_eq!(ShellKind::from_buildspec("/bin/bash"), Some(ShellKind::Bash));
        assert_eq!(ShellKind::from_buildspec(" /bin/sh "), Some(ShellKind::Sh));
        assert_eq!(ShellKind::from_buildspec("sh"), Some(ShellKind::Sh));
        assert_eq!(ShellKind::from_buildspec("powershell.exe"), None);
        assert_eq!(ShellKind::default(), ShellKind::Sh);
    }
}

//! The sandbox around the build phases: bubblewrap with the host filesystem read-only, the
//! build's directory writable, a private /tmp, the data dir hidden, and the host network (as in
//! CodeBuild). Without bubblewrap, the phases run as a plain child process.
//!
//! The private /tmp is a directory of the build ([`TMP_DIR`]), so the outer stage can reach
//! everything a build can write (to cache it) and it goes away with the build.

use std::path::Path;
use std::process::Command;

use crate::protocol::Job;

pub const BWRAP: &str = "bwrap";

/// The build directory's subdirectory that is the sandbox's `/tmp`.
pub const TMP_DIR: &str = "sandbox-tmp";

/// The server's own credentials and the object store's. Only the outer stage uses the object
/// store, and a build could read the sandboxed agent's `/proc/<pid>/environ`.
pub const SERVER_SECRET_VARS: &[&str] = &[
    "KILN_ACCESS_KEY_ID",
    "KILN_SECRET_ACCESS_KEY",
    "KILN_CREDENTIALS_FILE",
    crate::objects::ACCESS_KEY_ID,
    crate::objects::SECRET_ACCESS_KEY,
    crate::objects::SESSION_TOKEN,
];

/// Names the server's credentials file, which the sandbox covers with an empty file.
pub const CREDENTIALS_FILE_VAR: &str = "KILN_CREDENTIALS_FILE";

/// Whether bubblewrap can be started on this machine.
pub fn bwrap_available() -> bool {
    Command::new(BWRAP)
        .args(["--ro-bind", "/", "/", "true"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub fn describe(sandboxed: bool) -> &'static str {
    if sandboxed { "sandbox: bubblewrap" } else { "sandbox: none" }
}

/// The command that runs `kiln agent inner <job_file>`.
pub fn command(job: &Job, exe: &Path, job_file: &Path) -> Command {
    if !job.sandbox {
        // No isolation without bubblewrap, but the phases still get no server secrets to read.
        let mut c = Command::new(exe);
        c.arg("agent").arg("inner").arg(job_file);
        for name in SERVER_SECRET_VARS {
            c.env_remove(name);
        }
        return c;
    }
    let mut c = Command::new(BWRAP);
    c.args(["--die-with-parent", "--unshare-all", "--share-net"]);
    // Run as root, the build keeps capabilities inside the sandbox; without this one it cannot
    // open the (non-dumpable) agent's descriptors through /proc (see `crate::inner::run`).
    c.args(["--cap-drop", "CAP_SYS_PTRACE"]);
    c.args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
    // Before the binds below: a build directory under /tmp is mounted over this one.
    c.arg("--bind").arg(job.build_dir.join(TMP_DIR)).arg("/tmp");
    for hidden in &job.hidden_paths {
        c.arg("--tmpfs").arg(hidden);
    }
    if let Some(file) = credentials_file() {
        c.arg("--ro-bind").arg("/dev/null").arg(file);
    }
    for name in SERVER_SECRET_VARS {
        c.env_remove(name);
    }
    c.arg("--bind").arg(&job.build_dir).arg(&job.build_dir);
    // The agent binary itself may live under a path hidden above (a checkout in /tmp, say).
    c.arg("--ro-bind").arg(exe).arg(exe);
    c.arg("--chdir").arg(job.build_dir.join("src"));
    c.arg("--").arg(exe).arg("agent").arg("inner").arg(job_file);
    c
}

/// The server's credentials file as the sandbox would see it (symlinks resolved), if any.
fn credentials_file() -> Option<std::path::PathBuf> {
    let named = std::env::var_os(CREDENTIALS_FILE_VAR).filter(|v| !v.is_empty())?;
    std::fs::canonicalize(named).ok()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::path::Path;

    use super::{SERVER_SECRET_VARS, command};
    use crate::protocol::Job;

    #[test]
    fn the_sandboxed_agent_starts_without_the_server_credentials() {
        let job = Job { sandbox: true, ..Job::default() };
        let c = command(&job, Path::new("/usr/bin/kiln"), Path::new("/b/job.json"));
        let removed: Vec<&OsStr> = c.get_envs().filter(|(_, v)| v.is_none()).map(|(k, _)| k).collect();
        for name in SERVER_SECRET_VARS {
            assert!(removed.contains(&OsStr::new(name)), "{name} reaches the sandbox");
        }
        assert!(SERVER_SECRET_VARS.contains(&"KILN_OBJECT_STORE_SECRET_ACCESS_KEY"));
    }
}

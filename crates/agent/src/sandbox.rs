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
        let mut c = Command::new(exe);
        c.arg("agent").arg("inner").arg(job_file);
        return c;
    }
    let mut c = Command::new(BWRAP);
    c.args(["--die-with-parent", "--unshare-all", "--share-net"]);
    c.args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
    // Before the binds below: a build directory under /tmp is mounted over this one.
    c.arg("--bind").arg(job.build_dir.join(TMP_DIR)).arg("/tmp");
    for hidden in &job.hidden_paths {
        c.arg("--tmpfs").arg(hidden);
    }
    c.arg("--bind").arg(&job.build_dir).arg(&job.build_dir);
    // The agent binary itself may live under a path hidden above (a checkout in /tmp, say).
    c.arg("--ro-bind").arg(exe).arg(exe);
    c.arg("--chdir").arg(job.build_dir.join("src"));
    c.arg("--").arg(exe).arg("agent").arg("inner").arg(job_file);
    c
}

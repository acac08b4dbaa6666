//! Handing open files from the outer stage to the inner one across `exec` (and bubblewrap),
//! by descriptor number: the spool file, which lives in the data dir the sandbox hides, and
//! the pipe the inner stage's events go out on, which must not be the sandbox's stdout (the
//! sandbox's own process 1 keeps its stdio open, and the build can reach that through /proc).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};

/// Outer stage: leaves `file` open across `exec` and returns its number, for the inner
/// stage's job. Drop `file` once the inner stage is started.
pub fn pass_on(file: &impl AsFd) -> io::Result<i32> {
    fcntl(file, FcntlArg::F_SETFD(FdFlag::empty())).map_err(io::Error::from)?;
    Ok(file.as_fd().as_raw_fd())
}

/// Inner stage: takes over descriptor `fd` as a file to append to. It is reopened through
/// `/proc/self/fd` (so the new one closes on `exec`) and the inherited one is closed, so the
/// build's commands inherit neither.
pub fn take(fd: i32) -> io::Result<File> {
    let file = OpenOptions::new().append(true).open(format!("/proc/self/fd/{fd}"))?;
    nix::unistd::close(fd).map_err(io::Error::from)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::path::Path;

    use super::*;

    #[test]
    fn a_passed_pipe_is_taken_over_and_the_inherited_number_closed() {
        let (mut reader, writer) = io::pipe().expect("pipe");
        let fd = pass_on(&writer).expect("pass on");
        let flags = fcntl(&writer, FcntlArg::F_GETFD).expect("flags");
        assert_eq!(flags & libc::FD_CLOEXEC, 0, "the inner stage must inherit it");
        // The inner stage owns the number now; the writer must not close it a second time.
        std::mem::forget(writer);
        let mut taken = take(fd).expect("take");
        assert!(!Path::new(&format!("/proc/self/fd/{fd}")).exists(), "the inherited number is closed");
        let flags = fcntl(&taken, FcntlArg::F_GETFD).expect("flags");
        assert_ne!(flags & libc::FD_CLOEXEC, 0, "commands must not inherit the new one");
        taken.write_all(b"event\n").expect("write");
        drop(taken);
        let mut got = String::new();
        reader.read_to_string(&mut got).expect("read to the end");
        assert_eq!(got, "event\n");
    }
}

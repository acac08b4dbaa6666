//! The build's spool file: when the store keeps one (`Job::log_spool`), command output is
//! appended to it by the inner stage itself and the executor only receives where each batch
//! is ([`crate::protocol::Event::Spooled`]), so a build's output reaches disk at the speed of a
//! pipe instead of passing through two more processes and the database.
//!
//! The outer stage opens the file and the inner stage inherits the descriptor (the sandbox
//! hides the data dir, where the file is). The inner stage reopens it through
//! `/proc/self/fd` and closes the inherited one, so the build's commands do not inherit it.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::path::Path;

use nix::fcntl::{FcntlArg, FdFlag, fcntl};

/// Outer stage: `path` opened for appending, its descriptor left open across `exec` for the
/// inner stage. Drop it once the inner stage is started.
pub fn open_for_inner(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new().append(true).open(path)?;
    fcntl(&file, FcntlArg::F_SETFD(FdFlag::empty())).map_err(io::Error::from)?;
    Ok(file)
}

/// Inner stage: an append-only handle on the spool file.
pub struct Spool {
    file: File,
}

impl Spool {
    /// Takes over the descriptor `fd` that the outer stage left open.
    pub fn adopt(fd: i32) -> io::Result<Spool> {
        let file = OpenOptions::new().append(true).open(format!("/proc/self/fd/{fd}"))?;
        nix::unistd::close(fd).map_err(io::Error::from)?;
        Ok(Spool { file })
    }

    /// Appends `text` and returns the offset it starts at. The file is in append mode, so the
    /// position after the write is the file's end, wherever other writers put theirs.
    pub fn append(&mut self, text: &[u8]) -> io::Result<u64> {
        self.file.write_all(text)?;
        let end = self.file.stream_position()?;
        Ok(end - text.len() as u64)
    }

    #[cfg(test)]
    pub(crate) fn to_file(file: File) -> Spool {
        Spool { file }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn appends_report_their_offsets_and_the_inherited_descriptor_is_closed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.log");
        std::fs::write(&path, "left by a crash\n").expect("write");
        let inherited = open_for_inner(&path).expect("open");
        let flags = fcntl(&inherited, FcntlArg::F_GETFD).expect("flags");
        assert_eq!(flags & libc::FD_CLOEXEC, 0, "the inner stage must inherit it");
        let fd = inherited.as_raw_fd();
        // The inner stage owns the number now; `File` must not close it a second time.
        std::mem::forget(inherited);
        let mut spool = Spool::adopt(fd).expect("adopt");
        assert!(!Path::new(&format!("/proc/self/fd/{fd}")).exists(), "the inherited descriptor is closed");
        assert_eq!(spool.append(b"a\nb\n").expect("append"), 16);
        std::fs::OpenOptions::new().append(true).open(&path).expect("other").write_all(b"x").expect("other write");
        assert_eq!(spool.append(b"c\n").expect("append"), 21, "after another writer's byte");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "left by a crash\na\nb\nxc\n");
    }
}

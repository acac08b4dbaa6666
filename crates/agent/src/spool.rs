//! The build's spool file: when the store keeps one (`Job::log_spool`), command output is
//! appended to it by the inner stage itself and the executor only receives where each batch
//! is ([`crate::protocol::Event::Spooled`]), so a build's output reaches disk at the speed of a
//! pipe instead of passing through two more processes and the database.
//!
//! The outer stage opens the file and the inner stage inherits it (`crate::inherit`): the
//! sandbox hides the data dir, where the file is.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::path::Path;

/// Outer stage: `path` opened for appending, to pass on to the inner stage.
pub fn open_for_inner(path: &Path) -> io::Result<File> {
    OpenOptions::new().append(true).open(path)
}

/// Inner stage: an append-only handle on the spool file.
pub struct Spool {
    file: File,
}

impl Spool {
    /// Takes over the descriptor `fd` that the outer stage passed on.
    pub fn adopt(fd: i32) -> io::Result<Spool> {
        crate::inherit::take(fd).map(|file| Spool { file })
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

    #[test]
    fn appends_report_their_offsets_after_other_writers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.log");
        std::fs::write(&path, "left by a crash\n").expect("write");
        let mut spool = Spool::to_file(open_for_inner(&path).expect("open"));
        assert_eq!(spool.append(b"a\nb\n").expect("append"), 16);
        std::fs::OpenOptions::new().append(true).open(&path).expect("other").write_all(b"x").expect("other write");
        assert_eq!(spool.append(b"c\n").expect("append"), 21, "after another writer's byte");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "left by a crash\na\nb\nxc\n");
    }
}

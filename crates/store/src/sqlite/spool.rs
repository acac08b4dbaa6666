//! Spool files: a build's output as the agent wrote it, one file per build beside the database
//! (`logs/<project>/<rest of the id>.log`), indexed by `log_chunks` rows that hold an offset
//! and a length instead of text. Only indexed bytes are ever read, so bytes a crash left
//! unindexed at the end of a file are never seen.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::{Result, StoreError, path_segment};

/// Whole lines past the indexed part of a spool file.
pub(super) struct Tail {
    pub len: u64,
    pub lines: u64,
    pub modified_ms: i64,
}

/// The spool directory of a file database; `None` for an in-memory one.
#[derive(Debug, Clone, Default)]
pub(super) struct Spools {
    dir: Option<PathBuf>,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("{what} {}: {e}", path.display()))
}

impl Spools {
    pub fn beside(db_dir: &Path) -> Spools {
        Spools { dir: Some(db_dir.join("logs")) }
    }

    pub fn none() -> Spools {
        Spools { dir: None }
    }

    /// The file of `build_id`: its project (the part before the first `:`) names a directory,
    /// so no file name grows past the project name's 255 characters.
    pub fn path(&self, build_id: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let (project, rest) = build_id.split_once(':').unwrap_or(("", build_id));
        Some(dir.join(path_segment(project)).join(format!("{}.log", path_segment(rest))))
    }

    /// Creates the build's file (and its directory) if missing.
    pub fn create(&self, build_id: &str) -> Result<Option<PathBuf>> {
        let Some(path) = self.path(build_id) else { return Ok(None) };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("creating", parent, e))?;
        }
        OpenOptions::new().create(true).append(true).mode(0o600).open(&path).map_err(|e| io("creating", &path, e))?;
        Ok(Some(path))
    }

    fn open(&self, build_id: &str) -> Result<(File, PathBuf)> {
        let path = self
            .path(build_id)
            .ok_or_else(|| StoreError::Backend("this store keeps no spool files (an in-memory database)".into()))?;
        let file = File::open(&path).map_err(|e| io("opening", &path, e))?;
        Ok((file, path))
    }

    /// Makes the build's spooled bytes durable, before rows that point at them are committed:
    /// a power loss must not leave an index into bytes that never reached the disk.
    pub fn sync(&self, build_id: &str) -> Result<()> {
        let (file, path) = self.open(build_id)?;
        file.sync_data().map_err(|e| io("syncing", &path, e))
    }

    /// A reader for the chunks of one store read (see [`SpoolReader`]).
    pub fn reader(&self) -> SpoolReader<'_> {
        SpoolReader { spools: self, open: None }
    }

    /// The whole lines of the build's file from `from` on, if there are any (see
    /// `Store::recover_spool`). Read in blocks: an unreported tail can be large.
    pub fn tail(&self, build_id: &str, from: u64) -> Result<Option<Tail>> {
        let Some(path) = self.path(build_id) else { return Ok(None) };
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("opening", &path, e)),
        };
        let meta = file.metadata().map_err(|e| io("reading", &path, e))?;
        let mut block = vec![0u8; 1 << 20];
        let (mut at, mut lines, mut len) = (from, 0, 0);
        while at < meta.len() {
            let n = file.read_at(&mut block, at).map_err(|e| io("reading", &path, e))?;
            if n == 0 {
                break;
            }
            for (i, _) in block[..n].iter().enumerate().filter(|(_, b)| **b == b'\n') {
                lines += 1;
                len = at + i as u64 + 1 - from;
            }
            at += n as u64;
        }
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or_else(crate::now_ms, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Ok((lines > 0).then_some(Tail { len, lines, modified_ms }))
    }

    /// Removes the build's file, if any.
    pub fn remove(&self, build_id: &str) {
        let Some(path) = self.path(build_id) else { return };
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            // The rows are gone; a leftover file is only space.
            eprintln!("kiln-store: cannot remove {}: {e}", path.display());
        }
    }
}

/// Reads chunk text out of spool files for one store read, keeping the last file open: a
/// read's chunks come from one build's file (a scan's, from a few, in turns), so a file is
/// opened once per read, not once per chunk.
pub(super) struct SpoolReader<'a> {
    spools: &'a Spools,
    /// The build whose file is open, the file, its path and its size when opened. Every chunk
    /// the read's snapshot indexes was written (and synced) before that.
    open: Option<(String, File, PathBuf, u64)>,
}

impl SpoolReader<'_> {
    /// `len` bytes at `offset` of the build's file. A file cut short (by hand, or a disk that
    /// lost its tail) reads as what is left; bytes that are not UTF-8 are replaced.
    pub fn read(&mut self, build_id: &str, offset: u64, len: u64) -> Result<String> {
        let (_, file, path, size) = match &mut self.open {
            Some(open) if open.0 == build_id => open,
            slot => {
                let (file, path) = self.spools.open(build_id)?;
                let size = file.metadata().map_err(|e| io("reading", &path, e))?.len();
                slot.insert((build_id.to_string(), file, path, size))
            }
        };
        let len = len.min(size.saturating_sub(offset));
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
        file.read_exact_at(&mut buf, offset).map_err(|e| io("reading", path, e))?;
        Ok(match String::from_utf8(buf) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_spool_directory() {
        let spools = Spools::beside(Path::new("/d"));
        let path = |id: &str| spools.path(id).map(|p| p.display().to_string());
        assert_eq!(path("web:1b2c-3d").as_deref(), Some("/d/logs/web/1b2c-3d.log"));
        assert_eq!(path("../x:../../y").as_deref(), Some("/d/logs/%2E%2E%2Fx/%2E%2E%2F%2E%2E%2Fy.log"));
        assert_eq!(path("noproject").as_deref(), Some("/d/logs/%/noproject.log"));
        assert_eq!(path("p:a:b").as_deref(), Some("/d/logs/p/a%3Ab.log"));
        assert_eq!(Spools::none().path("p:1"), None);
    }

    #[test]
    fn reads_clamp_to_the_file_and_replace_bad_utf8() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spools = Spools::beside(dir.path());
        let path = spools.create("p:1").expect("create").expect("a path");
        std::fs::write(&path, b"abc\n\xffd\n").expect("write");
        let mut reader = spools.reader();
        assert_eq!(reader.read("p:1", 0, 4).expect("read"), "abc\n");
        assert_eq!(reader.read("p:1", 4, 3).expect("read"), "\u{FFFD}d\n");
        assert_eq!(reader.read("p:1", 4, 100).expect("read"), "\u{FFFD}d\n", "cut short");
        assert_eq!(reader.read("p:1", 100, 5).expect("read"), "", "past the end");
        spools.remove("p:1");
        assert!(!path.exists());
        spools.remove("p:1");
        assert!(spools.reader().read("p:1", 0, 1).is_err(), "a missing file is an error, not an empty log");
    }
}

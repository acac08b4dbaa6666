//! Disk space held back for the records that end a build: when the data dir fills up (a build's
//! log, artifacts), releasing it lets the store still write the build's end and its reason.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Size of the held-back space.
const RESERVE_BYTES: usize = 4 * 1024 * 1024;
/// The file that holds it, in the data dir.
const RESERVE_FILE: &str = "space.reserve";

pub(crate) struct SpaceReserve {
    path: PathBuf,
    released: AtomicBool,
}

impl SpaceReserve {
    /// Writes the reserve file (real blocks, not a sparse file). A failure only costs the
    /// reserve, so it is logged and not fatal.
    pub(crate) fn create(data_dir: &Path) -> SpaceReserve {
        let path = data_dir.join(RESERVE_FILE);
        if let Err(e) = std::fs::write(&path, vec![0u8; RESERVE_BYTES]) {
            tracing::warn!("cannot reserve disk space in {}: {e}", path.display());
        }
        SpaceReserve { path, released: AtomicBool::new(false) }
    }

    /// Frees the reserved space (once); it is taken again at the next start.
    pub(crate) fn release(&self) {
        if self.released.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::warn!("storage is failing: releasing the reserved disk space ({})", self.path.display());
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_release_removes_the_file_once() {
        let dir = std::env::temp_dir().join(format!("kiln-reserve-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let reserve = SpaceReserve::create(&dir);
        let path = dir.join(RESERVE_FILE);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), RESERVE_BYTES as u64);
        reserve.release();
        assert!(!path.exists());
        std::fs::write(&path, b"x").unwrap();
        reserve.release();
        assert!(path.exists(), "a second release must not remove anything");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

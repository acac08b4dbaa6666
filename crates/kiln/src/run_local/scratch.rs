//! The build's scratch directory (build directory and object store) under the system's temp
//! directory, removed when dropped. A run killed by Ctrl-C cannot remove its own, so each run
//! also removes those of `kiln run` processes that no longer exist.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

const PREFIX: &str = "kiln-run-";

pub struct Scratch(PathBuf);

impl Scratch {
    pub fn create() -> anyhow::Result<Self> {
        let temp = std::env::temp_dir();
        sweep(&temp);
        let dir = temp.join(format!("{PREFIX}{}-{}", std::process::id(), uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Scratch(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Removes the scratch directories of runs whose process is gone.
fn sweep(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner_pid) else { continue };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            // Another user's, or already going: not ours to insist on.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The process id in a scratch directory's name, `kiln-run-<pid>-<uuid>`.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, uuid) = rest.split_once('-')?;
    uuid::Uuid::parse_str(uuid).ok()?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scratch_names_carry_an_owner() {
        assert_eq!(owner_pid("kiln-run-42-67e55044-10b1-426f-9247-bb680e5fe0c8"), Some(42));
        assert_eq!(owner_pid("kiln-run-42-notauuid"), None);
        assert_eq!(owner_pid("kiln-run-x-67e55044-10b1-426f-9247-bb680e5fe0c8"), None);
        assert_eq!(owner_pid("other-42-67e55044-10b1-426f-9247-bb680e5fe0c8"), None);
    }

    #[test]
    fn dead_runs_are_swept_and_live_ones_kept() {
        let temp = tempfile::tempdir().expect("tempdir");
        let uuid = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        // pid_max is at most 2^22: this pid cannot exist.
        let dead = temp.path().join(format!("{PREFIX}99999999-{uuid}"));
        let live = temp.path().join(format!("{PREFIX}{}-{uuid}", std::process::id()));
        let unrelated = temp.path().join("kiln-run-notes");
        for dir in [&dead, &live, &unrelated] {
            std::fs::create_dir_all(dir.join("build")).expect("mkdir");
        }
        sweep(temp.path());
        assert!(!dead.exists());
        assert!(live.exists());
        assert!(unrelated.exists());
    }
}

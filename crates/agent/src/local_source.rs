//! The `LOCAL_DIRECTORY` source of `kiln run`: a directory on this machine, copied as it is
//! (`.git` included, so git commands work in the build), or, with a source version, checked
//! out from that directory's git repository at that version.
//!
//! The API never accepts this kind (source types are checked against the model's enum): only a
//! job file written by `kiln run` carries it.

use std::path::{Path, PathBuf};

use kiln_source::{FetchRequest, GitProvider};

use crate::emit::Emitter;
use crate::protocol::{Context, SourceSpec};

/// The source kind.
pub const KIND: &str = "LOCAL_DIRECTORY";

/// The outer stage's environment variable listing paths (as `PATH` does) to leave out of the
/// copy: `kiln run`'s artifacts directory when it lies inside the source.
pub const EXCLUDE_ENV: &str = "KILN_LOCAL_SOURCE_EXCLUDE";

fn client_error(message: impl Into<String>) -> Context {
    Context { status_code: "CLIENT_ERROR".to_string(), message: message.into() }
}

/// Fills `dest` from the directory; returns the commit when one was checked out.
pub fn fetch(source: &SourceSpec, dest: &Path, emit: &Emitter) -> Result<Option<String>, Context> {
    let location = source.location.clone().unwrap_or_default();
    let dir = PathBuf::from(&location);
    if !dir.is_dir() {
        return Err(client_error(format!("the source directory {location} does not exist")));
    }
    if let Some(version) = source.version.as_deref().filter(|v| !v.trim().is_empty()) {
        let request = FetchRequest {
            location: location.clone(),
            provider: GitProvider::Other,
            version: Some(version.to_string()),
            dest: dest.to_path_buf(),
            ..Default::default()
        };
        let mut log = |line: &str| emit.agent(line);
        let fetched = kiln_source::fetch(&request, &mut log).map_err(|e| client_error(e.to_string()))?;
        return Ok(Some(fetched.commit));
    }
    emit.agent(&format!("Copying the directory {location}"));
    let exclude: Vec<PathBuf> =
        std::env::var_os(EXCLUDE_ENV).map(|v| std::env::split_paths(&v).collect()).unwrap_or_default();
    let files = copy_tree(&dir, dest, &exclude)
        .map_err(|e| client_error(format!("cannot copy the source directory {location}: {e}")))?;
    emit.agent(&format!("Copied {files} files"));
    Ok(None)
}

/// Copies `from` into `to` (created if missing): files with their permissions, symbolic links
/// as links; paths in `exclude` are skipped. Returns the number of files copied.
pub fn copy_tree(from: &Path, to: &Path, exclude: &[PathBuf]) -> std::io::Result<usize> {
    std::fs::create_dir_all(to)?;
    let mut files = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let source = entry.path();
        if exclude.iter().any(|e| e == &source) {
            continue;
        }
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&source)?, &target)?;
            files += 1;
        } else if kind.is_dir() {
            files += copy_tree(&source, &target, exclude)?;
        } else if kind.is_file() {
            std::fs::copy(&source, &target)?;
            files += 1;
        }
        // Sockets, fifos and devices are no build input.
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::copy_tree;

    #[test]
    fn copies_files_links_and_modes_but_not_excluded_paths() {
        let from = tempfile::tempdir().expect("tempdir");
        let to = tempfile::tempdir().expect("tempdir");
        let root = from.path();
        std::fs::create_dir_all(root.join(".git/objects")).expect("mkdir");
        std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
        std::fs::write(root.join("run.sh"), "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::os::unix::fs::symlink("run.sh", root.join("link")).expect("symlink");
        std::fs::create_dir_all(root.join("out")).expect("mkdir");
        std::fs::write(root.join("out/old.zip"), "x").expect("write");

        let copied = copy_tree(root, &to.path().join("src"), &[root.join("out")]).expect("copy");
        let dest = to.path().join("src");
        assert_eq!(copied, 3);
        assert_eq!(std::fs::read_to_string(dest.join(".git/HEAD")).expect("read"), "ref: refs/heads/main\n");
        let mode = std::fs::metadata(dest.join("run.sh")).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(std::fs::read_link(dest.join("link")).expect("readlink").to_str(), Some("run.sh"));
        assert!(!dest.join("out").exists());
    }
}

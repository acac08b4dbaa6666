//! Cache archives: tar files of build-relative paths, so that file modes, modification times
//! and symlinks survive.
//!
//! Archives come back from the object store, where anyone with S3 access can write them, so
//! unpacking trusts nothing: only regular files, directories and symlinks, only under the
//! cache roots, and never through a symlink out of the build directory (the tar crate checks
//! each parent's real path; existing files are replaced, not written through).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use tar::{Archive, Builder, EntryType};

use super::paths::restorable;

/// What an archive holds or held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Regular files and symlinks.
    pub files: usize,
    /// Their content, in bytes.
    pub bytes: u64,
    /// Entries that were not restored (other types, outside the cache roots, unpack errors).
    pub skipped: usize,
}

/// Writes `names` (paths relative to `root`, as [`super::paths::select`] gives them) into a
/// new tar file at `out`. Symlinks are stored as links.
pub fn write(root: &Path, names: &[String], out: &Path) -> io::Result<Summary> {
    let mut builder = Builder::new(BufWriter::new(File::create(out)?));
    builder.follow_symlinks(false);
    let mut summary = Summary::default();
    for name in names {
        let path = root.join(name);
        let meta = std::fs::symlink_metadata(&path)?;
        builder.append_path_with_name(&path, name)?;
        summary.files += 1;
        if meta.is_file() {
            summary.bytes += meta.len();
        }
    }
    builder.into_inner()?.flush()?;
    Ok(summary)
}

/// Unpacks an archive into `root`, replacing files of the same name. `first_error` receives the
/// first entry that could not be restored, for the log.
pub fn extract(reader: impl Read, root: &Path, first_error: &mut Option<String>) -> io::Result<Summary> {
    let mut archive = Archive::new(reader);
    archive.set_preserve_permissions(false);
    archive.set_preserve_mtime(true);
    archive.set_overwrite(true);
    archive.set_unpack_xattrs(false);
    let mut summary = Summary::default();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let kind = entry.header().entry_type();
        let allowed = matches!(kind, EntryType::Regular | EntryType::Directory | EntryType::Symlink);
        if !allowed || !restorable(&path) {
            summary.skipped += 1;
            first_error.get_or_insert_with(|| format!("{} is not something a cache restores", path.display()));
            continue;
        }
        let size = entry.size();
        match entry.unpack_in(root) {
            Ok(true) if kind == EntryType::Directory => {}
            Ok(true) => {
                summary.files += 1;
                if kind == EntryType::Regular {
                    summary.bytes += size;
                }
            }
            Ok(false) => summary.skipped += 1,
            Err(e) => {
                summary.skipped += 1;
                first_error.get_or_insert_with(|| format!("{}: {e}", path.display()));
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    fn write_file(root: &Path, name: &str, text: &str, mode: u32) {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn files_modes_and_symlinks_round_trip() {
        let from = tempfile::TempDir::new().expect("tempdir");
        write_file(from.path(), "src/node_modules/.bin/tool", "#!/bin/sh\n", 0o755);
        write_file(from.path(), "home/.m2/x.jar", "jar", 0o644);
        symlink("../node_modules/.bin/tool", from.path().join("src/node_modules/tool-link")).expect("symlink");
        let names: Vec<String> =
            ["home/.m2/x.jar", "src/node_modules/.bin/tool", "src/node_modules/tool-link"].map(String::from).into();
        let tar = from.path().join("cache.tar");
        let written = write(from.path(), &names, &tar).expect("write");
        assert_eq!(written, Summary { files: 3, bytes: 13, skipped: 0 });

        let to = tempfile::TempDir::new().expect("tempdir");
        // What the restore replaces: a file of the same name from the source checkout.
        write_file(to.path(), "home/.m2/x.jar", "old", 0o600);
        let mut error = None;
        let read = extract(File::open(&tar).expect("open"), to.path(), &mut error).expect("extract");
        assert_eq!(read, Summary { files: 3, bytes: 13, skipped: 0 }, "{error:?}");
        let tool = to.path().join("src/node_modules/.bin/tool");
        assert_eq!(std::fs::read_to_string(&tool).expect("read"), "#!/bin/sh\n");
        assert_eq!(std::fs::metadata(&tool).expect("meta").permissions().mode() & 0o777, 0o755);
        assert_eq!(std::fs::read_to_string(to.path().join("home/.m2/x.jar")).expect("read"), "jar");
        let link = to.path().join("src/node_modules/tool-link");
        assert_eq!(std::fs::read_link(&link).expect("link").to_str(), Some("../node_modules/.bin/tool"));
    }

    /// A tar made by hand, as someone with write access to the cache bucket could.
    fn hostile_tar(entries: &[(&str, EntryType, &str)]) -> Vec<u8> {
        let mut builder = Builder::new(Vec::new());
        for (name, kind, content) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            if *kind == EntryType::Symlink {
                header.set_size(0);
                builder.append_link(&mut header, name, content).expect("link");
            } else {
                header.set_size(content.len() as u64);
                builder.append_data(&mut header, name, content.as_bytes()).expect("append");
            }
        }
        builder.into_inner().expect("tar")
    }

    #[test]
    fn hostile_archives_cannot_write_outside_the_cache_roots() {
        let outside = tempfile::TempDir::new().expect("tempdir");
        let root = tempfile::TempDir::new().expect("tempdir");
        let target = outside.path().to_str().expect("utf-8");
        let tar = hostile_tar(&[
            ("src/ok.txt", EntryType::Regular, "fine"),
            ("tmp/kiln-prologue.sh", EntryType::Regular, "not a cache root"),
            ("src/escape", EntryType::Symlink, target),
            ("src/escape/pwned", EntryType::Regular, "through the link"),
            ("src/hard", EntryType::Link, "/etc/passwd"),
            ("src/fifo", EntryType::Fifo, ""),
        ]);
        let mut error = None;
        let summary = extract(tar.as_slice(), root.path(), &mut error).expect("extract");
        assert_eq!(summary.files, 2, "the file and the symlink itself");
        assert_eq!(summary.skipped, 4);
        assert!(error.is_some());
        assert_eq!(std::fs::read_to_string(root.path().join("src/ok.txt")).expect("read"), "fine");
        assert!(!root.path().join("tmp").exists());
        assert!(!outside.path().join("pwned").exists(), "nothing was written through the symlink");
        assert!(!root.path().join("src/hard").exists());
    }

    #[test]
    fn garbage_is_an_error() {
        let root = tempfile::TempDir::new().expect("tempdir");
        let mut error = None;
        let garbage = vec![b'x'; 1024];
        assert!(extract(garbage.as_slice(), root.path(), &mut error).is_err(), "a header with a bad checksum");
    }
}

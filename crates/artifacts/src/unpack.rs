//! Unpacking a ZIP (an S3 source) into a directory, refusing entries that would land outside it.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use crate::{ArtifactError, io};

/// Extracts `archive` into `dest`; returns the number of files written. Entry paths that are
/// absolute or climb out with `..` are refused (the "zip slip"), as are symlinks.
pub fn unpack_zip<R: Read + Seek>(archive: R, dest: &Path) -> Result<usize, ArtifactError> {
    let bad = |e: zip::result::ZipError| ArtifactError::Io {
        context: "reading the source archive".to_string(),
        source: std::io::Error::other(e),
    };
    let mut zip = zip::ZipArchive::new(archive).map_err(bad)?;
    let mut files = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(bad)?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_else(|_| format!("entry {i}"));
        let Some(relative) = entry.enclosed_name() else {
            return Err(ArtifactError::OutsideSource(name));
        };
        let target = dest.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(io(format!("creating {}", target.display())))?;
            continue;
        }
        if entry.is_symlink() {
            return Err(ArtifactError::OutsideSource(format!("{name} (a symbolic link)")));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
        }
        let mut out = File::create(&target).map_err(io(format!("creating {}", target.display())))?;
        std::io::copy(&mut entry, &mut out).map_err(io(format!("writing {}", target.display())))?;
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode & 0o777));
        }
        files += 1;
    }
    Ok(files)
}

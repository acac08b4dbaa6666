//! Packaging: a ZIP with the entries' paths and unix modes, and the checksums CodeBuild
//! reports (`sha256sum`, `md5sum`).

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::Path;

use md5::Md5;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::{ArtifactError, Entry, io};

/// The checksums and size of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub sha256: String,
    pub md5: String,
    pub size: u64,
}

/// Writes `entries` as a ZIP to `out` and returns its digests.
pub fn write_zip(entries: &[Entry], out: &Path) -> Result<Digests, ArtifactError> {
    let file = File::create(out).map_err(io(format!("creating {}", out.display())))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    for entry in entries {
        if let Some(target) = &entry.link {
            let options = SimpleFileOptions::default().unix_permissions(0o777);
            zip.add_symlink(entry.name.as_str(), target.as_str(), options).map_err(|e| zip_error(out, e))?;
            continue;
        }
        let mode = file_mode(&entry.source);
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(mode);
        zip.start_file(entry.name.as_str(), options).map_err(|e| zip_error(out, e))?;
        let mut source = File::open(&entry.source).map_err(io(format!("reading {}", entry.source.display())))?;
        std::io::copy(&mut source, &mut zip).map_err(io(format!("writing {}", out.display())))?;
    }
    let writer = zip.finish().map_err(|e| zip_error(out, e))?;
    writer
        .into_inner()
        .map_err(|e| ArtifactError::Io { context: format!("writing {}", out.display()), source: e.into_error() })?
        .sync_all()
        .map_err(io(format!("syncing {}", out.display())))?;
    digests(out)
}

/// SHA-256 and MD5 of a file, hex.
pub fn digests(path: &Path) -> Result<Digests, ArtifactError> {
    let mut file = File::open(path).map_err(io(format!("reading {}", path.display())))?;
    let mut sha = Sha256::new();
    let mut md5 = Md5::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io(format!("reading {}", path.display())))?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        md5.update(&buf[..n]);
        size += n as u64;
    }
    Ok(Digests { sha256: hex::encode(sha.finalize()), md5: hex::encode(md5.finalize()), size })
}

fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o644)
}

fn zip_error(out: &Path, e: zip::result::ZipError) -> ArtifactError {
    ArtifactError::Io { context: format!("writing {}", out.display()), source: std::io::Error::other(e) }
}

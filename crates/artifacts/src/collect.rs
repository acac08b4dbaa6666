//! Selecting the files of an artifact.

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use kiln_buildspec::Artifacts;

use crate::{ArtifactError, io};

/// One file of an artifact: its path inside the artifact ('/'-separated) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub source: PathBuf,
    /// With `enable-symlinks`, a symbolic link is kept as a link to this target instead of
    /// being followed.
    pub link: Option<String>,
}

/// The files `spec` selects under `src_dir`, sorted by name.
pub fn collect(src_dir: &Path, spec: &Artifacts) -> Result<Vec<Entry>, ArtifactError> {
    let base = base_directory(src_dir, spec.base_directory.as_deref())?;
    let include = glob_set(&spec.files)?;
    let exclude = glob_set(&spec.exclude_paths)?;
    let mut files = Vec::new();
    walk(&base, &base, spec.enable_symlinks, &mut files)?;
    let mut entries: Vec<Entry> = files
        .into_iter()
        .filter(|(rel, _)| include.is_match(rel) && !exclude.is_match(rel))
        .map(|(rel, source)| {
            let name = if spec.discard_paths { rel.rsplit('/').next().unwrap_or(&rel).to_string() } else { rel };
            let link = if spec.enable_symlinks {
                std::fs::read_link(&source).ok().map(|target| target.to_string_lossy().into_owned())
            } else {
                None
            };
            Entry { name, source, link }
        })
        .collect();
    if entries.is_empty() {
        return Err(ArtifactError::NoMatches);
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    // With discard-paths two files may flatten to one name; the first (by path) wins, as in
    // a ZIP only one entry of a name can be extracted.
    entries.dedup_by(|a, b| a.name == b.name);
    Ok(entries)
}

/// `base-directory`, relative to the source directory; a glob picks the first matching
/// directory (sorted), as CodeBuild allows a pattern there.
fn base_directory(src_dir: &Path, base: Option<&str>) -> Result<PathBuf, ArtifactError> {
    let Some(base) = base.map(|b| b.trim_start_matches("./").trim_end_matches('/')).filter(|b| !b.is_empty()) else {
        return Ok(src_dir.to_path_buf());
    };
    if Path::new(base).components().any(|c| matches!(c, Component::ParentDir | Component::RootDir)) {
        return Err(ArtifactError::OutsideSource(base.to_string()));
    }
    let literal = src_dir.join(base);
    if literal.is_dir() {
        return Ok(literal);
    }
    if base.contains(['*', '?', '[', '{']) {
        let matcher = glob(base)?.compile_matcher();
        let mut dirs = Vec::new();
        collect_dirs(src_dir, src_dir, &mut dirs)?;
        dirs.sort();
        if let Some((_, dir)) = dirs.into_iter().find(|(rel, _)| matcher.is_match(rel)) {
            return Ok(dir);
        }
    }
    Err(ArtifactError::NoBaseDirectory(base.to_string()))
}

fn glob(pattern: &str) -> Result<Glob, ArtifactError> {
    let pattern = pattern.trim_start_matches("./");
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| ArtifactError::BadPattern { pattern: pattern.to_string(), message: e.to_string() })
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, ArtifactError> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(glob(p)?);
    }
    builder.build().map_err(|e| ArtifactError::BadPattern { pattern: patterns.join(", "), message: e.to_string() })
}

/// Every regular file (or symlink to one) under `dir`, with its '/'-separated path from `root`;
/// with `links`, every symbolic link too (to a directory, or dangling), not followed.
/// `.git` directories are part of the source like any other (CodeBuild does not skip them).
fn walk(root: &Path, dir: &Path, links: bool, out: &mut Vec<(String, PathBuf)>) -> Result<(), ArtifactError> {
    let read = std::fs::read_dir(dir).map_err(io(format!("reading {}", dir.display())))?;
    for entry in read {
        let entry = entry.map_err(io(format!("reading {}", dir.display())))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io(format!("reading {}", path.display())))?;
        if kind.is_dir() {
            walk(root, &path, links, out)?;
        } else if kind.is_file() || (kind.is_symlink() && (links || path.is_file())) {
            out.push((relative(root, &path), path));
        }
    }
    Ok(())
}

fn collect_dirs(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), ArtifactError> {
    let read = std::fs::read_dir(dir).map_err(io(format!("reading {}", dir.display())))?;
    for entry in read {
        let entry = entry.map_err(io(format!("reading {}", dir.display())))?;
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            let path = entry.path();
            out.push((relative(root, &path), path.clone()));
            collect_dirs(root, &path, out)?;
        }
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

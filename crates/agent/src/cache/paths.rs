//! Cache paths: from what the build sees to the build directory, and the files they select.
//!
//! The outer stage only ever reads and writes inside the build directory, under the
//! [`CACHE_ROOTS`]: a path is mapped onto `src/…` (relative paths: `CODEBUILD_SRC_DIR`),
//! `sources/…`, `home/…` (the build's `HOME`) or the sandbox's `/tmp`, or it is not cached.
//! Archives name files by these build-relative paths, which are the same in every build.

use std::collections::BTreeSet;
use std::io;
use std::path::{Component, Path};

use globset::{GlobBuilder, GlobMatcher};

use crate::sandbox;

/// The directories of a build that caches may hold files of.
pub const CACHE_ROOTS: [&str; 4] = ["src", "sources", "home", sandbox::TMP_DIR];

/// `path` as a build-relative pattern, or why it cannot be cached. `sandboxed`: `/tmp` is the
/// build's own (a directory of the build), not the host's.
pub fn map(path: &str, build_dir: &Path, sandboxed: bool) -> Result<String, String> {
    let path = path.trim();
    let relative = if let Some(absolute) = path.strip_prefix('/') {
        let build = build_dir.to_string_lossy();
        let build = build.trim_start_matches('/').trim_end_matches('/');
        if let Some(inside) = absolute.strip_prefix(build).and_then(|rest| rest.strip_prefix('/')) {
            inside.to_string()
        } else if sandboxed && (absolute == "tmp" || absolute.starts_with("tmp/")) {
            format!("{}{}", sandbox::TMP_DIR, &absolute[3..])
        } else {
            return Err(if absolute == "tmp" || absolute.starts_with("tmp/") {
                "without the sandbox, /tmp is the host's and is not cached".to_string()
            } else {
                "it is outside the build's writable directories (CODEBUILD_SRC_DIR, HOME, /tmp)".to_string()
            });
        }
    } else if path.is_empty() {
        return Err("the path is empty".to_string());
    } else {
        format!("src/{path}")
    };
    let mut parts = Vec::new();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("it contains `..`".to_string()),
            part => parts.push(part),
        }
    }
    match parts.first() {
        Some(root) if CACHE_ROOTS.contains(root) => Ok(parts.join("/")),
        _ => Err("it is not in a directory of the build that is cached (CODEBUILD_SRC_DIR, HOME, /tmp)".to_string()),
    }
}

fn has_glob(part: &str) -> bool {
    part.contains(['*', '?', '[', '{'])
}

/// The files and symlinks under `root` that `patterns` (build-relative, `**` globs allowed)
/// select, sorted. A matching directory brings its whole tree; a pattern without glob
/// characters names a file or a whole directory. Symlinks are never followed: a symlink is
/// cached as a link, and a pattern whose fixed part goes through one selects nothing.
pub fn select(root: &Path, patterns: &[String]) -> Result<Vec<String>, String> {
    let mut out = BTreeSet::new();
    for pattern in patterns {
        let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        if parts.contains(&"..") {
            return Err(format!("cache pattern {pattern} contains `..`"));
        }
        let fixed = parts.iter().take_while(|p| !has_glob(p)).count();
        let Some(base) = real_entry(root, &parts[..fixed]) else { continue };
        let base_rel = parts[..fixed].join("/");
        let matcher = if fixed == parts.len() {
            None
        } else {
            let glob = GlobBuilder::new(&parts.join("/"))
                .literal_separator(true)
                .build()
                .map_err(|e| format!("invalid cache path {pattern}: {e}"))?;
            Some(glob.compile_matcher())
        };
        match base {
            Kind::Dir => walk(root, &base_rel, matcher.as_ref(), matcher.is_none(), &mut out)
                .map_err(|e| format!("reading {}: {e}", root.join(&base_rel).display()))?,
            Kind::Other if matcher.is_none() && !base_rel.is_empty() => {
                out.insert(base_rel);
            }
            Kind::Other => {}
        }
    }
    Ok(out.into_iter().collect())
}

enum Kind {
    Dir,
    /// A file or a symlink.
    Other,
}

/// What `parts` under `root` is, if it exists and no directory on the way is a symlink.
fn real_entry(root: &Path, parts: &[&str]) -> Option<Kind> {
    let mut path = root.to_path_buf();
    let mut kind = Kind::Dir;
    for part in parts {
        if !matches!(kind, Kind::Dir) {
            return None;
        }
        path.push(part);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        kind = if meta.is_dir() {
            Kind::Dir
        } else if meta.is_file() || meta.file_type().is_symlink() {
            Kind::Other
        } else {
            return None;
        };
    }
    Some(kind)
}

/// Adds what is under `rel` (a directory) and matches, or everything when `inside`.
fn walk(
    root: &Path,
    rel: &str,
    matcher: Option<&GlobMatcher>,
    inside: bool,
    out: &mut BTreeSet<String>,
) -> io::Result<()> {
    for entry in std::fs::read_dir(root.join(rel))? {
        let entry = entry?;
        // Names that are not UTF-8 cannot be named in the archive the same way: skipped.
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        let child = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        let matched = inside || matcher.is_some_and(|m| m.is_match(&child));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &child, matcher, matched, out)?;
        } else if (kind.is_file() || kind.is_symlink()) && matched {
            out.insert(child);
        }
    }
    Ok(())
}

/// Whether an archive entry's path may be restored: relative, no `..`, under a cache root.
pub fn restorable(path: &Path) -> bool {
    let mut components = path.components();
    let first = match components.next() {
        Some(Component::Normal(first)) => first.to_str().is_some_and(|f| CACHE_ROOTS.contains(&f)),
        _ => false,
    };
    first && components.all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    const BUILD: &str = "/data/builds/1234";

    fn mapped(path: &str, sandboxed: bool) -> Result<String, String> {
        map(path, Path::new(BUILD), sandboxed)
    }

    #[test]
    fn paths_map_onto_the_build_directory() {
        assert_eq!(mapped("node_modules/**/*", true).as_deref(), Ok("src/node_modules/**/*"));
        assert_eq!(mapped("./a/./b//*", true).as_deref(), Ok("src/a/b/*"));
        assert_eq!(mapped("/data/builds/1234/home/.m2/**/*", true).as_deref(), Ok("home/.m2/**/*"));
        assert_eq!(mapped("/data/builds/1234/src", true).as_deref(), Ok("src"));
        assert_eq!(mapped("/data/builds/1234/sources/lib/x", false).as_deref(), Ok("sources/lib/x"));
        assert_eq!(mapped("/tmp/cache/**/*", true).as_deref(), Ok("sandbox-tmp/cache/**/*"));
        assert_eq!(mapped("/tmp", true).as_deref(), Ok("sandbox-tmp"));
    }

    #[test]
    fn paths_outside_writable_places_are_refused() {
        assert!(mapped("/root/.m2/**/*", true).unwrap_err().contains("outside the build's writable"));
        assert!(mapped("/tmp/x", false).unwrap_err().contains("host's"));
        assert!(mapped("/tmpfoo/x", true).is_err());
        assert!(mapped("/data/builds/12345/src/x", true).is_err(), "another build's directory");
        assert!(mapped("/data/builds/1234/tmp/script.sh", true).is_err(), "Kiln's own files");
        assert!(mapped("../home/x", true).unwrap_err().contains(".."));
        assert!(mapped("/data/builds/1234/src/../../x", true).is_err());
        assert!(mapped("  ", true).is_err());
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::TempDir::new().expect("tempdir");
        let root = dir.path();
        for file in ["src/node_modules/a/index.js", "src/node_modules/b.js", "src/keep.txt", "home/.m2/repo/x.jar"] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, file).expect("write");
        }
        symlink("/etc", root.join("src/etc-link")).expect("symlink");
        symlink("a", root.join("src/node_modules/a-link")).expect("symlink");
        dir
    }

    #[test]
    fn globs_select_files_and_whole_matching_directories() {
        let dir = tree();
        let select = |patterns: &[&str]| {
            select(dir.path(), &patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).expect("select")
        };
        assert_eq!(
            select(&["src/node_modules/**/*"]),
            ["src/node_modules/a-link", "src/node_modules/a/index.js", "src/node_modules/b.js"]
        );
        // A directory that matches brings its tree; a literal directory too.
        assert_eq!(select(&["src/node_modules/*"]), select(&["src/node_modules"]));
        assert_eq!(select(&["src/keep.txt", "home/.m2"]), ["home/.m2/repo/x.jar", "src/keep.txt"]);
        assert_eq!(select(&["src/*.txt"]), ["src/keep.txt"]);
        assert!(select(&["src/missing/**/*"]).is_empty());
    }

    #[test]
    fn symlinks_are_kept_as_links_and_never_followed() {
        let dir = tree();
        let select = |pattern: &str| select(dir.path(), &[pattern.to_string()]).expect("select");
        assert_eq!(select("src/etc-link"), ["src/etc-link"], "the link itself");
        assert!(select("src/etc-link/**/*").is_empty(), "nothing behind it");
        assert!(select("src/node_modules/a-link/*").is_empty());
        assert!(select("src/**/*").contains(&"src/etc-link".to_string()));
        assert!(!select("src/**/*").iter().any(|f| f.starts_with("src/etc-link/")));
    }

    #[test]
    fn only_cache_roots_are_restorable() {
        assert!(restorable(Path::new("src/a/b")));
        assert!(restorable(Path::new("sandbox-tmp/x")));
        assert!(!restorable(Path::new("tmp/kiln-prologue.sh")));
        assert!(!restorable(Path::new("/src/a")));
        assert!(!restorable(Path::new("src/../home")));
        assert!(!restorable(Path::new("bin/codebuild-hash-files")));
    }
}

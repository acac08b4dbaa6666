//! `codebuild-hash-files <glob>...`: a hex SHA-256 of the files the globs select in the
//! source directory, for dynamic cache keys (`key: npm-$(codebuild-hash-files package-lock.json)`).
//!
//! Builds find it on their `PATH` as a small script that runs `kiln agent hash-files`: the kiln
//! binary is visible inside the sandbox at its own path. The hash covers the sorted relative
//! paths and each file's content (a symlink counts by its target's name), so renaming a file
//! changes it too.

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::paths;
use crate::emit::Emitter;
use crate::protocol::Job;
use crate::shell::ShellSession;

pub const COMMAND: &str = "codebuild-hash-files";

/// Puts `codebuild-hash-files` in `<build_dir>/bin` and that directory at the end of the
/// build's `PATH` (the image's own tools keep precedence, as on CodeBuild's images).
pub fn install(job: &Job, session: &mut ShellSession, emit: &Emitter) {
    let bin = job.build_dir.join("bin");
    let installed = std::env::current_exe().and_then(|exe| {
        std::fs::create_dir_all(&bin)?;
        let script = bin.join(COMMAND);
        std::fs::write(&script, script_text(&exe))?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
    });
    if let Err(e) = installed {
        emit.agent(&format!("Cannot provide {COMMAND}: {e}"));
        return;
    }
    let path = match session.var("PATH") {
        Some(path) if !path.is_empty() => format!("{path}:{}", bin.display()),
        _ => bin.display().to_string(),
    };
    session.set_exported("PATH", &path);
}

fn script_text(exe: &Path) -> String {
    let exe = exe.display().to_string().replace('\'', r"'\''");
    format!("#!/bin/sh\nexec '{exe}' agent hash-files -- \"$@\"\n")
}

/// `kiln agent hash-files <glob>...`, run in the build: globs are relative to
/// `CODEBUILD_SRC_DIR` (the working directory when it is not set). Prints the hash; returns the
/// exit code.
pub fn main(patterns: &[String]) -> i32 {
    if patterns.is_empty() {
        eprintln!("usage: {COMMAND} <glob-pattern>...");
        return 2;
    }
    let root = std::env::var_os("CODEBUILD_SRC_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    match hash(&root, patterns) {
        Ok(digest) => {
            let mut out = io::stdout().lock();
            if writeln!(out, "{digest}").is_err() {
                return 1;
            }
            0
        }
        Err(e) => {
            eprintln!("{COMMAND}: {e}");
            1
        }
    }
}

/// The hash of what `patterns` select under `root`: SHA-256 over `<path>\0<sha256 of
/// content>\n` per file, in path order. Nothing selected hashes the empty input.
pub fn hash(root: &Path, patterns: &[String]) -> Result<String, String> {
    let mut relative = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        let pattern = pattern.trim().trim_start_matches("./");
        if pattern.starts_with('/') || pattern.split('/').any(|p| p == "..") {
            return Err(format!("{pattern}: patterns are relative to the source directory"));
        }
        relative.push(pattern.to_string());
    }
    let mut all = Sha256::new();
    for name in paths::select(root, &relative)? {
        let path = root.join(&name);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| format!("{name}: {e}"))?;
        let content = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(|e| format!("{name}: {e}"))?;
            Sha256::digest(target.as_os_str().as_encoded_bytes())
        } else {
            let mut file = std::fs::File::open(&path).map_err(|e| format!("{name}: {e}"))?;
            let mut digest = Sha256::new();
            io::copy(&mut file, &mut digest).map_err(|e| format!("{name}: {e}"))?;
            digest.finalize()
        };
        all.update(name.as_bytes());
        all.update([0]);
        all.update(hex::encode(content).as_bytes());
        all.update(b"\n");
    }
    Ok(hex::encode(all.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hashes_follow_paths_and_contents() {
        let dir = tempfile::TempDir::new().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("package-lock.json"), "{}").expect("write");
        std::fs::write(root.join("a/b/package-lock.json"), "{\"x\":1}").expect("write");

        let empty = hash(root, &patterns(&["nothing-*.json"])).expect("hash");
        assert_eq!(empty, hex::encode(Sha256::digest(b"")), "no match hashes the empty input");

        let one = hash(root, &patterns(&["package-lock.json"])).expect("hash");
        let expected = Sha256::digest(format!("package-lock.json\0{}\n", hex::encode(Sha256::digest(b"{}"))));
        assert_eq!(one, hex::encode(expected));
        assert_eq!(one, hash(root, &patterns(&["./package-lock.json"])).expect("hash"));

        let all = hash(root, &patterns(&["**/package-lock.json"])).expect("hash");
        assert_ne!(all, one);
        assert_eq!(all, hash(root, &patterns(&["a/**/*.json", "package-lock.json"])).expect("hash"), "order-free");

        std::fs::write(root.join("a/b/package-lock.json"), "{\"x\":2}").expect("write");
        assert_ne!(all, hash(root, &patterns(&["**/package-lock.json"])).expect("hash"), "content counts");
    }

    #[test]
    fn patterns_stay_in_the_source_directory() {
        let dir = tempfile::TempDir::new().expect("tempdir");
        assert!(hash(dir.path(), &patterns(&["/etc/passwd"])).unwrap_err().contains("relative"));
        assert!(hash(dir.path(), &patterns(&["../x"])).is_err());
        assert!(hash(dir.path(), &patterns(&["[unclosed"])).unwrap_err().contains("invalid"));
    }

    #[test]
    fn the_script_runs_the_kiln_binary() {
        let text = script_text(Path::new("/opt/it's/kiln"));
        assert_eq!(text, "#!/bin/sh\nexec '/opt/it'\\''s/kiln' agent hash-files -- \"$@\"\n");
    }
}

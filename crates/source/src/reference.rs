//! Fetching with a mirror of the repository kept between builds (CodeBuild's
//! LOCAL_SOURCE_CACHE).
//!
//! The new repository borrows the mirror's objects (git alternates), so the fetch downloads
//! only what the mirror lacks; afterwards the mirror takes what was fetched, and the checkout
//! copies what it borrowed and stops borrowing, as `git clone --reference --dissociate` does:
//! the checkout never depends on the mirror (the build's sandbox does not even show it).

use std::path::{Path, PathBuf};

use crate::SourceError;
use crate::git::{Git, failure};

/// A mirror whose objects the repository being fetched borrows.
pub(crate) struct Borrowed {
    mirror: PathBuf,
}

fn alternates(dest: &Path) -> PathBuf {
    dest.join(".git").join("objects").join("info").join("alternates")
}

/// Before the fetch: creates the mirror if needed, then borrows its objects. A mirror that
/// cannot be used is logged and the fetch goes on without it.
pub(crate) fn borrow(git: &mut Git<'_>, dest: &Path, mirror: &Path) -> Option<Borrowed> {
    let Some(path) = mirror.to_str().filter(|_| mirror.is_absolute()) else {
        git.log(&format!("Not using the source cache {}: not an absolute UTF-8 path", mirror.display()));
        return None;
    };
    if !mirror.join("objects").is_dir() {
        let created = std::fs::create_dir_all(mirror)
            .map_err(SourceError::from)
            .and_then(|()| git.exec(&["init", "--bare", "-q", path]));
        match created {
            Ok(outcome) if outcome.success => {}
            Ok(outcome) => {
                git.log(&format!("Not using the source cache: {}", failure("git init --bare", &outcome)));
                return None;
            }
            Err(e) => {
                git.log(&format!("Not using the source cache: {e}"));
                return None;
            }
        }
    }
    let objects = mirror.join("objects");
    let written = std::fs::create_dir_all(dest.join(".git").join("objects").join("info"))
        .and_then(|()| std::fs::write(alternates(dest), format!("{}\n", objects.display())));
    if let Err(e) = written {
        git.log(&format!("Not using the source cache: {e}"));
        return None;
    }
    Some(Borrowed { mirror: mirror.to_path_buf() })
}

/// After the checkout: the mirror takes what was fetched (full history only: a shallow
/// repository would make the mirror shallow), then the checkout copies the objects it borrowed
/// and stops borrowing. Only that last step can fail the fetch.
pub(crate) fn finish(git: &mut Git<'_>, dest: &Path, borrowed: &Borrowed, shallow: bool) -> Result<(), SourceError> {
    let mirror = borrowed.mirror.to_string_lossy().into_owned();
    let source = dest.to_string_lossy().into_owned();
    if shallow {
        git.log("The source cache is not updated by a shallow fetch (gitCloneDepth)");
    } else {
        git.log("Updating the source cache");
        let args =
            ["--git-dir", &mirror, "fetch", "-q", "--no-tags", &source, "+refs/*:refs/*", "+HEAD:refs/kiln/head"];
        match git.exec(&args) {
            Ok(outcome) if outcome.success => {}
            Ok(outcome) => git.log(&format!("Cannot update the source cache: {}", failure("git fetch", &outcome))),
            Err(e) => git.log(&format!("Cannot update the source cache: {e}")),
        }
    }
    git.run(&["repack", "-a", "-d", "-q"])?;
    std::fs::remove_file(alternates(dest))?;
    Ok(())
}

//! LOCAL_SOURCE_CACHE: a bare mirror per repository URL in the project's local cache
//! directory. The source fetch borrows its objects, so only what changed since an earlier build
//! crosses the network, then copies what it borrowed (the checkout never depends on the
//! mirror, which the sandbox hides) and feeds the mirror what it fetched.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::target::LOCAL_SOURCE_CACHE;
use crate::emit::Emitter;
use crate::protocol::{Job, SourceSpec};

/// The mirror to fetch `source` with, when the project's cache has LOCAL_SOURCE_CACHE.
pub fn source_mirror(job: &Job, source: &SourceSpec, emit: &Emitter) -> Option<PathBuf> {
    let target = job.cache.as_ref().filter(|t| t.has_mode(LOCAL_SOURCE_CACHE))?;
    let super::CacheTarget::Local { dir, .. } = target else { return None };
    let location = source.location.as_deref().map(str::trim).filter(|l| !l.is_empty())?;
    let mirror = mirror_path(dir, location);
    if mirror.exists() {
        emit.agent("LOCAL_SOURCE_CACHE: fetching with the git objects kept from earlier builds");
    } else {
        emit.agent("LOCAL_SOURCE_CACHE: keeping this repository's git objects for later builds");
    }
    Some(mirror)
}

/// `<dir>/source/<hash of the URL>.git`: one mirror per repository, whatever its URL holds.
fn mirror_path(dir: &std::path::Path, location: &str) -> PathBuf {
    let digest = Sha256::digest(location.as_bytes());
    dir.join("source").join(format!("{}.git", hex::encode(&digest[..16])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::target::{CacheTarget, LOCAL_CUSTOM_CACHE};

    fn source(location: &str) -> SourceSpec {
        SourceSpec { kind: "GITHUB".into(), location: Some(location.into()), ..Default::default() }
    }

    #[test]
    fn one_mirror_per_url_only_with_the_mode() {
        let (emit, _) = crate::emit::capture();
        let dir = PathBuf::from("/data/cache/proj");
        let with = |modes: &[&str]| Job {
            cache: Some(CacheTarget::Local { dir: dir.clone(), modes: modes.iter().map(|m| m.to_string()).collect() }),
            ..Default::default()
        };
        let job = with(&[LOCAL_SOURCE_CACHE]);
        let a = source_mirror(&job, &source("https://example.com/a.git"), &emit).expect("mirror");
        let b = source_mirror(&job, &source("https://example.com/b.git"), &emit).expect("mirror");
        assert!(a.starts_with("/data/cache/proj/source") && a.extension().is_some_and(|e| e == "git"));
        assert_ne!(a, b);
        assert_eq!(Some(a), source_mirror(&job, &source(" https://example.com/a.git "), &emit));
        assert_eq!(source_mirror(&with(&[LOCAL_CUSTOM_CACHE]), &source("https://example.com/a.git"), &emit), None);
        assert_eq!(source_mirror(&job, &SourceSpec::default(), &emit), None);
        let s3 = Job { cache: Some(CacheTarget::S3 { bucket: "b".into(), prefix: "p".into() }), ..Default::default() };
        assert_eq!(source_mirror(&s3, &source("https://example.com/a.git"), &emit), None);
    }
}

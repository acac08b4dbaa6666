//! What the executor tells the agent about the project's cache ([`CacheTarget`], in the job),
//! and what the inner stage tells the outer one ([`CacheRequest`], in an event).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `LOCAL` cache mode: the git objects of the sources are kept between builds.
pub const LOCAL_SOURCE_CACHE: &str = "LOCAL_SOURCE_CACHE";
/// `LOCAL` cache mode: Docker layers (accepted; there is no Docker daemon to keep them for).
pub const LOCAL_DOCKER_LAYER_CACHE: &str = "LOCAL_DOCKER_LAYER_CACHE";
/// `LOCAL` cache mode: the buildspec's `cache.paths` are kept between builds.
pub const LOCAL_CUSTOM_CACHE: &str = "LOCAL_CUSTOM_CACHE";

/// Where the project's cache lives. `NO_CACHE` is no target at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CacheTarget {
    /// Archives in the object store under `<bucket>/<prefix>/`; the prefix is the project's
    /// `location` prefix followed by the cache namespace (the project's name unless
    /// `cacheNamespace` is set).
    S3 { bucket: String, prefix: String },
    /// The project's (or namespace's) directory under `<data-dir>/cache`, and the modes asked for
    /// (`LOCAL_*_CACHE`).
    Local { dir: PathBuf, modes: Vec<String> },
}

impl CacheTarget {
    /// Whether this is a LOCAL cache with `mode`.
    pub fn has_mode(&self, mode: &str) -> bool {
        matches!(self, CacheTarget::Local { modes, .. } if modes.iter().any(|m| m == mode))
    }

    /// Whether the buildspec's `cache.paths` are cached at all: always for S3, with
    /// LOCAL_CUSTOM_CACHE for LOCAL.
    pub fn keeps_paths(&self) -> bool {
        matches!(self, CacheTarget::S3 { .. }) || self.has_mode(LOCAL_CUSTOM_CACHE)
    }
}

/// The buildspec's `cache` section as the build's shell evaluated it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRequest {
    /// `cache.paths`, with variables expanded: absolute, or relative to `CODEBUILD_SRC_DIR`.
    pub paths: Vec<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub fallback_keys: Vec<String>,
    /// `None`: restore and save.
    #[serde(default)]
    pub action: Option<CacheAction>,
}

/// `cache.action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheAction {
    /// Restore only, never save.
    Restore,
    /// Save only, never restore.
    Save,
}

impl From<kiln_buildspec::CacheAction> for CacheAction {
    fn from(action: kiln_buildspec::CacheAction) -> Self {
        match action {
            kiln_buildspec::CacheAction::Restore => CacheAction::Restore,
            kiln_buildspec::CacheAction::Save => CacheAction::Save,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_serialize_with_their_type() {
        let s3 = CacheTarget::S3 { bucket: "b".into(), prefix: "p/proj".into() };
        let json = serde_json::to_string(&s3).expect("json");
        assert_eq!(json, r#"{"type":"S3","bucket":"b","prefix":"p/proj"}"#);
        let local = CacheTarget::Local { dir: "/d".into(), modes: vec![LOCAL_SOURCE_CACHE.into()] };
        let back: CacheTarget = serde_json::from_str(&serde_json::to_string(&local).expect("json")).expect("parse");
        assert_eq!(back, local);
        assert!(s3.keeps_paths());
        assert!(!local.keeps_paths(), "LOCAL keeps paths only with LOCAL_CUSTOM_CACHE");
        assert!(local.has_mode(LOCAL_SOURCE_CACHE));
        assert!(!s3.has_mode(LOCAL_SOURCE_CACHE));
    }
}

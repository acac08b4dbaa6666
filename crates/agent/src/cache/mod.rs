//! CodeBuild's build caches: the S3 cache (tar archives in the object store under the project's
//! cache `location`) and the LOCAL cache (`<data-dir>/cache/<project or cacheNamespace>/`:
//! LOCAL_CUSTOM_CACHE archives, LOCAL_SOURCE_CACHE git mirrors; LOCAL_DOCKER_LAYER_CACHE is
//! accepted and reported as not applicable).
//!
//! Who does what:
//! * the inner stage, in the sandbox, evaluates `cache.paths`, `cache.key` and
//!   `cache.fallback-keys` in the build's shell before INSTALL, sends them in an
//!   [`Event::CacheRestore`](crate::protocol::Event::CacheRestore) and waits on its stdin until
//!   the cache is restored; after succeeding phases it evaluates them again for an
//!   [`Event::CacheSave`](crate::protocol::Event::CacheSave);
//! * the outer stage, which alone reaches the object store and the data dir, maps the paths
//!   onto the build directory ([`paths`]), restores, answers, and saves in UPLOAD_ARTIFACTS.
//!
//! A cache is found by its version (a hash of its paths) and its key: the exact key first, then
//! the newest cache of each fallback key taken as a prefix; without a key, the project's one
//! cache, replaced by each successful build. A key's cache is never replaced. `action: restore`
//! never saves, `action: save` never restores. Cache problems are logged; they never fail a
//! build.

mod archive;
mod hash_files;
mod inner;
mod keys;
mod outer;
mod paths;
mod source;
mod store;
mod target;

pub use hash_files::main as hash_files_main;
pub use inner::{after_phases, before_install};
pub use outer::{restore, save};
pub use source::source_mirror;
pub use target::{
    CacheAction, CacheRequest, CacheTarget, LOCAL_CUSTOM_CACHE, LOCAL_DOCKER_LAYER_CACHE, LOCAL_SOURCE_CACHE,
};

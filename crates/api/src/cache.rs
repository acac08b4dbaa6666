//! Build caches, the operation layer's side: where a project's cache lives (the executor puts
//! it in the agent's job), the checks of `cache` and `cacheOverride`, and
//! InvalidateProjectCache.
//!
//! An S3 cache lives in the object store under `<bucket>/[<prefix>/]<namespace>/`, from the
//! project's `location` (`bucket` or `bucket/prefix`); a LOCAL cache in
//! `<data-dir>/cache/<namespace>/`. The namespace is `cacheNamespace` when set (projects
//! sharing one share their caches), else the project's name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kiln_model::codebuild::{CacheType, InvalidateProjectCacheInput, InvalidateProjectCacheOutput, ProjectCache};
use kiln_objects::{ListQuery, ObjectError, ObjectStore};

use crate::names::project_name_from;
use crate::{Api, ApiError};

/// What InvalidateProjectCache deletes from: the object store S3 caches are kept in, and the
/// data dir LOCAL caches are kept under.
#[derive(Clone)]
pub struct CacheStorage {
    pub objects: Arc<dyn ObjectStore>,
    pub data_dir: PathBuf,
}

/// The scope of a project's cache, as one path segment.
pub fn namespace(cache: &ProjectCache, project: &str) -> String {
    let name = cache.cache_namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(project);
    kiln_store::path_segment(name)
}

/// An S3 cache's bucket and key prefix (which ends with the namespace); `None` for other types
/// or a missing location.
pub fn s3_location(cache: &ProjectCache, project: &str) -> Option<(String, String)> {
    if cache.r#type != Some(CacheType::S3) {
        return None;
    }
    let location = cache.location.as_deref()?.trim().trim_matches('/');
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    if bucket.is_empty() {
        return None;
    }
    let prefix = prefix.trim_matches('/');
    let namespace = namespace(cache, project);
    let prefix = if prefix.is_empty() { namespace } else { format!("{prefix}/{namespace}") };
    Some((bucket.to_string(), prefix))
}

/// A LOCAL cache's directory.
pub fn local_dir(data_dir: &Path, cache: &ProjectCache, project: &str) -> PathBuf {
    data_dir.join("cache").join(namespace(cache, project))
}

fn invalid(message: String) -> ApiError {
    ApiError::InvalidInput(format!("Invalid input: {message}"))
}

/// `cache` (or `cacheOverride`): S3 needs a location, LOCAL at least one mode, NO_CACHE takes
/// neither; modes are for LOCAL only.
pub(crate) fn check_cache(field: &str, cache: &ProjectCache) -> Result<(), ApiError> {
    let Some(kind) = cache.r#type else { return Ok(()) };
    let location = cache.location.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let has_modes = cache.modes.as_ref().is_some_and(|m| !m.is_empty());
    if cache.cache_namespace.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(invalid(format!("{field}.cacheNamespace must not be empty")));
    }
    match kind {
        CacheType::NoCache => {
            if location.is_some() {
                return Err(invalid(format!("{field}.location cannot be set for cache type NO_CACHE")));
            }
            if has_modes {
                return Err(invalid(format!("{field}.modes cannot be set for cache type NO_CACHE")));
            }
        }
        CacheType::S3 => {
            let Some(location) = location else {
                return Err(invalid(format!("{field}.location must be set for cache type S3")));
            };
            let bucket = location.split('/').next().unwrap_or_default();
            if let Err(e) = kiln_objects::names::validate_bucket(bucket) {
                return Err(invalid(format!(
                    "{field}.location must be a bucket name optionally followed by /prefix, got {location:?}: {e}"
                )));
            }
            if has_modes {
                return Err(invalid(format!("{field}.modes can only be set for cache type LOCAL")));
            }
        }
        CacheType::Local => {
            if !has_modes {
                return Err(invalid(format!("{field}.modes must list at least one mode for cache type LOCAL")));
            }
        }
    }
    Ok(())
}

impl Api {
    /// The server's cache storage, for InvalidateProjectCache.
    pub fn with_caches(mut self, caches: CacheStorage) -> Self {
        self.caches = Some(caches);
        self
    }

    /// Deletes the project's caches: its LOCAL cache directory, and every S3 cache object under
    /// its namespace. Builds after it start with no cache.
    pub fn invalidate_project_cache(
        &self,
        input: InvalidateProjectCacheInput,
    ) -> Result<InvalidateProjectCacheOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = project_name_from(input.project_name.as_deref().unwrap_or_default()).to_string();
        let project = self.load_project(&name)?;
        let Some(storage) = &self.caches else {
            return Err(ApiError::Unsupported("this Kiln server keeps no build caches".to_string()));
        };
        let cache = project.cache.unwrap_or_default();
        let dir = local_dir(&storage.data_dir, &cache, &name);
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(ApiError::Internal(format!("cannot delete the local cache {}: {e}", dir.display())));
            }
            _ => {}
        }
        if let Some((bucket, prefix)) = s3_location(&cache, &name) {
            delete_prefix(storage.objects.as_ref(), &bucket, &format!("{prefix}/"))?;
        }
        Ok(InvalidateProjectCacheOutput {})
    }
}

fn delete_prefix(objects: &dyn ObjectStore, bucket: &str, prefix: &str) -> Result<(), ApiError> {
    let internal = |e: ObjectError| ApiError::Internal(format!("cannot delete the S3 cache in {bucket}: {e}"));
    let mut query = ListQuery { prefix: prefix.to_string(), ..Default::default() };
    loop {
        let page = match objects.list(bucket, &query) {
            Ok(page) => page,
            // No bucket, no cache.
            Err(ObjectError::NoSuchBucket(_)) => return Ok(()),
            Err(e) => return Err(internal(e)),
        };
        for object in &page.objects {
            objects.delete(bucket, &object.key).map_err(internal)?;
        }
        match page.next_continuation {
            Some(next) => query.continuation = Some(next),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use kiln_model::codebuild::*;
    use kiln_objects::{FsObjectStore, PutOptions};

    use super::*;

    fn cache(kind: CacheType, location: Option<&str>, modes: &[CacheMode]) -> ProjectCache {
        ProjectCache {
            r#type: Some(kind),
            location: location.map(str::to_string),
            modes: (!modes.is_empty()).then(|| modes.to_vec()),
            cache_namespace: None,
        }
    }

    fn message(result: Result<(), ApiError>) -> String {
        match result {
            Err(ApiError::InvalidInput(message)) => message,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn cache_settings_are_checked() {
        assert!(check_cache("cache", &cache(CacheType::NoCache, None, &[])).is_ok());
        assert!(check_cache("cache", &cache(CacheType::S3, Some("bucket/some/prefix"), &[])).is_ok());
        assert!(check_cache("cache", &cache(CacheType::Local, None, &[CacheMode::LocalCustomCache])).is_ok());
        assert_eq!(
            message(check_cache("cache", &cache(CacheType::S3, None, &[]))),
            "Invalid input: cache.location must be set for cache type S3"
        );
        assert!(
            message(check_cache("cache", &cache(CacheType::S3, Some("Bad_Bucket/p"), &[]))).contains("bucket name")
        );
        assert!(
            message(check_cache("cacheOverride", &cache(CacheType::S3, Some("b-1"), &[CacheMode::LocalSourceCache])))
                .starts_with("Invalid input: cacheOverride.modes can only be set")
        );
        assert_eq!(
            message(check_cache("cache", &cache(CacheType::Local, None, &[]))),
            "Invalid input: cache.modes must list at least one mode for cache type LOCAL"
        );
        assert!(message(check_cache("cache", &cache(CacheType::NoCache, Some("bucket"), &[]))).contains("NO_CACHE"));
        assert!(
            message(check_cache("cache", &cache(CacheType::NoCache, None, &[CacheMode::LocalSourceCache])))
                .contains("NO_CACHE")
        );
        let mut empty_namespace = cache(CacheType::S3, Some("bucket"), &[]);
        empty_namespace.cache_namespace = Some(" ".into());
        assert!(message(check_cache("cache", &empty_namespace)).contains("cacheNamespace"));
    }

    #[test]
    fn caches_live_under_the_namespace() {
        let s3 = cache(CacheType::S3, Some("bucket/team/"), &[]);
        assert_eq!(s3_location(&s3, "proj"), Some(("bucket".into(), "team/proj".into())));
        assert_eq!(
            s3_location(&cache(CacheType::S3, Some("bucket"), &[]), "proj"),
            Some(("bucket".into(), "proj".into()))
        );
        let shared = ProjectCache { cache_namespace: Some("shared/ns".into()), ..s3.clone() };
        assert_eq!(s3_location(&shared, "proj"), Some(("bucket".into(), "team/shared%2Fns".into())));
        assert_eq!(s3_location(&cache(CacheType::Local, None, &[CacheMode::LocalCustomCache]), "proj"), None);
        assert_eq!(local_dir(Path::new("/data"), &s3, "proj"), Path::new("/data/cache/proj"));
        let dots = ProjectCache { cache_namespace: Some("..".into()), ..s3 };
        assert_eq!(local_dir(Path::new("/data"), &dots, "proj"), Path::new("/data/cache/%2E%2E"));
    }

    fn create(api: &Api, name: &str, cache: ProjectCache) {
        let buildspec = "version: 0.2\nphases:\n  build:\n    commands: [true]\n";
        let input = CreateProjectInput { cache: Some(cache), ..crate::testing::no_source_project(name, buildspec) };
        api.create_project(input).expect("create project");
    }

    #[test]
    fn invalidating_deletes_the_projects_caches_only() {
        let tmp = tempfile::TempDir::new().expect("tempdir");
        let objects = Arc::new(FsObjectStore::open(&tmp.path().join("objects")).expect("objects"));
        objects.create_bucket("cache-bucket").expect("bucket");
        let put = |key: &str| {
            objects.put("cache-bucket", key, &mut &b"tar"[..], &PutOptions::default()).expect("put");
        };
        for key in ["team/proj/v1/default", "team/proj/v1/keys/npm-1", "team/project-two/v1/default", "team/proj"] {
            put(key);
        }
        let local = tmp.path().join("cache").join("proj").join("custom");
        std::fs::create_dir_all(&local).expect("mkdir");
        std::fs::write(local.join("archive"), "tar").expect("write");

        let api = crate::testing::api();
        create(&api, "proj", cache(CacheType::S3, Some("cache-bucket/team"), &[]));
        let input = InvalidateProjectCacheInput { project_name: Some("proj".into()) };
        assert!(matches!(api.invalidate_project_cache(input.clone()), Err(ApiError::Unsupported(_))));

        let api = api.with_caches(CacheStorage { objects: objects.clone(), data_dir: tmp.path().to_path_buf() });
        api.invalidate_project_cache(input.clone()).expect("invalidate");
        let left: Vec<String> = objects
            .list("cache-bucket", &ListQuery::default())
            .expect("list")
            .objects
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(left, ["team/proj", "team/project-two/v1/default"], "only objects under team/proj/ go");
        assert!(!tmp.path().join("cache").join("proj").exists());
        api.invalidate_project_cache(input).expect("invalidating nothing succeeds");

        let unknown = api.invalidate_project_cache(InvalidateProjectCacheInput { project_name: Some("nope".into()) });
        assert!(matches!(unknown, Err(ApiError::ResourceNotFound(_))), "{unknown:?}");
        let missing = api.invalidate_project_cache(InvalidateProjectCacheInput { project_name: None });
        assert!(matches!(missing, Err(ApiError::InvalidInput(_))), "{missing:?}");
    }
}

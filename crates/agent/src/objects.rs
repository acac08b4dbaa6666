//! The object store builds read S3 sources from and write artifacts and caches to: the
//! directory store under the data dir, or an S3-compatible endpoint when the server was
//! configured with one. The executor passes that configuration to the outer stage in its
//! environment (never in the job file, and the inner stage's environment is cleared), so the
//! store's credentials never reach a build's commands.

use kiln_objects::{FsObjectStore, ObjectStore, S3Config, S3ObjectStore};

use crate::protocol::{Context, Job};

/// The environment variables that name an S3-compatible object store.
pub const ENDPOINT: &str = "KILN_OBJECT_STORE_ENDPOINT";
pub const REGION: &str = "KILN_OBJECT_STORE_REGION";
pub const ACCESS_KEY_ID: &str = "KILN_OBJECT_STORE_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY: &str = "KILN_OBJECT_STORE_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN: &str = "KILN_OBJECT_STORE_SESSION_TOKEN";

/// Opens the build's object store.
pub fn open(job: &Job) -> Result<Box<dyn ObjectStore>, Context> {
    let failed = |e: kiln_objects::ObjectError| Context {
        status_code: "CLIENT_ERROR".to_string(),
        message: format!("cannot open the object store: {e}"),
    };
    if let Some(config) = s3_config_from_env(&job.region) {
        return Ok(Box::new(S3ObjectStore::new(config).map_err(failed)?));
    }
    Ok(Box::new(FsObjectStore::open(&job.objects_dir).map_err(failed)?))
}

/// The S3-compatible store the environment names, if any.
pub fn s3_config_from_env(default_region: &str) -> Option<S3Config> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let endpoint = var(ENDPOINT)?;
    let mut config = S3Config::new(
        endpoint,
        var(REGION).unwrap_or_else(|| default_region.to_string()),
        var(ACCESS_KEY_ID).unwrap_or_default(),
        var(SECRET_ACCESS_KEY).unwrap_or_default(),
    );
    config.session_token = var(SESSION_TOKEN);
    Some(config)
}

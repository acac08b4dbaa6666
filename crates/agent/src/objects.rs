//! The object store builds read S3 sources from and write artifacts to.

use kiln_objects::{FsObjectStore, ObjectStore};

use crate::protocol::{Context, Job};

/// Opens the build's object store: the directory store under the data dir.
pub fn open(job: &Job) -> Result<Box<dyn ObjectStore>, Context> {
    let store = FsObjectStore::open(&job.objects_dir).map_err(|e| Context {
        status_code: "CLIENT_ERROR".to_string(),
        message: format!("cannot open the object store: {e}"),
    })?;
    Ok(Box::new(store))
}

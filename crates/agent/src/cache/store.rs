//! Where cache archives are kept: the object store (S3 caches) or a directory of the data dir
//! (LOCAL caches), behind the four operations a cache needs.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use kiln_objects::{ListQuery, ObjectError, ObjectStore, PutOptions};

use super::target::CacheTarget;
use crate::protocol::Job;

/// An archive found in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Its name, as [`super::keys::archive_name`] makes them.
    pub name: String,
    pub size: u64,
}

pub enum Store {
    Objects { store: Box<dyn ObjectStore>, bucket: String, prefix: String, build_arn: String },
    Local { dir: PathBuf },
}

impl Store {
    pub fn open(job: &Job, target: &CacheTarget) -> Result<Store, String> {
        Ok(match target {
            CacheTarget::S3 { bucket, prefix } => Store::Objects {
                store: crate::objects::open(job).map_err(|c| c.message)?,
                bucket: bucket.clone(),
                prefix: prefix.trim_matches('/').to_string(),
                build_arn: job.build_arn.clone(),
            },
            CacheTarget::Local { dir, .. } => Store::Local { dir: dir.join("custom") },
        })
    }

    /// Where an archive is, for the log.
    pub fn describe(&self, name: &str) -> String {
        match self {
            Store::Objects { bucket, .. } => format!("s3://{bucket}/{}", self.object_key(name)),
            Store::Local { .. } => format!("the local cache ({name})"),
        }
    }

    fn object_key(&self, name: &str) -> String {
        match self {
            Store::Objects { prefix, .. } if !prefix.is_empty() => format!("{prefix}/{name}"),
            _ => name.to_string(),
        }
    }

    fn local_path(dir: &Path, name: &str) -> PathBuf {
        name.split('/').fold(dir.to_path_buf(), |path, part| path.join(part))
    }

    /// The archive of exactly this name.
    pub fn exact(&self, name: &str) -> Result<Option<Hit>, String> {
        match self {
            Store::Objects { store, bucket, .. } => match store.head(bucket, &self.object_key(name), None) {
                Ok(meta) => Ok(Some(Hit { name: name.to_string(), size: meta.size })),
                Err(ObjectError::NoSuchKey(_)) => Ok(None),
                Err(e) => Err(object_error(bucket, &e)),
            },
            Store::Local { dir } => match std::fs::metadata(Self::local_path(dir, name)) {
                Ok(meta) if meta.is_file() => Ok(Some(Hit { name: name.to_string(), size: meta.len() })),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.to_string()),
            },
        }
    }

    /// The most recently saved archive whose name starts with `prefix`.
    pub fn newest_with_prefix(&self, prefix: &str) -> Result<Option<Hit>, String> {
        let mut newest: Option<(i64, Hit)> = None;
        let mut consider = |modified: i64, hit: Hit| {
            if newest.as_ref().is_none_or(|(m, h)| (modified, &hit.name) > (*m, &h.name)) {
                newest = Some((modified, hit));
            }
        };
        match self {
            Store::Objects { store, bucket, .. } => {
                let full = self.object_key(prefix);
                let strip = full.len() - prefix.len();
                let mut query = ListQuery { prefix: full, ..Default::default() };
                loop {
                    let page = store.list(bucket, &query).map_err(|e| object_error(bucket, &e))?;
                    for object in page.objects {
                        let name = object.key.get(strip..).unwrap_or_default().to_string();
                        consider(object.last_modified_ms, Hit { name, size: object.size });
                    }
                    match page.next_continuation {
                        Some(next) => query.continuation = Some(next),
                        None => break,
                    }
                }
            }
            Store::Local { dir } => {
                let (parent, start) = prefix.rsplit_once('/').unwrap_or(("", prefix));
                let folder = Self::local_path(dir, parent);
                let entries = match std::fs::read_dir(&folder) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e.to_string()),
                };
                for entry in entries.flatten() {
                    let Some(file) = entry.file_name().to_str().map(str::to_string) else { continue };
                    let Ok(meta) = entry.metadata() else { continue };
                    if !file.starts_with(start) || !meta.is_file() || file.starts_with(TEMP_PREFIX) {
                        continue;
                    }
                    let modified = meta
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_millis() as i64)
                        .unwrap_or_default();
                    let name = if parent.is_empty() { file } else { format!("{parent}/{file}") };
                    consider(modified, Hit { name, size: meta.len() });
                }
            }
        }
        Ok(newest.map(|(_, hit)| hit))
    }

    pub fn read(&self, hit: &Hit) -> Result<Box<dyn Read + Send>, String> {
        match self {
            Store::Objects { store, bucket, .. } => store
                .get(bucket, &self.object_key(&hit.name), None)
                .map(|(_, reader)| reader)
                .map_err(|e| object_error(bucket, &e)),
            Store::Local { dir } => {
                let file = File::open(Self::local_path(dir, &hit.name)).map_err(|e| e.to_string())?;
                Ok(Box::new(file))
            }
        }
    }

    /// Stores the archive at `file` under `name`, replacing any archive of that name at once.
    pub fn put(&self, name: &str, file: &Path) -> Result<(), String> {
        let mut data = File::open(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        match self {
            Store::Objects { store, bucket, build_arn, .. } => {
                let options = PutOptions {
                    content_type: Some("application/x-tar".to_string()),
                    metadata: [("codebuild-buildarn".to_string(), build_arn.clone())].into_iter().collect(),
                };
                store.put(bucket, &self.object_key(name), &mut data, &options).map_err(|e| object_error(bucket, &e))?;
            }
            Store::Local { dir } => {
                let path = Self::local_path(dir, name);
                let parent = path.parent().unwrap_or(dir);
                std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
                // Written beside, then renamed over: a build restoring at the same time reads
                // the old archive or the new one, never half of one.
                let temp = parent.join(format!("{TEMP_PREFIX}{}-{}", std::process::id(), crate::clock::now_ms()));
                let copied = File::create(&temp).and_then(|mut out| std::io::copy(&mut data, &mut out));
                if let Err(e) = copied.and_then(|_| std::fs::rename(&temp, &path)) {
                    let _ = std::fs::remove_file(&temp);
                    return Err(format!("writing {}: {e}", path.display()));
                }
            }
        }
        Ok(())
    }
}

/// Archives being written; never taken for an archive (`%` in a name is always followed by two
/// upper-case hex digits, see `keys::encode`).
const TEMP_PREFIX: &str = "%tmp-";

fn object_error(bucket: &str, e: &ObjectError) -> String {
    match e {
        ObjectError::NoSuchBucket(_) => format!("the cache bucket {bucket} does not exist"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use kiln_objects::FsObjectStore;

    use super::*;

    fn archive(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join(format!("{text}.tar"));
        std::fs::write(&path, text).expect("write");
        path
    }

    fn contents(store: &Store, hit: &Hit) -> String {
        let mut text = String::new();
        store.read(hit).expect("read").read_to_string(&mut text).expect("read");
        text
    }

    /// Saves are ordered by their millisecond: let the clock move on so the order is known.
    fn next_millisecond() {
        let now = crate::clock::now_ms();
        while crate::clock::now_ms() == now {
            std::hint::spin_loop();
        }
    }

    fn check_store(store: &Store, files: &Path) {
        assert_eq!(store.exact("v/keys/npm-a").expect("exact"), None);
        assert_eq!(store.newest_with_prefix("v/keys/npm-").expect("prefix"), None);
        store.put("v/keys/npm-a", &archive(files, "first")).expect("put");
        store.put("v/keys/other", &archive(files, "other")).expect("put");
        store.put("w/keys/npm-b", &archive(files, "other version")).expect("put");
        next_millisecond();
        store.put("v/keys/npm-b", &archive(files, "second")).expect("put");
        next_millisecond();
        // A later save of an existing name replaces it (names with keys are never saved twice).
        store.put("v/keys/npm-a", &archive(files, "first again")).expect("put");
        let hit = store.exact("v/keys/npm-a").expect("exact").expect("found");
        assert_eq!((hit.size, contents(store, &hit).as_str()), (11, "first again"));
        let newest = store.newest_with_prefix("v/keys/npm-").expect("prefix").expect("found");
        assert_eq!(newest.name, "v/keys/npm-a", "the most recently saved of npm-a and npm-b");
        assert_eq!(
            store.newest_with_prefix("v/keys/npm-b").expect("prefix").map(|h| h.name).as_deref(),
            Some("v/keys/npm-b")
        );
        assert_eq!(store.newest_with_prefix("v/keys/zzz").expect("prefix"), None);
    }

    #[test]
    fn local_store_finds_exact_and_newest_archives() {
        let tmp = tempfile::TempDir::new().expect("tempdir");
        let store = Store::Local { dir: tmp.path().join("cache") };
        check_store(&store, tmp.path());
        assert!(tmp.path().join("cache/v/keys/npm-a").is_file());
    }

    #[test]
    fn object_store_finds_exact_and_newest_archives() {
        let tmp = tempfile::TempDir::new().expect("tempdir");
        let objects = FsObjectStore::open(&tmp.path().join("objects")).expect("open");
        objects.create_bucket("cache-bucket").expect("bucket");
        let store = Store::Objects {
            store: Box::new(objects),
            bucket: "cache-bucket".into(),
            prefix: "team/proj".into(),
            build_arn: "arn:aws:codebuild:us-east-1:000000000000:build/p:1".into(),
        };
        check_store(&store, tmp.path());
        assert_eq!(store.describe("v/default"), "s3://cache-bucket/team/proj/v/default");
    }

    #[test]
    fn a_missing_bucket_is_reported() {
        let tmp = tempfile::TempDir::new().expect("tempdir");
        let objects = FsObjectStore::open(&tmp.path().join("objects")).expect("open");
        let store = Store::Objects {
            store: Box::new(objects),
            bucket: "nope".into(),
            prefix: "p".into(),
            build_arn: String::new(),
        };
        assert_eq!(store.exact("v/default"), Err("the cache bucket nope does not exist".to_string()));
        assert!(store.put("v/default", &archive(tmp.path(), "x")).unwrap_err().contains("does not exist"));
    }
}

//! [`FsObjectStore`]: buckets and versioned objects in a directory, safe for several processes.
//!
//! ```text
//! <root>/buckets/<bucket>/bucket.json          creation time
//! <root>/buckets/<bucket>/objects/<name>/<vid>  one file per version (content + trailer)
//! <root>/uploads/<bucket>/<upload id>/          multipart uploads in progress
//! <root>/tmp/                                   temporary files, renamed into place
//! ```
//!
//! `<name>` is the encoded key (`names::encode_key`); `<vid>` a 32-hex-digit version id that
//! sorts by creation time, so the latest version is the greatest name. Every change is one
//! rename (or one `rmdir`), so readers never see half an object, and a bucket exists exactly
//! while its `objects` directory does.

use std::fs::{self, File};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::format::{self, Header, io};
use crate::names::{self, DecodedName};
use crate::{ListQuery, Listing, ObjectError, ObjectMeta, ObjectStore, PutOptions, Result};

/// Temporary files older than this are leftovers of a crashed writer.
const STALE_TEMP: Duration = Duration::from_secs(24 * 3600);

/// Objects in a directory tree. Cheap to clone; all state is on disk.
#[derive(Debug, Clone)]
pub struct FsObjectStore {
    root: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct BucketInfo {
    created_ms: i64,
}

impl FsObjectStore {
    /// Opens (creating if needed) the store in `dir`, and removes stale temporary files.
    pub fn open(dir: &Path) -> Result<FsObjectStore> {
        let store = FsObjectStore { root: dir.to_path_buf() };
        for sub in ["buckets", "uploads", "tmp"] {
            fs::create_dir_all(store.root.join(sub)).map_err(io("creating the object store"))?;
        }
        store.sweep_temp();
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn sweep_temp(&self) {
        let Ok(entries) = fs::read_dir(self.root.join("tmp")) else { return };
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_TEMP));
            if old {
                let path = entry.path();
                let _ = fs::remove_dir_all(&path).or_else(|_| fs::remove_file(&path));
            }
        }
    }

    pub(crate) fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(bucket)
    }

    pub(crate) fn objects_dir(&self, bucket: &str) -> PathBuf {
        self.bucket_dir(bucket).join("objects")
    }

    fn key_dir(&self, bucket: &str, key: &str) -> PathBuf {
        self.objects_dir(bucket).join(names::encode_key(key))
    }

    pub(crate) fn uploads_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("uploads").join(bucket)
    }

    /// A fresh path in the store's temporary directory (same filesystem as the data).
    pub(crate) fn temp_path(&self, what: &str) -> PathBuf {
        self.root.join("tmp").join(format!("{what}-{}", new_id()))
    }

    /// Validates the name and checks that the bucket exists.
    pub(crate) fn require_bucket(&self, bucket: &str) -> Result<()> {
        names::validate_bucket(bucket)?;
        if self.objects_dir(bucket).is_dir() { Ok(()) } else { Err(ObjectError::NoSuchBucket(bucket.to_owned())) }
    }

    /// Moves a finished temporary file in as version `vid` of `key`. A concurrent delete may
    /// remove the key's directory between its creation and the rename: then try again.
    pub(crate) fn install(&self, bucket: &str, key: &str, temp: &Path, vid: &str) -> Result<()> {
        let result = self.try_install(bucket, key, temp, vid);
        if result.is_err() {
            let _ = fs::remove_file(temp);
        }
        result
    }

    fn try_install(&self, bucket: &str, key: &str, temp: &Path, vid: &str) -> Result<()> {
        let dir = self.key_dir(bucket, key);
        for _ in 0..16 {
            match fs::create_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) if e.kind() == ErrorKind::NotFound => return Err(ObjectError::NoSuchBucket(bucket.to_owned())),
                Err(e) => return Err(io("creating the key directory")(e)),
            }
            match fs::rename(temp, dir.join(vid)) {
                Ok(()) => {
                    sync_dir(&dir);
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::NotFound && temp.exists() => continue,
                Err(e) => return Err(io("storing the object")(e)),
            }
        }
        Err(ObjectError::Io(format!("storing {key}: the key kept being deleted")))
    }

    /// The path of the version to read: the one asked for, or the latest.
    fn version_path(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<PathBuf> {
        names::validate_key(key)?;
        self.require_bucket(bucket)?;
        let dir = self.key_dir(bucket, key);
        match version_id {
            Some(v) if names::is_id(v) => Ok(dir.join(v)),
            Some(v) => Err(ObjectError::NoSuchVersion(v.to_owned())),
            None => latest_version(&dir)?.ok_or_else(|| ObjectError::NoSuchKey(key.to_owned())),
        }
    }

    /// Opens a version and reads its header; a version deleted meanwhile is "no such key".
    fn open_version(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<(File, Header)> {
        // The latest version may vanish between the listing and the open (a concurrent
        // delete): look again, a few times, before giving up.
        for _ in 0..4 {
            let path = self.version_path(bucket, key, version_id)?;
            let mut file = match File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == ErrorKind::NotFound => match version_id {
                    Some(v) => return Err(ObjectError::NoSuchVersion(v.to_owned())),
                    None => continue,
                },
                Err(e) => return Err(io("opening the object")(e)),
            };
            let header = format::read_header(&mut file)?;
            if header.key != key {
                // Only possible for a hashed name whose hash collides: treat as absent.
                return Err(ObjectError::NoSuchKey(key.to_owned()));
            }
            return Ok((file, header));
        }
        Err(ObjectError::NoSuchKey(key.to_owned()))
    }

    /// The latest version's header of the key stored under file name `name`, if any.
    fn latest_header(&self, bucket: &str, name: &str) -> Result<Option<Header>> {
        let dir = self.objects_dir(bucket).join(name);
        let Some(path) = latest_version(&dir)? else { return Ok(None) };
        match File::open(&path) {
            Ok(mut file) => format::read_header(&mut file).map(Some),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("opening the object")(e)),
        }
    }

    /// Removes `path` by renaming it into the temporary directory first, so that it vanishes
    /// at once for other processes. `Ok(false)` when it did not exist.
    pub(crate) fn remove_tree(&self, path: &Path) -> Result<bool> {
        let doomed = self.temp_path("del");
        match fs::rename(path, &doomed) {
            Ok(()) => {
                let _ = fs::remove_dir_all(&doomed);
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io("deleting")(e)),
        }
    }
}

impl ObjectStore for FsObjectStore {
    fn create_bucket(&self, bucket: &str) -> Result<()> {
        names::validate_bucket(bucket)?;
        let staging = self.temp_path("bucket");
        let built = (|| -> io::Result<()> {
            fs::create_dir_all(staging.join("objects"))?;
            let info = serde_json::to_vec(&BucketInfo { created_ms: now_ms() })?;
            fs::write(staging.join("bucket.json"), info)
        })();
        let result = built.map_err(io("creating the bucket")).and_then(|()| {
            for attempt in 0..2 {
                match fs::rename(&staging, self.bucket_dir(bucket)) {
                    Ok(()) => {
                        sync_dir(&self.root.join("buckets"));
                        return Ok(());
                    }
                    // Renaming onto a non-empty directory fails: the bucket exists, unless it is
                    // the remains of a delete that crashed after removing `objects`.
                    Err(e) if matches!(e.kind(), ErrorKind::DirectoryNotEmpty | ErrorKind::AlreadyExists) => {
                        if attempt > 0 || self.objects_dir(bucket).is_dir() {
                            return Err(ObjectError::BucketAlreadyOwnedByYou(bucket.to_owned()));
                        }
                        self.remove_tree(&self.bucket_dir(bucket))?;
                    }
                    Err(e) => return Err(io("creating the bucket")(e)),
                }
            }
            Err(ObjectError::BucketAlreadyOwnedByYou(bucket.to_owned()))
        });
        if result.is_err() {
            let _ = fs::remove_dir_all(&staging);
        }
        result
    }

    fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.require_bucket(bucket)?;
        let objects = self.objects_dir(bucket);
        // Key directories left empty by a crashed writer do not make a bucket non-empty.
        if let Ok(entries) = fs::read_dir(&objects) {
            for entry in entries.flatten() {
                let _ = fs::remove_dir(entry.path());
            }
        }
        // rmdir is the atomic emptiness check: it fails if a put landed meanwhile.
        match fs::remove_dir(&objects) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::DirectoryNotEmpty => {
                return Err(ObjectError::BucketNotEmpty(bucket.to_owned()));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(ObjectError::NoSuchBucket(bucket.to_owned())),
            Err(e) => return Err(io("deleting the bucket")(e)),
        }
        self.remove_tree(&self.bucket_dir(bucket))?;
        self.remove_tree(&self.uploads_dir(bucket))?;
        Ok(())
    }

    fn list_buckets(&self) -> Result<Vec<(String, i64)>> {
        let entries = fs::read_dir(self.root.join("buckets")).map_err(io("listing buckets"))?;
        let mut buckets = Vec::new();
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else { continue };
            if names::validate_bucket(&name).is_err() || !entry.path().join("objects").is_dir() {
                continue;
            }
            let created_ms = fs::read(entry.path().join("bucket.json"))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<BucketInfo>(&bytes).ok())
                .map_or(0, |info| info.created_ms);
            buckets.push((name, created_ms));
        }
        buckets.sort();
        Ok(buckets)
    }

    fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        names::validate_bucket(bucket)?;
        Ok(self.objects_dir(bucket).is_dir())
    }

    fn put(&self, bucket: &str, key: &str, data: &mut dyn Read, options: &PutOptions) -> Result<ObjectMeta> {
        names::validate_key(key)?;
        self.require_bucket(bucket)?;
        let vid = new_id();
        let temp = TempFile::create(self.temp_path("put"))?;
        let (size, md5) = copy_hashing(data, temp.file())?;
        let header = Header {
            key: key.to_owned(),
            size,
            etag: format!("\"{}\"", hex::encode(md5)),
            last_modified_ms: now_ms(),
            version_id: vid.clone(),
            content_type: options.content_type.clone(),
            metadata: options.metadata.clone(),
        };
        let path = temp.finish(&header)?;
        self.install(bucket, key, &path, &vid)?;
        Ok(header.meta(bucket))
    }

    fn head(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<ObjectMeta> {
        Ok(self.open_version(bucket, key, version_id)?.1.meta(bucket))
    }

    fn get(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<(ObjectMeta, Box<dyn Read + Send>)> {
        self.get_range(bucket, key, version_id, 0..u64::MAX)
    }

    fn get_range(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        range: Range<u64>,
    ) -> Result<(ObjectMeta, Box<dyn Read + Send>)> {
        let (mut file, header) = self.open_version(bucket, key, version_id)?;
        let start = range.start.min(header.size);
        let end = range.end.clamp(start, header.size);
        file.seek(SeekFrom::Start(start)).map_err(io("reading the object"))?;
        Ok((header.meta(bucket), Box::new(file.take(end - start))))
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        names::validate_key(key)?;
        self.require_bucket(bucket)?;
        self.remove_tree(&self.key_dir(bucket, key))?;
        Ok(())
    }

    fn list(&self, bucket: &str, query: &ListQuery) -> Result<Listing> {
        self.require_bucket(bucket)?;
        let entries = match fs::read_dir(self.objects_dir(bucket)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(ObjectError::NoSuchBucket(bucket.to_owned())),
            Err(e) => return Err(io("listing objects")(e)),
        };
        // Readable names give their key for free; hashed names need their header, kept so
        // that it is read only once.
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut hashed = std::collections::HashMap::new();
        for entry in entries {
            let entry = entry.map_err(io("listing objects"))?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            match names::decode_name(&name) {
                DecodedName::Key(key) if key.starts_with(&query.prefix) => keys.push((key, name)),
                DecodedName::Hashed => {
                    if let Some(header) = self.latest_header(bucket, &name)?
                        && header.key.starts_with(&query.prefix)
                    {
                        keys.push((header.key.clone(), name));
                        hashed.insert(header.key.clone(), header);
                    }
                }
                _ => {}
            }
        }
        keys.sort();
        keys.dedup_by(|a, b| a.0 == b.0);
        let names: std::collections::HashMap<&str, &str> =
            keys.iter().map(|(key, name)| (key.as_str(), name.as_str())).collect();
        let sorted: Vec<String> = keys.iter().map(|(key, _)| key.clone()).collect();
        crate::list::page(&sorted, query, |key| {
            if let Some(header) = hashed.get(key) {
                return Ok(Some(header.clone().meta(bucket)));
            }
            let Some(name) = names.get(key) else { return Ok(None) };
            Ok(self.latest_header(bucket, name)?.map(|h| h.meta(bucket)))
        })
    }

    fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<String> {
        crate::multipart::create(self, bucket, key, options)
    }

    fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        data: &mut dyn Read,
    ) -> Result<crate::PartMeta> {
        crate::multipart::upload_part(self, bucket, key, upload_id, part_number, data)
    }

    fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[crate::CompletedPart],
    ) -> Result<ObjectMeta> {
        crate::multipart::complete(self, bucket, key, upload_id, parts)
    }

    fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        crate::multipart::abort(self, bucket, key, upload_id)
    }
}

/// The greatest version file name in a key directory.
fn latest_version(dir: &Path) -> Result<Option<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("reading the key directory")(e)),
    };
    let latest = entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| names::is_id(name))
        .max();
    Ok(latest.map(|name| dir.join(name)))
}

/// A temporary file that is removed unless `finish` handed it over.
pub(crate) struct TempFile {
    path: PathBuf,
    file: File,
}

impl TempFile {
    pub(crate) fn create(path: PathBuf) -> Result<TempFile> {
        let file = File::options().write(true).create_new(true).open(&path).map_err(io("creating a temporary file"))?;
        Ok(TempFile { path, file })
    }

    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Appends the trailer and syncs; the caller then owns the file at the returned path and
    /// must rename it into place (`install`, which removes it if that fails).
    pub(crate) fn finish(mut self, header: &Header) -> Result<PathBuf> {
        format::write_trailer(&mut self.file, header)?;
        self.file.sync_all().map_err(io("syncing the object"))?;
        Ok(std::mem::take(&mut self.path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Copies all of `data` into `out`, returning its length and MD5.
pub(crate) fn copy_hashing(data: &mut dyn Read, mut out: &File) -> Result<(u64, [u8; 16])> {
    let mut md5 = Md5::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(ObjectError::Io(format!("reading the object's content: {e}"))),
        };
        md5.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(io("writing the object"))?;
        size += n as u64;
    }
    Ok((size, md5.finalize().into()))
}

/// Makes a rename durable; a failure only weakens durability, so it is not an error.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// 32 hex digits: nanoseconds since the epoch (strictly increasing within this process), then
/// 64 random bits. Ids of later writes sort after earlier ones; the random half keeps ids
/// of different processes apart.
pub(crate) fn new_id() -> String {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(0));
    let mut prev = LAST.load(Ordering::Relaxed);
    let stamp = loop {
        let next = now.max(prev + 1);
        match LAST.compare_exchange_weak(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break next,
            Err(seen) => prev = seen,
        }
    };
    let random = uuid::Uuid::new_v4().as_u64_pair().0;
    format!("{stamp:016x}{random:016x}")
}

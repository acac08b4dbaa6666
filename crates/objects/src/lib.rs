//! Kiln's object store: where artifacts, caches and S3 sources live, behind one trait.
//!
//! The default implementation keeps objects in a directory under the data dir. It is used by
//! several processes at once (the server answering the S3 API, build agents uploading
//! artifacts), so every write lands atomically (write to a temporary file, then rename).
//! [`S3ObjectStore`] keeps them in any S3-compatible endpoint instead.

#[cfg(feature = "conformance")]
pub mod conformance;
mod format;
mod fs;
mod list;
mod multipart;
pub mod names;
mod s3;
pub mod xml;

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;

pub use fs::FsObjectStore;
pub use s3::{S3Config, S3ObjectStore};

/// Everything that can go wrong in an object store call.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("The specified bucket does not exist: {0}")]
    NoSuchBucket(String),
    #[error("The specified key does not exist: {0}")]
    NoSuchKey(String),
    #[error("The specified version does not exist: {0}")]
    NoSuchVersion(String),
    #[error("The bucket you tried to create already exists and you own it: {0}")]
    BucketAlreadyOwnedByYou(String),
    #[error("The bucket you tried to delete is not empty: {0}")]
    BucketNotEmpty(String),
    #[error("Invalid bucket name: {0}")]
    InvalidBucketName(String),
    #[error("Invalid object key: {0}")]
    InvalidKey(String),
    /// A malformed argument other than a name (e.g. a continuation token, a part number).
    #[error("{0}")]
    InvalidArgument(String),
    #[error("The specified multipart upload does not exist: {0}")]
    NoSuchUpload(String),
    /// A part named in a completion is missing or its ETag differs.
    #[error("One or more of the specified parts could not be found: {0}")]
    InvalidPart(String),
    #[error("The list of parts was not in ascending order. Parts must be ordered by part number.")]
    InvalidPartOrder,
    /// A part other than the last is smaller than 5 MiB.
    #[error("Your proposed upload is smaller than the minimum allowed object size: {0}")]
    EntityTooSmall(String),
    #[error("object storage error: {0}")]
    Io(String),
}

pub type Result<T, E = ObjectError> = std::result::Result<T, E>;

/// What a stored object is, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// The hex MD5 of the content, quoted as S3 sends it (`"…"`); for an object made by a
    /// multipart upload, S3's `"<hex MD5 of the parts' MD5s>-<number of parts>"`.
    pub etag: String,
    pub last_modified_ms: i64,
    /// Set when the bucket keeps versions (S3 sources are addressed by version id).
    pub version_id: Option<String>,
    pub content_type: Option<String>,
    /// User metadata (`x-amz-meta-*`), names lowercased without the prefix.
    pub metadata: BTreeMap<String, String>,
}

/// Options of a put.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// One page of a listing, as ListObjectsV2 needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub objects: Vec<ObjectMeta>,
    /// With a delimiter: the distinct prefixes up to and including the delimiter.
    pub common_prefixes: Vec<String>,
    /// Set when more keys follow; pass it back as `continuation`.
    pub next_continuation: Option<String>,
}

/// A listing request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// List keys strictly after this one.
    pub start_after: Option<String>,
    pub continuation: Option<String>,
    /// The most keys and common prefixes to return; 0 means no limit (the S3 layer caps it).
    pub max_keys: usize,
}

/// A part of a multipart upload, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartMeta {
    pub part_number: u32,
    pub size: u64,
    /// The part's quoted hex MD5.
    pub etag: String,
}

/// A part as a completion names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// Quoted or not.
    pub etag: String,
}

/// S3's limits on multipart uploads.
pub const MAX_PART_NUMBER: u32 = 10_000;
/// Every part but the last must be at least this large.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

pub trait ObjectStore: Send + Sync {
    fn create_bucket(&self, bucket: &str) -> Result<()>;
    fn delete_bucket(&self, bucket: &str) -> Result<()>;
    fn list_buckets(&self) -> Result<Vec<(String, i64)>>;
    fn bucket_exists(&self, bucket: &str) -> Result<bool>;
    /// Stores an object, replacing (or, in a versioned bucket, adding a version over) any
    /// previous one.
    fn put(&self, bucket: &str, key: &str, data: &mut dyn Read, options: &PutOptions) -> Result<ObjectMeta>;
    fn head(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<ObjectMeta>;
    fn get(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<(ObjectMeta, Box<dyn Read + Send>)>;
    /// Deleting a missing key succeeds, as in S3.
    fn delete(&self, bucket: &str, key: &str) -> Result<()>;
    fn list(&self, bucket: &str, query: &ListQuery) -> Result<Listing>;

    /// The bytes `range` of a version (pin one with `version_id` from a `head` to read a
    /// consistent object); the range is cut to the object's size. The default reads and
    /// discards up to the start; stores that can seek override it.
    fn get_range(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        range: Range<u64>,
    ) -> Result<(ObjectMeta, Box<dyn Read + Send>)> {
        let (meta, mut reader) = self.get(bucket, key, version_id)?;
        let start = range.start.min(meta.size);
        let end = range.end.clamp(start, meta.size);
        std::io::copy(&mut (&mut reader).take(start), &mut std::io::sink())
            .map_err(|e| ObjectError::Io(format!("reading object: {e}")))?;
        Ok((meta, Box::new(reader.take(end - start))))
    }

    /// Starts a multipart upload (S3's CreateMultipartUpload); returns the upload id.
    fn create_multipart(&self, _bucket: &str, _key: &str, _options: &PutOptions) -> Result<String> {
        Err(ObjectError::Io("this object store does not support multipart uploads".to_owned()))
    }

    /// Stores (or replaces) one part, numbered 1 to [`MAX_PART_NUMBER`].
    fn upload_part(
        &self,
        _bucket: &str,
        _key: &str,
        upload_id: &str,
        _part_number: u32,
        _data: &mut dyn Read,
    ) -> Result<PartMeta> {
        Err(ObjectError::NoSuchUpload(upload_id.to_owned()))
    }

    /// Joins the named parts, in ascending order, into a new version of the key.
    fn complete_multipart(
        &self,
        _bucket: &str,
        _key: &str,
        upload_id: &str,
        _parts: &[CompletedPart],
    ) -> Result<ObjectMeta> {
        Err(ObjectError::NoSuchUpload(upload_id.to_owned()))
    }

    /// Drops an upload and its parts.
    fn abort_multipart(&self, _bucket: &str, _key: &str, upload_id: &str) -> Result<()> {
        Err(ObjectError::NoSuchUpload(upload_id.to_owned()))
    }
}

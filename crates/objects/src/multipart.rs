//! Multipart uploads: `<root>/uploads/<bucket>/<upload id>/` holds `upload.json` (the key and
//! its put options) and one file per part (content + trailer, as objects). Completing copies
//! the parts into one new version; the upload directory then goes.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::path::PathBuf;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::format::{self, Header, io};
use crate::fs::{FsObjectStore, TempFile, copy_hashing, new_id, now_ms};
use crate::{
    CompletedPart, MAX_PART_NUMBER, MIN_PART_SIZE, ObjectError, ObjectMeta, PartMeta, PutOptions, Result, names,
};

#[derive(Serialize, Deserialize)]
struct Upload {
    key: String,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
    initiated_ms: i64,
}

fn upload_dir(store: &FsObjectStore, bucket: &str, upload_id: &str) -> Result<PathBuf> {
    if !names::is_id(upload_id) {
        return Err(ObjectError::NoSuchUpload(upload_id.to_owned()));
    }
    Ok(store.uploads_dir(bucket).join(upload_id))
}

fn part_path(dir: &std::path::Path, part_number: u32) -> PathBuf {
    dir.join(format!("part-{part_number:05}"))
}

/// The upload's record, which must be for `key`.
fn load(store: &FsObjectStore, bucket: &str, key: &str, upload_id: &str) -> Result<(PathBuf, Upload)> {
    names::validate_key(key)?;
    store.require_bucket(bucket)?;
    let dir = upload_dir(store, bucket, upload_id)?;
    let bytes = match fs::read(dir.join("upload.json")) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(ObjectError::NoSuchUpload(upload_id.to_owned())),
        Err(e) => return Err(io("reading the upload")(e)),
    };
    let upload: Upload =
        serde_json::from_slice(&bytes).map_err(|e| ObjectError::Io(format!("upload record is damaged: {e}")))?;
    if upload.key != key {
        return Err(ObjectError::NoSuchUpload(upload_id.to_owned()));
    }
    Ok((dir, upload))
}

pub fn create(store: &FsObjectStore, bucket: &str, key: &str, options: &PutOptions) -> Result<String> {
    names::validate_key(key)?;
    store.require_bucket(bucket)?;
    let id = new_id();
    let staging = store.temp_path("upload");
    let record = Upload {
        key: key.to_owned(),
        content_type: options.content_type.clone(),
        metadata: options.metadata.clone(),
        initiated_ms: now_ms(),
    };
    let built = (|| -> std::io::Result<()> {
        fs::create_dir(&staging)?;
        fs::write(staging.join("upload.json"), serde_json::to_vec(&record)?)?;
        fs::create_dir_all(store.uploads_dir(bucket))?;
        fs::rename(&staging, store.uploads_dir(bucket).join(&id))
    })();
    if let Err(e) = built {
        let _ = fs::remove_dir_all(&staging);
        return Err(io("starting the upload")(e));
    }
    Ok(id)
}

pub fn upload_part(
    store: &FsObjectStore,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: u32,
    data: &mut dyn Read,
) -> Result<PartMeta> {
    if !(1..=MAX_PART_NUMBER).contains(&part_number) {
        return Err(ObjectError::InvalidArgument(format!(
            "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
        )));
    }
    let (dir, _) = load(store, bucket, key, upload_id)?;
    let temp = TempFile::create(store.temp_path("part"))?;
    let (size, md5) = copy_hashing(data, temp.file())?;
    let etag = format!("\"{}\"", hex::encode(md5));
    let header = Header {
        key: key.to_owned(),
        size,
        etag: etag.clone(),
        last_modified_ms: now_ms(),
        version_id: new_id(),
        content_type: None,
        metadata: BTreeMap::new(),
    };
    let path = temp.finish(&header)?;
    // A part uploaded again replaces the earlier one, as in S3.
    if let Err(e) = fs::rename(&path, part_path(&dir, part_number)) {
        let _ = fs::remove_file(&path);
        return Err(if e.kind() == ErrorKind::NotFound {
            ObjectError::NoSuchUpload(upload_id.to_owned())
        } else {
            io("storing the part")(e)
        });
    }
    Ok(PartMeta { part_number, size, etag })
}

pub fn complete(
    store: &FsObjectStore,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[CompletedPart],
) -> Result<ObjectMeta> {
    let (dir, upload) = load(store, bucket, key, upload_id)?;
    if parts.is_empty() {
        return Err(ObjectError::InvalidArgument("You must specify at least one part".to_owned()));
    }
    if parts.windows(2).any(|pair| pair[0].part_number >= pair[1].part_number) {
        return Err(ObjectError::InvalidPartOrder);
    }
    // Check every part before writing anything.
    let mut files = Vec::with_capacity(parts.len());
    let mut md5s = Md5::new();
    for (i, part) in parts.iter().enumerate() {
        let missing = || ObjectError::InvalidPart(format!("part {}", part.part_number));
        let mut file = match File::open(part_path(&dir, part.part_number)) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(missing()),
            Err(e) => return Err(io("reading a part")(e)),
        };
        let header = format::read_header(&mut file)?;
        if header.etag.trim_matches('"') != part.etag.trim_matches('"') {
            return Err(missing());
        }
        if i + 1 < parts.len() && header.size < MIN_PART_SIZE {
            return Err(ObjectError::EntityTooSmall(format!(
                "part {} is {} bytes; every part but the last must be at least {MIN_PART_SIZE}",
                part.part_number, header.size
            )));
        }
        let md5 = hex::decode(header.etag.trim_matches('"'))
            .map_err(|_| ObjectError::Io("part record is damaged".to_owned()))?;
        md5s.update(&md5);
        files.push((file, header.size));
    }

    let temp = TempFile::create(store.temp_path("complete"))?;
    let mut size = 0u64;
    for (file, part_size) in files {
        use std::io::{Seek, SeekFrom};
        let mut file = file;
        file.seek(SeekFrom::Start(0)).map_err(io("reading a part"))?;
        let (copied, _) = copy_hashing(&mut file.take(part_size), temp.file())?;
        size += copied;
    }
    let vid = new_id();
    let header = Header {
        key: key.to_owned(),
        size,
        etag: format!("\"{}-{}\"", hex::encode(md5s.finalize()), parts.len()),
        last_modified_ms: now_ms(),
        version_id: vid.clone(),
        content_type: upload.content_type,
        metadata: upload.metadata,
    };
    let path = temp.finish(&header)?;
    store.install(bucket, key, &path, &vid)?;
    store.remove_tree(&dir)?;
    Ok(header.meta(bucket))
}

pub fn abort(store: &FsObjectStore, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
    let (dir, _) = load(store, bucket, key, upload_id)?;
    if store.remove_tree(&dir)? { Ok(()) } else { Err(ObjectError::NoSuchUpload(upload_id.to_owned())) }
}

//! The file of one object version (or one multipart part): the content, then a JSON trailer
//! with what the object is, then the trailer's length and a magic number. Content and
//! description live in one file so that a single rename publishes both.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

use serde::{Deserialize, Serialize};

use crate::{ObjectError, ObjectMeta, Result};

const MAGIC: &[u8; 8] = b"KILNOBJ1";
/// Length (u64 LE) + magic.
const FOOTER: u64 = 16;
/// Metadata is capped far below this by S3 (2 KB of user metadata); anything larger is damage.
const MAX_TRAILER: u64 = 1 << 20;

/// What is stored about a version beside its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub version_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

impl Header {
    pub fn meta(self, bucket: &str) -> ObjectMeta {
        ObjectMeta {
            bucket: bucket.to_owned(),
            key: self.key,
            size: self.size,
            etag: self.etag,
            last_modified_ms: self.last_modified_ms,
            version_id: Some(self.version_id),
            content_type: self.content_type,
            metadata: self.metadata,
        }
    }
}

/// Appends the trailer after `header.size` bytes of content already written.
pub fn write_trailer(out: &mut impl Write, header: &Header) -> Result<()> {
    let json = serde_json::to_vec(header).map_err(|e| ObjectError::Io(format!("encoding object header: {e}")))?;
    out.write_all(&json).map_err(io("writing object header"))?;
    out.write_all(&(json.len() as u64).to_le_bytes()).map_err(io("writing object header"))?;
    out.write_all(MAGIC).map_err(io("writing object header"))?;
    Ok(())
}

/// Reads the trailer of an object file. The file's position afterwards is unspecified.
pub fn read_header(file: &mut File) -> Result<Header> {
    let len = file.metadata().map_err(io("reading object"))?.len();
    let damaged = || ObjectError::Io("object file is damaged (bad trailer)".to_owned());
    if len < FOOTER {
        return Err(damaged());
    }
    let mut footer = [0u8; FOOTER as usize];
    file.seek(SeekFrom::Start(len - FOOTER)).map_err(io("reading object"))?;
    file.read_exact(&mut footer).map_err(io("reading object"))?;
    let (size_bytes, magic) = footer.split_at(8);
    let trailer_len = u64::from_le_bytes(size_bytes.try_into().map_err(|_| damaged())?);
    if magic != MAGIC || trailer_len > MAX_TRAILER || trailer_len + FOOTER > len {
        return Err(damaged());
    }
    let content_len = len - FOOTER - trailer_len;
    let mut json = vec![0u8; usize::try_from(trailer_len).map_err(|_| damaged())?];
    file.seek(SeekFrom::Start(content_len)).map_err(io("reading object"))?;
    file.read_exact(&mut json).map_err(io("reading object"))?;
    let header: Header = serde_json::from_slice(&json).map_err(|_| damaged())?;
    if header.size != content_len {
        return Err(damaged());
    }
    Ok(header)
}

pub fn io(what: &'static str) -> impl Fn(std::io::Error) -> ObjectError {
    move |e| ObjectError::Io(format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(size: u64) -> Header {
        Header {
            key: "a/b".into(),
            size,
            etag: "\"x\"".into(),
            last_modified_ms: 5,
            version_id: "0".repeat(32),
            content_type: Some("text/plain".into()),
            metadata: BTreeMap::from([("k".to_owned(), "v\nw".to_owned())]),
        }
    }

    #[test]
    fn trailer_round_trips_and_damage_is_detected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("obj");
        let mut file = File::create(&path).expect("create");
        file.write_all(b"hello").expect("write");
        write_trailer(&mut file, &header(5)).expect("trailer");
        drop(file);
        let mut file = File::open(&path).expect("open");
        assert_eq!(read_header(&mut file).expect("header"), header(5));

        // A size that does not match the content, a truncated file, and junk are all refused.
        let mut wrong = File::create(&path).expect("create");
        wrong.write_all(b"hello!").expect("write");
        write_trailer(&mut wrong, &header(5)).expect("trailer");
        drop(wrong);
        assert!(read_header(&mut File::open(&path).expect("open")).is_err());
        std::fs::write(&path, b"short").expect("write");
        assert!(read_header(&mut File::open(&path).expect("open")).is_err());
        std::fs::write(&path, [0xffu8; 64]).expect("write");
        assert!(read_header(&mut File::open(&path).expect("open")).is_err());
    }
}

//! Multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload and
//! AbortMultipartUpload.

use std::io::Read;

use http::Method;

use super::spool::Spool;
use super::transport::{Payload, Request, Transport};
use super::{finish, header, with_options};
use crate::xml;
use crate::{CompletedPart, MAX_PART_NUMBER, ObjectError, PartMeta, PutOptions, Result};

pub fn create(transport: &Transport, bucket: &str, key: &str, options: &PutOptions) -> Result<String> {
    let request = with_options(Request::new(Method::POST, Some(bucket), Some(key)).query("uploads", ""), options)?;
    let (_, root) = transport.send_for_xml(request)?;
    root.child_text("UploadId")
        .map(str::trim)
        .filter(|id| root.name == "InitiateMultipartUploadResult" && !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ObjectError::Io(format!("starting an upload of {bucket}/{key}: the answer has no UploadId")))
}

pub fn upload_part(
    transport: &Transport,
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
    let mut spool = Spool::read(data)?;
    let size = spool.size;
    let request = Request::new(Method::PUT, Some(bucket), Some(key))
        .query("partNumber", part_number.to_string())
        .upload(upload_id)
        .payload(Payload::Spool(&mut spool));
    let response = transport.send(request)?;
    let etag = header(&response, "etag").ok_or_else(|| {
        ObjectError::Io(format!("uploading part {part_number} of {bucket}/{key}: the answer has no ETag"))
    })?;
    finish(response);
    Ok(PartMeta { part_number, size, etag })
}

/// Returns the new object's ETag and version id.
pub fn complete(
    transport: &Transport,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[CompletedPart],
) -> Result<(String, Option<String>)> {
    if parts.is_empty() {
        return Err(ObjectError::InvalidArgument("You must specify at least one part".to_owned()));
    }
    let mut doc = String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for part in parts {
        // S3 wants the ETag quoted, as it gave it.
        let etag = format!("\"{}\"", part.etag.trim_matches('"'));
        doc.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            part.part_number,
            xml::escape(&etag)
        ));
    }
    doc.push_str("</CompleteMultipartUpload>");
    let request =
        Request::new(Method::POST, Some(bucket), Some(key)).upload(upload_id).payload(Payload::Bytes(doc.into_bytes()));
    let (headers, root) = transport.send_for_xml(request)?;
    let etag = root
        .child_text("ETag")
        .map(|e| e.trim().to_owned())
        .filter(|_| root.name == "CompleteMultipartUploadResult")
        .ok_or_else(|| ObjectError::Io(format!("completing the upload of {bucket}/{key}: the answer has no ETag")))?;
    let version_id = headers
        .get("x-amz-version-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && *v != "null")
        .map(str::to_owned);
    Ok((etag, version_id))
}

pub fn abort(transport: &Transport, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
    finish(transport.send(Request::new(Method::DELETE, Some(bucket), Some(key)).upload(upload_id))?);
    Ok(())
}

//! Multipart uploads, as boto3's `upload_file` and `aws s3 cp` use them above 8 MiB:
//! CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use kiln_objects::{CompletedPart, MAX_PART_NUMBER};

use super::object::open_body;
use super::{Ctx, blocking, empty, put_options, set, xml};
use crate::MAX_OBJECT_SIZE;
use crate::error::S3Error;
use crate::inbound::{self, BodySpec};
use crate::xml::{self as x, Xml};

fn upload_id<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str, S3Error> {
    ctx.param("uploadId").ok_or_else(|| S3Error::invalid_argument("This operation needs an uploadId"))
}

pub async fn create(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    let options = put_options(&ctx.parts.headers)?;
    let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
    let id = blocking(move || store.create_multipart(&bucket, &key, &options).map_err(S3Error::from)).await?;
    let mut doc = Xml::document();
    doc.open_root("InitiateMultipartUploadResult");
    doc.element("Bucket", &ctx.bucket);
    doc.element("Key", &ctx.key);
    doc.element("UploadId", &id);
    doc.close("InitiateMultipartUploadResult");
    Ok(xml(StatusCode::OK, doc.finish()))
}

pub async fn upload_part(ctx: &Ctx<'_>, body: Body) -> Result<Response, S3Error> {
    let id = upload_id(ctx)?.to_owned();
    let part_number = ctx
        .param("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            S3Error::invalid_argument(format!(
                "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
            ))
        })?;
    let (mut inbound, fault, spec) = open_body(ctx, body, MAX_OBJECT_SIZE)?;
    let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
    let part = blocking(move || {
        store
            .upload_part(&bucket, &key, &id, part_number, &mut inbound)
            .map_err(|e| fault.take().unwrap_or_else(|| e.into()))
    })
    .await?;
    let mut response = empty(StatusCode::OK);
    set(response.headers_mut(), "etag", &part.etag);
    if let Some((algorithm, Some(value))) = &spec.checksum {
        set(response.headers_mut(), algorithm.header(), value);
    }
    Ok(response)
}

/// `<CompleteMultipartUpload><Part><PartNumber>n</PartNumber><ETag>"…"</ETag></Part>…`.
fn parse_parts(text: &str) -> Result<Vec<CompletedPart>, S3Error> {
    let root = x::parse(text).filter(|r| r.name == "CompleteMultipartUpload").ok_or_else(S3Error::malformed_xml)?;
    let parts = root
        .children_named("Part")
        .map(|part| {
            let number = part.child_text("PartNumber").and_then(|n| n.trim().parse().ok());
            match (number, part.child_text("ETag")) {
                (Some(part_number), Some(etag)) => Ok(CompletedPart { part_number, etag: etag.trim().to_owned() }),
                _ => Err(S3Error::malformed_xml()),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if parts.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    Ok(parts)
}

pub async fn complete(ctx: &Ctx<'_>, body: Body) -> Result<Response, S3Error> {
    let id = upload_id(ctx)?.to_owned();
    let spec = BodySpec::from_headers(&ctx.parts.headers)?;
    let bytes = inbound::read_small(body, &spec, 8 * 1024 * 1024).await?;
    let text = String::from_utf8(bytes).map_err(|_| S3Error::malformed_xml())?;
    let parts = parse_parts(&text)?;
    let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
    let meta = blocking(move || store.complete_multipart(&bucket, &key, &id, &parts).map_err(S3Error::from)).await?;
    let host = ctx.header("host").unwrap_or("localhost");
    let mut doc = Xml::document();
    doc.open_root("CompleteMultipartUploadResult");
    doc.element("Location", &format!("http://{host}{}", ctx.parts.uri.path()));
    doc.element("Bucket", &ctx.bucket);
    doc.element("Key", &ctx.key);
    doc.element("ETag", &meta.etag);
    doc.close("CompleteMultipartUploadResult");
    let mut response = xml(StatusCode::OK, doc.finish());
    if let Some(version) = &meta.version_id {
        set(response.headers_mut(), "x-amz-version-id", version);
    }
    Ok(response)
}

pub async fn abort(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    let id = upload_id(ctx)?.to_owned();
    let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
    blocking(move || store.abort_multipart(&bucket, &key, &id).map_err(S3Error::from)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_bodies_are_read_as_botocore_writes_them() {
        let body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                    <Part><ETag>&quot;abc&quot;</ETag><PartNumber>1</PartNumber></Part>\
                    <Part><ETag>\"def\"</ETag><PartNumber>2</PartNumber><ChecksumCRC32>x</ChecksumCRC32></Part>\
                    </CompleteMultipartUpload>";
        let parts = parse_parts(body).expect("parts");
        assert_eq!(
            parts,
            [
                CompletedPart { part_number: 1, etag: "\"abc\"".into() },
                CompletedPart { part_number: 2, etag: "\"def\"".into() }
            ]
        );
        for bad in [
            "<CompleteMultipartUpload/>",
            "<Other><Part><ETag>x</ETag><PartNumber>1</PartNumber></Part></Other>",
            "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><ETag>x</ETag><PartNumber>one</PartNumber></Part></CompleteMultipartUpload>",
        ] {
            assert_eq!(parse_parts(bad).map_err(|e| e.code), Err("MalformedXML"), "{bad}");
        }
    }
}

//! Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
//! GetBucketVersioning.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use super::{Ctx, blocking, empty, set, xml};
use crate::error::S3Error;
use crate::inbound::{self, BodySpec};
use crate::time;
use crate::xml::{self as x, Xml};

/// The owner shown in listings: one account owns every bucket.
pub const OWNER_ID: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
pub const OWNER_NAME: &str = "kiln";

pub fn owner(doc: &mut Xml, element: &str) {
    doc.open(element);
    doc.element("ID", OWNER_ID);
    doc.element("DisplayName", OWNER_NAME);
    doc.close(element);
}

pub async fn list_buckets(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    let store = ctx.store();
    let buckets = blocking(move || store.list_buckets().map_err(S3Error::from)).await?;
    let mut doc = Xml::document();
    doc.open_root("ListAllMyBucketsResult");
    owner(&mut doc, "Owner");
    doc.open("Buckets");
    for (name, created_ms) in buckets {
        doc.open("Bucket");
        doc.element("Name", &name);
        doc.element("CreationDate", &time::iso8601(created_ms));
        doc.close("Bucket");
    }
    doc.close("Buckets");
    doc.close("ListAllMyBucketsResult");
    Ok(xml(StatusCode::OK, doc.finish()))
}

/// The body, if any, is a `CreateBucketConfiguration`; Kiln has one region, so only its
/// well-formedness matters.
pub async fn create(ctx: &Ctx<'_>, body: Body) -> Result<Response, S3Error> {
    let spec = BodySpec::from_headers(&ctx.parts.headers)?;
    let bytes = inbound::read_small(body, &spec, 64 * 1024).await?;
    if !bytes.iter().all(u8::is_ascii_whitespace) {
        let text = std::str::from_utf8(&bytes).map_err(|_| S3Error::malformed_xml())?;
        let config = x::parse(text).ok_or_else(S3Error::malformed_xml)?;
        if config.name != "CreateBucketConfiguration" {
            return Err(S3Error::malformed_xml());
        }
    }
    let (store, bucket) = (ctx.store(), ctx.bucket.clone());
    blocking(move || store.create_bucket(&bucket).map_err(S3Error::from)).await?;
    let mut response = empty(StatusCode::OK);
    set(response.headers_mut(), "location", &format!("/{}", ctx.bucket));
    Ok(response)
}

async fn require(ctx: &Ctx<'_>) -> Result<(), S3Error> {
    let (store, bucket) = (ctx.store(), ctx.bucket.clone());
    let exists = blocking(move || store.bucket_exists(&bucket).map_err(S3Error::from)).await?;
    if exists { Ok(()) } else { Err(S3Error::no_such_bucket(&ctx.bucket)) }
}

pub async fn head(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    require(ctx).await?;
    let mut response = empty(StatusCode::OK);
    set(response.headers_mut(), "x-amz-bucket-region", &ctx.s3.region);
    Ok(response)
}

pub async fn delete(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    let (store, bucket) = (ctx.store(), ctx.bucket.clone());
    blocking(move || store.delete_bucket(&bucket).map_err(S3Error::from)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn location(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    require(ctx).await?;
    let mut doc = Xml::document();
    // us-east-1 is the empty constraint, as S3 answers.
    let region = if ctx.s3.region == "us-east-1" { "" } else { ctx.s3.region.as_str() };
    doc.open_root("LocationConstraint");
    doc.text(region);
    doc.close("LocationConstraint");
    Ok(xml(StatusCode::OK, doc.finish()))
}

pub async fn versioning(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    require(ctx).await?;
    let mut doc = Xml::document();
    doc.open_root("VersioningConfiguration");
    doc.element("Status", "Enabled");
    doc.close("VersioningConfiguration");
    Ok(xml(StatusCode::OK, doc.finish()))
}

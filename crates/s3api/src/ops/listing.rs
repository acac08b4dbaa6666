//! ListObjectsV2 (`?list-type=2`) and the original ListObjects.

use axum::response::Response;
use http::StatusCode;
use kiln_objects::{ListQuery, Listing};

use super::bucket::owner;
use super::{Ctx, blocking, xml};
use crate::error::S3Error;
use crate::request::url_encode;
use crate::time;
use crate::xml::Xml;

/// S3's default and largest page.
const MAX_KEYS: usize = 1000;

fn max_keys(ctx: &Ctx<'_>) -> Result<usize, S3Error> {
    let Some(text) = ctx.query.get("max-keys") else { return Ok(MAX_KEYS) };
    let n: i64 = text
        .parse()
        .map_err(|_| S3Error::invalid_argument("Provided max-keys not an integer or within integer range"))?;
    if n < 0 {
        return Err(S3Error::invalid_argument("Argument maxKeys must be an integer between 0 and 2147483647"));
    }
    Ok(usize::try_from(n).unwrap_or(MAX_KEYS).min(MAX_KEYS))
}

pub async fn list(ctx: &Ctx<'_>, v2: bool) -> Result<Response, S3Error> {
    let max_keys = max_keys(ctx)?;
    let url = match ctx.query.get("encoding-type") {
        None => false,
        Some(e) if e.eq_ignore_ascii_case("url") => true,
        Some(_) => return Err(S3Error::invalid_argument("Invalid Encoding Method specified in Request")),
    };
    let prefix = ctx.query.get("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx.query.get("delimiter").filter(|d| !d.is_empty()).map(str::to_owned);
    let continuation = if v2 { ctx.query.get("continuation-token") } else { None };
    if continuation == Some("") {
        return Err(S3Error::invalid_argument("The continuation token provided is incorrect"));
    }
    let start_after = if v2 { ctx.param("start-after") } else { ctx.param("marker") };
    let query = ListQuery {
        prefix: prefix.clone(),
        delimiter: delimiter.clone(),
        start_after: start_after.map(str::to_owned),
        continuation: continuation.map(str::to_owned),
        max_keys,
    };
    let (store, bucket) = (ctx.store(), ctx.bucket.clone());
    let listing = blocking(move || {
        if max_keys == 0 {
            // Nothing to list, but the bucket must exist.
            return if store.bucket_exists(&bucket)? {
                Ok(Listing::default())
            } else {
                Err(S3Error::no_such_bucket(&bucket))
            };
        }
        store.list(&bucket, &query).map_err(S3Error::from)
    })
    .await?;

    let enc = |text: &str| if url { url_encode(text) } else { text.to_owned() };
    let truncated = listing.next_continuation.is_some();
    let mut doc = Xml::document();
    doc.open_root("ListBucketResult");
    doc.element("Name", &ctx.bucket);
    doc.element("Prefix", &enc(&prefix));
    if v2 {
        if let Some(token) = continuation {
            doc.element("ContinuationToken", token);
        }
        if let Some(token) = &listing.next_continuation {
            doc.element("NextContinuationToken", token);
        }
        if let Some(after) = start_after {
            doc.element("StartAfter", &enc(after));
        }
        doc.element("KeyCount", &(listing.objects.len() + listing.common_prefixes.len()).to_string());
    } else {
        doc.element("Marker", &enc(start_after.unwrap_or_default()));
        // S3 gives NextMarker only with a delimiter; clients use the last key otherwise.
        let last =
            listing.objects.last().map(|o| o.key.as_str()).max(listing.common_prefixes.last().map(String::as_str));
        if let (true, Some(_), Some(last)) = (truncated, &delimiter, last) {
            doc.element("NextMarker", &enc(last));
        }
    }
    doc.element("MaxKeys", &max_keys.to_string());
    if let Some(delimiter) = &delimiter {
        doc.element("Delimiter", &enc(delimiter));
    }
    doc.element("IsTruncated", if truncated { "true" } else { "false" });
    if url {
        doc.element("EncodingType", "url");
    }
    let with_owner = !v2 || ctx.query.get("fetch-owner") == Some("true");
    for object in &listing.objects {
        doc.open("Contents");
        doc.element("Key", &enc(&object.key));
        doc.element("LastModified", &time::iso8601(object.last_modified_ms));
        doc.element("ETag", &object.etag);
        doc.element("Size", &object.size.to_string());
        if with_owner {
            owner(&mut doc, "Owner");
        }
        doc.element("StorageClass", "STANDARD");
        doc.close("Contents");
    }
    for common in &listing.common_prefixes {
        doc.open("CommonPrefixes");
        doc.element("Prefix", &enc(common));
        doc.close("CommonPrefixes");
    }
    doc.close("ListBucketResult");
    Ok(xml(StatusCode::OK, doc.finish()))
}

//! ListObjectsV2 and ListBuckets answers read into Kiln's types. Keys are asked for
//! URL-encoded (`encoding-type=url`), so that any key survives XML.

use super::time::parse_iso8601;
use crate::xml::Element;
use crate::{Listing, ObjectError, ObjectMeta, Result};

/// One page of a ListObjectsV2 answer, and whether more follow.
pub fn objects_page(bucket: &str, root: &Element) -> Result<(Listing, bool)> {
    let bad = |what: &str| ObjectError::Io(format!("listing {bucket}: the answer's {what} is malformed"));
    if root.name != "ListBucketResult" {
        return Err(bad("root element"));
    }
    let url = root.child_text("EncodingType").is_some_and(|e| e.trim().eq_ignore_ascii_case("url"));
    let decode =
        |text: &str| if url { url_decode(text).ok_or_else(|| bad("key encoding")) } else { Ok(text.to_owned()) };
    let mut listing = Listing::default();
    for contents in root.children_named("Contents") {
        let key = decode(contents.child_text("Key").ok_or_else(|| bad("Key"))?)?;
        let size = contents.child_text("Size").and_then(|s| s.trim().parse().ok()).ok_or_else(|| bad("Size"))?;
        listing.objects.push(ObjectMeta {
            bucket: bucket.to_owned(),
            key,
            size,
            etag: contents.child_text("ETag").unwrap_or_default().trim().to_owned(),
            last_modified_ms: contents.child_text("LastModified").and_then(parse_iso8601).unwrap_or(0),
            version_id: None,
            content_type: None,
            metadata: Default::default(),
        });
    }
    for common in root.children_named("CommonPrefixes") {
        listing.common_prefixes.push(decode(common.child_text("Prefix").ok_or_else(|| bad("Prefix"))?)?);
    }
    let truncated = root.child_text("IsTruncated").is_some_and(|t| t.trim() == "true");
    listing.next_continuation =
        root.child_text("NextContinuationToken").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if truncated && listing.next_continuation.is_none() {
        return Err(bad("NextContinuationToken (truncated without one)"));
    }
    Ok((listing, truncated))
}

/// A ListBuckets answer: names and creation times, sorted by name.
pub fn buckets(root: &Element) -> Result<Vec<(String, i64)>> {
    let bad = || ObjectError::Io("listing buckets: the answer is malformed".to_owned());
    if root.name != "ListAllMyBucketsResult" {
        return Err(bad());
    }
    let mut out = Vec::new();
    for bucket in root.child("Buckets").map(|b| b.children_named("Bucket")).into_iter().flatten() {
        let name = bucket.child_text("Name").ok_or_else(bad)?.trim().to_owned();
        let created = bucket.child_text("CreationDate").and_then(parse_iso8601).unwrap_or(0);
        out.push((name, created));
    }
    out.sort();
    Ok(out)
}

/// `%XX` escapes, and `+` as a space (S3 form-encodes spaces in URL-encoded listings).
fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                out.push(u8::from_str_radix(text.get(i + 1..i + 3)?, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn a_listing_page_decodes_keys_and_prefixes() {
        let doc = "<ListBucketResult><Name>b</Name><EncodingType>url</EncodingType>\
            <Contents><Key>a+b%2Bc/%C3%BC</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>\
            <ETag>&quot;x&quot;</ETag><Size>3</Size></Contents>\
            <CommonPrefixes><Prefix>logs%2F</Prefix></CommonPrefixes>\
            <IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken></ListBucketResult>";
        let (page, truncated) = objects_page("b", &parse(doc).expect("xml")).expect("page");
        assert!(truncated);
        assert_eq!(page.objects[0].key, "a b+c/ü");
        assert_eq!(page.objects[0].etag, "\"x\"");
        assert_eq!(page.objects[0].size, 3);
        assert_eq!(page.objects[0].last_modified_ms, 1_255_369_830_000);
        assert_eq!(page.common_prefixes, ["logs/"]);
        assert_eq!(page.next_continuation.as_deref(), Some("tok"));
    }

    #[test]
    fn malformed_listings_are_errors() {
        for doc in [
            "<Other/>",
            "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
            "<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>",
            "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%ZZ</Key><Size>1</Size></Contents></ListBucketResult>",
            "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
        ] {
            assert!(objects_page("b", &parse(doc).expect("xml")).is_err(), "{doc}");
        }
    }

    #[test]
    fn buckets_are_read_and_sorted() {
        let doc = "<ListAllMyBucketsResult><Buckets>\
            <Bucket><Name>zeta</Name><CreationDate>2009-10-12T17:50:30.000Z</CreationDate></Bucket>\
            <Bucket><Name>alpha</Name><CreationDate>1970-01-01T00:00:01.000Z</CreationDate></Bucket>\
            </Buckets></ListAllMyBucketsResult>";
        let list = buckets(&parse(doc).expect("xml")).expect("buckets");
        assert_eq!(list, [("alpha".to_owned(), 1000), ("zeta".to_owned(), 1_255_369_830_000)]);
        assert!(buckets(&parse("<ListAllMyBucketsResult/>").expect("xml")).expect("empty").is_empty());
    }
}

//! Which S3 operation a path-style request is: method, bucket/key and the query's subresource.

use http::{HeaderMap, Method};

use crate::error::S3Error;
use crate::request::{Query, Target};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketVersioning,
    ListObjects,
    ListObjectsV2,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
}

/// Query parameters that select an operation S3 has and Kiln does not.
const UNSUPPORTED: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataTable",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "versions",
    "website",
];

fn refuse_unsupported(query: &Query) -> Result<(), S3Error> {
    match query.names().find(|name| UNSUPPORTED.contains(name)) {
        Some(name) => Err(S3Error::not_implemented(&format!("the '{name}' subresource"))),
        None => Ok(()),
    }
}

pub fn route(method: &Method, target: &Target, query: &Query, headers: &HeaderMap) -> Result<Op, S3Error> {
    refuse_unsupported(query)?;
    let copy = headers.contains_key("x-amz-copy-source");
    let op = match (target.bucket.is_some(), target.key.is_some()) {
        (false, _) => match *method {
            Method::GET => Op::ListBuckets,
            _ => return Err(S3Error::method_not_allowed()),
        },
        (true, false) => match *method {
            Method::PUT if query.has("versioning") => {
                return Err(S3Error::not_implemented("PutBucketVersioning (every bucket keeps versions)"));
            }
            Method::PUT => Op::CreateBucket,
            Method::HEAD => Op::HeadBucket,
            Method::DELETE => Op::DeleteBucket,
            Method::GET if query.has("location") => Op::GetBucketLocation,
            Method::GET if query.has("versioning") => Op::GetBucketVersioning,
            Method::GET if query.has("uploads") => return Err(S3Error::not_implemented("ListMultipartUploads")),
            Method::GET if query.get("list-type") == Some("2") => Op::ListObjectsV2,
            Method::GET => Op::ListObjects,
            Method::POST if query.has("delete") => Op::DeleteObjects,
            _ => return Err(S3Error::method_not_allowed()),
        },
        (true, true) => match *method {
            Method::PUT if query.has("uploadId") && copy => return Err(S3Error::not_implemented("UploadPartCopy")),
            Method::PUT if query.has("uploadId") || query.has("partNumber") => Op::UploadPart,
            Method::PUT if copy => Op::CopyObject,
            Method::PUT => Op::PutObject,
            Method::GET if query.has("uploadId") => return Err(S3Error::not_implemented("ListParts")),
            Method::GET => Op::GetObject,
            Method::HEAD => Op::HeadObject,
            Method::DELETE if query.has("uploadId") => Op::AbortMultipartUpload,
            Method::DELETE => Op::DeleteObject,
            Method::POST if query.has("uploads") => Op::CreateMultipartUpload,
            Method::POST if query.has("uploadId") => Op::CompleteMultipartUpload,
            _ => return Err(S3Error::method_not_allowed()),
        },
    };
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_path;

    fn op(method: Method, uri: &str, headers: &[(&'static str, &str)]) -> Result<Op, &'static str> {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().expect("value"));
        }
        route(&method, &parse_path(path).expect("path"), &Query::parse(query).expect("query"), &map).map_err(|e| e.code)
    }

    #[test]
    fn requests_map_to_operations() {
        let cases = [
            (Method::GET, "/", Op::ListBuckets),
            (Method::PUT, "/b", Op::CreateBucket),
            (Method::HEAD, "/b", Op::HeadBucket),
            (Method::DELETE, "/b/", Op::DeleteBucket),
            (Method::GET, "/b?location", Op::GetBucketLocation),
            (Method::GET, "/b?versioning", Op::GetBucketVersioning),
            (Method::GET, "/b?list-type=2&prefix=x", Op::ListObjectsV2),
            (Method::GET, "/b?prefix=x", Op::ListObjects),
            (Method::POST, "/b?delete", Op::DeleteObjects),
            (Method::PUT, "/b/k/x", Op::PutObject),
            (Method::GET, "/b/k?versionId=1", Op::GetObject),
            (Method::HEAD, "/b/k", Op::HeadObject),
            (Method::DELETE, "/b/k", Op::DeleteObject),
            (Method::POST, "/b/k?uploads", Op::CreateMultipartUpload),
            (Method::PUT, "/b/k?uploadId=u&partNumber=1", Op::UploadPart),
            (Method::POST, "/b/k?uploadId=u", Op::CompleteMultipartUpload),
            (Method::DELETE, "/b/k?uploadId=u", Op::AbortMultipartUpload),
        ];
        for (method, uri, want) in cases {
            assert_eq!(op(method.clone(), uri, &[]), Ok(want), "{method} {uri}");
        }
        assert_eq!(op(Method::PUT, "/b/k", &[("x-amz-copy-source", "/a/b")]), Ok(Op::CopyObject));
    }

    #[test]
    fn what_kiln_lacks_is_named_and_the_rest_not_allowed() {
        assert_eq!(op(Method::GET, "/b?acl", &[]), Err("NotImplemented"));
        assert_eq!(op(Method::PUT, "/b/k?tagging", &[]), Err("NotImplemented"));
        assert_eq!(op(Method::GET, "/b?uploads", &[]), Err("NotImplemented"));
        assert_eq!(op(Method::PUT, "/", &[]), Err("MethodNotAllowed"));
        assert_eq!(op(Method::POST, "/b/k", &[]), Err("MethodNotAllowed"));
        assert_eq!(op(Method::PATCH, "/b", &[]), Err("MethodNotAllowed"));
    }
}

//! The S3 service end to end, without a socket: requests as clients send them (signed by
//! aws-sigv4 where keys are configured) through `S3::handle`, over a real `FsObjectStore`.

use std::sync::Arc;
use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use axum::body::Body;
use http::{HeaderMap, Request, StatusCode};
use kiln_objects::FsObjectStore;
use kiln_s3api::S3;
use kiln_wire::sigv4::Credentials;

const HOST: &str = "127.0.0.1:7171";
const KEY: (&str, &str) = ("AKIDS3TEST", "s3-test-secret");

struct Env {
    _dir: tempfile::TempDir,
    s3: S3,
}

fn env(keys: Vec<Credentials>) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsObjectStore::open(&dir.path().join("objects")).expect("store");
    Env { s3: S3::new(Arc::new(store), keys, "us-east-1".to_owned()), _dir: dir }
}

fn keyed() -> Env {
    env(vec![Credentials { access_key_id: KEY.0.to_owned(), secret_access_key: KEY.1.to_owned() }])
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The `<Code>` of an error document.
    fn code(&self) -> String {
        let text = self.text();
        text.split_once("<Code>")
            .and_then(|(_, rest)| rest.split_once("</Code>"))
            .map(|(c, _)| c.to_owned())
            .unwrap_or_default()
    }
}

async fn send(s3: &S3, method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut builder = Request::builder().method(method).uri(uri).header("host", HOST);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(Body::from(body.to_vec())).expect("request");
    reply(s3, request).await
}

async fn reply(s3: &S3, request: Request<Body>) -> Reply {
    let response = s3.handle(request, "REQ-1").await;
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.expect("body").to_vec();
    assert_eq!(parts.headers.get("x-amz-request-id").and_then(|v| v.to_str().ok()), Some("REQ-1"));
    Reply { status: parts.status, headers: parts.headers, body }
}

/// Signs as botocore does for S3 over http: the payload's SHA-256 in `x-amz-content-sha256`.
fn signed(method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8], key: (&str, &str)) -> Request<Body> {
    signed_with(method, uri, headers, body, key, SignableBody::Bytes(body))
}

fn signed_with(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    key: (&str, &str),
    payload: SignableBody<'_>,
) -> Request<Body> {
    let identity = aws_credential_types::Credentials::new(key.0, key.1, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("params")
        .into();
    let url = format!("http://{HOST}{uri}");
    let mut all: Vec<(&str, &str)> = vec![("host", HOST)];
    all.extend_from_slice(headers);
    let signable = SignableRequest::new(method, &url, all.iter().copied(), payload).expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in &all {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::from(body.to_vec())).expect("request");
    instructions.apply_to_request_http1x(&mut request);
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_round_trip_with_s3_headers() {
    let env = env(Vec::new());
    let s3 = &env.s3;
    assert_eq!(send(s3, "PUT", "/bkt", &[], b"").await.status, StatusCode::OK);
    let put = send(
        s3,
        "PUT",
        "/bkt/dir/a%20b.txt",
        &[("content-type", "text/plain"), ("x-amz-meta-owner", "kiln"), ("x-amz-checksum-crc32", "DUoRhQ==")],
        b"hello world",
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    assert_eq!(put.header("etag"), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    assert_eq!(put.header("x-amz-checksum-crc32"), "DUoRhQ==");
    let version = put.header("x-amz-version-id").to_owned();
    assert_eq!(version.len(), 32);

    let got = send(s3, "GET", "/bkt/dir/a%20b.txt", &[], b"").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, b"hello world");
    assert_eq!(got.header("content-type"), "text/plain");
    assert_eq!(got.header("content-length"), "11");
    assert_eq!(got.header("x-amz-meta-owner"), "kiln");
    assert_eq!(got.header("x-amz-version-id"), version);
    assert!(got.header("last-modified").ends_with(" GMT"));

    let head = send(s3, "HEAD", "/bkt/dir/a%20b.txt", &[], b"").await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), "11");

    let range = send(s3, "GET", "/bkt/dir/a%20b.txt", &[("range", "bytes=6-")], b"").await;
    assert_eq!(range.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(range.body, b"world");
    assert_eq!(range.header("content-range"), "bytes 6-10/11");
    let unsatisfiable = send(s3, "GET", "/bkt/dir/a%20b.txt", &[("range", "bytes=50-")], b"").await;
    assert_eq!((unsatisfiable.status.as_u16(), unsatisfiable.code().as_str()), (416, "InvalidRange"));

    // A second put is a new version; the first stays readable by id.
    send(s3, "PUT", "/bkt/dir/a%20b.txt", &[], b"second").await;
    assert_eq!(send(s3, "GET", "/bkt/dir/a%20b.txt", &[], b"").await.body, b"second");
    let old = send(s3, "GET", &format!("/bkt/dir/a%20b.txt?versionId={version}"), &[], b"").await;
    assert_eq!(old.body, b"hello world");
    // Stored without a type: S3's default.
    assert_eq!(send(s3, "HEAD", "/bkt/dir/a%20b.txt", &[], b"").await.header("content-type"), "binary/octet-stream");

    let etag = send(s3, "HEAD", "/bkt/dir/a%20b.txt", &[], b"").await.header("etag").to_owned();
    let same = send(s3, "GET", "/bkt/dir/a%20b.txt", &[("if-none-match", &etag)], b"").await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    assert!(same.body.is_empty());
    let other = send(s3, "GET", "/bkt/dir/a%20b.txt", &[("if-match", "\"0000\"")], b"").await;
    assert_eq!((other.status.as_u16(), other.code().as_str()), (412, "PreconditionFailed"));
    assert_eq!(send(s3, "GET", "/bkt/dir/a%20b.txt", &[("if-match", &etag)], b"").await.body, b"second");

    assert_eq!(send(s3, "DELETE", "/bkt/dir/a%20b.txt", &[], b"").await.status, StatusCode::NO_CONTENT);
    let gone = send(s3, "GET", "/bkt/dir/a%20b.txt", &[], b"").await;
    assert_eq!((gone.status.as_u16(), gone.code().as_str()), (404, "NoSuchKey"));
    assert!(gone.text().contains("<Key>dir/a b.txt</Key>"), "{}", gone.text());
    assert!(gone.text().contains("<Resource>/bkt/dir/a%20b.txt</Resource>"), "{}", gone.text());
    assert_eq!(gone.header("content-type"), "application/xml");
    // HEAD errors have a status and no body.
    let head = send(s3, "HEAD", "/bkt/nothing", &[], b"").await;
    assert_eq!(head.status, StatusCode::NOT_FOUND);
    assert!(head.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_have_s3_errors() {
    let env = env(Vec::new());
    let s3 = &env.s3;
    let missing = send(s3, "GET", "/nobucket/k", &[], b"").await;
    assert_eq!((missing.status.as_u16(), missing.code().as_str()), (404, "NoSuchBucket"));
    assert!(missing.text().contains("<BucketName>nobucket</BucketName>"));
    let bad = send(s3, "PUT", "/Bad_Bucket", &[], b"").await;
    assert_eq!((bad.status.as_u16(), bad.code().as_str()), (400, "InvalidBucketName"));
    assert_eq!(send(s3, "PUT", "/bkt", &[], b"").await.status, StatusCode::OK);
    let again = send(s3, "PUT", "/bkt", &[], b"").await;
    assert_eq!((again.status.as_u16(), again.code().as_str()), (409, "BucketAlreadyOwnedByYou"));
    send(s3, "PUT", "/bkt/k", &[], b"x").await;
    let not_empty = send(s3, "DELETE", "/bkt", &[], b"").await;
    assert_eq!((not_empty.status.as_u16(), not_empty.code().as_str()), (409, "BucketNotEmpty"));
    let head = send(s3, "HEAD", "/bkt", &[], b"").await;
    assert_eq!(head.header("x-amz-bucket-region"), "us-east-1");
    let buckets = send(s3, "GET", "/", &[], b"").await;
    assert!(buckets.text().contains("<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"));
    assert!(buckets.text().contains("<Bucket><Name>bkt</Name><CreationDate>"));
    let location = send(s3, "GET", "/bkt?location", &[], b"").await;
    assert!(
        location
            .text()
            .ends_with("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>")
    );
    let config =
        "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    assert_eq!(send(s3, "PUT", "/other", &[], config.as_bytes()).await.status, StatusCode::OK);
    assert_eq!(send(s3, "PUT", "/third", &[], b"<nope").await.code(), "MalformedXML");
    let unsupported = send(s3, "GET", "/bkt?policy", &[], b"").await;
    assert_eq!((unsupported.status.as_u16(), unsupported.code().as_str()), (501, "NotImplemented"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_page_and_url_encode() {
    let env = env(Vec::new());
    let s3 = &env.s3;
    send(s3, "PUT", "/bkt", &[], b"").await;
    for key in ["a%2Bb", "dir/one", "dir/two", "dir/sub/three", "z%20z"] {
        assert_eq!(send(s3, "PUT", &format!("/bkt/{key}"), &[], b"x").await.status, StatusCode::OK);
    }
    let page = send(s3, "GET", "/bkt?list-type=2&delimiter=%2F&encoding-type=url", &[], b"").await;
    let text = page.text();
    assert!(text.contains("<Contents><Key>a%2Bb</Key>"), "{text}");
    assert!(text.contains("<Key>z%20z</Key>"), "{text}");
    assert!(text.contains("<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>"), "{text}");
    assert!(text.contains("<KeyCount>3</KeyCount>"), "{text}");
    assert!(text.contains("<EncodingType>url</EncodingType>"), "{text}");
    assert!(text.contains("<ETag>&quot;9dd4e461268c8034f5c8564e155c67a6&quot;</ETag>"), "{text}");

    let first = send(s3, "GET", "/bkt?list-type=2&prefix=dir%2F&max-keys=2", &[], b"").await.text();
    assert!(first.contains("<IsTruncated>true</IsTruncated>"), "{first}");
    let token = first
        .split_once("<NextContinuationToken>")
        .and_then(|(_, r)| r.split_once('<'))
        .map(|(t, _)| t)
        .expect("token");
    let second =
        send(s3, "GET", &format!("/bkt?list-type=2&prefix=dir%2F&max-keys=2&continuation-token={token}"), &[], b"")
            .await
            .text();
    assert!(second.contains("<IsTruncated>false</IsTruncated>"), "{second}");
    assert!(second.contains("<Key>dir/two</Key>") && !second.contains("dir/one"), "{second}");

    let v1 = send(s3, "GET", "/bkt?prefix=dir%2F&max-keys=1&delimiter=%2F", &[], b"").await.text();
    assert!(v1.contains("<NextMarker>dir/one</NextMarker>"), "{v1}");
    assert!(v1.contains("<Owner><ID>"), "{v1}");
    let bad = send(s3, "GET", "/bkt?list-type=2&max-keys=ten", &[], b"").await;
    assert_eq!(bad.code(), "InvalidArgument");
    let bad = send(s3, "GET", "/bkt?list-type=2&continuation-token=zz", &[], b"").await;
    assert_eq!(bad.code(), "InvalidArgument");

    let delete = "<Delete><Object><Key>a+b</Key></Object><Object><Key>missing</Key></Object></Delete>";
    let deleted = send(s3, "POST", "/bkt?delete", &[], delete.as_bytes()).await.text();
    assert!(deleted.contains("<Deleted><Key>a+b</Key></Deleted><Deleted><Key>missing</Key></Deleted>"), "{deleted}");
    assert_eq!(send(s3, "GET", "/bkt/a%2Bb", &[], b"").await.code(), "NoSuchKey");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_checked_before_they_are_stored() {
    let env = env(Vec::new());
    let s3 = &env.s3;
    send(s3, "PUT", "/bkt", &[], b"").await;
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")], "BadDigest"),
        (&[("x-amz-checksum-crc32", "AAAAAA==")], "BadDigest"),
        (
            &[("x-amz-content-sha256", "0000000000000000000000000000000000000000000000000000000000000000")],
            "XAmzContentSHA256Mismatch",
        ),
    ];
    for (headers, code) in cases {
        let reply = send(s3, "PUT", "/bkt/k", headers, b"hello world").await;
        assert_eq!((reply.status.as_u16(), reply.code().as_str()), (400, code), "{headers:?}");
        assert_eq!(send(s3, "HEAD", "/bkt/k", &[], b"").await.status, StatusCode::NOT_FOUND, "nothing stored");
    }
    // An aws-chunked body with a checksum trailer is stored decoded.
    let chunked = b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let reply = send(
        s3,
        "PUT",
        "/bkt/k",
        &[
            ("content-encoding", "aws-chunked"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("x-amz-decoded-content-length", "11"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
        ],
        chunked,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(send(s3, "GET", "/bkt/k", &[], b"").await.body, b"hello world");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_uploads_and_copies() {
    let env = env(Vec::new());
    let s3 = &env.s3;
    send(s3, "PUT", "/bkt", &[], b"").await;
    let created = send(s3, "POST", "/bkt/big?uploads", &[("content-type", "application/zip")], b"").await.text();
    let id =
        created.split_once("<UploadId>").and_then(|(_, r)| r.split_once('<')).map(|(t, _)| t.to_owned()).expect("id");
    let part1 = vec![b'a'; 5 * 1024 * 1024];
    let p1 = send(s3, "PUT", &format!("/bkt/big?partNumber=1&uploadId={id}"), &[], &part1).await;
    let p2 = send(s3, "PUT", &format!("/bkt/big?partNumber=2&uploadId={id}"), &[], b"tail").await;
    assert_eq!(p1.status, StatusCode::OK);
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part>\
         <Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        p1.header("etag").replace('"', "&quot;"),
        p2.header("etag")
    );
    let done = send(s3, "POST", &format!("/bkt/big?uploadId={id}"), &[], complete.as_bytes()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert!(done.text().contains("-2&quot;</ETag>"), "{}", done.text());
    let got = send(s3, "GET", "/bkt/big", &[], b"").await;
    assert_eq!(got.body.len(), part1.len() + 4);
    assert_eq!(got.header("content-type"), "application/zip");
    let again = send(s3, "POST", &format!("/bkt/big?uploadId={id}"), &[], complete.as_bytes()).await;
    assert_eq!(again.code(), "NoSuchUpload");
    let bad_part = send(s3, "PUT", "/bkt/big?partNumber=0&uploadId=x", &[], b"").await;
    assert_eq!(bad_part.code(), "InvalidArgument");

    let copied = send(s3, "PUT", "/bkt/copy", &[("x-amz-copy-source", "/bkt/big")], b"").await;
    assert_eq!(copied.status, StatusCode::OK, "{}", copied.text());
    assert!(copied.text().contains("<CopyObjectResult"), "{}", copied.text());
    assert_eq!(send(s3, "HEAD", "/bkt/copy", &[], b"").await.header("content-type"), "application/zip");
    let to_itself = send(s3, "PUT", "/bkt/copy", &[("x-amz-copy-source", "bkt/copy")], b"").await;
    assert_eq!(to_itself.code(), "InvalidRequest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4_is_checked_with_s3_codes() {
    let env = keyed();
    let s3 = &env.s3;
    let ok = reply(s3, signed("PUT", "/bkt", &[], b"", KEY)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let put = reply(s3, signed("PUT", "/bkt/a%20key/%C3%BC", &[("content-type", "text/plain")], b"data", KEY)).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    let listed = reply(s3, signed("GET", "/bkt?list-type=2&prefix=a%20key%2F", &[], b"", KEY)).await;
    assert!(listed.text().contains("<Key>a key/ü</Key>"), "{}", listed.text());

    let wrong = reply(s3, signed("GET", "/bkt/a%20key/%C3%BC", &[], b"", (KEY.0, "wrong"))).await;
    assert_eq!((wrong.status.as_u16(), wrong.code().as_str()), (403, "SignatureDoesNotMatch"));
    let unknown = reply(s3, signed("GET", "/bkt", &[], b"", ("AKIDNOBODY", KEY.1))).await;
    assert_eq!((unknown.status.as_u16(), unknown.code().as_str()), (403, "InvalidAccessKeyId"));
    let anonymous = send(s3, "GET", "/bkt/a%20key/%C3%BC", &[], b"").await;
    assert_eq!((anonymous.status.as_u16(), anonymous.code().as_str()), (403, "AccessDenied"));
    // A body other than the signed one is refused, and not stored.
    let mut tampered = signed("PUT", "/bkt/t", &[], b"signed", KEY);
    *tampered.body_mut() = Body::from("forged");
    let tampered = reply(s3, tampered).await;
    assert_eq!(tampered.code(), "XAmzContentSHA256Mismatch");
    assert_eq!(reply(s3, signed("HEAD", "/bkt/t", &[], b"", KEY)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_chunks_chain_from_the_seed_signature() {
    use kiln_wire::sigv4::{sha256_hex, signature, signing_key};

    let env = keyed();
    let s3 = &env.s3;
    reply(s3, signed("PUT", "/bkt", &[], b"", KEY)).await;
    let headers = [("content-encoding", "aws-chunked"), ("x-amz-decoded-content-length", "11")];
    let seed_request = |chunks: &[&[u8]], tamper: bool| {
        let mut request = signed_with(
            "PUT",
            "/bkt/chunked",
            &headers,
            b"",
            KEY,
            SignableBody::Precomputed("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".to_owned()),
        );
        let auth = request.headers()["authorization"].to_str().expect("ascii").to_owned();
        let seed = auth.rsplit_once("Signature=").map(|(_, s)| s.to_owned()).expect("seed");
        let amz_date = request.headers()["x-amz-date"].to_str().expect("ascii").to_owned();
        let date = &amz_date[..8];
        let scope = format!("{date}/us-east-1/s3/aws4_request");
        let key = signing_key(KEY.1, date, "us-east-1", "s3");
        let mut previous = seed;
        let mut body = Vec::new();
        for chunk in chunks.iter().copied().chain([&b""[..]]) {
            let to_sign = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{}\n{}",
                sha256_hex(b""),
                sha256_hex(chunk)
            );
            previous = signature(&key, &to_sign);
            body.extend_from_slice(format!("{:x};chunk-signature={previous}\r\n", chunk.len()).as_bytes());
            body.extend_from_slice(if tamper && !chunk.is_empty() { b"XXXXXX" } else { chunk });
            body.extend_from_slice(b"\r\n");
        }
        *request.body_mut() = Body::from(body);
        request
    };
    let ok = reply(s3, seed_request(&[b"hello ", b"world"], false)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(reply(s3, signed("GET", "/bkt/chunked", &[], b"", KEY)).await.body, b"hello world");
    let forged = reply(s3, seed_request(&[b"hello ", b"world"], true)).await;
    assert_eq!((forged.status.as_u16(), forged.code().as_str()), (403, "SignatureDoesNotMatch"));
}

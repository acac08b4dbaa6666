//! What any [`ObjectStore`] must do, as checks that take the store to check: the directory
//! store's tests run them, and so do tests of [`crate::S3ObjectStore`] against a live
//! endpoint. (Behind the `conformance` feature; for tests only: a failed check panics.)
//!
//! Each check makes the buckets it needs, named `<prefix>-<name>`, and may leave them behind,
//! so several checks (and runs) can share one store if each is given its own prefix. A prefix
//! must be a valid start of a bucket name, at most 40 characters.
//!
//! [`every_put_is_a_version_and_the_latest_wins`] expects Kiln's semantics: every bucket keeps
//! versions, and a delete drops all of them (AWS S3 adds a delete marker instead). The other
//! checks hold for any S3-compatible store.

use std::collections::BTreeMap;
use std::io::Read;

use crate::{CompletedPart, ListQuery, Listing, MIN_PART_SIZE, ObjectError, ObjectMeta, ObjectStore, PutOptions};

/// A check: the store, and the prefix of the buckets it may make.
pub type Check = fn(&dyn ObjectStore, &str);

/// Runs every check, each with its own buckets under `prefix`.
pub fn run_all(store: &dyn ObjectStore, prefix: &str) {
    let checks: [(&str, Check); 12] = [
        ("buckets", buckets_are_created_listed_and_deleted),
        ("names", bad_bucket_names_are_refused_everywhere),
        ("roundtrip", objects_round_trip_with_metadata_and_md5_etag),
        ("missing", missing_things_have_their_own_errors),
        ("versions", every_put_is_a_version_and_the_latest_wins),
        ("ranges", ranges_are_cut_to_the_object),
        ("listing", listing_pages_by_key_with_prefixes_and_delimiters),
        ("hostile", hostile_keys_round_trip_and_bad_keys_are_refused),
        ("long", long_keys_are_stored_listed_and_deleted),
        ("failing", a_failing_reader_keeps_the_previous_version),
        ("multipart", multipart_uploads_join_parts_in_order),
        ("mprules", multipart_rules_small_parts_and_abort),
    ];
    for (name, check) in checks {
        check(store, &format!("{prefix}-{name}"));
    }
}

/// Asserts that a call fails with the given error, showing what it did instead.
macro_rules! assert_fails {
    ($call:expr, $pattern:pat) => {
        match $call {
            Err($pattern) => {}
            other => panic!("{}: wanted {}, got {:?}", stringify!($call), stringify!($pattern), other.map(|_| ())),
        }
    };
}

fn bucket(prefix: &str, name: &str) -> String {
    format!("{prefix}-{name}")
}

pub fn put(store: &dyn ObjectStore, bucket: &str, key: &str, data: &[u8]) -> ObjectMeta {
    store.put(bucket, key, &mut &data[..], &PutOptions::default()).expect("put")
}

pub fn read_all(store: &dyn ObjectStore, bucket: &str, key: &str, version: Option<&str>) -> Vec<u8> {
    let (meta, mut reader) = store.get(bucket, key, version).expect("get");
    let mut out = Vec::new();
    reader.read_to_end(&mut out).expect("read");
    assert_eq!(out.len() as u64, meta.size, "{bucket}/{key}: the body is not the size the store gave");
    out
}

pub fn put_err(store: &dyn ObjectStore, bucket: &str, key: &str) -> ObjectError {
    match store.put(bucket, key, &mut &b"x"[..], &PutOptions::default()) {
        Ok(_) => panic!("put {bucket}/{key} should fail"),
        Err(e) => e,
    }
}

fn keys_of(listing: &Listing) -> Vec<&str> {
    listing.objects.iter().map(|o| o.key.as_str()).collect()
}

pub fn buckets_are_created_listed_and_deleted(store: &dyn ObjectStore, prefix: &str) {
    let (alpha, beta) = (bucket(prefix, "alpha"), bucket(prefix, "beta"));
    assert!(!store.bucket_exists(&alpha).expect("exists"));
    store.create_bucket(&beta).expect("create");
    store.create_bucket(&alpha).expect("create");
    assert_fails!(store.create_bucket(&alpha), ObjectError::BucketAlreadyOwnedByYou(_));
    let buckets = store.list_buckets().expect("list");
    let ours: Vec<&(String, i64)> = buckets.iter().filter(|(name, _)| name.starts_with(prefix)).collect();
    assert_eq!(ours.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), [alpha.as_str(), beta.as_str()]);
    assert!(ours.iter().all(|(_, created)| *created > 1_600_000_000_000), "{ours:?}");
    assert!(store.bucket_exists(&alpha).expect("exists"));

    put(store, &alpha, "k", b"x");
    assert_fails!(store.delete_bucket(&alpha), ObjectError::BucketNotEmpty(_));
    store.delete(&alpha, "k").expect("delete");
    store.delete_bucket(&alpha).expect("delete bucket");
    assert!(!store.bucket_exists(&alpha).expect("exists"));
    assert_fails!(store.delete_bucket(&alpha), ObjectError::NoSuchBucket(_));
    // The name is free again.
    store.create_bucket(&alpha).expect("recreate");
    assert!(store.list(&alpha, &ListQuery::default()).expect("list").objects.is_empty());
}

pub fn bad_bucket_names_are_refused_everywhere(store: &dyn ObjectStore, _prefix: &str) {
    for bad in ["ab", "UPPER", "../up", "a/b", "my..bucket", "192.168.1.1", ""] {
        let got = store.create_bucket(bad).map(|_| ());
        assert!(matches!(got, Err(ObjectError::InvalidBucketName(_))), "{bad}: {got:?}");
        let got = store.head(bad, "k", None).map(|_| ());
        assert!(matches!(got, Err(ObjectError::InvalidBucketName(_))), "{bad}: {got:?}");
        let got = store.bucket_exists(bad).map(|_| ());
        assert!(matches!(got, Err(ObjectError::InvalidBucketName(_))), "{bad}: {got:?}");
    }
}

pub fn objects_round_trip_with_metadata_and_md5_etag(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    let options = PutOptions {
        content_type: Some("text/plain".into()),
        metadata: BTreeMap::from([("owner".to_owned(), "kiln".to_owned())]),
    };
    let meta = store.put(&bkt, "dir/hello.txt", &mut &b"hello world"[..], &options).expect("put");
    // md5("hello world")
    assert_eq!(meta.etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    assert_eq!(meta.size, 11);
    assert_eq!(meta.bucket, bkt);
    assert!(meta.last_modified_ms > 1_600_000_000_000, "{meta:?}");
    let head = store.head(&bkt, "dir/hello.txt", None).expect("head");
    assert_eq!(head, meta);
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));
    assert_eq!(head.metadata.get("owner").map(String::as_str), Some("kiln"));
    assert_eq!(read_all(store, &bkt, "dir/hello.txt", None), b"hello world");
    let (got, _) = store.get(&bkt, "dir/hello.txt", None).expect("get");
    assert_eq!(got, meta);

    let empty = put(store, &bkt, "empty", b"");
    assert_eq!(empty.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_eq!(read_all(store, &bkt, "empty", None), b"");
}

pub fn missing_things_have_their_own_errors(store: &dyn ObjectStore, prefix: &str) {
    let (nobucket, bkt) = (bucket(prefix, "nobucket"), bucket(prefix, "bkt"));
    assert_fails!(store.head(&nobucket, "k", None), ObjectError::NoSuchBucket(_));
    let e = put_err(store, &nobucket, "k");
    assert!(matches!(e, ObjectError::NoSuchBucket(_)), "{e:?}");
    assert_fails!(store.list(&nobucket, &ListQuery::default()), ObjectError::NoSuchBucket(_));
    store.create_bucket(&bkt).expect("create");
    assert_fails!(store.head(&bkt, "k", None), ObjectError::NoSuchKey(_));
    assert_fails!(store.get(&bkt, "k", None).map(|_| ()), ObjectError::NoSuchKey(_));
    // Deleting a missing key succeeds.
    store.delete(&bkt, "k").expect("delete missing");
    put(store, &bkt, "k", b"1");
    let unknown = "0".repeat(32);
    assert_fails!(store.head(&bkt, "k", Some(&unknown)), ObjectError::NoSuchVersion(_));
    assert_fails!(store.head(&bkt, "k", Some("../../x")), ObjectError::NoSuchVersion(_));
}

pub fn every_put_is_a_version_and_the_latest_wins(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    let v1 = put(store, &bkt, "src.zip", b"one");
    let v2 = put(store, &bkt, "src.zip", b"two!");
    let (id1, id2) = (v1.version_id.expect("v1 id"), v2.version_id.expect("v2 id"));
    assert_ne!(id1, id2);
    assert_eq!(read_all(store, &bkt, "src.zip", None), b"two!");
    assert_eq!(read_all(store, &bkt, "src.zip", Some(&id1)), b"one");
    assert_eq!(read_all(store, &bkt, "src.zip", Some(&id2)), b"two!");
    assert_eq!(store.head(&bkt, "src.zip", Some(&id1)).expect("head v1").size, 3);
    // Listing shows the key once, at its latest version.
    let listing = store.list(&bkt, &ListQuery::default()).expect("list");
    assert_eq!(listing.objects.len(), 1);
    assert_eq!(listing.objects[0].size, 4);
    // A version id is for its own key only.
    put(store, &bkt, "other", b"x");
    assert_fails!(store.head(&bkt, "other", Some(&id1)), ObjectError::NoSuchVersion(_));
    // Delete removes the key, every version with it.
    store.delete(&bkt, "src.zip").expect("delete");
    assert_fails!(store.head(&bkt, "src.zip", None), ObjectError::NoSuchKey(_));
    assert_fails!(store.head(&bkt, "src.zip", Some(&id1)), ObjectError::NoSuchVersion(_));
}

pub fn ranges_are_cut_to_the_object(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    put(store, &bkt, "k", b"0123456789");
    put(store, &bkt, "empty", b"");
    let read = |key: &str, range: std::ops::Range<u64>| {
        let (meta, mut r) = store.get_range(&bkt, key, None, range).expect("range");
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("read");
        (meta.size, out)
    };
    assert_eq!(read("k", 2..5), (10, b"234".to_vec()));
    assert_eq!(read("k", 0..u64::MAX), (10, b"0123456789".to_vec()));
    assert_eq!(read("k", 8..100), (10, b"89".to_vec()));
    assert_eq!(read("k", 20..30), (10, Vec::new()));
    assert_eq!(read("k", 4..4), (10, Vec::new()));
    assert_eq!(read("empty", 0..10), (0, Vec::new()));
    assert_fails!(store.get_range(&bkt, "nope", None, 0..1).map(|_| ()), ObjectError::NoSuchKey(_));
}

pub fn listing_pages_by_key_with_prefixes_and_delimiters(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    let keys = ["a.txt", "logs/2024/01.log", "logs/2024/02.log", "logs/2025/01.log", "logs/top.log", "z", "日本/x"];
    for key in keys.iter().rev() {
        put(store, &bkt, key, key.as_bytes());
    }
    let all = store.list(&bkt, &ListQuery::default()).expect("list");
    assert_eq!(keys_of(&all), keys);
    assert!(all.next_continuation.is_none());
    assert_eq!(all.objects[0].size, 5);
    assert_eq!(all.objects[0].etag, put(store, &bkt, "a.txt", b"a.txt").etag);

    let logs = ListQuery { prefix: "logs/".into(), delimiter: Some("/".into()), ..Default::default() };
    let page = store.list(&bkt, &logs).expect("list");
    assert_eq!(keys_of(&page), ["logs/top.log"]);
    assert_eq!(page.common_prefixes, ["logs/2024/", "logs/2025/"]);

    let root = ListQuery { delimiter: Some("/".into()), ..Default::default() };
    let page = store.list(&bkt, &root).expect("list");
    assert_eq!(keys_of(&page), ["a.txt", "z"]);
    assert_eq!(page.common_prefixes, ["logs/", "日本/"]);

    let after = ListQuery { start_after: Some("logs/2025/01.log".into()), ..Default::default() };
    assert_eq!(keys_of(&store.list(&bkt, &after).expect("list")), ["logs/top.log", "z", "日本/x"]);

    // Two at a time: every key exactly once, in order.
    let mut query = ListQuery { max_keys: 2, ..Default::default() };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list(&bkt, &query).expect("list");
        assert!(page.objects.len() <= 2);
        seen.extend(page.objects.iter().map(|o| o.key.clone()));
        pages += 1;
        match page.next_continuation {
            Some(token) => query.continuation = Some(token),
            None => break,
        }
    }
    assert_eq!(seen, keys);
    assert_eq!(pages, 4);

    let bad = ListQuery { continuation: Some("not a token".into()), ..Default::default() };
    assert_fails!(store.list(&bkt, &bad), ObjectError::InvalidArgument(_));
}

/// Keys that look like paths (or escapes) are only names; malformed keys are refused.
pub fn hostile_keys_round_trip_and_bad_keys_are_refused(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    for key in HOSTILE_KEYS {
        put(store, &bkt, key, key.as_bytes());
        assert_eq!(read_all(store, &bkt, key, None), key.as_bytes(), "{key}");
    }
    let listing = store.list(&bkt, &ListQuery::default()).expect("list");
    let mut want: Vec<&str> = HOSTILE_KEYS.to_vec();
    want.sort();
    assert_eq!(keys_of(&listing), want);

    let e = put_err(store, &bkt, "");
    assert!(matches!(e, ObjectError::InvalidKey(_)), "{e:?}");
    let e = put_err(store, &bkt, "nul\0byte");
    assert!(matches!(e, ObjectError::InvalidKey(_)), "{e:?}");
    let e = put_err(store, &bkt, &"k".repeat(1025));
    assert!(matches!(e, ObjectError::InvalidKey(_)), "{e:?}");
}

/// The keys [`hostile_keys_round_trip_and_bad_keys_are_refused`] stores.
pub const HOSTILE_KEYS: [&str; 11] = [
    "../../escape",
    "/etc/passwd",
    "..",
    ".",
    "a/../../../b",
    "..\\..\\win",
    "%2e%2e/x",
    "~x",
    " spaced + plus ",
    "a//b?c=d#e",
    "tab\tand&amp;",
];

pub fn long_keys_are_stored_listed_and_deleted(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    let long_a = format!("deep/{}", "a".repeat(1000));
    let long_b = format!("deep/{}", "é".repeat(400));
    put(store, &bkt, &long_a, b"A");
    put(store, &bkt, &long_b, b"B");
    put(store, &bkt, "deep/short", b"S");
    assert_eq!(read_all(store, &bkt, &long_a, None), b"A");
    assert_eq!(read_all(store, &bkt, &long_b, None), b"B");
    let listing = store.list(&bkt, &ListQuery { prefix: "deep/".into(), ..Default::default() }).expect("list");
    assert_eq!(keys_of(&listing), [long_a.as_str(), "deep/short", long_b.as_str()]);
    store.delete(&bkt, &long_a).expect("delete");
    assert_fails!(store.head(&bkt, &long_a, None), ObjectError::NoSuchKey(_));
    assert_eq!(store.list(&bkt, &ListQuery::default()).expect("list").objects.len(), 2);
}

/// A reader that gives `.0` bytes and then fails, as a client that goes away mid-upload.
pub struct Broken(pub usize);

impl Read for Broken {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("client went away"));
        }
        let Some(first) = buf.first_mut() else { return Ok(0) };
        self.0 -= 1;
        *first = b'x';
        Ok(1)
    }
}

pub fn a_failing_reader_keeps_the_previous_version(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    put(store, &bkt, "k", b"old");
    let err = store.put(&bkt, "k", &mut Broken(3), &PutOptions::default()).expect_err("must fail");
    assert!(matches!(err, ObjectError::Io(ref m) if m.contains("client went away")), "{err}");
    assert_eq!(read_all(store, &bkt, "k", None), b"old");
    let id = store.create_multipart(&bkt, "k", &PutOptions::default()).expect("create upload");
    let err = store.upload_part(&bkt, "k", &id, 1, &mut Broken(3)).expect_err("must fail");
    assert!(matches!(err, ObjectError::Io(ref m) if m.contains("client went away")), "{err}");
    store.abort_multipart(&bkt, "k", &id).expect("abort");
}

pub fn multipart_uploads_join_parts_in_order(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    let options = PutOptions { content_type: Some("application/zip".into()), ..Default::default() };
    let id = store.create_multipart(&bkt, "big.bin", &options).expect("create upload");
    let size = usize::try_from(MIN_PART_SIZE).expect("fits");
    let part1 = vec![1u8; size];
    let part2 = b"tail".to_vec();
    // Parts may arrive out of order, and a part may be sent again.
    let p2 = store.upload_part(&bkt, "big.bin", &id, 2, &mut &b"wrong"[..]).expect("part 2");
    let p2b = store.upload_part(&bkt, "big.bin", &id, 2, &mut &part2[..]).expect("part 2 again");
    assert_ne!(p2.etag, p2b.etag);
    let p1 = store.upload_part(&bkt, "big.bin", &id, 1, &mut &part1[..]).expect("part 1");
    assert_eq!(p1.size, MIN_PART_SIZE);

    let stale =
        [CompletedPart { part_number: 1, etag: p1.etag.clone() }, CompletedPart { part_number: 2, etag: p2.etag }];
    assert_fails!(store.complete_multipart(&bkt, "big.bin", &id, &stale), ObjectError::InvalidPart(_));
    let reversed = [
        CompletedPart { part_number: 2, etag: p2b.etag.clone() },
        CompletedPart { part_number: 1, etag: p1.etag.clone() },
    ];
    assert_fails!(store.complete_multipart(&bkt, "big.bin", &id, &reversed), ObjectError::InvalidPartOrder);
    assert_fails!(store.upload_part(&bkt, "big.bin", &id, 0, &mut &b""[..]), ObjectError::InvalidArgument(_));
    assert_fails!(store.upload_part(&bkt, "other", &id, 3, &mut &b""[..]), ObjectError::NoSuchUpload(_));

    // Unquoted ETags are accepted too.
    let parts = [
        CompletedPart { part_number: 1, etag: p1.etag.trim_matches('"').to_owned() },
        CompletedPart { part_number: 2, etag: p2b.etag.clone() },
    ];
    let meta = store.complete_multipart(&bkt, "big.bin", &id, &parts).expect("complete");
    assert_eq!(meta.size, MIN_PART_SIZE + 4);
    assert!(meta.etag.ends_with("-2\""), "{}", meta.etag);
    assert_eq!(meta.content_type.as_deref(), Some("application/zip"));
    assert_eq!(store.head(&bkt, "big.bin", None).expect("head"), meta);
    let body = read_all(store, &bkt, "big.bin", None);
    assert_eq!(&body[..size], &part1[..]);
    assert_eq!(&body[size..], b"tail");
    // The upload is gone once completed.
    assert_fails!(store.complete_multipart(&bkt, "big.bin", &id, &parts), ObjectError::NoSuchUpload(_));
}

pub fn multipart_rules_small_parts_and_abort(store: &dyn ObjectStore, prefix: &str) {
    let bkt = bucket(prefix, "bkt");
    store.create_bucket(&bkt).expect("create");
    let id = store.create_multipart(&bkt, "k", &PutOptions::default()).expect("create");
    let a = store.upload_part(&bkt, "k", &id, 1, &mut &b"small"[..]).expect("part");
    let b = store.upload_part(&bkt, "k", &id, 2, &mut &b"last"[..]).expect("part");
    let parts =
        [CompletedPart { part_number: 1, etag: a.etag }, CompletedPart { part_number: 2, etag: b.etag.clone() }];
    assert_fails!(store.complete_multipart(&bkt, "k", &id, &parts), ObjectError::EntityTooSmall(_));
    // A single small part is fine: it is the last.
    let single = [CompletedPart { part_number: 2, etag: b.etag }];
    let meta = store.complete_multipart(&bkt, "k", &id, &single).expect("complete");
    assert_eq!(meta.size, 4);
    assert!(store.complete_multipart(&bkt, "k", &id, &[]).is_err());

    let id = store.create_multipart(&bkt, "k2", &PutOptions::default()).expect("create");
    store.upload_part(&bkt, "k2", &id, 1, &mut &b"x"[..]).expect("part");
    store.abort_multipart(&bkt, "k2", &id).expect("abort");
    assert_fails!(store.abort_multipart(&bkt, "k2", &id), ObjectError::NoSuchUpload(_));
    assert_fails!(store.head(&bkt, "k2", None), ObjectError::NoSuchKey(_));
    assert_fails!(store.abort_multipart(&bkt, "k2", "../../../x"), ObjectError::NoSuchUpload(_));
    assert_fails!(
        store.create_multipart(&bucket(prefix, "nobucket"), "k", &PutOptions::default()),
        ObjectError::NoSuchBucket(_)
    );
}

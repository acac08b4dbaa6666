//! What any `ObjectStore` must do, checked on `FsObjectStore`: each case takes a fresh store.

use std::collections::BTreeMap;
use std::io::Read;

use kiln_objects::{CompletedPart, FsObjectStore, ListQuery, MIN_PART_SIZE, ObjectError, ObjectStore, PutOptions};

fn store() -> (tempfile::TempDir, FsObjectStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsObjectStore::open(&dir.path().join("objects")).expect("open");
    (dir, store)
}

fn put(store: &dyn ObjectStore, bucket: &str, key: &str, data: &[u8]) -> kiln_objects::ObjectMeta {
    store.put(bucket, key, &mut &data[..], &PutOptions::default()).expect("put")
}

fn read_all(store: &dyn ObjectStore, bucket: &str, key: &str, version: Option<&str>) -> Vec<u8> {
    let (_, mut reader) = store.get(bucket, key, version).expect("get");
    let mut out = Vec::new();
    reader.read_to_end(&mut out).expect("read");
    out
}

fn keys_of(listing: &kiln_objects::Listing) -> Vec<&str> {
    listing.objects.iter().map(|o| o.key.as_str()).collect()
}

#[test]
fn buckets_are_created_listed_and_deleted() {
    let (_dir, store) = store();
    assert!(!store.bucket_exists("alpha").expect("exists"));
    store.create_bucket("beta").expect("create");
    store.create_bucket("alpha").expect("create");
    assert!(matches!(store.create_bucket("alpha"), Err(ObjectError::BucketAlreadyOwnedByYou(_))));
    let buckets = store.list_buckets().expect("list");
    assert_eq!(buckets.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["alpha", "beta"]);
    assert!(buckets.iter().all(|(_, created)| *created > 1_600_000_000_000));
    assert!(store.bucket_exists("alpha").expect("exists"));

    put(&store, "alpha", "k", b"x");
    assert!(matches!(store.delete_bucket("alpha"), Err(ObjectError::BucketNotEmpty(_))));
    store.delete("alpha", "k").expect("delete");
    store.delete_bucket("alpha").expect("delete bucket");
    assert!(!store.bucket_exists("alpha").expect("exists"));
    assert!(matches!(store.delete_bucket("alpha"), Err(ObjectError::NoSuchBucket(_))));
    // The name is free again.
    store.create_bucket("alpha").expect("recreate");
    assert!(store.list("alpha", &ListQuery::default()).expect("list").objects.is_empty());
}

#[test]
fn the_remains_of_a_crashed_bucket_delete_do_not_block_the_name() {
    let (dir, store) = store();
    store.create_bucket("phoenix").expect("create");
    // A delete that crashed after removing `objects` leaves the bucket directory behind.
    std::fs::remove_dir(dir.path().join("objects/buckets/phoenix/objects")).expect("rmdir");
    assert!(!store.bucket_exists("phoenix").expect("exists"));
    assert!(store.list_buckets().expect("list").is_empty());
    store.create_bucket("phoenix").expect("recreate");
    assert!(store.bucket_exists("phoenix").expect("exists"));
}

#[test]
fn bad_bucket_names_are_refused_everywhere() {
    let (_dir, store) = store();
    for bad in ["ab", "UPPER", "../up", "a/b", "my..bucket", "192.168.1.1", ""] {
        assert!(matches!(store.create_bucket(bad), Err(ObjectError::InvalidBucketName(_))), "{bad}");
        assert!(matches!(store.head(bad, "k", None), Err(ObjectError::InvalidBucketName(_))), "{bad}");
        assert!(matches!(store.bucket_exists(bad), Err(ObjectError::InvalidBucketName(_))), "{bad}");
    }
}

#[test]
fn objects_round_trip_with_metadata_and_md5_etag() {
    let (_dir, store) = store();
    store.create_bucket("bkt").expect("create");
    let options = PutOptions {
        content_type: Some("text/plain".into()),
        metadata: BTreeMap::from([("owner".to_owned(), "kiln".to_owned())]),
    };
    let meta = store.put("bkt", "dir/hello.txt", &mut &b"hello world"[..], &options).expect("put");
    // md5("hello world")
    assert_eq!(meta.etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    assert_eq!(meta.size, 11);
    assert_eq!(meta.bucket, "bkt");
    let head = store.head("bkt", "dir/hello.txt", None).expect("head");
    assert_eq!(head, meta);
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));
    assert_eq!(head.metadata.get("owner").map(String::as_str), Some("kiln"));
    assert_eq!(read_all(&store, "bkt", "dir/hello.txt", None), b"hello world");

    let empty = put(&store, "bkt", "empty", b"");
    assert_eq!(empty.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_eq!(read_all(&store, "bkt", "empty", None), b"");
}

#[test]
fn missing_things_have_their_own_errors() {
    let (_dir, store) = store();
    assert!(matches!(store.head("nobucket", "k", None), Err(ObjectError::NoSuchBucket(_))));
    assert!(matches!(put_err(&store, "nobucket", "k"), ObjectError::NoSuchBucket(_)));
    assert!(matches!(store.list("nobucket", &ListQuery::default()), Err(ObjectError::NoSuchBucket(_))));
    store.create_bucket("bkt").expect("create");
    assert!(matches!(store.head("bkt", "k", None), Err(ObjectError::NoSuchKey(_))));
    assert!(matches!(store.get("bkt", "k", None).map(|_| ()), Err(ObjectError::NoSuchKey(_))));
    // Deleting a missing key succeeds.
    store.delete("bkt", "k").expect("delete missing");
    put(&store, "bkt", "k", b"1");
    let unknown = "0".repeat(32);
    assert!(matches!(store.head("bkt", "k", Some(&unknown)), Err(ObjectError::NoSuchVersion(_))));
    assert!(matches!(store.head("bkt", "k", Some("../../x")), Err(ObjectError::NoSuchVersion(_))));
}

fn put_err(store: &dyn ObjectStore, bucket: &str, key: &str) -> ObjectError {
    match store.put(bucket, key, &mut &b"x"[..], &PutOptions::default()) {
        Ok(_) => panic!("put {bucket}/{key} should fail"),
        Err(e) => e,
    }
}

#[test]
fn every_put_is_a_version_and_the_latest_wins() {
    let (_dir, store) = store();
    store.create_bucket("bkt").expect("create");
    let v1 = put(&store, "bkt", "src.zip", b"one");
    let v2 = put(&store, "bkt", "src.zip", b"two!");
    let (id1, id2) = (v1.version_id.expect("v1 id"), v2.version_id.expect("v2 id"));
    assert_ne!(id1, id2);
    assert_eq!(read_all(&store, "bkt", "src.zip", None), b"two!");
    assert_eq!(read_all(&store, "bkt", "src.zip", Some(&id1)), b"one");
    assert_eq!(read_all(&store, "bkt", "src.zip", Some(&id2)), b"two!");
    assert_eq!(store.head("bkt", "src.zip", Some(&id1)).expect("head v1").size, 3);
    // Listing shows the key once, at its latest version.
    let listing = store.list("bkt", &ListQuery::default()).expect("list");
    assert_eq!(listing.objects.len(), 1);
    assert_eq!(listing.objects[0].size, 4);
    // A version id is for its own key only.
    put(&store, "bkt", "other", b"x");
    assert!(matches!(store.head("bkt", "other", Some(&id1)), Err(ObjectError::NoSuchVersion(_))));
    // Delete removes the key, every version with it.
    store.delete("bkt", "src.zip").expect("delete");
    assert!(matches!(store.head("bkt", "src.zip", None), Err(ObjectError::NoSuchKey(_))));
    assert!(matches!(store.head("bkt", "src.zip", Some(&id1)), Err(ObjectError::NoSuchVersion(_))));
}

#[test]
fn ranges_are_cut_to_the_object() {
    let (_dir, store) = store();
    store.create_bucket("bkt").expect("create");
    put(&store, "bkt", "k", b"0123456789");
    let read = |range: std::ops::Range<u64>| {
        let (_, mut r) = store.get_range("bkt", "k", None, range).expect("range");
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("read");
        out
    };
    assert_eq!(read(2..5), b"234");
    assert_eq!(read(8..100), b"89");
    assert_eq!(read(20..30), b"");
}

#[test]
fn listing_pages_by_key_with_prefixes_and_delimiters() {
    let (_dir, store) = store();
    store.create_bucket("bkt").expect("create");
    let keys = ["a.txt", "logs/2024/01.log", "logs/2024/02.log", "logs/2025/01.log", "logs/top.log", "z", "日本/x"];
    for key in keys.iter().rev() {
        put(&store, "bkt", key, key.as_bytes());
    }
    let all = store.list("bkt", &ListQuery::default()).expect("list");
    assert_eq!(keys_of(&all), keys);
    assert!(all.next_continuation.is_none());

    let logs = ListQuery { prefix: "logs/".into(), delimiter: Some("/".into()), ..Default::default() };
    let page = store.list("bkt", &logs).expect("list");
    assert_eq!(keys_of(&page), ["logs/top.log"]);
    assert_eq!(page.common_prefixes, ["logs/2024/", "logs/2025/"]);

    let root = ListQuery { delimiter: Some("/".into()), ..Default::default() };
    let page = store.list("bkt", &root).expect("list");
    assert_eq!(keys_of(&page), ["a.txt", "z"]);
    assert_eq!(page.common_prefixes, ["logs/", "日本/"]);

    let after = ListQuery { start_after: Some("logs/2025/01.log".into()), ..Default::default() };
    assert_eq!(keys_of(&store.list("bkt", &after).expect("list")), ["logs/top.log", "z", "日本/x"]);

    // Two at a time: every key exactly once, in order.
    let mut query = ListQuery { max_keys: 2, ..Default::default() };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list("bkt", &query).expect("list");
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
    assert!(matches!(store.list("bkt", &bad), Err(ObjectError::InvalidArgument(_))));
}

#[test]
fn traversal_attempts_stay_inside_the_store() {
    let base = tempfile::tempdir().expect("tempdir");
    let root = base.path().join("objects");
    let store = FsObjectStore::open(&root).expect("open");
    store.create_bucket("bkt").expect("create");
    let hostile = ["../../escape", "/etc/passwd", "..", ".", "a/../../../b", "..\\..\\win", "%2e%2e/x", "~x"];
    for key in hostile {
        put(&store, "bkt", key, key.as_bytes());
        assert_eq!(read_all(&store, "bkt", key, None), key.as_bytes(), "{key}");
    }
    // Nothing was written outside the store's directory.
    let outside: Vec<_> = std::fs::read_dir(base.path()).expect("read").flatten().map(|e| e.file_name()).collect();
    assert_eq!(outside, ["objects"]);
    assert!(!std::path::Path::new("/etc/passwd.kiln").exists());
    let listing = store.list("bkt", &ListQuery::default()).expect("list");
    let mut want: Vec<&str> = hostile.to_vec();
    want.sort();
    assert_eq!(keys_of(&listing), want);

    assert!(matches!(put_err(&store, "bkt", ""), ObjectError::InvalidKey(_)));
    assert!(matches!(put_err(&store, "bkt", "nul\0byte"), ObjectError::InvalidKey(_)));
    assert!(matches!(put_err(&store, "bkt", &"k".repeat(1025)), ObjectError::InvalidKey(_)));
}

#[test]
fn long_keys_are_stored_listed_and_deleted() {
    let (_dir, store) = store();
    store.create_bucket("bkt").expect("create");
    let long_a = format!("deep/{}", "a".repeat(1000));
    let long_b = format!("deep/{}", "é".repeat(400));
    put(&store, "bkt", &long_a, b"A");
    put(&store, "bkt", &long_b, b"B");
    put(&store, "bkt", "deep/short", b"S");
    assert_eq!(read_all(&store, "bkt", &long_a, None), b"A");
    assert_eq!(read_all(&store, "bkt", &long_b, None), b"B");
    let listing = store.list("bkt", &ListQuery { prefix: "deep/".into(), ..Default::default() }).expect("list");
    assert_eq!(keys_of(&listing), [long_a.as_str(), "deep/short", long_b.as_str()]);
    store.delete("bkt", &long_a).expect("delete");
    assert!(matches!(store.head("bkt", &long_a, None), Err(ObjectError::NoSuchKey(_))));
    assert_eq!(store.list("bkt", &ListQuery::default()).expect("list").objects.len(), 2);
}

#[test]
fn a_failing_reader_leaves_nothing_behind() {
    struct Broken(usize);
    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("client went away"));
            }
            self.0 -= 1;
            buf[0] = b'x';
            Ok(1)
        }
    }
    let (dir, store) = store();
    store.create_bucket("bkt").expect("create");
    put(&store, "bkt", "k", b"old");
    let err = store.put("bkt", "k", &mut Broken(3), &PutOptions::default()).expect_err("must fail");
    assert!(matches!(err, ObjectError::Io(ref m) if m.contains("client went away")), "{err}");
    assert_eq!(read_all(&store, "bkt", "k", None), b"old");
    let temp = std::fs::read_dir(dir.path().join("objects/tmp")).expect("tmp").count();
    assert_eq!(temp, 0);
}

#[test]
fn multipart_uploads_join_parts_in_order() {
    let (_dir, store) = store();
    store.create_bucket("bkt").expect("create");
    let options = PutOptions { content_type: Some("application/zip".into()), ..Default::default() };
    let id = store.create_multipart("bkt", "big.bin", &options).expect("create upload");
    let size = usize::try_from(MIN_PART_SIZE).expect("fits");
    let part1 = vec![1u8; size];
    let part2 = b"tail".to_vec();
    // Parts may arrive out of order, and a part may be sent again.
    let p2 = store.upload_part("bkt", "big.bin", &id, 2, &mut &b"wrong"[..]).expect("part 2");
    let p2b = store.upload_part("bkt", "big.bin", &id, 2, &mut &part2[..]).expect("part 2 again");
    assert_ne!(p2.etag, p2b.etag);
    let p1 = store.upload_part("bkt", "big.bin", &id, 1, &mut &part1[..]).expect("part 1");
    assert_eq!(p1.size, MIN_PART_SIZE);

    let stale =
        [CompletedPart { part_number: 1, etag: p1.etag.clone() }, CompletedPart { part_number: 2, etag: p2.etag }];
    assert!(matches!(store.complete_multipart("bkt", "big.bin", &id, &stale), Err(ObjectError::InvalidPart(_))));
    let reversed = [
        CompletedPart { part_number: 2, etag: p2b.etag.clone() },
        CompletedPart { part_number: 1, etag: p1.etag.clone() },
    ];
    assert!(matches!(store.complete_multipart("bkt", "big.bin", &id, &reversed), Err(ObjectError::InvalidPartOrder)));
    assert!(matches!(store.upload_part("bkt", "big.bin", &id, 0, &mut &b""[..]), Err(ObjectError::InvalidArgument(_))));
    assert!(matches!(store.upload_part("bkt", "other", &id, 3, &mut &b""[..]), Err(ObjectError::NoSuchUpload(_))));

    // Unquoted ETags are accepted too.
    let parts = [
        CompletedPart { part_number: 1, etag: p1.etag.trim_matches('"').to_owned() },
        CompletedPart { part_number: 2, etag: p2b.etag.clone() },
    ];
    let meta = store.complete_multipart("bkt", "big.bin", &id, &parts).expect("complete");
    assert_eq!(meta.size, MIN_PART_SIZE + 4);
    assert!(meta.etag.ends_with("-2\""), "{}", meta.etag);
    assert_eq!(meta.content_type.as_deref(), Some("application/zip"));
    let body = read_all(&store, "bkt", "big.bin", None);
    assert_eq!(&body[..size], &part1[..]);
    assert_eq!(&body[size..], b"tail");
    // The upload is gone once completed.
    assert!(matches!(store.complete_multipart("bkt", "big.bin", &id, &parts), Err(ObjectError::NoSuchUpload(_))));
}

#[test]
fn multipart_rules_small_parts_and_abort() {
    let (_dir, store) = store();
    store.create_bucket("bkt").expect("create");
    let id = store.create_multipart("bkt", "k", &PutOptions::default()).expect("create");
    let a = store.upload_part("bkt", "k", &id, 1, &mut &b"small"[..]).expect("part");
    let b = store.upload_part("bkt", "k", &id, 2, &mut &b"last"[..]).expect("part");
    let parts =
        [CompletedPart { part_number: 1, etag: a.etag }, CompletedPart { part_number: 2, etag: b.etag.clone() }];
    assert!(matches!(store.complete_multipart("bkt", "k", &id, &parts), Err(ObjectError::EntityTooSmall(_))));
    // A single small part is fine: it is the last.
    let single = [CompletedPart { part_number: 2, etag: b.etag }];
    let meta = store.complete_multipart("bkt", "k", &id, &single).expect("complete");
    assert_eq!(meta.size, 4);

    let id = store.create_multipart("bkt", "k2", &PutOptions::default()).expect("create");
    store.upload_part("bkt", "k2", &id, 1, &mut &b"x"[..]).expect("part");
    store.abort_multipart("bkt", "k2", &id).expect("abort");
    assert!(matches!(store.abort_multipart("bkt", "k2", &id), Err(ObjectError::NoSuchUpload(_))));
    assert!(matches!(store.head("bkt", "k2", None), Err(ObjectError::NoSuchKey(_))));
    assert!(matches!(store.abort_multipart("bkt", "k2", "../../../x"), Err(ObjectError::NoSuchUpload(_))));
    assert!(matches!(
        store.create_multipart("nobucket", "k", &PutOptions::default()),
        Err(ObjectError::NoSuchBucket(_))
    ));
}

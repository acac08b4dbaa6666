//! What any `ObjectStore` must do (`kiln_objects::conformance`), checked on `FsObjectStore`,
//! and what only a store in a directory must do. Each case takes a fresh store.

use kiln_objects::conformance::{self, HOSTILE_KEYS, put, read_all};
use kiln_objects::{FsObjectStore, ObjectStore};

fn store() -> (tempfile::TempDir, FsObjectStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsObjectStore::open(&dir.path().join("objects")).expect("open");
    (dir, store)
}

/// Runs one generic check on a fresh store.
fn check(run: conformance::Check) {
    let (_dir, store) = store();
    run(&store, "fs");
}

#[test]
fn buckets_are_created_listed_and_deleted() {
    check(conformance::buckets_are_created_listed_and_deleted);
}

#[test]
fn bad_bucket_names_are_refused_everywhere() {
    check(conformance::bad_bucket_names_are_refused_everywhere);
}

#[test]
fn objects_round_trip_with_metadata_and_md5_etag() {
    check(conformance::objects_round_trip_with_metadata_and_md5_etag);
}

#[test]
fn missing_things_have_their_own_errors() {
    check(conformance::missing_things_have_their_own_errors);
}

#[test]
fn every_put_is_a_version_and_the_latest_wins() {
    check(conformance::every_put_is_a_version_and_the_latest_wins);
}

#[test]
fn ranges_are_cut_to_the_object() {
    check(conformance::ranges_are_cut_to_the_object);
}

#[test]
fn listing_pages_by_key_with_prefixes_and_delimiters() {
    check(conformance::listing_pages_by_key_with_prefixes_and_delimiters);
}

#[test]
fn long_keys_are_stored_listed_and_deleted() {
    check(conformance::long_keys_are_stored_listed_and_deleted);
}

#[test]
fn multipart_uploads_join_parts_in_order() {
    check(conformance::multipart_uploads_join_parts_in_order);
}

#[test]
fn multipart_rules_small_parts_and_abort() {
    check(conformance::multipart_rules_small_parts_and_abort);
}

#[test]
fn every_check_passes_on_one_shared_store() {
    let (_dir, store) = store();
    conformance::run_all(&store, "shared");
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
fn traversal_attempts_stay_inside_the_store() {
    let base = tempfile::tempdir().expect("tempdir");
    let root = base.path().join("objects");
    let store = FsObjectStore::open(&root).expect("open");
    conformance::hostile_keys_round_trip_and_bad_keys_are_refused(&store, "fs");
    // Nothing was written outside the store's directory.
    let outside: Vec<_> = std::fs::read_dir(base.path()).expect("read").flatten().map(|e| e.file_name()).collect();
    assert_eq!(outside, ["objects"]);
    assert!(!std::path::Path::new("/etc/passwd.kiln").exists());
    for key in HOSTILE_KEYS {
        assert_eq!(read_all(&store, "fs-bkt", key, None), key.as_bytes(), "{key}");
    }
}

#[test]
fn a_failing_reader_leaves_nothing_behind() {
    let (dir, store) = store();
    conformance::a_failing_reader_keeps_the_previous_version(&store, "fs");
    let temp = std::fs::read_dir(dir.path().join("objects/tmp")).expect("tmp").count();
    assert_eq!(temp, 0);
    assert_eq!(read_all(&store, "fs-bkt", "k", None), b"old");
    put(&store, "fs-bkt", "k", b"new");
    assert_eq!(read_all(&store, "fs-bkt", "k", None), b"new");
}

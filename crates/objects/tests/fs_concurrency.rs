//! Several writers at once, in threads and in a second process, as the server and build agents
//! use one store: readers only ever see whole versions, and no write is lost.

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use kiln_objects::{FsObjectStore, ListQuery, ObjectError, ObjectStore, PutOptions};
use md5::{Digest, Md5};

const CHILD_ENV: &str = "KILN_OBJECTS_CHILD_DIR";
const CHILD_KEYS: usize = 40;

/// A version's content names its writer in every byte, and its length varies per write.
fn content(writer: u8, round: usize) -> Vec<u8> {
    vec![writer; 50_000 + round * 977]
}

fn write_rounds(store: &FsObjectStore, writer: u8, rounds: usize) {
    for round in 0..rounds {
        let data = content(writer, round);
        store.put("shared", "hot/key", &mut &data[..], &PutOptions::default()).expect("put hot key");
        let own = format!("w{writer}/{round}");
        store.put("shared", &own, &mut &data[..], &PutOptions::default()).expect("put own key");
    }
}

/// Reads the hot key until told to stop; every read must be one whole version.
fn check_reads(store: &FsObjectStore, stop: &AtomicBool, reads: &AtomicUsize) {
    while !stop.load(Ordering::Acquire) {
        match store.get("shared", "hot/key", None) {
            Ok((meta, mut reader)) => {
                let mut body = Vec::new();
                reader.read_to_end(&mut body).expect("read");
                assert_eq!(body.len() as u64, meta.size, "size of a torn read");
                assert!(body.iter().all(|&b| b == body[0]), "bytes of two writers in one version");
                assert_eq!(meta.etag, format!("\"{}\"", hex::encode(Md5::digest(&body))));
                reads.fetch_add(1, Ordering::Relaxed);
            }
            // Between a delete and the next put the key is legitimately absent.
            Err(ObjectError::NoSuchKey(_)) => {}
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

#[test]
fn threads_and_a_second_process_write_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("objects");
    let store = FsObjectStore::open(&root).expect("open");
    store.create_bucket("shared").expect("create");
    store.put("shared", "hot/key", &mut &content(0, 0)[..], &PutOptions::default()).expect("seed");

    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["child_process_writer", "--exact", "--nocapture"])
        .env(CHILD_ENV, &root)
        .spawn()
        .expect("spawn the second process");

    let stop = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..2).map(|_| s.spawn(|| check_reads(&store, &stop, &reads))).collect();
        let writers: Vec<_> = (1..=4u8)
            .map(|w| {
                s.spawn({
                    let store = &store;
                    move || write_rounds(store, w, 15)
                })
            })
            .collect();
        let deleter = s.spawn(|| {
            for _ in 0..10 {
                store.delete("shared", "hot/key").expect("delete");
            }
        });
        for handle in writers {
            handle.join().expect("writer");
        }
        deleter.join().expect("deleter");
        let status = child.wait().expect("wait for the second process");
        assert!(status.success(), "second process failed: {status}");
        stop.store(true, Ordering::Release);
        for handle in readers {
            handle.join().expect("reader");
        }
    });

    // Every key each writer put is there with its last content, none twice.
    let listing = store.list("shared", &ListQuery::default()).expect("list");
    let keys: Vec<&str> = listing.objects.iter().map(|o| o.key.as_str()).collect();
    for writer in 1..=4u8 {
        for round in 0..15 {
            let key = format!("w{writer}/{round}");
            assert!(keys.contains(&key.as_str()), "{key} lost");
            assert_eq!(store.head("shared", &key, None).expect("head").size, content(writer, round).len() as u64);
        }
    }
    for i in 0..CHILD_KEYS {
        assert!(keys.contains(&format!("child/{i:02}").as_str()), "child/{i:02} lost");
    }
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, keys);
    assert!(reads.load(Ordering::Relaxed) > 0, "the readers never saw the hot key");
    // No temporary file outlives its write.
    assert_eq!(std::fs::read_dir(root.join("tmp")).expect("tmp").count(), 0);
}

#[test]
fn concurrent_creators_of_one_bucket_get_one_success() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsObjectStore::open(dir.path()).expect("open");
    let wins = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| match store.create_bucket("race") {
                Ok(()) => {
                    wins.fetch_add(1, Ordering::Relaxed);
                }
                Err(ObjectError::BucketAlreadyOwnedByYou(_)) => {}
                Err(e) => panic!("unexpected: {e}"),
            });
        }
    });
    assert_eq!(wins.load(Ordering::Relaxed), 1);
}

/// The second process of `threads_and_a_second_process_write_at_once` (does nothing when run
/// on its own).
#[test]
fn child_process_writer() {
    let Some(root) = std::env::var_os(CHILD_ENV) else { return };
    let store = FsObjectStore::open(Path::new(&root)).expect("open in the child");
    for i in 0..CHILD_KEYS {
        let data = content(9, i);
        store.put("shared", "hot/key", &mut &data[..], &PutOptions::default()).expect("child put hot");
        store.put("shared", &format!("child/{i:02}"), &mut &data[..], &PutOptions::default()).expect("child put");
    }
}

//! `kiln_objects::S3ObjectStore` against a real S3 endpoint: a Kiln server's own (path-style
//! S3 on its API port), with credentials it checks. The whole `ObjectStore` conformance suite
//! must pass there, and wrong credentials or a dead endpoint must fail clearly and promptly.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::Server;
use kiln_objects::{ObjectError, ObjectStore, PutOptions, S3Config, S3ObjectStore, conformance};
use sha2::{Digest, Sha256};

const KEY_ID: &str = "AKIAKILNOBJECTS";
const SECRET: &str = "kiln-objects-secret";

fn server() -> Server {
    Server::start_with(&[], &[("KILN_ACCESS_KEY_ID", KEY_ID), ("KILN_SECRET_ACCESS_KEY", SECRET)])
}

fn store(server: &Server, secret: &str) -> S3ObjectStore {
    S3ObjectStore::new(S3Config::new(&server.endpoint, "us-east-1", KEY_ID, secret)).expect("store")
}

#[test]
fn the_conformance_suite_passes_against_kilns_s3_endpoint() {
    let server = server();
    conformance::run_all(&store(&server, SECRET), "ext");
}

#[test]
fn large_objects_stream_both_ways() {
    let server = server();
    let store = store(&server, SECRET);
    store.create_bucket("big").expect("create");
    // Past the 8 MiB the client keeps in memory: the upload goes through a temporary file.
    let data: Vec<u8> = (0..9 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let meta = store.put("big", "blob", &mut &data[..], &PutOptions::default()).expect("put");
    assert_eq!(meta.size, data.len() as u64);
    let (got, mut reader) = store.get("big", "blob", None).expect("get");
    assert_eq!(got, meta);
    let mut hash = Sha256::new();
    let copied = std::io::copy(&mut reader, &mut HashWriter(&mut hash)).expect("read");
    assert_eq!(copied, data.len() as u64);
    assert_eq!(hash.finalize(), Sha256::digest(&data));
    // The server stored what was sent.
    let (_, mut tail) = store.get_range("big", "blob", None, 9 * 1024 * 1024 - 3..u64::MAX).expect("range");
    let mut last = Vec::new();
    tail.read_to_end(&mut last).expect("read");
    assert_eq!(last, data[data.len() - 3..]);
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_session_token_is_signed_and_accepted() {
    let server = server();
    let config = S3Config {
        session_token: Some("FwoGZXIvYXdzEXAMPLE//token+=".into()),
        ..S3Config::new(&server.endpoint, "us-east-1", KEY_ID, SECRET)
    };
    let store = S3ObjectStore::new(config).expect("store");
    store.create_bucket("tokened").expect("create");
    assert!(store.bucket_exists("tokened").expect("exists"));
}

#[test]
fn a_wrong_secret_is_refused_as_a_signature_mismatch() {
    let server = server();
    let wrong = store(&server, "not-the-secret");
    let err = wrong.list_buckets().expect_err("refused");
    let message = err.to_string();
    assert!(matches!(err, ObjectError::Io(_)), "{message}");
    assert!(message.contains("SignatureDoesNotMatch") && message.contains("credentials"), "{message}");
    assert!(message.contains(&server.endpoint), "{message}");
    // A HEAD answer has no error document; the code is still found and named.
    let err = wrong.head("bkt", "some/key", None).expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("SignatureDoesNotMatch") && message.contains("bkt/some/key"), "{message}");
    // Nor does the right secret under another key id get in.
    let stranger =
        S3ObjectStore::new(S3Config::new(&server.endpoint, "us-east-1", "AKIASTRANGER", SECRET)).expect("store");
    let message = stranger.create_bucket("mine").expect_err("refused").to_string();
    assert!(message.contains("InvalidAccessKeyId"), "{message}");
    assert!(!store(&server, SECRET).bucket_exists("mine").expect("exists"));
}

#[test]
fn an_unreachable_endpoint_fails_at_once_naming_it() {
    let server = server();
    let mut endpoint = server.endpoint.clone();
    drop(server);
    // The server's port is closed now; make sure, rather than trust timing.
    if std::net::TcpStream::connect(endpoint.trim_start_matches("http://")).is_ok() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    }
    let store = S3ObjectStore::new(S3Config::new(&endpoint, "us-east-1", KEY_ID, SECRET)).expect("store");
    let started = Instant::now();
    let err = store.put("bkt", "k", &mut &b"data"[..], &PutOptions::default()).expect_err("unreachable");
    assert!(matches!(&err, ObjectError::Io(m) if m.contains(&endpoint) && m.contains("bkt/k")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

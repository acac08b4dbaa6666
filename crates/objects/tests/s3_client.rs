//! `S3ObjectStore` against endpoints that misbehave, on loopback: it must fail promptly, with
//! messages that name the endpoint. (Its conformance against a real S3 endpoint, Kiln's own,
//! is checked in the kiln crate's `external_objects` tests.)

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use kiln_objects::{ObjectError, ObjectStore, S3Config, S3ObjectStore};

fn config(endpoint: &str) -> S3Config {
    S3Config::new(endpoint, "us-east-1", "AKIDEXAMPLE", "secret")
}

#[test]
fn a_refused_connection_is_an_error_naming_the_endpoint() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let store = S3ObjectStore::new(config(&endpoint)).expect("store");
    let started = Instant::now();
    let err = store.head("bkt", "k", None).expect_err("nothing listens");
    assert!(matches!(&err, ObjectError::Io(m) if m.contains(&endpoint) && m.contains("bkt/k")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn an_endpoint_that_never_answers_times_out() {
    // The kernel accepts the connection into the backlog; nobody ever reads or answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let store =
        S3ObjectStore::new(S3Config { read_timeout: Duration::from_millis(500), ..config(&endpoint) }).expect("store");
    let started = Instant::now();
    let err = store.list_buckets().expect_err("no answer");
    let message = err.to_string();
    assert!(message.contains(&endpoint) && message.to_lowercase().contains("timeout"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn an_https_endpoint_that_speaks_no_tls_fails_the_handshake() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut hello = [0u8; 512];
        let _ = conn.read(&mut hello);
        let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
    });
    let endpoint = format!("https://localhost:{port}");
    match S3ObjectStore::new(config(&endpoint)) {
        Ok(store) => {
            let err = store.list_buckets().expect_err("not TLS");
            assert!(matches!(&err, ObjectError::Io(m) if m.contains(&endpoint)), "{err}");
            server.join().expect("server");
        }
        // A machine without root certificates says so up front.
        Err(err) if cfg!(feature = "https") => assert!(err.to_string().contains("root certificates"), "{err}"),
        Err(err) => assert!(matches!(&err, ObjectError::InvalidArgument(m) if m.contains("no TLS")), "{err}"),
    }
}

#[test]
fn configurations_are_checked_up_front() {
    for bad in ["", "localhost:9000", "ftp://x", "http://host/path"] {
        assert!(matches!(S3ObjectStore::new(config(bad)), Err(ObjectError::InvalidArgument(_))), "{bad:?}");
    }
    let no_secret = S3Config { secret_access_key: String::new(), ..config("http://localhost:9000") };
    assert!(matches!(S3ObjectStore::new(no_secret), Err(ObjectError::InvalidArgument(_))));
    let no_region = S3Config { region: " ".into(), ..config("http://localhost:9000") };
    assert!(matches!(S3ObjectStore::new(no_region), Err(ObjectError::InvalidArgument(_))));
    let shown = format!("{:?}", config("http://localhost:9000"));
    assert!(!shown.contains("secret\"") && shown.contains("redacted"), "{shown}");
    let defaults = S3Config::default();
    assert!(defaults.path_style);
    assert_eq!((defaults.connect_timeout, defaults.read_timeout), (Duration::from_secs(10), Duration::from_secs(300)));
}

#[test]
fn bad_names_never_reach_the_network() {
    // Nothing listens here: a request would fail with Io, not with a name error.
    let store = S3ObjectStore::new(config("http://127.0.0.1:9")).expect("store");
    assert!(matches!(store.create_bucket("../etc"), Err(ObjectError::InvalidBucketName(_))));
    assert!(matches!(store.get("bkt", "", None).map(|_| ()), Err(ObjectError::InvalidKey(_))));
    assert!(matches!(store.delete("bkt", "a\0b"), Err(ObjectError::InvalidKey(_))));
    assert!(matches!(store.upload_part("bkt", "k", "id", 10_001, &mut &b""[..]), Err(ObjectError::InvalidArgument(_))));
    let bad_metadata = kiln_objects::PutOptions {
        metadata: [("k".to_owned(), "line\nbreak".to_owned())].into(),
        ..Default::default()
    };
    assert!(matches!(store.put("bkt", "k", &mut &b""[..], &bad_metadata), Err(ObjectError::InvalidArgument(_))));
}

/// Reads one request head (these tests send no bodies).
fn read_head(conn: &mut std::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[test]
fn a_kept_alive_connection_the_server_drops_is_retried_on_a_fresh_one() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let server = std::thread::spawn(move || {
        let (mut first, _) = listener.accept().expect("accept");
        assert!(read_head(&mut first).starts_with("HEAD /bkt "));
        first.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").expect("answer");
        // The next request arrives on the kept-alive connection, which then dies unanswered.
        assert!(read_head(&mut first).starts_with("GET / "));
        drop(first);
        let (mut second, _) = listener.accept().expect("accept again");
        assert!(read_head(&mut second).starts_with("GET / "));
        let body = "<ListAllMyBucketsResult><Buckets><Bucket><Name>bkt</Name>\
                    <CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>";
        let answer = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        second.write_all(answer.as_bytes()).expect("answer");
    });
    let store = S3ObjectStore::new(config(&endpoint)).expect("store");
    assert!(store.bucket_exists("bkt").expect("exists"));
    let buckets = store.list_buckets().expect("retried on a new connection");
    assert_eq!(buckets, [("bkt".to_owned(), 1_704_067_200_000)]);
    server.join().expect("server");
}

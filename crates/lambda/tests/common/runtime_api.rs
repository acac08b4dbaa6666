//! A stand-in for the Lambda Runtime API (the HTTP interface the provided.al2023 runtime gives
//! `bootstrap`): it hands out queued events and reports what the function answered.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the function posted for one invocation.
#[derive(Debug)]
pub struct Reply {
    pub request_id: String,
    /// `response`, `error`, or `init-error`.
    pub kind: String,
    pub body: serde_json::Value,
}

pub struct RuntimeApi {
    /// host:port, the value of AWS_LAMBDA_RUNTIME_API.
    pub address: String,
    replies: Receiver<Reply>,
}

impl RuntimeApi {
    /// Serves `events` in order as invocations `req-1`, `req-2`, ...; after the last, `next`
    /// gets no answer, as when no invocation is waiting.
    pub fn start(events: Vec<serde_json::Value>) -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("addr").to_string();
        let (tx, replies) = channel();
        std::thread::spawn(move || serve(listener, events.into(), tx));
        RuntimeApi { address, replies }
    }

    pub fn next_reply(&self) -> Reply {
        self.replies.recv_timeout(Duration::from_secs(120)).expect("the function answered")
    }
}

fn serve(listener: TcpListener, mut events: VecDeque<serde_json::Value>, tx: Sender<Reply>) {
    let mut served = 0;
    let mut parked = Vec::new();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        let Some((method, path, body)) = read_request(&stream) else { continue };
        if method == "GET" && path == "/2018-06-01/runtime/invocation/next" {
            match events.pop_front() {
                Some(event) => {
                    served += 1;
                    let deadline =
                        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + Duration::from_secs(300);
                    let headers = [
                        ("lambda-runtime-aws-request-id", format!("req-{served}")),
                        ("lambda-runtime-deadline-ms", deadline.as_millis().to_string()),
                        (
                            "lambda-runtime-invoked-function-arn",
                            "arn:aws:lambda:us-east-1:000000000000:function:kiln".into(),
                        ),
                        ("content-type", "application/json".into()),
                    ];
                    respond(&mut stream, "200 OK", &headers, event.to_string().as_bytes());
                }
                // Keep the connection open and unanswered: the function waits, as in Lambda.
                None => parked.push(stream),
            }
            continue;
        }
        let reply = if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") {
            rest.split_once('/').map(|(id, kind)| (id.to_string(), kind.to_string()))
        } else if path == "/2018-06-01/runtime/init/error" {
            Some((String::new(), "init-error".to_string()))
        } else {
            None
        };
        match reply {
            Some((request_id, kind)) if method == "POST" => {
                respond(&mut stream, "202 Accepted", &[("content-type", "application/json".into())], b"{}");
                let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                let _ = tx.send(Reply { request_id, kind, body });
            }
            _ => respond(&mut stream, "404 Not Found", &[], b""),
        }
    }
}

/// Reads one HTTP/1.1 request with a content-length body.
fn read_request(stream: &TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            assert!(!name.eq_ignore_ascii_case("transfer-encoding"), "the stand-in reads no chunked bodies");
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, body))
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

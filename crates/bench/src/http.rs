//! A minimal keep-alive HTTP/1.1 client for JSON 1.1 and RPC v2 CBOR calls, so that the figures
//! measure the server and not a client library.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use serde_json::Value;

pub struct Connection {
    addr: String,
    /// Extra header lines (each ending in CRLF); moto routes by the SigV4 credential scope.
    extra: String,
    /// The server said it closes the connection after this response (HTTP/1.0, as moto's).
    reopen: bool,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    pub fn open(addr: &str) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            addr: addr.to_string(),
            extra: String::new(),
            reopen: false,
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Adds an unsigned SigV4-shaped Authorization header naming `service`, as moto needs to
    /// know which service a JSON 1.1 call is for.
    pub fn with_scope(mut self, service: &str) -> Connection {
        self.extra = format!(
            "authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00\r\n"
        );
        self
    }

    /// One JSON 1.1 call; returns (status, body).
    pub fn call(&mut self, target: &str, body: &str) -> std::io::Result<(u16, Value)> {
        let (status, out) = self.call_raw(target, body)?;
        Ok((status, serde_json::from_slice(&out).unwrap_or(Value::Null)))
    }

    /// One JSON 1.1 call; returns (status, body bytes), unparsed: load runs measure the
    /// server, not how fast this client decodes a hundred build documents.
    pub fn call_raw(&mut self, target: &str, body: &str) -> std::io::Result<(u16, Vec<u8>)> {
        let headers = format!("x-amz-target: {target}\r\ncontent-type: application/x-amz-json-1.1\r\n");
        self.request("/", &headers, body.as_bytes())
    }

    /// One RPC v2 CBOR call of `target` (`Service.Operation`); returns (status, body bytes),
    /// unparsed as [`Connection::call_raw`].
    pub fn call_cbor_raw(&mut self, target: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let (service, operation) = target.split_once('.').unwrap_or((target, ""));
        let path = format!("/service/{service}/operation/{operation}");
        let headers = "content-type: application/cbor\r\naccept: application/cbor\r\nsmithy-protocol: rpc-v2-cbor\r\n";
        self.request(&path, headers, body)
    }

    fn request(&mut self, path: &str, headers: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\n{headers}{}content-length: {}\r\n\r\n",
            self.addr,
            self.extra,
            body.len()
        );
        if self.reopen {
            let stream = TcpStream::connect(&self.addr)?;
            stream.set_nodelay(true)?;
            self.reader = BufReader::new(stream.try_clone()?);
            self.writer = stream;
            self.reopen = false;
        }
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.writer.write_all(&request)?;
        let mut status = 0u16;
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if status == 0 {
                status = l.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                self.reopen = l.starts_with("HTTP/1.0");
            } else if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                } else if k.eq_ignore_ascii_case("connection") {
                    self.reopen = v.trim().eq_ignore_ascii_case("close");
                }
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, body))
    }
}

/// A JSON value as a CBOR request body.
pub fn to_cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing a serde_json::Value into a Vec cannot fail.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

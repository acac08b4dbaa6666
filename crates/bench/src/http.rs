//! A minimal keep-alive HTTP/1.1 client for JSON 1.1 calls, so that the figures measure Kiln
//! and not a client library.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

pub struct Connection {
    addr: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    pub fn open(addr: &str) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Connection { addr: addr.to_string(), reader: BufReader::new(stream.try_clone()?), writer: stream })
    }

    /// One JSON 1.1 call; returns (status, body).
    pub fn call(&mut self, target: &str, body: &str) -> std::io::Result<(u16, serde_json::Value)> {
        let request = format!(
            "POST / HTTP/1.1\r\nhost: {}\r\nx-amz-target: {target}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.writer.write_all(request.as_bytes())?;
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
            } else if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)))
    }
}

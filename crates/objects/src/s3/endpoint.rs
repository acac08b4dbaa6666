//! Where requests go: the endpoint from the configuration, and the URL, `Host` and raw path
//! of a request for a bucket and key, path-style (`host/bucket/key`) or virtual-hosted
//! (`bucket.host/key`).

use crate::{ObjectError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    https: bool,
    /// `host[:port]`, the port only when it is not the scheme's default.
    authority: String,
    path_style: bool,
}

/// A request's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub host: String,
    /// Percent-encoded, exactly as sent (S3 signs the path as sent).
    pub path: String,
}

impl Endpoint {
    /// `http(s)://host[:port][/]`; anything else is refused rather than guessed at.
    pub fn parse(text: &str, path_style: bool) -> Result<Endpoint> {
        let bad = |why: &str| ObjectError::InvalidArgument(format!("S3 endpoint {text:?}: {why}"));
        let lower = text.to_ascii_lowercase();
        let (https, rest) = if lower.starts_with("https://") {
            (true, &text[8..])
        } else if lower.starts_with("http://") {
            (false, &text[7..])
        } else {
            return Err(bad("must start with http:// or https://"));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) || authority.is_empty() {
            return Err(bad("must be a scheme, a host and an optional port, with no path"));
        }
        let (host, port) = split_port(authority).ok_or_else(|| bad("the port is not a number from 1 to 65535"))?;
        let ip_literal = host.starts_with('[');
        let host_ok = if ip_literal {
            host.ends_with(']')
                && host[1..host.len() - 1].bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        } else {
            !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        };
        if !host_ok {
            return Err(bad("the host name has characters a host name cannot have"));
        }
        let is_ip = ip_literal || host.parse::<std::net::Ipv4Addr>().is_ok();
        if !path_style && is_ip {
            return Err(bad("virtual-hosted requests (path_style = false) need a host name, not an IP address"));
        }
        let default_port = if https { 443 } else { 80 };
        let authority = match port {
            Some(port) if port != default_port => format!("{}:{port}", host.to_ascii_lowercase()),
            _ => host.to_ascii_lowercase(),
        };
        Ok(Endpoint { https, authority, path_style })
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// `http(s)://host[:port]`, for messages.
    pub fn url(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.authority)
    }

    /// The address of a request; `raw_query` is already encoded.
    pub fn target(&self, bucket: Option<&str>, key: Option<&str>, raw_query: &str) -> Target {
        let key_path = key.map(encode_key).unwrap_or_default();
        let (host, path) = match bucket {
            Some(bucket) if self.path_style => {
                (self.authority.clone(), format!("/{}{}", encode(bucket, false), slash_then(&key_path)))
            }
            Some(bucket) => (format!("{bucket}.{}", self.authority), slash_then(&key_path)),
            None => (self.authority.clone(), "/".to_owned()),
        };
        let path = if path.is_empty() { "/".to_owned() } else { path };
        let scheme = if self.https { "https" } else { "http" };
        let url = if raw_query.is_empty() {
            format!("{scheme}://{host}{path}")
        } else {
            format!("{scheme}://{host}{path}?{raw_query}")
        };
        Target { url, host, path }
    }
}

fn slash_then(key_path: &str) -> String {
    if key_path.is_empty() { String::new() } else { format!("/{key_path}") }
}

/// `host` and the port, if any; `None` when the port is not a valid one.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let colon = if authority.starts_with('[') {
        let close = authority.find(']')?;
        authority[close..].find(':').map(|at| at + close)
    } else {
        authority.rfind(':')
    };
    match colon {
        None => Some((authority, None)),
        Some(at) => {
            let port: u16 = authority[at + 1..].parse().ok()?;
            (port != 0).then_some((&authority[..at], Some(port)))
        }
    }
}

/// Percent-encodes as SigV4 does: unreserved bytes stay, so does `/` when `keep_slash`.
pub fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A key as a path: slashes kept, and `.`/`..` segments escaped so that nothing on the way
/// (a proxy, a server's path normaliser) resolves them away.
fn encode_key(key: &str) -> String {
    key.split('/')
        .map(|segment| match segment {
            "." => "%2E".to_owned(),
            ".." => "%2E%2E".to_owned(),
            other => encode(other, false),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_parsed_strictly() {
        let e = Endpoint::parse("http://127.0.0.1:9000/", true).expect("ok");
        assert_eq!(e.url(), "http://127.0.0.1:9000");
        assert!(!e.is_https());
        assert_eq!(Endpoint::parse("HTTPS://S3.Example.com:443", true).expect("ok").url(), "https://s3.example.com");
        assert_eq!(Endpoint::parse("http://[::1]:8080", true).expect("ok").url(), "http://[::1]:8080");
        assert_eq!(Endpoint::parse("http://minio", true).expect("ok").url(), "http://minio");
        for bad in [
            "127.0.0.1:9000",
            "ftp://host",
            "http://",
            "http://host/prefix",
            "http://host:0",
            "http://host:99999",
            "http://host:port",
            "http://user@host",
            "http://host?x=1",
            "http://ho st",
            "http://[::1",
        ] {
            assert!(matches!(Endpoint::parse(bad, true), Err(ObjectError::InvalidArgument(_))), "{bad}");
        }
        assert!(Endpoint::parse("http://10.0.0.1", false).is_err(), "virtual hosts need a name");
    }

    #[test]
    fn path_style_targets_encode_keys_once() {
        let e = Endpoint::parse("http://localhost:9000", true).expect("ok");
        let t = e.target(Some("bkt"), Some("dir/a b+c/../ü/./x"), "versionId=1");
        assert_eq!(t.host, "localhost:9000");
        assert_eq!(t.path, "/bkt/dir/a%20b%2Bc/%2E%2E/%C3%BC/%2E/x");
        assert_eq!(t.url, "http://localhost:9000/bkt/dir/a%20b%2Bc/%2E%2E/%C3%BC/%2E/x?versionId=1");
        assert_eq!(e.target(Some("bkt"), Some("/abs"), "").path, "/bkt//abs");
        assert_eq!(e.target(Some("bkt"), None, "").path, "/bkt");
        assert_eq!(e.target(None, None, "").url, "http://localhost:9000/");
    }

    #[test]
    fn virtual_hosted_targets_put_the_bucket_in_the_host() {
        let e = Endpoint::parse("https://s3.example.com", false).expect("ok");
        let t = e.target(Some("bkt"), Some("k"), "");
        assert_eq!((t.host.as_str(), t.path.as_str()), ("bkt.s3.example.com", "/k"));
        assert_eq!(t.url, "https://bkt.s3.example.com/k");
        assert_eq!(e.target(Some("bkt"), None, "list-type=2").url, "https://bkt.s3.example.com/?list-type=2");
    }
}

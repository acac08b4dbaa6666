//! [`S3Config`]: where an S3-compatible endpoint is, and how to sign and wait for it.

use std::fmt;
use std::time::Duration;

/// Where an S3-compatible endpoint is and how to sign for it.
#[derive(Clone)]
pub struct S3Config {
    /// `http(s)://host[:port]`, without a path.
    pub endpoint: String,
    /// The region requests are signed for (`us-east-1` unless the endpoint says otherwise).
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// For temporary credentials (`x-amz-security-token`).
    pub session_token: Option<String>,
    /// `endpoint/bucket/key` when true (the default, and what Kiln and MinIO serve);
    /// `bucket.endpoint/key` when false.
    pub path_style: bool,
    /// How long to wait for a connection (10 s by default).
    pub connect_timeout: Duration,
    /// How long one read or write may stall (300 s by default); not a limit on a transfer.
    pub read_timeout: Duration,
}

impl S3Config {
    /// A configuration with the defaults: no session token, path-style, 10 s / 300 s timeouts.
    pub fn new(
        endpoint: impl Into<String>,
        region: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> S3Config {
        S3Config {
            endpoint: endpoint.into(),
            region: region.into(),
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            ..S3Config::default()
        }
    }
}

impl Default for S3Config {
    fn default() -> S3Config {
        S3Config {
            endpoint: String::new(),
            region: "us-east-1".to_owned(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            session_token: None,
            path_style: true,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(300),
        }
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &self.session_token.as_ref().map(|_| "** redacted **"))
            .field("path_style", &self.path_style)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .finish()
    }
}

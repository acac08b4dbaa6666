//! Who sent an S3 request: SigV4 against the configured keys (any signer when there are none),
//! checked before the body is read, and what is needed to check signed chunks afterwards.

use std::time::SystemTime;

use http::request::Parts;
use kiln_wire::sigv4::{self, Credentials};

use crate::chunked::ChunkSigning;
use crate::error::{self, S3Error};

/// The authenticated caller.
#[derive(Clone, Default)]
pub struct Caller {
    pub access_key_id: Option<String>,
    /// Set for a verified header-signed request: the seed of a chunk-signature chain.
    pub signing: Option<ChunkSigning>,
}

fn presigned(raw_query: &str) -> bool {
    raw_query.split('&').any(|p| p.starts_with("X-Amz-Signature=") || p.starts_with("X-Amz-Algorithm="))
}

pub fn authenticate(parts: &Parts, keys: &[Credentials], now: SystemTime) -> Result<Caller, S3Error> {
    let raw_query = parts.uri.query().unwrap_or("");
    let request = sigv4::Request {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query,
        headers: &parts.headers,
        body: &[],
    };
    if keys.is_empty() {
        // No keys configured: any signer is accepted, as on the rest of Kiln's API.
        let signer = sigv4::parse_authorization(&request).ok().flatten();
        return Ok(Caller { access_key_id: signer.map(|v| v.access_key_id), signing: None });
    }
    let verified =
        sigv4::verify_unread_body(&request, keys, now).map_err(|e| error::from_auth(&e, presigned(raw_query)))?;
    let signing = chunk_signing(parts, keys, &verified);
    Ok(Caller { access_key_id: Some(verified.access_key_id), signing })
}

/// The chain seed: the `Authorization` header's signature, the request time and the scope.
fn chunk_signing(parts: &Parts, keys: &[Credentials], verified: &sigv4::Verified) -> Option<ChunkSigning> {
    let authorization = parts.headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let seed = authorization.split([',', ' ']).find_map(|piece| piece.trim().strip_prefix("Signature="))?;
    let amz_date = parts.headers.get("x-amz-date")?.to_str().ok()?;
    let date = amz_date.get(..8)?;
    let secret = &keys.iter().find(|k| k.access_key_id == verified.access_key_id)?.secret_access_key;
    Some(ChunkSigning {
        signing_key: sigv4::signing_key(secret, date, &verified.region, &verified.service),
        amz_date: amz_date.to_owned(),
        scope: format!("{date}/{}/{}/aws4_request", verified.region, verified.service),
        previous: seed.to_owned(),
    })
}

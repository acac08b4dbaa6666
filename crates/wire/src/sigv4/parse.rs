//! Reads what a request claims about its signature, from the `Authorization` header or from
//! presigned `X-Amz-*` query parameters. Only structural problems are reported here
//! (`IncompleteSignatureException`); whether the claim holds is `checks`' job.

use super::canonical::SignatureLocation;
use super::encode::percent_decode;
use super::signing::ALGORITHM;
use super::time::Timestamp;
use super::{AuthError, Request};

/// `keyid/date/region/service/terminator` from the credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Scope {
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
}

impl Scope {
    /// `date/region/service/terminator`, as it appears in the string to sign.
    pub(crate) fn text(&self) -> String {
        format!("{}/{}/{}/{}", self.date, self.region, self.service, self.terminator)
    }
}

/// The signature parameters a request carries.
#[derive(Clone, Debug)]
pub(crate) struct Claim {
    pub location: SignatureLocation,
    pub access_key_id: String,
    pub scope: Scope,
    pub signed_headers: String,
    pub signature: String,
    pub time: Timestamp,
    /// For header auth, the header the time came from (`x-amz-date` or `date`).
    pub date_header: Option<&'static str>,
    /// Presigned lifetime in seconds (`X-Amz-Expires`).
    pub expires: Option<i64>,
    /// Presigned payload hash (`X-Amz-Content-Sha256`).
    pub query_content_sha256: Option<String>,
}

/// The longest presigned lifetime AWS allows: seven days.
const MAX_EXPIRES: i64 = 604_800;

/// `Ok(None)` when the request carries no SigV4 authentication at all.
pub(crate) fn parse(req: &Request<'_>) -> Result<Option<Claim>, AuthError> {
    let header = req.headers.get(http::header::AUTHORIZATION);
    let query = decoded_query(req.raw_query);
    let presigned = query.iter().any(|(key, _)| key == "X-Amz-Algorithm");
    match (header, presigned) {
        // dynalite records DynamoDB's answer to this as an InvalidSignatureException.
        (Some(_), true) => Err(AuthError::InvalidSignature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.".to_owned(),
        )),
        // Any other scheme (Bearer, AWS SigV2...) counts as no token, as in DynamoDB.
        (Some(value), false) if !value.as_bytes().starts_with(b"AWS4-") => Ok(None),
        (Some(value), false) => parse_header(req, &String::from_utf8_lossy(value.as_bytes())).map(Some),
        (None, true) => parse_query(&query).map(Some),
        (None, false) => Ok(None),
    }
}

fn decoded_query(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode_lossy(key), decode_lossy(value))
        })
        .collect()
}

fn decode_lossy(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode(text)).into_owned()
}

fn parse_header(req: &Request<'_>, header: &str) -> Result<Claim, AuthError> {
    let (algorithm, rest) = header.split_once([' ', '\t']).unwrap_or((header, ""));
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    // AWS splits on spaces as well as commas: "Credential= AKID/..." is a classic error.
    for piece in rest.split([',', ' ', '\t']).filter(|p| !p.is_empty()) {
        let Some((key, value)) = piece.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{piece}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let date = ["x-amz-date", "date"].into_iter().find_map(|name| {
        let value = req.headers.get(name)?;
        Some((name, String::from_utf8_lossy(value.as_bytes()).into_owned()))
    });

    // An empty Credential or Signature counts as missing; an empty SignedHeaders parses here
    // and fails the "host must be signed" check later.
    let credential = credential.filter(|value| !value.is_empty());
    let signature = signature.filter(|value| !value.is_empty());
    let mut problems = String::new();
    if credential.is_none() {
        problems.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        problems.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        problems.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date.is_none() {
        problems.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((date_header, date))) =
        (credential, signed_headers, signature, date)
    else {
        // Wording from AWS (e.g. aws/chalice#828, brendanhay/amazonka#316).
        return Err(AuthError::IncompleteSignature(format!("{problems}Authorization={header}")));
    };

    check_algorithm(algorithm)?;
    let time =
        if date_header == "x-amz-date" { Timestamp::parse_amz(&date) } else { Timestamp::parse_http_date(&date) }
            .ok_or_else(|| bad_date(&date))?;
    let (access_key_id, scope) = parse_credential(credential)?;
    Ok(Claim {
        location: SignatureLocation::Header,
        access_key_id,
        scope,
        signed_headers: signed_headers.to_owned(),
        signature: signature.to_owned(),
        time,
        date_header: Some(date_header),
        expires: None,
        query_content_sha256: None,
    })
}

fn parse_query(query: &[(String, String)]) -> Result<Claim, AuthError> {
    let get = |name: &str| {
        query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()).filter(|value| !value.is_empty())
    };
    let required = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"];
    let mut problems = String::new();
    for name in required.into_iter().filter(|name| get(name).is_none()) {
        problems.push_str(&format!("AWS query-string parameters must include '{name}'. "));
    }
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)) = (
        get("X-Amz-Algorithm"),
        get("X-Amz-Credential"),
        get("X-Amz-Signature"),
        get("X-Amz-SignedHeaders"),
        get("X-Amz-Date"),
    ) else {
        // Wording from dynalite's record of DynamoDB.
        return Err(AuthError::IncompleteSignature(format!("{problems}Re-examine the query-string parameters.")));
    };

    check_algorithm(algorithm)?;
    let time = Timestamp::parse_amz(date).ok_or_else(|| bad_date(date))?;
    let expires = get("X-Amz-Expires").map(parse_expires).transpose()?;
    let (access_key_id, scope) = parse_credential(credential)?;
    Ok(Claim {
        location: SignatureLocation::Query,
        access_key_id,
        scope,
        signed_headers: signed_headers.to_owned(),
        signature: signature.to_owned(),
        time,
        date_header: None,
        expires,
        query_content_sha256: get("X-Amz-Content-Sha256").map(str::to_owned),
    })
}

fn check_algorithm(algorithm: &str) -> Result<(), AuthError> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now)."
        )))
    }
}

fn bad_date(date: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// S3's wording for a malformed `X-Amz-Expires` (AuthorizationQueryParametersError).
fn parse_expires(text: &str) -> Result<i64, AuthError> {
    let seconds: i64 =
        text.parse().map_err(|_| AuthError::IncompleteSignature("X-Amz-Expires should be a number".to_owned()))?;
    if !(0..=MAX_EXPIRES).contains(&seconds) {
        return Err(AuthError::IncompleteSignature(format!(
            "X-Amz-Expires must be non-negative and less than a week (in seconds) that is {MAX_EXPIRES}"
        )));
    }
    Ok(seconds)
}

fn parse_credential(credential: &str) -> Result<(String, Scope), AuthError> {
    // DynamoDB ignores trailing slashes (dynalite).
    let parts: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
    let [key, date, region, service, terminator] = parts.as_slice() else {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    let scope = Scope {
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        terminator: (*terminator).to_owned(),
    };
    Ok(((*key).to_owned(), scope))
}

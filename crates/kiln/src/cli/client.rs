//! The CLI's client of Kiln's API: JSON 1.1 over HTTP, signed with SigV4 when credentials
//! are found. The API's JSON passes through untouched, so `--output json` prints exactly what
//! the server answered and `--cli-input-json` is sent as given.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use serde_json::Value;

use super::credentials::Identity;

/// CodeBuild's JSON 1.1 target prefix.
pub const CODEBUILD: &str = "CodeBuild_20161006";
/// CloudWatch Logs' JSON 1.1 target prefix.
pub const LOGS: &str = "Logs_20140328";

/// Why a call failed: the service's error, or no answer at all.
#[derive(Debug)]
pub enum CallError {
    /// The service answered with an AWS error (`__type`, `message`).
    Service { code: String, message: String },
    /// The request could not be made, or the answer was not JSON.
    Transport(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Service { code, message, .. } => write!(f, "{code}: {message}"),
            CallError::Transport(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CallError {}

impl CallError {
    /// The AWS error code, when the service answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Service { code, .. } => Some(code),
            CallError::Transport(_) => None,
        }
    }
}

pub struct Client {
    endpoint: String,
    identity: Identity,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(endpoint: &str, identity: Identity) -> Client {
        let config = ureq::Agent::config_builder()
            // AWS errors come with 4xx/5xx statuses and a JSON body worth reading.
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        Client { endpoint: endpoint.trim_end_matches('/').to_string(), identity, agent: config.into() }
    }

    /// One CodeBuild operation, e.g. `codebuild("BatchGetBuilds", &body)`.
    pub fn codebuild(&self, operation: &str, body: &Value) -> Result<Value, CallError> {
        self.call("codebuild", &format!("{CODEBUILD}.{operation}"), body)
    }

    /// One CloudWatch Logs operation.
    pub fn logs(&self, operation: &str, body: &Value) -> Result<Value, CallError> {
        self.call("logs", &format!("{LOGS}.{operation}"), body)
    }

    fn call(&self, service: &str, target: &str, body: &Value) -> Result<Value, CallError> {
        let payload = serde_json::to_vec(body).map_err(|e| CallError::Transport(e.to_string()))?;
        let url = format!("{}/", self.endpoint);
        let mut headers = vec![
            ("content-type".to_string(), "application/x-amz-json-1.1".to_string()),
            ("x-amz-target".to_string(), target.to_string()),
        ];
        if let Some(credentials) = &self.identity.credentials {
            let signed = sign_headers(&url, &headers, &payload, credentials, &self.identity.region, service)
                .map_err(|e| CallError::Transport(format!("signing the request: {e}")))?;
            headers.extend(signed);
        }
        let mut request = self.agent.post(&url);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let mut response =
            request.send(&payload[..]).map_err(|e| CallError::Transport(format!("calling {}: {e}", self.endpoint)))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| CallError::Transport(format!("reading the answer of {}: {e}", self.endpoint)))?;
        let value: Value = if bytes.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(&bytes).map_err(|_| {
                CallError::Transport(format!(
                    "{} answered HTTP {status} with a body that is not JSON: {}",
                    self.endpoint,
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                ))
            })?
        };
        if status == 200 {
            return Ok(value);
        }
        let code = value.get("__type").and_then(Value::as_str).unwrap_or("Error");
        // `__type` may carry a namespace prefix (`com.amazonaws...#Code`).
        let code = code.rsplit('#').next().unwrap_or(code).to_string();
        let message =
            value.get("message").or_else(|| value.get("Message")).and_then(Value::as_str).unwrap_or("").to_string();
        Err(CallError::Service { code, message })
    }
}

/// The SigV4 headers (`x-amz-date`, `authorization`, and `x-amz-security-token` for
/// temporary credentials) for one POST.
fn sign_headers(
    url: &str,
    headers: &[(String, String)],
    payload: &[u8],
    credentials: &Credentials,
    region: &str,
    service: &str,
) -> Result<Vec<(String, String)>, Box<dyn std::error::Error + Send + Sync>> {
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(payload),
    )?;
    let (instructions, _signature) = sign(signable, &params)?.into_parts();
    let (signed, _query) = instructions.into_parts();
    Ok(signed.into_iter().map(|h| (h.name().to_string(), h.value().to_string())).collect())
}

//! Routing a request to (protocol, service, operation), and the body codecs of both protocols.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The body encoding a client chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `application/x-amz-json-1.1`, operation in `X-Amz-Target`.
    AwsJson11,
    /// `application/cbor`, operation in the path, `smithy-protocol: rpc-v2-cbor`.
    RpcV2Cbor,
}

impl Protocol {
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::AwsJson11 => "application/x-amz-json-1.1",
            Protocol::RpcV2Cbor => "application/cbor",
        }
    }
}

/// One API call: which service's target prefix it named and which operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub protocol: Protocol,
    /// The target prefix / service shape name, e.g. `CodeBuild_20161006` or `Logs_20140328`.
    pub target_prefix: String,
    pub operation: String,
}

/// A request the wire layer cannot turn into a typed input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The body is not valid JSON/CBOR, or a member has the wrong type.
    #[error("{0}")]
    Serialization(String),
    /// The path/target names no operation this endpoint serves.
    #[error("{0}")]
    UnknownOperation(String),
    /// A member holds a value outside its enum: a constraint violation, reported as the
    /// service's validation exception (the server picks its name per service).
    #[error("{0}")]
    InvalidValue(String),
}

impl WireError {
    pub fn code(&self) -> &'static str {
        match self {
            WireError::Serialization(_) => "SerializationException",
            WireError::UnknownOperation(_) => "UnknownOperationException",
            WireError::InvalidValue(_) => "ValidationException",
        }
    }
}

const RPC_V2_PREFIX: &str = "/service/";

/// Works out the protocol and operation of a request from its method, path and headers.
/// Returns `Ok(None)` when the request is not an AWS API call at all (another route may want it).
pub fn route(method: &str, path: &str, headers: &http::HeaderMap) -> Result<Option<Call>, WireError> {
    if method != "POST" {
        return Ok(None);
    }
    if let Some(rest) = path.strip_prefix(RPC_V2_PREFIX) {
        // /service/<ServiceShape>/operation/<Operation>
        let mut parts = rest.split('/');
        return match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(service), Some("operation"), Some(op), None) if !service.is_empty() && !op.is_empty() => {
                Ok(Some(Call {
                    protocol: Protocol::RpcV2Cbor,
                    target_prefix: service.to_string(),
                    operation: op.to_string(),
                }))
            }
            _ => Err(WireError::UnknownOperation(format!(
                "Unrecognized RPC v2 path: {path}; expected /service/<Service>/operation/<Operation>"
            ))),
        };
    }
    if path != "/" {
        return Ok(None);
    }
    let Some(target) = headers.get("x-amz-target") else {
        return Ok(None);
    };
    let target =
        target.to_str().map_err(|_| WireError::UnknownOperation("X-Amz-Target is not valid text".to_string()))?;
    match target.split_once('.') {
        Some((prefix, op)) if !prefix.is_empty() && !op.is_empty() => Ok(Some(Call {
            protocol: Protocol::AwsJson11,
            target_prefix: prefix.to_string(),
            operation: op.to_string(),
        })),
        _ => Err(WireError::UnknownOperation(format!(
            "Unrecognized X-Amz-Target: {target}; expected <Service>.<Operation>"
        ))),
    }
}

/// Decodes a request body into an operation's input. An empty body is an empty input, as
/// clients send for operations without members.
pub fn decode<T: DeserializeOwned + Default>(protocol: Protocol, body: &[u8]) -> Result<T, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    match protocol {
        Protocol::AwsJson11 => {
            let de = &mut serde_json::Deserializer::from_slice(body);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    WireError::Serialization(format!("Request body is not valid JSON: {inner}"))
                } else {
                    type_error(&path, &strip_position(&inner.to_string()))
                }
            })
        }
        Protocol::RpcV2Cbor => {
            // Decode in two steps so that type errors can name the member they occur at: CBOR
            // to a JSON value (tagged timestamps become numbers, byte strings base64), then the
            // same typed deserialization as JSON 1.1.
            let value: ciborium::Value = ciborium::from_reader(body)
                .map_err(|e| WireError::Serialization(format!("Request body is not valid CBOR: {e}")))?;
            let json = cbor_to_json(value)?;
            serde_path_to_error::deserialize(json).map_err(|e| {
                let path = e.path().to_string();
                type_error(&path, &e.into_inner().to_string())
            })
        }
    }
}

/// Maps a CBOR data item onto the JSON data model the typed inputs deserialize from.
fn cbor_to_json(value: ciborium::Value) -> Result<serde_json::Value, WireError> {
    use base64::Engine as _;
    use ciborium::Value as C;
    use serde_json::Value as J;
    Ok(match value {
        C::Null => J::Null,
        C::Bool(b) => J::Bool(b),
        C::Integer(i) => {
            let i = i128::from(i);
            if let Ok(v) = i64::try_from(i) {
                J::from(v)
            } else if let Ok(v) = u64::try_from(i) {
                J::from(v)
            } else {
                return Err(WireError::Serialization(format!("Integer {i} is out of range")));
            }
        }
        C::Float(f) => serde_json::Number::from_f64(f)
            .map(J::Number)
            .ok_or_else(|| WireError::Serialization("NaN and infinite floats are not accepted".to_string()))?,
        C::Text(s) => J::String(s),
        C::Bytes(b) => J::String(base64::engine::general_purpose::STANDARD.encode(b)),
        // Tag 1 is an epoch-seconds timestamp; other tags are read as their content.
        C::Tag(_, inner) => cbor_to_json(*inner)?,
        C::Array(items) => J::Array(items.into_iter().map(cbor_to_json).collect::<Result<_, _>>()?),
        C::Map(entries) => {
            let mut map = serde_json::Map::with_capacity(entries.len());
            for (k, v) in entries {
                let C::Text(key) = k else {
                    return Err(WireError::Serialization("CBOR map keys must be text strings".to_string()));
                };
                map.insert(key, cbor_to_json(v)?);
            }
            J::Object(map)
        }
        _ => return Err(WireError::Serialization("Unsupported CBOR data item".to_string())),
    })
}

/// serde_json appends " at line L column C" to type errors; the member path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Turns serde's "unknown variant `X`, expected one of `A`, `B`" into AWS's enum constraint
/// message; anything else is a serialization error naming the member.
fn type_error(path: &str, message: &str) -> WireError {
    // serde says "expected `A` or `B`" for two variants and "expected one of `A`, `B`, ..." for more.
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((value, expected)) = rest.split_once("`, expected ")
    {
        let expected = expected.strip_prefix("one of ").unwrap_or(expected);
        let allowed: Vec<&str> =
            expected.split([',', ' ']).map(|v| v.trim_matches('`')).filter(|v| !v.is_empty() && *v != "or").collect();
        return WireError::InvalidValue(format!(
            "1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: \
             Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ));
    }
    WireError::Serialization(describe_type_error(path, message))
}

fn describe_type_error(path: &str, message: &str) -> String {
    if path.is_empty() || path == "." {
        format!("Invalid request: {message}")
    } else {
        format!("Invalid value at '{path}': {message}")
    }
}

/// Encodes an operation's output.
pub fn encode<T: Serialize>(protocol: Protocol, output: &T) -> Vec<u8> {
    match protocol {
        // Serializing our own model types cannot fail: they hold only strings, numbers and maps
        // with string keys. Should it ever, an empty object is still a valid (if poor) answer.
        Protocol::AwsJson11 => serde_json::to_vec(output).unwrap_or_else(|_| b"{}".to_vec()),
        Protocol::RpcV2Cbor => {
            let mut out = Vec::new();
            match ciborium::into_writer(output, &mut out) {
                Ok(()) => out,
                Err(_) => vec![0xa0], // empty map
            }
        }
    }
}

/// Encodes an error as both protocols expect it: `{"__type": code, "message": text}`.
pub fn encode_error(protocol: Protocol, code: &str, message: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        __type: &'a str,
        message: &'a str,
    }
    encode(protocol, &ErrorBody { __type: code, message })
}

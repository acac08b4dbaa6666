//! Reading provider payloads: JSON (or GitHub's form-encoded `payload=`), fields by dotted path,
//! and errors that name what is missing.

use serde_json::Value;

/// A delivery Kiln cannot read. Answered with 400 and recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the {0} header is missing: Kiln cannot tell which event this is")]
    MissingEvent(&'static str),
    #[error("{header} {value:?} is not an event Kiln starts builds from (it understands {supported})")]
    UnknownEvent { header: &'static str, value: String, supported: &'static str },
    #[error("the payload is not JSON: {0}")]
    NotJson(String),
    #[error("the payload has no {0}")]
    Missing(String),
}

/// The JSON document of a delivery. GitHub webhooks set to `application/x-www-form-urlencoded`
/// send it as the `payload` form field.
pub(crate) fn parse(body: &[u8]) -> Result<Value, PayloadError> {
    let form = body.strip_prefix(b"payload=").map(form_decode);
    let json = form.as_deref().unwrap_or(body);
    let value: Value = serde_json::from_slice(json).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(PayloadError::NotJson("expected a JSON object".to_string()));
    }
    Ok(value)
}

/// `application/x-www-form-urlencoded` value decoding: `+` is a space, `%XX` a byte.
fn form_decode(encoded: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while let Some(&b) = encoded.get(i) {
        match b {
            b'&' => break,
            b'+' => out.push(b' '),
            b'%' => {
                let hex = encoded.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    out
}

/// The value at a dotted path (`pull_request.head.ref`).
pub(crate) fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key)).filter(|v| !v.is_null())
}

pub(crate) fn opt_str<'a>(value: &'a Value, path: &str) -> Option<&'a str> {
    at(value, path).and_then(Value::as_str)
}

pub(crate) fn req_str<'a>(value: &'a Value, path: &str) -> Result<&'a str, PayloadError> {
    opt_str(value, path).filter(|s| !s.is_empty()).ok_or_else(|| PayloadError::Missing(path.to_string()))
}

/// An identifier that providers send as a number (GitHub, GitLab) or a string (Bitbucket).
pub(crate) fn opt_id(value: &Value, path: &str) -> Option<String> {
    match at(value, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn req_id(value: &Value, path: &str) -> Result<String, PayloadError> {
    opt_id(value, path).ok_or_else(|| PayloadError::Missing(path.to_string()))
}

pub(crate) fn opt_bool(value: &Value, path: &str) -> bool {
    at(value, path).and_then(Value::as_bool).unwrap_or(false)
}

/// The changed files of a list of commits (`added`, `modified`, `removed` of each), once each,
/// in the order first seen.
pub(crate) fn changed_files(commits: Option<&Value>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut files: Vec<String> = Vec::new();
    for commit in commits.and_then(Value::as_array).into_iter().flatten() {
        for list in ["added", "modified", "removed"] {
            for file in commit.get(list).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                if seen.insert(file) {
                    files.push(file.to_string());
                }
            }
        }
    }
    files
}

/// A commit id of zeros: what providers send as the "after" of a deleted ref.
pub(crate) fn is_zero_sha(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

/// `branch/<name>` or `tag/<name>` for a pushed ref; `None` for other refs.
pub(crate) fn push_trigger(r: &str) -> Option<String> {
    if let Some(branch) = r.strip_prefix("refs/heads/") {
        Some(format!("branch/{branch}"))
    } else {
        r.strip_prefix("refs/tags/").map(|tag| format!("tag/{tag}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoded_payloads_are_decoded() {
        let v = parse(b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fa+b%22%7D").expect("parse");
        assert_eq!(opt_str(&v, "ref"), Some("refs/heads/a b"));
    }

    #[test]
    fn non_objects_and_garbage_are_not_payloads() {
        assert!(matches!(parse(b"[1,2]"), Err(PayloadError::NotJson(_))));
        assert!(matches!(parse(b"{\"ref\":"), Err(PayloadError::NotJson(_))));
        assert!(matches!(parse(b""), Err(PayloadError::NotJson(_))));
    }

    #[test]
    fn paths_ids_and_files() {
        let v: Value = serde_json::json!({
            "a": {"b": {"c": "x"}, "n": 42, "s": "557058:abc", "null": null},
            "commits": [
                {"added": ["x", "y"], "modified": ["z"], "removed": []},
                {"added": [], "modified": ["y", "w"], "removed": ["v"]}
            ]
        });
        assert_eq!(opt_str(&v, "a.b.c"), Some("x"));
        assert_eq!(at(&v, "a.null"), None);
        assert_eq!(req_str(&v, "a.b.d"), Err(PayloadError::Missing("a.b.d".to_string())));
        assert_eq!(opt_id(&v, "a.n").as_deref(), Some("42"));
        assert_eq!(opt_id(&v, "a.s").as_deref(), Some("557058:abc"));
        assert_eq!(changed_files(v.get("commits")), ["x", "y", "z", "w", "v"]);
    }

    #[test]
    fn refs_and_zeros() {
        assert_eq!(push_trigger("refs/heads/feature/x").as_deref(), Some("branch/feature/x"));
        assert_eq!(push_trigger("refs/tags/v1.0").as_deref(), Some("tag/v1.0"));
        assert_eq!(push_trigger("refs/notes/commits"), None);
        assert!(is_zero_sha("0000000000000000000000000000000000000000"));
        assert!(!is_zero_sha("0000000000000000000000000000000000000001"));
        assert!(!is_zero_sha(""));
    }
}

//! A small client of Kiln's own API for the CLI (`kiln logs`): JSON 1.1 over HTTP/1.1,
//! signed with SigV4 when AWS credentials are in the environment.

use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Posts one JSON 1.1 call and returns the decoded body, or the AWS error as an error.
pub async fn call(endpoint: &str, target: &str, body: &Value) -> anyhow::Result<Value> {
    let authority = endpoint
        .strip_prefix("http://")
        .context("only http:// endpoints are supported by the kiln CLI")?
        .trim_end_matches('/');
    let payload = serde_json::to_vec(body)?;
    let mut headers = vec![
        ("host".to_string(), authority.to_string()),
        ("content-type".to_string(), "application/x-amz-json-1.1".to_string()),
        ("x-amz-target".to_string(), target.to_string()),
    ];
    sign_from_env(&mut headers, &payload);
    let mut request = format!("POST / HTTP/1.1\r\ncontent-length: {}\r\nconnection: close\r\n", payload.len());
    for (k, v) in &headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream =
        tokio::net::TcpStream::connect(authority).await.with_context(|| format!("connecting to {endpoint}"))?;
    stream.write_all(request.as_bytes()).await?;
    stream.write_all(&payload).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").context("malformed HTTP response")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = &raw[split + 4..];
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if status != 200 {
        let code = value.get("__type").and_then(Value::as_str).unwrap_or("Error");
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        bail!("{code}: {message}");
    }
    Ok(value)
}

pub async fn print_logs(endpoint: &str, build_id: &str, follow: bool) -> anyhow::Result<()> {
    let builds = call(endpoint, "CodeBuild_20161006.BatchGetBuilds", &json!({ "ids": [build_id] })).await?;
    let Some(build) = builds["builds"].get(0).cloned() else {
        bail!("build {build_id} not found");
    };
    let project = build["projectName"].as_str().unwrap_or_default().to_string();
    let id = build["id"].as_str().unwrap_or(build_id).to_string();
    let stream = kiln_api::logs::names::stream_of(&id).to_string();
    let group = kiln_api::logs::names::group_name(&project);
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({ "logGroupName": group, "logStreamName": stream, "startFromHead": true });
        if let Some(t) = &token {
            request["nextToken"] = json!(t);
        }
        let page = call(endpoint, "Logs_20140328.GetLogEvents", &request).await?;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        for e in &events {
            print!("{}", e["message"].as_str().unwrap_or_default());
        }
        let next = page["nextForwardToken"].as_str().map(str::to_string);
        let caught_up = events.is_empty() || next == token;
        token = next;
        if caught_up {
            if !follow {
                return Ok(());
            }
            let b = call(endpoint, "CodeBuild_20161006.BatchGetBuilds", &json!({ "ids": [id] })).await?;
            if b["builds"][0]["buildComplete"].as_bool() == Some(true) {
                // One more read: lines written between the last page and completion.
                let mut request = json!({ "logGroupName": group, "logStreamName": stream, "startFromHead": true });
                if let Some(t) = &token {
                    request["nextToken"] = json!(t);
                }
                let page = call(endpoint, "Logs_20140328.GetLogEvents", &request).await?;
                for e in page["events"].as_array().cloned().unwrap_or_default() {
                    print!("{}", e["message"].as_str().unwrap_or_default());
                }
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// Signs a request with SigV4 when AWS credentials (or Kiln's own) are in the environment:
/// adds `x-amz-date` and `authorization` to `headers`.
fn sign_from_env(headers: &mut Vec<(String, String)>, payload: &[u8]) {
    use kiln_wire::sigv4;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(key_id), Some(secret)) = (
        var("AWS_ACCESS_KEY_ID").or_else(|| var("KILN_ACCESS_KEY_ID")),
        var("AWS_SECRET_ACCESS_KEY").or_else(|| var("KILN_SECRET_ACCESS_KEY")),
    ) else {
        return;
    };
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".to_string());
    let service = match headers.iter().find(|(k, _)| k == "x-amz-target") {
        Some((_, t)) if t.starts_with("Logs_") => "logs",
        Some((_, t)) if t.starts_with("AWSEvents.") => "events",
        _ => "codebuild",
    };
    // "2026/11/25 11:43:43.123456" -> "20261125T114343Z"
    let stamp = kiln_agent::clock::agent_timestamp(kiln_agent::clock::now_ms() * 1000);
    let digits: String = stamp.chars().filter(char::is_ascii_digit).collect();
    let amz_date = format!("{}T{}Z", &digits[..8], &digits[8..14]);
    let date = &amz_date[..8];
    headers.push(("x-amz-date".to_string(), amz_date.clone()));

    let mut map = http::HeaderMap::new();
    for (k, v) in headers.iter() {
        if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(k.as_str()), http::HeaderValue::try_from(v.as_str()))
        {
            map.insert(name, value);
        }
    }
    let mut names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    let signed_headers = names.join(";");
    let request = sigv4::Request { method: "POST", raw_path: "/", raw_query: "", headers: &map, body: payload };
    let canonical = sigv4::canonical_request(
        &request,
        &signed_headers,
        &sigv4::sha256_hex(payload),
        sigv4::PathRule::Normalized,
        sigv4::SignatureLocation::Header,
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = sigv4::string_to_sign(&amz_date, &scope, &canonical);
    let signature = sigv4::signature(&sigv4::signing_key(&secret, date, &region, service), &to_sign);
    headers.push((
        "authorization".to_string(),
        format!(
            "{} Credential={key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            sigv4::ALGORITHM
        ),
    ));
}

//! Raw HTTP: the wire details no SDK shows, and requests no SDK would send.

mod common;

use common::{Server, json_call, post};
use serde_json::json;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn malformed_and_unknown_requests_get_aws_errors() {
    let server = Server::start();
    let (status, headers, body) = post(
        &server.addr,
        "/",
        &[("x-amz-target", "CodeBuild_20161006.ListProjects"), ("content-type", "application/x-amz-json-1.1")],
        b"{not json",
    );
    assert_eq!(status, 400);
    assert_eq!(header(&headers, "content-type"), Some("application/x-amz-json-1.1"));
    assert!(header(&headers, "x-amzn-requestid").is_some_and(|v| v.len() == 36));
    let body: serde_json::Value = serde_json::from_slice(&body).expect("json error body");
    assert_eq!(body["__type"], "SerializationException");

    let (status, body) = json_call(&server.addr, "CodeBuild_20161006.NoSuchThing", &json!({}));
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");

    let (status, body) = json_call(&server.addr, "CodeBuild_20161006.ListFleets", &json!({}));
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnsupportedOperationException");
    assert!(body["message"].as_str().unwrap_or_default().contains("ListFleets"));

    // A member of the wrong type names the member.
    let (status, body) = json_call(&server.addr, "CodeBuild_20161006.BatchGetBuilds", &json!({"ids": "not-a-list"}));
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "SerializationException");
    assert!(body["message"].as_str().unwrap_or_default().contains("ids"), "{body}");

    // Too many ids: the model allows 1..=100.
    let ids: Vec<String> = (0..101).map(|i| format!("p:{i}")).collect();
    let (status, body) = json_call(&server.addr, "CodeBuild_20161006.BatchGetBuilds", &json!({ "ids": ids }));
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "InvalidInputException");
    assert!(body["message"].as_str().unwrap_or_default().contains("ids"), "{body}");

    let (status, body) = json_call(&server.addr, "CodeBuild_20161006.CreateProject", &json!({"name": "x y"}));
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "InvalidInputException");
}

#[test]
fn rpc_v2_cbor_requests_get_cbor_answers() {
    let server = Server::start();
    let mut request = Vec::new();
    let input = ciborium::Value::Map(vec![
        (ciborium::Value::Text("name".into()), ciborium::Value::Text("cbor-project".into())),
        (
            ciborium::Value::Text("source".into()),
            ciborium::Value::Map(vec![
                (ciborium::Value::Text("type".into()), ciborium::Value::Text("NO_SOURCE".into())),
                (
                    ciborium::Value::Text("buildspec".into()),
                    ciborium::Value::Text("version: 0.2\nphases:\n  build:\n    commands: [true]\n".into()),
                ),
            ]),
        ),
        (
            ciborium::Value::Text("artifacts".into()),
            ciborium::Value::Map(vec![(
                ciborium::Value::Text("type".into()),
                ciborium::Value::Text("NO_ARTIFACTS".into()),
            )]),
        ),
        (
            ciborium::Value::Text("environment".into()),
            ciborium::Value::Map(vec![
                (ciborium::Value::Text("type".into()), ciborium::Value::Text("LINUX_CONTAINER".into())),
                (ciborium::Value::Text("image".into()), ciborium::Value::Text("img".into())),
                (ciborium::Value::Text("computeType".into()), ciborium::Value::Text("BUILD_GENERAL1_SMALL".into())),
            ]),
        ),
        (ciborium::Value::Text("serviceRole".into()), ciborium::Value::Text("role".into())),
    ]);
    ciborium::into_writer(&input, &mut request).expect("encode");
    let (status, headers, body) = post(
        &server.addr,
        "/service/CodeBuild_20161006/operation/CreateProject",
        &[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor"), ("accept", "application/cbor")],
        &request,
    );
    assert_eq!(status, 200, "{:?}", ciborium::from_reader::<ciborium::Value, _>(&body[..]));
    assert_eq!(header(&headers, "content-type"), Some("application/cbor"));
    assert_eq!(header(&headers, "smithy-protocol"), Some("rpc-v2-cbor"));
    let value: ciborium::Value = ciborium::from_reader(&body[..]).expect("cbor body");
    let project = map_get(&value, "project").expect("project");
    // Timestamps travel as CBOR tag 1 (epoch seconds).
    assert!(matches!(map_get(project, "created"), Some(ciborium::Value::Tag(1, _))), "{project:?}");

    // CBOR errors carry __type too.
    let (status, _, body) = post(
        &server.addr,
        "/service/CodeBuild_20161006/operation/StartBuild",
        &[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor")],
        &{
            let mut b = Vec::new();
            let v = ciborium::Value::Map(vec![(
                ciborium::Value::Text("projectName".into()),
                ciborium::Value::Text("missing-project".into()),
            )]);
            ciborium::into_writer(&v, &mut b).expect("encode");
            b
        },
    );
    assert_eq!(status, 400);
    let value: ciborium::Value = ciborium::from_reader(&body[..]).expect("cbor error");
    assert_eq!(map_get(&value, "__type"), Some(&ciborium::Value::Text("ResourceNotFoundException".into())));
}

fn map_get<'a>(value: &'a ciborium::Value, key: &str) -> Option<&'a ciborium::Value> {
    match value {
        ciborium::Value::Map(entries) => {
            entries.iter().find(|(k, _)| matches!(k, ciborium::Value::Text(t) if t == key)).map(|(_, v)| v)
        }
        _ => None,
    }
}

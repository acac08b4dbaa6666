//! Generated types on both wire protocols: AWS JSON 1.1 (serde_json) and RPC v2 CBOR (ciborium).

use kiln_model::codebuild::{
    BatchGetBuildsOutput, Build, BuildPhase, BuildPhaseType, ComputeType, EnvironmentType, SourceType, StatusType,
};
use kiln_model::logs::GetLogEventsResponse;
use kiln_model::{Blob, Timestamp};
use serde::{Serialize, Serializer};

/// Shaped like the `batch-get-builds` example in the AWS CLI docs (one build, every phase).
const BATCH_GET_BUILDS: &str = r#"{
  "builds": [
    {
      "id": "codebuild-demo-project:9b0ac37f-d19e-4254-9079-f47e9a389eEX",
      "arn": "arn:aws:codebuild:us-east-1:123456789012:build/codebuild-demo-project:9b0ac37f-d19e-4254-9079-f47e9a389eEX",
      "buildNumber": 7,
      "startTime": 1479832341.854,
      "endTime": 1479832474.764,
      "currentPhase": "COMPLETED",
      "buildStatus": "SUCCEEDED",
      "sourceVersion": "arn:aws:s3:::codepipeline-us-east-1-1234567890/codebuild-demo-pro/SourceArti/1TspnN3.zip",
      "resolvedSourceVersion": "0a6546f68309560d08a310daac92314c4d378f6b",
      "projectName": "codebuild-demo-project",
      "phases": [
        {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "startTime": 1479832341.854, "endTime": 1479832342.23, "durationInSeconds": 0},
        {"phaseType": "QUEUED", "phaseStatus": "SUCCEEDED", "startTime": 1479832342.23, "endTime": 1479832343.1, "durationInSeconds": 0},
        {"phaseType": "PROVISIONING", "phaseStatus": "SUCCEEDED", "startTime": 1479832343.1, "endTime": 1479832415.064, "durationInSeconds": 72, "contexts": [{"statusCode": "", "message": ""}]},
        {"phaseType": "DOWNLOAD_SOURCE", "phaseStatus": "SUCCEEDED", "startTime": 1479832415.064, "endTime": 1479832423.429, "durationInSeconds": 8, "contexts": [{"statusCode": "", "message": ""}]},
        {"phaseType": "INSTALL", "phaseStatus": "SUCCEEDED", "startTime": 1479832423.429, "endTime": 1479832423.57, "durationInSeconds": 0, "contexts": []},
        {"phaseType": "BUILD", "phaseStatus": "SUCCEEDED", "startTime": 1479832423.57, "endTime": 1479832454.86, "durationInSeconds": 31, "contexts": []},
        {"phaseType": "UPLOAD_ARTIFACTS", "phaseStatus": "SUCCEEDED", "startTime": 1479832454.86, "endTime": 1479832455.251, "durationInSeconds": 0, "contexts": []},
        {"phaseType": "FINALIZING", "phaseStatus": "SUCCEEDED", "startTime": 1479832455.251, "endTime": 1479832474.764, "durationInSeconds": 19, "contexts": []},
        {"phaseType": "COMPLETED", "startTime": 1479832474.764}
      ],
      "source": {
        "type": "CODEPIPELINE",
        "buildspec": "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n",
        "insecureSsl": false
      },
      "secondarySources": [],
      "secondarySourceVersions": [],
      "artifacts": {
        "location": "arn:aws:s3:::codebuild-123456789012-output-bucket/codebuild-demo-project",
        "sha256sum": "",
        "md5sum": "",
        "overrideArtifactName": false,
        "encryptionDisabled": false
      },
      "secondaryArtifacts": [],
      "cache": {"type": "NO_CACHE"},
      "environment": {
        "type": "LINUX_CONTAINER",
        "image": "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
        "computeType": "BUILD_GENERAL1_SMALL",
        "environmentVariables": [
          {"name": "STAGE", "value": "prod", "type": "PLAINTEXT"},
          {"name": "TOKEN", "value": "/kiln/token", "type": "PARAMETER_STORE"}
        ],
        "privilegedMode": false,
        "imagePullCredentialsType": "CODEBUILD"
      },
      "serviceRole": "arn:aws:iam::123456789012:role/service-role/codebuild-demo-service-role",
      "logs": {
        "groupName": "/aws/codebuild/codebuild-demo-project",
        "streamName": "9b0ac37f-d19e-4254-9079-f47e9a389eEX",
        "deepLink": "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=/aws/codebuild/codebuild-demo-project;stream=9b0ac37f-d19e-4254-9079-f47e9a389eEX",
        "cloudWatchLogs": {"status": "ENABLED"},
        "s3Logs": {"status": "DISABLED", "encryptionDisabled": false}
      },
      "timeoutInMinutes": 60,
      "queuedTimeoutInMinutes": 480,
      "buildComplete": true,
      "initiator": "codepipeline/codebuild-demo-pipeline",
      "encryptionKey": "arn:aws:kms:us-east-1:123456789012:alias/aws/s3",
      "exportedEnvironmentVariables": [{"name": "VERSION", "value": "1.2.3"}]
    }
  ],
  "buildsNotFound": ["codebuild-demo-project:b79a46f7-1473-4636-a23f-da9c45c208EX"]
}"#;

fn parse_fixture() -> BatchGetBuildsOutput {
    serde_json::from_str(BATCH_GET_BUILDS).expect("fixture parses")
}

fn first_build(out: &BatchGetBuildsOutput) -> &Build {
    out.builds.as_deref().and_then(|b| b.first()).expect("one build")
}

fn to_cbor(value: &impl Serialize) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).expect("CBOR encoding");
    bytes
}

#[test]
fn json_fields_are_typed() {
    let out = parse_fixture();
    let build = first_build(&out);
    assert_eq!(build.build_status, Some(StatusType::Succeeded));
    assert_eq!(build.build_number, Some(7));
    assert_eq!(build.start_time, Some(Timestamp(1_479_832_341.854)));
    assert_eq!(build.start_time.map(Timestamp::to_millis), Some(1_479_832_341_854));
    let env = build.environment.as_ref().expect("environment");
    assert_eq!(env.r#type, Some(EnvironmentType::LinuxContainer));
    assert_eq!(env.compute_type, Some(ComputeType::BuildGeneral1Small));
    assert_eq!(build.source.as_ref().and_then(|s| s.r#type), Some(SourceType::Codepipeline));
    let phases = build.phases.as_deref().expect("phases");
    assert_eq!(phases.len(), 9);
    assert_eq!(
        phases.last(),
        Some(&BuildPhase {
            phase_type: Some(BuildPhaseType::Completed),
            start_time: Some(Timestamp(1_479_832_474.764)),
            ..BuildPhase::default()
        })
    );
    assert_eq!(out.builds_not_found.as_ref().map(Vec::len), Some(1));
}

#[test]
fn json_round_trip_is_lossless() {
    let out = parse_fixture();
    let original: serde_json::Value = serde_json::from_str(BATCH_GET_BUILDS).expect("valid JSON");
    let written = serde_json::to_value(&out).expect("serializes");
    // Absent members stay absent (skip_serializing_if) and every present one comes back.
    assert_eq!(written, original);
    let again: BatchGetBuildsOutput = serde_json::from_value(written).expect("reparses");
    assert_eq!(again, out);
}

#[test]
fn json_ignores_unknown_members_and_accepts_null() {
    let build: Build = serde_json::from_str(r#"{"id": "p:1", "someFutureMember": {"x": [1, 2]}, "buildNumber": null}"#)
        .expect("unknown keys are ignored");
    assert_eq!(build.id.as_deref(), Some("p:1"));
    assert_eq!(build.build_number, None);
    assert_eq!(serde_json::to_string(&build).expect("serializes"), r#"{"id":"p:1"}"#);
}

#[test]
fn json_timestamps_accept_integers() {
    let phase: BuildPhase = serde_json::from_str(r#"{"startTime": 1548717462}"#).expect("parses");
    assert_eq!(phase.start_time, Some(Timestamp(1_548_717_462.0)));
    let json = serde_json::to_string(&phase).expect("serializes");
    let back: BuildPhase = serde_json::from_str(&json).expect("reparses");
    assert_eq!(back, phase);
}

/// Serializes as whether the serializer called it human readable.
struct HumanReadableProbe;

impl Serialize for HumanReadableProbe {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let readable = serializer.is_human_readable();
        serializer.serialize_bool(readable)
    }
}

#[test]
fn serializers_report_human_readability_as_timestamp_and_blob_expect() {
    assert_eq!(serde_json::to_string(&HumanReadableProbe).expect("json"), "true");
    let cbor: bool = ciborium::from_reader(to_cbor(&HumanReadableProbe).as_slice()).expect("cbor");
    assert!(!cbor, "ciborium must not be human readable");
}

#[test]
fn cbor_round_trip_tags_timestamps() {
    let out = parse_fixture();
    let bytes = to_cbor(&out);

    let value: ciborium::Value = ciborium::from_reader(bytes.as_slice()).expect("valid CBOR");
    let build = map_get(&value, "builds").and_then(|b| b.as_array()).and_then(|b| b.first()).expect("builds[0]");
    for key in ["startTime", "endTime"] {
        match map_get(build, key) {
            Some(ciborium::Value::Tag(1, inner)) => {
                assert!(matches!(**inner, ciborium::Value::Float(_)), "{key}: {inner:?}");
            }
            other => panic!("{key} should be CBOR tag 1, got {other:?}"),
        }
    }
    let first_phase = map_get(build, "phases").and_then(|p| p.as_array()).and_then(|p| p.first()).expect("phases[0]");
    assert!(matches!(map_get(first_phase, "startTime"), Some(ciborium::Value::Tag(1, _))));
    assert_eq!(map_get(build, "buildStatus"), Some(&ciborium::Value::Text("SUCCEEDED".to_owned())));

    let back: BatchGetBuildsOutput = ciborium::from_reader(bytes.as_slice()).expect("decodes");
    assert_eq!(back, out);
}

fn map_get<'a>(value: &'a ciborium::Value, key: &str) -> Option<&'a ciborium::Value> {
    value.as_map()?.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}

#[test]
fn cbor_accepts_integer_timestamps_from_other_encoders() {
    use ciborium::Value;
    let phase = Value::Map(vec![
        (Value::Text("phaseType".into()), Value::Text("BUILD".into())),
        (Value::Text("startTime".into()), Value::Tag(1, Box::new(Value::Integer(1_548_717_462.into())))),
    ]);
    let decoded: BuildPhase = ciborium::from_reader(to_cbor(&phase).as_slice()).expect("decodes");
    assert_eq!(decoded.phase_type, Some(BuildPhaseType::Build));
    assert_eq!(decoded.start_time, Some(Timestamp(1_548_717_462.0)));
}

#[test]
fn blob_in_both_protocols() {
    let blob = Blob(vec![0, 159, 146, 150]);
    assert_eq!(serde_json::to_string(&blob).expect("json"), "\"AJ+Slg==\"");
    let value: ciborium::Value = ciborium::from_reader(to_cbor(&blob).as_slice()).expect("cbor");
    assert_eq!(value, ciborium::Value::Bytes(vec![0, 159, 146, 150]));
}

#[test]
fn logs_events_round_trip() {
    // Members in model order, which is the order the generated structs serialize in.
    let json = r#"{"events":[{"ingestionTime":1548717462200,"message":"[Container] Running command make","timestamp":1548717462122}],"nextBackwardToken":"b/1","nextForwardToken":"f/1"}"#;
    let response: GetLogEventsResponse = serde_json::from_str(json).expect("parses");
    let event = response.events.as_deref().and_then(|e| e.first()).expect("one event");
    // Logs models its timestamps as longs (epoch milliseconds), not as `timestamp`.
    assert_eq!(event.timestamp, Some(1_548_717_462_122));
    assert_eq!(serde_json::to_string(&response).expect("serializes"), json);
}

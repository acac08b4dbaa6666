//! UPLOAD_ARTIFACTS: a buildspec's artifacts land in the object store as CodeBuild lays them out.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{Server, create_inline_project, json_call, wait_for};
use kiln_objects::{FsObjectStore, ObjectStore};
use serde_json::{Value, json};
use sha2::Digest;

fn run(server: &Server, project: &str) -> Value {
    let (status, body) = json_call(&server.addr, "CodeBuild_20161006.StartBuild", &json!({"projectName": project}));
    assert_eq!(status, 200, "{body}");
    let id = body["build"]["id"].as_str().expect("id").to_string();
    wait_for("build to finish", Duration::from_secs(30), || {
        let (_, body) = json_call(&server.addr, "CodeBuild_20161006.BatchGetBuilds", &json!({"ids": [id]}));
        let build = body["builds"][0].clone();
        (build["buildComplete"] == true).then_some(build)
    })
}

const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p out/sub && echo app > out/app && echo lib > out/sub/lib.txt && echo no > out/skip.log\nartifacts:\n  base-directory: out\n  files:\n    - '**/*'\n  exclude-paths:\n    - '*.log'\n";

#[test]
fn zip_artifacts_are_uploaded_with_their_checksums() {
    let server = Server::start();
    let objects = FsObjectStore::open(&server.data_dir.join("objects")).expect("object store");
    objects.create_bucket("artifact-bucket").expect("bucket");
    create_inline_project(
        &server,
        "zipped",
        BUILDSPEC,
        json!({"type": "S3", "location": "artifact-bucket", "path": "builds", "namespaceType": "BUILD_ID",
               "name": "app.zip", "packaging": "ZIP"}),
    );
    let build = run(&server, "zipped");
    assert_eq!(build["buildStatus"], "SUCCEEDED", "{:#}", build["phases"]);
    let uuid = build["id"].as_str().and_then(|id| id.split_once(':')).map(|(_, u)| u).expect("uuid");
    let key = format!("builds/{uuid}/app.zip");
    assert_eq!(build["artifacts"]["location"], format!("arn:aws:s3:::artifact-bucket/{key}"));

    let (meta, mut reader) = objects.get("artifact-bucket", &key, None).expect("artifact object");
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).expect("read");
    assert_eq!(build["artifacts"]["sha256sum"], hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(build["artifacts"]["md5sum"].as_str().map(|m| format!("\"{m}\"")), Some(meta.etag.clone()));
    assert_eq!(meta.metadata.get("codebuild-buildarn"), build["arn"].as_str().map(str::to_string).as_ref());
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut names: Vec<String> = archive.file_names().map(|n| n.expect("name").to_string()).collect();
    names.sort();
    assert_eq!(names, ["app", "sub/lib.txt"]);
}

#[test]
fn file_artifacts_and_codebuild_errors() {
    let server = Server::start();
    let objects = FsObjectStore::open(&server.data_dir.join("objects")).expect("object store");
    objects.create_bucket("files-bucket").expect("bucket");
    create_inline_project(
        &server,
        "files",
        BUILDSPEC,
        json!({"type": "S3", "location": "files-bucket", "name": "out"}),
    );
    let build = run(&server, "files");
    assert_eq!(build["buildStatus"], "SUCCEEDED", "{:#}", build["phases"]);
    assert_eq!(build["artifacts"]["location"], "arn:aws:s3:::files-bucket/out");
    objects.head("files-bucket", "out/app", None).expect("out/app uploaded");
    objects.head("files-bucket", "out/sub/lib.txt", None).expect("out/sub/lib.txt uploaded");
    assert!(objects.head("files-bucket", "out/skip.log", None).is_err(), "excluded path uploaded");

    // Nothing matches: UPLOAD_ARTIFACTS fails with CodeBuild's CLIENT_ERROR.
    create_inline_project(
        &server,
        "no-match",
        "version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  files: [missing/*]\n",
        json!({"type": "S3", "location": "files-bucket"}),
    );
    let build = run(&server, "no-match");
    assert_eq!(build["buildStatus"], "FAILED");
    let upload = build["phases"].as_array().into_iter().flatten().find(|p| p["phaseType"] == "UPLOAD_ARTIFACTS");
    let upload = upload.expect("UPLOAD_ARTIFACTS ran");
    assert_eq!(upload["phaseStatus"], "FAILED");
    assert_eq!(upload["contexts"][0]["statusCode"], "CLIENT_ERROR");
    assert_eq!(upload["contexts"][0]["message"], "no matching artifact paths found");

    // A missing bucket is named.
    create_inline_project(&server, "no-bucket", BUILDSPEC, json!({"type": "S3", "location": "absent-bucket"}));
    let build = run(&server, "no-bucket");
    assert_eq!(build["buildStatus"], "FAILED");
    let text = build["phases"].to_string();
    assert!(text.contains("bucket absent-bucket does not exist"), "{text}");
}

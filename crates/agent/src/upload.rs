//! UPLOAD_ARTIFACTS: the files the buildspec's `artifacts` (and `secondary-artifacts`) select,
//! as one ZIP or as separate objects, into the object store.

use kiln_artifacts::{ArtifactError, collect, write_zip};
use kiln_buildspec::Artifacts;
use kiln_objects::{ObjectError, ObjectStore, PutOptions};

use crate::emit::Emitter;
use crate::protocol::{ArtifactTarget, Context, Event, Job};

fn client_error(message: impl Into<String>) -> Context {
    Context { status_code: "CLIENT_ERROR".to_string(), message: message.into() }
}

/// UPLOAD_ARTIFACTS: the primary artifact (the buildspec's `artifacts`) and each secondary
/// artifact (its `secondary-artifacts.<identifier>`), each as one ZIP or as separate objects.
/// `names` are the artifact names the build's shell expanded.
pub fn upload_artifacts(job: &Job, names: &[(Option<String>, String)], emit: &Emitter) -> Result<(), Context> {
    if job.artifacts.is_none() && job.secondary_artifacts.is_empty() {
        return Ok(());
    }
    let text = job.prepared.as_ref().map(|p| p.buildspec_text.as_str()).unwrap_or_default();
    let spec = kiln_buildspec::parse(text).map_err(|e| client_error(e.to_string()))?;
    let Some(artifacts) = spec.artifacts else {
        return Err(client_error(ArtifactError::NoMatches.to_string()));
    };
    let store = crate::objects::open(job)?;
    let name_of = |id: Option<&str>| names.iter().find(|(i, _)| i.as_deref() == id).map(|(_, n)| n.as_str());
    if let Some(target) = &job.artifacts {
        upload_one(job, store.as_ref(), target, &artifacts, name_of(None), emit)?;
    }
    for target in &job.secondary_artifacts {
        let id = target.identifier.as_deref().unwrap_or_default();
        let Some((_, secondary)) = artifacts.secondary_artifacts.iter().find(|(key, _)| key == id) else {
            return Err(client_error(format!(
                "secondary artifact {id} is not defined in the buildspec's artifacts.secondary-artifacts"
            )));
        };
        emit.agent(&format!("Uploading secondary artifact {id}"));
        upload_one(job, store.as_ref(), target, secondary, name_of(Some(id)), emit)?;
    }
    for (id, _) in &artifacts.secondary_artifacts {
        if !job.secondary_artifacts.iter().any(|t| t.identifier.as_deref() == Some(id)) {
            emit.agent(&format!(
                "Skipping secondary artifact {id}: the project has no secondary artifact of that identifier"
            ));
        }
    }
    Ok(())
}

/// Collects and uploads one artifact.
fn upload_one(
    job: &Job,
    store: &dyn ObjectStore,
    target: &ArtifactTarget,
    spec: &Artifacts,
    expanded_name: Option<&str>,
    emit: &Emitter,
) -> Result<(), Context> {
    let src_dir = job.build_dir.join("src");
    // enable-symlinks applies to ZIP packaging only; loose files are uploaded as what links point at.
    let mut selection = spec.clone();
    selection.enable_symlinks &= target.zip;
    let entries = collect(&src_dir, &selection).map_err(|e| client_error(e.to_string()))?;
    let key = object_key(target, spec, expanded_name);
    let options = PutOptions {
        content_type: None,
        metadata: [("codebuild-buildarn".to_string(), job.build_arn.clone())].into_iter().collect(),
    };
    let location = format!("arn:aws:s3:::{}/{key}", target.bucket);
    let identifier = target.identifier.clone();
    if target.zip {
        let zip_path = job.build_dir.join("tmp").join("artifact.zip");
        let digests = write_zip(&entries, &zip_path).map_err(|e| client_error(e.to_string()))?;
        let mut file =
            std::fs::File::open(&zip_path).map_err(|e| client_error(format!("reading the artifact: {e}")))?;
        store.put(&target.bucket, &key, &mut file, &options).map_err(|e| upload_error(&target.bucket, &e))?;
        let _ = std::fs::remove_file(&zip_path);
        emit.agent(&format!("Uploaded {} files as {location} ({} bytes)", entries.len(), digests.size));
        emit.emit(&Event::Artifacts { identifier, location, sha256: Some(digests.sha256), md5: Some(digests.md5) });
    } else {
        for entry in &entries {
            let mut file = std::fs::File::open(&entry.source)
                .map_err(|e| client_error(format!("reading {}: {e}", entry.source.display())))?;
            let object = format!("{key}/{}", entry.name);
            store.put(&target.bucket, &object, &mut file, &options).map_err(|e| upload_error(&target.bucket, &e))?;
        }
        emit.agent(&format!("Uploaded {} files to {location}", entries.len()));
        emit.emit(&Event::Artifacts { identifier, location, sha256: None, md5: None });
    }
    Ok(())
}

/// The object key: the project's `path/[build uuid/]name`; with namespace BUILD_ID and the
/// buildspec's `s3-prefix`, `<s3-prefix>/<build uuid>/<name>`; with `overrideArtifactName`,
/// the buildspec's (shell-expanded) `name` as the last part.
fn object_key(target: &ArtifactTarget, spec: &Artifacts, expanded_name: Option<&str>) -> String {
    let mut key = target.key.clone();
    if let (Some(prefix), Some(uuid)) = (spec.s3_prefix.as_deref(), target.build_uuid.as_deref()) {
        let name = key.rsplit('/').next().unwrap_or_default().to_string();
        let parts: Vec<&str> = prefix.split('/').chain([uuid, name.as_str()]).filter(|p| !p.is_empty()).collect();
        key = parts.join("/");
    }
    if target.override_name
        && let Some(name) = expanded_name.or(spec.name.as_deref())
    {
        key = replace_last(&key, name.trim_matches('/'));
    }
    key
}

fn upload_error(bucket: &str, e: &ObjectError) -> Context {
    match e {
        ObjectError::NoSuchBucket(_) => {
            client_error(format!("Error uploading artifacts: bucket {bucket} does not exist"))
        }
        other => client_error(format!("Error uploading artifacts: {other}")),
    }
}

/// `a/b/c` with its last part replaced by `name`.
fn replace_last(key: &str, name: &str) -> String {
    match key.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use kiln_buildspec::Artifacts;

    use super::{object_key, replace_last};
    use crate::protocol::ArtifactTarget;

    #[test]
    fn keys_follow_s3_prefix_and_override_name() {
        let target = |uuid: Option<&str>, override_name| ArtifactTarget {
            bucket: "b".into(),
            key: "path/1234/app.zip".into(),
            build_uuid: uuid.map(str::to_string),
            override_name,
            ..Default::default()
        };
        let spec = |prefix: Option<&str>, name: Option<&str>| Artifacts {
            s3_prefix: prefix.map(str::to_string),
            name: name.map(str::to_string),
            ..Default::default()
        };
        // s3-prefix counts only with namespace BUILD_ID (a build uuid in the target).
        assert_eq!(object_key(&target(Some("1234"), false), &spec(Some("rel/"), None), None), "rel/1234/app.zip");
        assert_eq!(object_key(&target(None, false), &spec(Some("rel"), None), None), "path/1234/app.zip");
        // The name replaces the last part only with overrideArtifactName; the expanded name wins.
        assert_eq!(object_key(&target(None, false), &spec(None, Some("x.zip")), None), "path/1234/app.zip");
        assert_eq!(
            object_key(&target(None, true), &spec(None, Some("x-$N.zip")), Some("x-7.zip")),
            "path/1234/x-7.zip"
        );
        assert_eq!(object_key(&target(Some("1234"), true), &spec(Some("p"), Some("n")), None), "p/1234/n");
    }

    #[test]
    fn override_names_replace_the_last_key_part() {
        assert_eq!(replace_last("path/1234/name.zip", "app-1.2.zip"), "path/1234/app-1.2.zip");
        assert_eq!(replace_last("name.zip", "app.zip"), "app.zip");
    }
}

//! Build settings CodeBuild's `Build` shape does not show but the executor needs: the
//! effective artifact settings (the project's, or StartBuild's override), kept beside the
//! build in the store.

use kiln_model::codebuild::{ArtifactNamespace, ArtifactPackaging, ArtifactsType, ProjectArtifacts};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildSettings {
    /// The primary artifact settings, with CodeBuild's defaults filled in.
    pub artifacts: Option<ProjectArtifacts>,
    pub secondary_artifacts: Vec<ProjectArtifacts>,
}

impl BuildSettings {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Settings stored with a build; empty or unreadable text means none.
    pub fn from_json(text: &str) -> BuildSettings {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// Where an S3 artifact goes: `(bucket, key)`. The key is `path/[<build uuid>/]name`, as
/// CodeBuild composes it (namespaceType BUILD_ID inserts the build's id).
pub fn artifact_object(artifacts: &ProjectArtifacts, build_id: &str) -> Option<(String, String)> {
    if artifacts.r#type != Some(ArtifactsType::S3) {
        return None;
    }
    let bucket = artifacts.location.clone()?;
    let uuid = build_id.split_once(':').map(|(_, u)| u).unwrap_or(build_id);
    let mut parts: Vec<&str> = Vec::new();
    if let Some(path) = artifacts.path.as_deref() {
        parts.extend(path.split('/').filter(|p| !p.is_empty()));
    }
    if artifacts.namespace_type == Some(ArtifactNamespace::BuildId) {
        parts.push(uuid);
    }
    let name = artifacts.name.as_deref().unwrap_or_default();
    parts.extend(name.split('/').filter(|p| !p.is_empty()));
    Some((bucket, parts.join("/")))
}

/// `arn:aws:s3:::bucket/key`, the location CodeBuild reports for an S3 artifact.
pub fn artifact_location(artifacts: &ProjectArtifacts, build_id: &str) -> String {
    match artifact_object(artifacts, build_id) {
        Some((bucket, key)) if key.is_empty() => format!("arn:aws:s3:::{bucket}"),
        Some((bucket, key)) => format!("arn:aws:s3:::{bucket}/{key}"),
        None => String::new(),
    }
}

/// Whether the artifact is one ZIP file (else a folder of files).
pub fn is_zip(artifacts: &ProjectArtifacts) -> bool {
    artifacts.packaging == Some(ArtifactPackaging::Zip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(path: Option<&str>, namespace: Option<ArtifactNamespace>, name: &str) -> ProjectArtifacts {
        ProjectArtifacts {
            r#type: Some(ArtifactsType::S3),
            location: Some("bucket".into()),
            path: path.map(str::to_string),
            namespace_type: namespace,
            name: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn keys_follow_codebuild() {
        let id = "proj:1234";
        assert_eq!(artifact_location(&s3(None, None, "out.zip"), id), "arn:aws:s3:::bucket/out.zip");
        assert_eq!(
            artifact_location(&s3(Some("MyArtifacts"), Some(ArtifactNamespace::BuildId), "MyArtifact.zip"), id),
            "arn:aws:s3:::bucket/MyArtifacts/1234/MyArtifact.zip"
        );
        assert_eq!(
            artifact_object(&s3(Some("/a/b/"), Some(ArtifactNamespace::None), "n"), id),
            Some(("bucket".to_string(), "a/b/n".to_string()))
        );
        let none = ProjectArtifacts { r#type: Some(ArtifactsType::NoArtifacts), ..Default::default() };
        assert_eq!(artifact_location(&none, id), "");
        let round = BuildSettings { artifacts: Some(s3(None, None, "x")), secondary_artifacts: vec![] };
        assert_eq!(BuildSettings::from_json(&round.to_json()), round);
        assert_eq!(BuildSettings::from_json(""), BuildSettings::default());
    }
}

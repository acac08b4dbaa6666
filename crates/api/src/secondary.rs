//! Rules for secondary sources, their versions and secondary artifacts, shared by
//! CreateProject/UpdateProject and StartBuild's overrides.

use std::collections::HashSet;

use kiln_model::codebuild::{ProjectArtifacts, ProjectSource, ProjectSourceVersion, SourceType};

use crate::ApiError;

/// CodeBuild's limit on secondary sources and on secondary artifacts.
pub const MAX_SECONDARIES: usize = 12;

/// Checks secondary sources: at most 12, each with a unique `sourceIdentifier` of letters,
/// digits and underscores, none of type NO_SOURCE.
pub fn check_secondary_sources(field: &str, sources: &[ProjectSource]) -> Result<(), ApiError> {
    if sources.len() > MAX_SECONDARIES {
        return Err(invalid(format!(
            "{field} has {} entries; a build can have at most {MAX_SECONDARIES} secondary sources",
            sources.len()
        )));
    }
    let mut seen = HashSet::new();
    for (i, source) in sources.iter().enumerate() {
        let id = source.source_identifier.as_deref().unwrap_or_default();
        check_identifier(&format!("{field}[{i}].sourceIdentifier"), id)?;
        if !seen.insert(id) {
            return Err(invalid(format!("{field}[{i}].sourceIdentifier {id} is used by more than one source")));
        }
        if source.r#type == Some(SourceType::NoSource) {
            return Err(invalid(format!("{field}[{i}].type NO_SOURCE is not allowed for a secondary source")));
        }
    }
    Ok(())
}

/// Each version must name one of the build's secondary sources, once.
pub fn check_secondary_versions(
    field: &str,
    versions: &[ProjectSourceVersion],
    sources: &[ProjectSource],
) -> Result<(), ApiError> {
    let known: HashSet<&str> = sources.iter().filter_map(|s| s.source_identifier.as_deref()).collect();
    let mut seen = HashSet::new();
    for (i, version) in versions.iter().enumerate() {
        let id = version.source_identifier.as_deref().unwrap_or_default();
        if !known.contains(id) {
            return Err(invalid(format!("{field}[{i}].sourceIdentifier {id} does not name a secondary source")));
        }
        if !seen.insert(id) {
            return Err(invalid(format!("{field}[{i}].sourceIdentifier {id} is given more than one version")));
        }
    }
    Ok(())
}

/// Checks secondary artifacts: at most 12, each with a unique `artifactIdentifier`.
pub fn check_secondary_artifacts(field: &str, artifacts: &[ProjectArtifacts]) -> Result<(), ApiError> {
    if artifacts.len() > MAX_SECONDARIES {
        return Err(invalid(format!(
            "{field} has {} entries; a build can have at most {MAX_SECONDARIES} secondary artifacts",
            artifacts.len()
        )));
    }
    let mut seen = HashSet::new();
    for (i, artifact) in artifacts.iter().enumerate() {
        let id = artifact.artifact_identifier.as_deref().unwrap_or_default();
        check_identifier(&format!("{field}[{i}].artifactIdentifier"), id)?;
        if !seen.insert(id) {
            return Err(invalid(format!("{field}[{i}].artifactIdentifier {id} is used by more than one artifact")));
        }
    }
    Ok(())
}

/// An identifier is 1–127 letters, digits and underscores (it becomes part of variable names
/// such as `CODEBUILD_SRC_DIR_<id>`).
fn check_identifier(field: &str, id: &str) -> Result<(), ApiError> {
    if id.is_empty() {
        return Err(invalid(format!("{field} must be set")));
    }
    if id.len() >= 128 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(invalid(format!(
            "{field} {id:?} must be fewer than 128 characters, all letters, digits or underscores"
        )));
    }
    Ok(())
}

fn invalid(message: String) -> ApiError {
    ApiError::InvalidInput(format!("Invalid input: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: Option<&str>) -> ProjectSource {
        ProjectSource {
            r#type: Some(SourceType::Github),
            location: Some("https://example.com/r.git".into()),
            source_identifier: id.map(str::to_string),
            ..Default::default()
        }
    }

    fn message(result: Result<(), ApiError>) -> String {
        match result {
            Err(ApiError::InvalidInput(m)) => m,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn identifiers_are_required_unique_and_word_characters() {
        assert!(check_secondary_sources("s", &[source(Some("lib_1")), source(Some("Tools"))]).is_ok());
        assert!(message(check_secondary_sources("s", &[source(None)])).contains("s[0].sourceIdentifier must be set"));
        assert!(message(check_secondary_sources("s", &[source(Some("a-b"))])).contains("letters, digits"));
        assert!(
            message(check_secondary_sources("s", &[source(Some("a")), source(Some("a"))])).contains("more than one")
        );
        let many: Vec<ProjectSource> = (0..13).map(|i| source(Some(&format!("s{i}")))).collect();
        assert!(message(check_secondary_sources("s", &many)).contains("at most 12"));
        let none = ProjectSource { r#type: Some(SourceType::NoSource), ..source(Some("x")) };
        assert!(message(check_secondary_sources("s", &[none])).contains("NO_SOURCE"));
    }

    #[test]
    fn versions_name_known_sources() {
        let sources = [source(Some("lib"))];
        let v =
            |id: &str| ProjectSourceVersion { source_identifier: Some(id.into()), source_version: Some("main".into()) };
        assert!(check_secondary_versions("v", &[v("lib")], &sources).is_ok());
        assert!(message(check_secondary_versions("v", &[v("other")], &sources)).contains("does not name"));
        assert!(message(check_secondary_versions("v", &[v("lib"), v("lib")], &sources)).contains("more than one"));
    }

    #[test]
    fn artifact_identifiers_are_checked() {
        let a =
            |id: Option<&str>| ProjectArtifacts { artifact_identifier: id.map(str::to_string), ..Default::default() };
        assert!(check_secondary_artifacts("a", &[a(Some("one")), a(Some("two"))]).is_ok());
        assert!(message(check_secondary_artifacts("a", &[a(None)])).contains("artifactIdentifier must be set"));
        assert!(message(check_secondary_artifacts("a", &[a(Some("x")), a(Some("x"))])).contains("more than one"));
    }
}

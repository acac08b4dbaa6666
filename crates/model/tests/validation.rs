//! Validation generated from the model's required/min/max constraints.

use kiln_model::codebuild::{
    BatchGetBuildsInput, CreateProjectInput, EnvironmentVariable, ProjectArtifacts, ProjectEnvironment, ProjectSource,
    SourceType, StartBuildInput,
};
use kiln_model::logs::GetLogEventsRequest;
use kiln_model::{ValidationError, validate};

fn messages(result: Result<(), kiln_model::ValidationErrors>) -> Vec<String> {
    match result {
        Ok(()) => Vec::new(),
        Err(errors) => errors.0.iter().map(ValidationError::to_string).collect(),
    }
}

#[test]
fn start_build_requires_project_name() {
    let err = validate(&StartBuildInput::default()).expect_err("projectName is required");
    assert_eq!(
        err.to_string(),
        "1 validation error detected: Value null at 'projectName' failed to satisfy \
         constraint: Member must not be null"
    );
    assert_eq!(err.0[0].path, "projectName");
    assert_eq!(err.0[0].value, None);
}

#[test]
fn start_build_rejects_too_short_project_name() {
    let input = StartBuildInput { project_name: Some(String::new()), ..StartBuildInput::default() };
    assert_eq!(
        messages(validate(&input)),
        ["Value '' at 'projectName' failed to satisfy constraint: \
          Member must have length greater than or equal to 1"]
    );
    let ok = StartBuildInput { project_name: Some("p".to_owned()), ..StartBuildInput::default() };
    assert_eq!(validate(&ok), Ok(()));
}

#[test]
fn start_build_reports_every_violation_with_nested_paths() {
    let input = StartBuildInput {
        project_name: Some("demo".to_owned()),
        timeout_in_minutes_override: Some(1),
        queued_timeout_in_minutes_override: Some(481),
        environment_variables_override: Some(vec![
            EnvironmentVariable { name: Some("OK".to_owned()), value: Some("1".to_owned()), r#type: None },
            EnvironmentVariable { name: None, value: Some("2".to_owned()), r#type: None },
        ]),
        ..StartBuildInput::default()
    };
    let err = validate(&input).expect_err("three violations");
    let text = err.to_string();
    assert!(text.starts_with("3 validation errors detected: "), "{text}");
    assert_eq!(
        messages(Err(err)),
        [
            "Value null at 'environmentVariablesOverride.2.member.name' failed to satisfy \
             constraint: Member must not be null",
            "Value '481' at 'queuedTimeoutInMinutesOverride' failed to satisfy constraint: \
             Member must have value less than or equal to 480",
            "Value '1' at 'timeoutInMinutesOverride' failed to satisfy constraint: \
             Member must have value greater than or equal to 5",
        ]
    );
}

fn minimal_project(name: &str) -> CreateProjectInput {
    CreateProjectInput {
        name: Some(name.to_owned()),
        source: Some(ProjectSource { r#type: Some(SourceType::NoSource), ..ProjectSource::default() }),
        artifacts: Some(ProjectArtifacts {
            r#type: Some(kiln_model::codebuild::ArtifactsType::NoArtifacts),
            ..ProjectArtifacts::default()
        }),
        environment: Some(ProjectEnvironment {
            r#type: Some(kiln_model::codebuild::EnvironmentType::LinuxContainer),
            image: Some("aws/codebuild/standard:7.0".to_owned()),
            compute_type: Some(kiln_model::codebuild::ComputeType::BuildGeneral1Small),
            ..ProjectEnvironment::default()
        }),
        service_role: Some("arn:aws:iam::123456789012:role/r".to_owned()),
        ..CreateProjectInput::default()
    }
}

#[test]
fn create_project_checks_name_length_and_nested_required_members() {
    assert_eq!(validate(&minimal_project("ab")), Ok(()));
    assert_eq!(
        messages(validate(&minimal_project("x"))),
        ["Value 'x' at 'name' failed to satisfy constraint: \
          Member must have length greater than or equal to 2"]
    );
    let long = "a".repeat(151);
    assert_eq!(validate(&minimal_project(&long)).map_err(|e| e.0.len()), Err(1));

    let mut input = minimal_project("demo");
    if let Some(env) = input.environment.as_mut() {
        env.image = None;
    }
    input.source = Some(ProjectSource::default());
    assert_eq!(
        messages(validate(&input)),
        [
            "Value null at 'environment.image' failed to satisfy constraint: \
             Member must not be null",
            "Value null at 'source.type' failed to satisfy constraint: \
             Member must not be null",
        ]
    );
}

#[test]
fn list_lengths_are_checked() {
    let empty = BatchGetBuildsInput { ids: Some(Vec::new()) };
    assert_eq!(
        messages(validate(&empty)),
        ["Value '[]' at 'ids' failed to satisfy constraint: \
          Member must have length greater than or equal to 1"]
    );
    let too_many = BatchGetBuildsInput { ids: Some((0..101).map(|i| format!("p:{i}")).collect()) };
    let err = validate(&too_many).expect_err("over 100 ids");
    assert!(err.0[0].message.ends_with("Member must have length less than or equal to 100"), "{err}");
    let blank_id = BatchGetBuildsInput { ids: Some(vec!["p:1".to_owned(), String::new()]) };
    assert_eq!(
        messages(validate(&blank_id)),
        ["Value '' at 'ids.2.member' failed to satisfy constraint: \
          Member must have length greater than or equal to 1"]
    );
}

#[test]
fn logs_request_validation() {
    let err = validate(&GetLogEventsRequest::default()).expect_err("logStreamName is required");
    assert_eq!(err.0[0].path, "logStreamName");
    let input = GetLogEventsRequest {
        log_stream_name: Some("s".to_owned()),
        limit: Some(10_001),
        ..GetLogEventsRequest::default()
    };
    assert_eq!(
        messages(validate(&input)),
        ["Value '10001' at 'limit' failed to satisfy constraint: \
          Member must have value less than or equal to 10000"]
    );
}

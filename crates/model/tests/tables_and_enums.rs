//! Operation tables and the generated enums' helpers.

use std::str::FromStr;

use kiln_model::codebuild::{self, BuildPhaseType, ComputeType, StatusType};
use kiln_model::{OperationInfo, UnknownEnumValue, events, logs, secretsmanager, ssm};

#[test]
fn codebuild_table_covers_the_model() {
    assert_eq!(codebuild::TARGET_PREFIX, "CodeBuild_20161006");
    assert_eq!(codebuild::OPERATIONS.len(), 59);
    let start = OperationInfo::find(codebuild::OPERATIONS, "StartBuild").expect("StartBuild");
    assert_eq!(start.input, "StartBuildInput");
    assert_eq!(start.output, "StartBuildOutput");
    assert_eq!(start.errors, ["InvalidInputException", "ResourceNotFoundException", "AccountLimitExceededException"]);
    assert!(OperationInfo::find(codebuild::OPERATIONS, "NoSuchOperation").is_none());
    assert_eq!(
        codebuild::ERROR_SHAPES,
        [
            "AccountLimitExceededException",
            "AccountSuspendedException",
            "InvalidInputException",
            "OAuthProviderException",
            "ResourceAlreadyExistsException",
            "ResourceNotFoundException",
        ]
    );
}

#[test]
fn logs_table_has_only_the_served_operations() {
    assert_eq!(logs::TARGET_PREFIX, "Logs_20140328");
    let names: Vec<&str> = logs::OPERATIONS.iter().map(|op| op.name).collect();
    assert_eq!(names, ["DescribeLogGroups", "DescribeLogStreams", "FilterLogEvents", "GetLogEvents"]);
    assert_eq!(
        logs::ERROR_SHAPES,
        ["InvalidParameterException", "ResourceNotFoundException", "ServiceUnavailableException"]
    );
}

#[test]
fn ssm_secrets_manager_and_events_tables_have_only_the_served_operations() {
    assert_eq!(ssm::TARGET_PREFIX, "AmazonSSM");
    let names: Vec<&str> = ssm::OPERATIONS.iter().map(|op| op.name).collect();
    assert_eq!(
        names,
        [
            "DeleteParameter",
            "DeleteParameters",
            "DescribeParameters",
            "GetParameter",
            "GetParameters",
            "GetParametersByPath",
            "PutParameter"
        ]
    );
    assert!(ssm::ERROR_SHAPES.contains(&"ParameterNotFound"));
    assert!(ssm::ERROR_SHAPES.contains(&"ParameterAlreadyExists"));
    assert_eq!(ssm::ParameterType::SecureString.as_str(), "SecureString");

    assert_eq!(secretsmanager::TARGET_PREFIX, "secretsmanager");
    let names: Vec<&str> = secretsmanager::OPERATIONS.iter().map(|op| op.name).collect();
    assert_eq!(
        names,
        [
            "CreateSecret",
            "DeleteSecret",
            "DescribeSecret",
            "GetSecretValue",
            "ListSecrets",
            "PutSecretValue",
            "UpdateSecret"
        ]
    );
    assert!(secretsmanager::ERROR_SHAPES.contains(&"ResourceExistsException"));

    assert_eq!(events::TARGET_PREFIX, "AWSEvents");
    let names: Vec<&str> = events::OPERATIONS.iter().map(|op| op.name).collect();
    assert_eq!(
        names,
        [
            "DeleteRule",
            "DescribeRule",
            "DisableRule",
            "EnableRule",
            "ListRules",
            "ListTargetsByRule",
            "PutEvents",
            "PutRule",
            "PutTargets",
            "RemoveTargets",
            "TestEventPattern"
        ]
    );
    assert!(events::ERROR_SHAPES.contains(&"InvalidEventPatternException"));
}

#[test]
fn tables_are_sorted_and_errors_are_declared() {
    for (table, errors) in [
        (codebuild::OPERATIONS, codebuild::ERROR_SHAPES),
        (logs::OPERATIONS, logs::ERROR_SHAPES),
        (ssm::OPERATIONS, ssm::ERROR_SHAPES),
        (secretsmanager::OPERATIONS, secretsmanager::ERROR_SHAPES),
        (events::OPERATIONS, events::ERROR_SHAPES),
    ] {
        assert!(table.windows(2).all(|w| w[0].name < w[1].name), "find() needs sorted names");
        for op in table {
            assert!(!op.input.is_empty(), "{} has an input", op.name);
            for error in op.errors {
                assert!(errors.contains(error), "{}: {error} not in ERROR_SHAPES", op.name);
            }
        }
    }
}

#[test]
fn enum_helpers_agree_with_serde() {
    assert_eq!(ComputeType::BuildGeneral1Small.as_str(), "BUILD_GENERAL1_SMALL");
    assert_eq!(ComputeType::BuildGeneral1_2xlarge.to_string(), "BUILD_GENERAL1_2XLARGE");
    assert!(BuildPhaseType::ALL.contains(&BuildPhaseType::DownloadSource));
    for value in ComputeType::ALL.iter().chain([ComputeType::BuildGeneral1Large].iter()) {
        let json = serde_json::to_string(value).expect("serializes");
        assert_eq!(json, format!("\"{}\"", value.as_str()));
        assert_eq!(ComputeType::from_str(value.as_str()), Ok(*value));
    }
    for value in StatusType::ALL {
        assert_eq!(value.to_string().parse::<StatusType>(), Ok(*value));
    }
}

#[test]
fn unknown_enum_values_are_rejected_by_name() {
    let err = serde_json::from_str::<ComputeType>("\"BUILD_GENERAL9_HUGE\"").expect_err("unknown");
    assert!(err.to_string().contains("BUILD_GENERAL9_HUGE"), "{err}");

    let err = serde_json::from_str::<codebuild::ProjectEnvironment>(
        r#"{"type": "LINUX_CONTAINER", "computeType": "build_general1_small"}"#,
    )
    .expect_err("values are case sensitive");
    assert!(err.to_string().contains("build_general1_small"), "{err}");

    assert_eq!("NOPE".parse::<StatusType>(), Err(UnknownEnumValue::new("StatusType", "NOPE")));
    assert_eq!(UnknownEnumValue::new("StatusType", "NOPE").to_string(), "unknown StatusType value 'NOPE'");
}

use kiln_model::Blob;
use kiln_model::secretsmanager::*;

use crate::testing::api;
use crate::{Api, ApiError};

fn create(api: &Api, name: &str, value: &str) -> CreateSecretResponse {
    api.create_secret(CreateSecretRequest {
        name: Some(name.to_string()),
        secret_string: Some(value.to_string()),
        description: Some("test secret".to_string()),
        ..Default::default()
    })
    .expect("create")
}

fn get(api: &Api, id: &str, stage: Option<&str>, version: Option<&str>) -> Result<GetSecretValueResponse, ApiError> {
    api.get_secret_value(GetSecretValueRequest {
        secret_id: Some(id.to_string()),
        version_stage: stage.map(str::to_string),
        version_id: version.map(str::to_string),
    })
}

fn put(api: &Api, id: &str, value: &str) -> PutSecretValueResponse {
    api.put_secret_value(PutSecretValueRequest {
        secret_id: Some(id.to_string()),
        secret_string: Some(value.to_string()),
        ..Default::default()
    })
    .expect("put")
}

fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> &'static str {
    r.expect_err("expected an error").code()
}

#[test]
fn create_get_by_name_arn_and_partial_arn() {
    let api = api();
    let created = create(&api, "prod/db", r#"{"user":"admin","password":"hunter2"}"#);
    let arn = created.arn.clone().expect("arn");
    let prefix = "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-";
    assert!(arn.starts_with(prefix) && arn.len() == prefix.len() + 6, "{arn}");
    assert!(arn[prefix.len()..].chars().all(|c| c.is_ascii_alphanumeric()), "{arn}");

    for id in ["prod/db", arn.as_str(), "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db"] {
        let got = get(&api, id, None, None).expect(id);
        assert_eq!(got.secret_string.as_deref(), Some(r#"{"user":"admin","password":"hunter2"}"#));
        assert_eq!(got.version_stages, Some(vec!["AWSCURRENT".to_string()]));
        assert_eq!(got.version_id, created.version_id);
        assert_eq!(got.arn.as_deref(), Some(arn.as_str()));
    }
    assert_eq!(code(get(&api, "prod/nope", None, None)), "ResourceNotFoundException");
    let again = api.create_secret(CreateSecretRequest { name: Some("prod/db".into()), ..Default::default() });
    assert_eq!(code(again), "ResourceExistsException");
    let bad = api.create_secret(CreateSecretRequest { name: Some("a b".into()), ..Default::default() });
    assert_eq!(code(bad), "InvalidParameterException");
    let both = api.create_secret(CreateSecretRequest {
        name: Some("both".into()),
        secret_string: Some("s".into()),
        secret_binary: Some(Blob(vec![1])),
        ..Default::default()
    });
    assert_eq!(code(both), "InvalidParameterException");
}

#[test]
fn values_are_sealed_in_the_store() {
    let api = api();
    create(&api, "s", "plaintext-secret-value");
    let versions = api.store.secret_versions("s").expect("versions");
    assert_eq!(versions.len(), 1);
    assert!(!versions[0].value.windows(22).any(|w| w == b"plaintext-secret-value"));
}

#[test]
fn put_moves_stages_and_versions_are_readable() {
    let api = api();
    let first = create(&api, "s", "one").version_id.expect("v1");
    let second = put(&api, "s", "two");
    assert_eq!(second.version_stages, Some(vec!["AWSCURRENT".to_string()]));
    let second = second.version_id.expect("v2");

    assert_eq!(get(&api, "s", None, None).expect("current").secret_string.as_deref(), Some("two"));
    let previous = get(&api, "s", Some("AWSPREVIOUS"), None).expect("previous");
    assert_eq!(
        (previous.secret_string.as_deref(), previous.version_id.as_deref()),
        (Some("one"), Some(first.as_str()))
    );
    assert_eq!(get(&api, "s", None, Some(&first)).expect("by id").secret_string.as_deref(), Some("one"));
    assert_eq!(code(get(&api, "s", Some("AWSPENDING"), None)), "ResourceNotFoundException");
    assert_eq!(code(get(&api, "s", None, Some("00000000-0000-0000-0000-000000000000"))), "ResourceNotFoundException");
    assert_eq!(code(get(&api, "s", Some("AWSCURRENT"), Some(&first))), "InvalidRequestException");

    let described = api.describe_secret(DescribeSecretRequest { secret_id: Some("s".into()) }).expect("describe");
    let stages = described.version_ids_to_stages.expect("stages");
    assert_eq!(stages.get(&second), Some(&vec!["AWSCURRENT".to_string()]));
    assert_eq!(stages.get(&first), Some(&vec!["AWSPREVIOUS".to_string()]));
    assert_eq!(described.description.as_deref(), Some("test secret"));
}

#[test]
fn client_tokens_make_puts_idempotent() {
    let api = api();
    create(&api, "s", "one");
    let token = "0123456789abcdef0123456789abcdef".to_string();
    let put_with = |value: &str| {
        api.put_secret_value(PutSecretValueRequest {
            secret_id: Some("s".into()),
            secret_string: Some(value.into()),
            client_request_token: Some(token.clone()),
            ..Default::default()
        })
    };
    assert_eq!(put_with("two").expect("first").version_id.as_deref(), Some(token.as_str()));
    assert_eq!(put_with("two").expect("retry").version_id.as_deref(), Some(token.as_str()));
    assert_eq!(code(put_with("three")), "ResourceExistsException");
    assert_eq!(api.store.secret_versions("s").expect("versions").len(), 2);
}

#[test]
fn binary_secrets_round_trip() {
    let api = api();
    api.create_secret(CreateSecretRequest {
        name: Some("bin".into()),
        secret_binary: Some(Blob(vec![0, 159, 146, 150])),
        ..Default::default()
    })
    .expect("create");
    let got = get(&api, "bin", None, None).expect("get");
    assert_eq!(got.secret_binary, Some(Blob(vec![0, 159, 146, 150])));
    assert_eq!(got.secret_string, None);
}

#[test]
fn delete_schedules_or_forces_and_list_follows() {
    let api = api();
    create(&api, "keep", "k");
    create(&api, "gone", "g");
    create(&api, "later", "l");
    let deleted = api
        .delete_secret(DeleteSecretRequest {
            secret_id: Some("later".into()),
            recovery_window_in_days: Some(7),
            ..Default::default()
        })
        .expect("schedule");
    assert!(deleted.deletion_date.is_some());
    assert_eq!(code(get(&api, "later", None, None)), "InvalidRequestException");
    let recreate = api.create_secret(CreateSecretRequest { name: Some("later".into()), ..Default::default() });
    assert_eq!(code(recreate), "InvalidRequestException");

    api.delete_secret(DeleteSecretRequest {
        secret_id: Some("gone".into()),
        force_delete_without_recovery: Some(true),
        ..Default::default()
    })
    .expect("force");
    assert_eq!(code(get(&api, "gone", None, None)), "ResourceNotFoundException");
    create(&api, "gone", "back");

    let both = api.delete_secret(DeleteSecretRequest {
        secret_id: Some("keep".into()),
        force_delete_without_recovery: Some(true),
        recovery_window_in_days: Some(7),
    });
    assert_eq!(code(both), "InvalidParameterException");
    let short = api.delete_secret(DeleteSecretRequest {
        secret_id: Some("keep".into()),
        recovery_window_in_days: Some(3),
        ..Default::default()
    });
    assert_eq!(code(short), "InvalidParameterException");

    let names = |include: bool| -> Vec<String> {
        api.list_secrets(ListSecretsRequest { include_planned_deletion: Some(include), ..Default::default() })
            .expect("list")
            .secret_list
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| e.name)
            .collect()
    };
    assert_eq!(names(false), ["gone", "keep"]);
    assert_eq!(names(true), ["gone", "keep", "later"]);

    let filtered = api
        .list_secrets(ListSecretsRequest {
            filters: Some(vec![Filter { key: Some(FilterNameStringType::Name), values: Some(vec!["ke".into()]) }]),
            max_results: Some(1),
            ..Default::default()
        })
        .expect("filtered");
    let entry = &filtered.secret_list.unwrap_or_default()[0];
    assert_eq!(entry.name.as_deref(), Some("keep"));
    assert_eq!(entry.secret_versions_to_stages.as_ref().map(|m| m.len()), Some(1));
}

#[test]
fn update_changes_description_and_value() {
    let api = api();
    create(&api, "s", "one");
    let out = api
        .update_secret(UpdateSecretRequest {
            secret_id: Some("s".into()),
            description: Some("new words".into()),
            secret_string: Some("two".into()),
            ..Default::default()
        })
        .expect("update");
    assert!(out.version_id.is_some());
    assert_eq!(get(&api, "s", None, None).expect("get").secret_string.as_deref(), Some("two"));
    let described = api.describe_secret(DescribeSecretRequest { secret_id: Some("s".into()) }).expect("describe");
    assert_eq!(described.description.as_deref(), Some("new words"));
}

#[test]
fn build_references_resolve_json_keys_and_stages() {
    use crate::resolve;
    let api = api();
    create(&api, "db", r#"{"user":"admin","port":5432}"#);
    put(&api, "db", r#"{"user":"root","port":5433}"#);
    let store = api.store.as_ref();
    let config = &api.config;
    assert_eq!(resolve::secret(store, config, "db:user").as_deref(), Ok("root"));
    assert_eq!(resolve::secret(store, config, "db:port").as_deref(), Ok("5433"));
    assert_eq!(resolve::secret(store, config, "db:user:AWSPREVIOUS").as_deref(), Ok("admin"));
    assert_eq!(resolve::secret(store, config, "db").as_deref(), Ok(r#"{"user":"root","port":5433}"#));

    let missing_key = resolve::secret(store, config, "db:password").expect_err("no such key");
    assert_eq!(missing_key.status_code, resolve::SECRET_ERROR);
    assert!(missing_key.message.contains("password"), "{}", missing_key.message);
    let missing = resolve::secret(store, config, "nope:user").expect_err("no such secret");
    assert!(missing.message.starts_with("ResourceNotFoundException") && missing.message.contains("nope"));

    api.put_parameter(kiln_model::ssm::PutParameterRequest {
        name: Some("/ci/token".into()),
        value: Some("tok-123".into()),
        r#type: Some(kiln_model::ssm::ParameterType::SecureString),
        ..Default::default()
    })
    .expect("put parameter");
    assert_eq!(resolve::parameter(store, config, "/ci/token").as_deref(), Ok("tok-123"));
    let missing = resolve::parameter(store, config, "/ci/none").expect_err("missing");
    assert_eq!(missing.status_code, resolve::PARAMETER_ERROR);
    assert_eq!(missing.message, "parameter does not exist: /ci/none");
}

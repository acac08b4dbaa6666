use kiln_model::ssm::*;

use crate::testing::api;
use crate::{Api, ApiError};

fn put(api: &Api, name: &str, value: &str, kind: ParameterType, overwrite: bool) -> Result<i64, ApiError> {
    let out = api.put_parameter(PutParameterRequest {
        name: Some(name.to_string()),
        value: Some(value.to_string()),
        r#type: Some(kind),
        overwrite: Some(overwrite),
        ..Default::default()
    })?;
    Ok(out.version.unwrap_or_default())
}

fn get(api: &Api, name: &str, decrypt: bool) -> Result<Parameter, ApiError> {
    let out =
        api.get_parameter(GetParameterRequest { name: Some(name.to_string()), with_decryption: Some(decrypt) })?;
    Ok(out.parameter.unwrap_or_default())
}

fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> &'static str {
    r.expect_err("expected an error").code()
}

#[test]
fn put_get_versions_and_overwrite() {
    let api = api();
    assert_eq!(put(&api, "/app/db/user", "admin", ParameterType::String, false), Ok(1));
    assert_eq!(code(put(&api, "/app/db/user", "root", ParameterType::String, false)), "ParameterAlreadyExists");
    assert_eq!(put(&api, "/app/db/user", "root", ParameterType::String, true), Ok(2));

    let p = get(&api, "/app/db/user", false).expect("get");
    assert_eq!(p.value.as_deref(), Some("root"));
    assert_eq!(p.version, Some(2));
    assert_eq!(p.arn.as_deref(), Some("arn:aws:ssm:us-east-1:000000000000:parameter/app/db/user"));
    assert_eq!(p.data_type.as_deref(), Some("text"));

    let v1 = get(&api, "/app/db/user:1", false).expect("get v1");
    assert_eq!((v1.value.as_deref(), v1.selector.as_deref()), (Some("admin"), Some(":1")));
    assert_eq!(code(get(&api, "/app/db/user:7", false)), "ParameterVersionNotFound");
    assert_eq!(code(get(&api, "/nope", false)), "ParameterNotFound");
    // The parameter's ARN names it too.
    let by_arn = get(&api, "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/user", false).expect("by arn");
    assert_eq!(by_arn.value.as_deref(), Some("root"));
}

#[test]
fn secure_strings_are_sealed_and_decrypted_on_request() {
    let api = api();
    put(&api, "/app/token", "s3cr3t-value", ParameterType::SecureString, false).expect("put");
    let stored = api.store.get_parameter("/app/token", None).expect("store").expect("present");
    assert!(!stored.value.windows(12).any(|w| w == b"s3cr3t-value"), "the store holds the plaintext");

    let hidden = get(&api, "/app/token", false).expect("get");
    assert_ne!(hidden.value.as_deref(), Some("s3cr3t-value"));
    assert_eq!(hidden.r#type, Some(ParameterType::SecureString));
    let shown = get(&api, "/app/token", true).expect("get decrypted");
    assert_eq!(shown.value.as_deref(), Some("s3cr3t-value"));

    // Overwriting without a type keeps SecureString.
    api.put_parameter(PutParameterRequest {
        name: Some("/app/token".into()),
        value: Some("next".into()),
        overwrite: Some(true),
        ..Default::default()
    })
    .expect("overwrite");
    let next = get(&api, "/app/token", true).expect("get");
    assert_eq!((next.value.as_deref(), next.r#type), (Some("next"), Some(ParameterType::SecureString)));
}

#[test]
fn put_checks_names_types_sizes_and_patterns() {
    let api = api();
    assert_eq!(code(put(&api, "a/b", "x", ParameterType::String, false)), "ValidationException");
    assert_eq!(code(put(&api, "/aws/x", "x", ParameterType::String, false)), "ValidationException");
    assert_eq!(code(put(&api, "/x", "", ParameterType::String, false)), "ValidationException");
    let no_type = api.put_parameter(PutParameterRequest {
        name: Some("/typeless".into()),
        value: Some("v".into()),
        ..Default::default()
    });
    assert_eq!(code(no_type), "ValidationException");
    assert_eq!(code(put(&api, "/big", &"x".repeat(4097), ParameterType::String, false)), "ValidationException");
    let advanced = api
        .put_parameter(PutParameterRequest {
            name: Some("/big".into()),
            value: Some("x".repeat(5000)),
            r#type: Some(ParameterType::String),
            tier: Some(ParameterTier::Advanced),
            ..Default::default()
        })
        .expect("advanced");
    assert_eq!(advanced.tier, Some(ParameterTier::Advanced));

    let patterned = |value: &str| {
        api.put_parameter(PutParameterRequest {
            name: Some("/port".into()),
            value: Some(value.into()),
            r#type: Some(ParameterType::String),
            allowed_pattern: Some("[0-9]+".into()),
            overwrite: Some(true),
            ..Default::default()
        })
    };
    assert_eq!(code(patterned("80a")), "ParameterPatternMismatchException");
    assert!(patterned("8080").is_ok());
}

#[test]
fn get_parameters_and_delete_report_the_missing() {
    let api = api();
    put(&api, "/a", "1", ParameterType::String, false).expect("put");
    put(&api, "/b", "2", ParameterType::StringList, false).expect("put");
    let got = api
        .get_parameters(GetParametersRequest {
            names: Some(vec!["/a".into(), "/missing".into(), "/b:1".into(), "/b:9".into()]),
            with_decryption: None,
        })
        .expect("get many");
    let names: Vec<_> = got.parameters.unwrap_or_default().into_iter().filter_map(|p| p.name).collect();
    assert_eq!(names, ["/a", "/b"]);
    assert_eq!(got.invalid_parameters, Some(vec!["/missing".to_string(), "/b:9".to_string()]));

    let deleted = api
        .delete_parameters(DeleteParametersRequest { names: Some(vec!["/a".into(), "/zzz".into()]) })
        .expect("delete many");
    assert_eq!(deleted.deleted_parameters, Some(vec!["/a".to_string()]));
    assert_eq!(deleted.invalid_parameters, Some(vec!["/zzz".to_string()]));
    assert_eq!(code(api.delete_parameter(DeleteParameterRequest { name: Some("/a".into()) })), "ParameterNotFound");
    assert!(api.delete_parameter(DeleteParameterRequest { name: Some("/b".into()) }).is_ok());
    assert_eq!(code(get(&api, "/b", false)), "ParameterNotFound");
}

#[test]
fn by_path_recursion_paging_and_filters() {
    let api = api();
    for (name, kind) in [
        ("/app/a", ParameterType::String),
        ("/app/b", ParameterType::SecureString),
        ("/app/deep/c", ParameterType::String),
        ("/app/deep/er/d", ParameterType::String),
        ("/apple", ParameterType::String),
        ("/other", ParameterType::String),
    ] {
        put(&api, name, "v", kind, false).expect("put");
    }
    let by_path = |path: &str, recursive: bool, max: Option<i32>, filters: Option<Vec<ParameterStringFilter>>| {
        let mut names = Vec::new();
        let mut token = None;
        for _ in 0..20 {
            let page = api
                .get_parameters_by_path(GetParametersByPathRequest {
                    path: Some(path.to_string()),
                    recursive: Some(recursive),
                    max_results: max,
                    next_token: token.clone(),
                    parameter_filters: filters.clone(),
                    with_decryption: Some(true),
                })
                .expect("by path");
            names.extend(page.parameters.unwrap_or_default().into_iter().filter_map(|p| p.name));
            token = page.next_token;
            if token.is_none() {
                return names;
            }
        }
        panic!("paging never ended");
    };
    assert_eq!(by_path("/app", false, None, None), ["/app/a", "/app/b"]);
    assert_eq!(by_path("/app/", true, None, None), ["/app/a", "/app/b", "/app/deep/c", "/app/deep/er/d"]);
    assert_eq!(by_path("/app", true, Some(1), None), ["/app/a", "/app/b", "/app/deep/c", "/app/deep/er/d"]);
    assert_eq!(by_path("/app", false, Some(1), None), ["/app/a", "/app/b"]);
    let secure = vec![ParameterStringFilter {
        key: Some("Type".into()),
        option: Some("Equals".into()),
        values: Some(vec!["SecureString".into()]),
    }];
    assert_eq!(by_path("/app", true, None, Some(secure)), ["/app/b"]);
    assert_eq!(by_path("/", false, None, None), ["/apple", "/other"]);

    let bad = api.get_parameters_by_path(GetParametersByPathRequest { path: Some("app".into()), ..Default::default() });
    assert_eq!(code(bad), "ValidationException");
    let bad_token = api.get_parameters_by_path(GetParametersByPathRequest {
        path: Some("/app".into()),
        next_token: Some("garbage".into()),
        ..Default::default()
    });
    assert_eq!(code(bad_token), "InvalidNextToken");
}

#[test]
fn describe_lists_metadata_without_values() {
    let api = api();
    put(&api, "/d/one", "1", ParameterType::SecureString, false).expect("put");
    put(&api, "/d/two", "2", ParameterType::String, false).expect("put");
    let out = api
        .describe_parameters(DescribeParametersRequest {
            parameter_filters: Some(vec![ParameterStringFilter {
                key: Some("Name".into()),
                option: Some("BeginsWith".into()),
                values: Some(vec!["/d/o".into()]),
            }]),
            ..Default::default()
        })
        .expect("describe");
    let params = out.parameters.unwrap_or_default();
    assert_eq!(params.len(), 1);
    assert_eq!(params[0].name.as_deref(), Some("/d/one"));
    assert_eq!(params[0].key_id.as_deref(), Some("alias/aws/ssm"));
    assert_eq!(params[0].tier, Some(ParameterTier::Standard));
}

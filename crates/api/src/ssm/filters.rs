//! DescribeParameters' `Filters` / `ParameterFilters` and GetParametersByPath's
//! `ParameterFilters`, as one predicate over a parameter's name and stored settings.

use kiln_model::ssm::{ParameterStringFilter, ParametersFilter};

use super::Stored;
use crate::ApiError;

/// Which filter keys an operation accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Describe,
    ByPath,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    NameEquals,
    NameBeginsWith,
    NameContains,
    PathRecursive,
    PathOneLevel,
    Type,
    KeyId,
    Tier,
    DataType,
    /// Kiln keeps no labels or tags: such a filter matches nothing.
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Filter {
    test: Test,
    values: Vec<String>,
}

/// All filters must hold; within one filter, any value may match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(Vec<Filter>);

fn invalid(code: &'static str, message: String) -> ApiError {
    ApiError::Named(code, message)
}

impl Filters {
    pub fn parse(
        scope: Scope,
        legacy: &[ParametersFilter],
        filters: &[ParameterStringFilter],
    ) -> Result<Filters, ApiError> {
        let mut out = Vec::new();
        for f in legacy {
            let key = f.key.map(|k| k.as_str()).unwrap_or_default();
            out.push(build(scope, key, None, f.values.clone().unwrap_or_default())?);
        }
        for f in filters {
            let key = f.key.as_deref().unwrap_or_default();
            out.push(build(scope, key, f.option.as_deref(), f.values.clone().unwrap_or_default())?);
        }
        Ok(Filters(out))
    }

    pub fn matches(&self, name: &str, stored: &Stored) -> bool {
        self.0.iter().all(|f| f.values.iter().any(|v| test(&f.test, v, name, stored)))
    }
}

fn build(scope: Scope, key: &str, option: Option<&str>, values: Vec<String>) -> Result<Filter, ApiError> {
    let allowed: &[&str] = match scope {
        Scope::ByPath => &["Type", "KeyId", "Label"],
        Scope::Describe => &["Name", "Path", "Type", "KeyId", "Tier", "DataType"],
    };
    if !allowed.contains(&key) && !key.starts_with("tag:") {
        return Err(invalid("InvalidFilterKey", format!("The filter key {key} is not valid here.")));
    }
    let option = option.unwrap_or("");
    let test = match (key, option) {
        ("Name", "" | "Equals") => Test::NameEquals,
        ("Name", "BeginsWith") => Test::NameBeginsWith,
        ("Name", "Contains") => Test::NameContains,
        ("Path", "" | "OneLevel") => Test::PathOneLevel,
        ("Path", "Recursive") => Test::PathRecursive,
        ("Type", "" | "Equals") => Test::Type,
        ("KeyId", "" | "Equals") => Test::KeyId,
        ("Tier", "" | "Equals") => Test::Tier,
        ("DataType", "" | "Equals") => Test::DataType,
        ("Label", "" | "Equals") => Test::Never,
        (_, "" | "Equals") => Test::Never, // tag:<key>
        _ => {
            return Err(invalid(
                "InvalidFilterOption",
                format!("The filter option {option} is not valid for key {key}."),
            ));
        }
    };
    if values.is_empty() && test != Test::Never {
        return Err(invalid("InvalidFilterValue", format!("The filter {key} needs at least one value.")));
    }
    Ok(Filter { test, values })
}

fn test(test: &Test, value: &str, name: &str, stored: &Stored) -> bool {
    match test {
        Test::NameEquals => name == value,
        Test::NameBeginsWith => name.starts_with(value),
        Test::NameContains => name.contains(value),
        Test::PathRecursive | Test::PathOneLevel => {
            let prefix = if value.ends_with('/') { value.to_string() } else { format!("{value}/") };
            match name.strip_prefix(&prefix) {
                Some(rest) => *test == Test::PathRecursive || !rest.contains('/'),
                None => false,
            }
        }
        Test::Type => stored.r#type.as_str() == value,
        Test::KeyId => stored.key_id.as_deref() == Some(value),
        Test::Tier => stored.tier.as_str() == value,
        Test::DataType => stored.data_type == value,
        Test::Never => false,
    }
}

#[cfg(test)]
mod tests {
    use kiln_model::ssm::{ParameterTier, ParameterType, ParametersFilterKey};

    use super::*;

    fn string_filter(key: &str, option: Option<&str>, values: &[&str]) -> ParameterStringFilter {
        ParameterStringFilter {
            key: Some(key.to_string()),
            option: option.map(str::to_string),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn stored(kind: ParameterType) -> Stored {
        Stored {
            r#type: kind,
            description: None,
            data_type: "text".to_string(),
            tier: ParameterTier::Standard,
            key_id: None,
            allowed_pattern: None,
        }
    }

    #[test]
    fn name_path_and_type_filters() {
        let f = Filters::parse(
            Scope::Describe,
            &[],
            &[string_filter("Path", Some("OneLevel"), &["/app"]), string_filter("Type", None, &["SecureString"])],
        )
        .expect("parse");
        assert!(f.matches("/app/db", &stored(ParameterType::SecureString)));
        assert!(!f.matches("/app/db", &stored(ParameterType::String)));
        assert!(!f.matches("/app/x/db", &stored(ParameterType::SecureString)), "one level only");
        assert!(!f.matches("/apple", &stored(ParameterType::SecureString)));

        let legacy =
            ParametersFilter { key: Some(ParametersFilterKey::Name), values: Some(vec!["a".into(), "b".into()]) };
        let f = Filters::parse(Scope::Describe, &[legacy], &[]).expect("parse");
        assert!(f.matches("b", &stored(ParameterType::String)));
        assert!(!f.matches("c", &stored(ParameterType::String)));
    }

    #[test]
    fn bad_keys_options_and_values() {
        let parse = |scope, f| Filters::parse(scope, &[], &[f]);
        let code = |r: Result<Filters, ApiError>| r.err().map(|e| e.code());
        assert_eq!(code(parse(Scope::Describe, string_filter("Colour", None, &["x"]))), Some("InvalidFilterKey"));
        assert_eq!(code(parse(Scope::ByPath, string_filter("Name", None, &["x"]))), Some("InvalidFilterKey"));
        assert_eq!(
            code(parse(Scope::Describe, string_filter("Type", Some("BeginsWith"), &["x"]))),
            Some("InvalidFilterOption")
        );
        assert_eq!(code(parse(Scope::Describe, string_filter("Type", None, &[]))), Some("InvalidFilterValue"));
        let never = parse(Scope::ByPath, string_filter("Label", None, &["prod"])).expect("label");
        assert!(!never.matches("/a", &stored(ParameterType::String)));
    }
}

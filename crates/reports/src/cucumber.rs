//! Cucumber JSON: an array of features `{name, elements: [{name, type,
//! before, steps, after}]}` where every step and hook has `result: {status,
//! duration (ns), error_message}`. Each scenario is one test case (a
//! scenario outline has one element per example row); backgrounds are not.

use serde::Deserialize;
use serde_json::Value;

use crate::{ParseError, ReportFormat, TestCase, TestStatus, duration, text};

const FORMAT: ReportFormat = ReportFormat::CucumberJson;

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    elements: Option<Vec<Element>>,
}

#[derive(Deserialize)]
struct Element {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    keyword: Option<String>,
    #[serde(default)]
    before: Option<Vec<Step>>,
    #[serde(default)]
    steps: Option<Vec<Step>>,
    #[serde(default)]
    after: Option<Vec<Step>>,
}

/// A step or a hook; steps may carry their own step hooks.
#[derive(Deserialize)]
struct Step {
    #[serde(default)]
    result: Option<StepResult>,
    #[serde(default)]
    before: Option<Vec<Step>>,
    #[serde(default)]
    after: Option<Vec<Step>>,
}

#[derive(Deserialize)]
struct StepResult {
    #[serde(default)]
    status: Option<String>,
    /// Any JSON: writers differ (integer, float, string); unreadable is 0.
    #[serde(default)]
    duration: Value,
    #[serde(default)]
    error_message: Option<String>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<TestCase>, ParseError> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty { format: FORMAT });
    }
    let features = read(bytes)?;
    let mut cases = Vec::new();
    for feature in features {
        let feature_name = feature.name.unwrap_or_default();
        for element in feature.elements.unwrap_or_default() {
            if is_scenario(&element) {
                cases.push(case(&feature_name, element));
            }
        }
    }
    Ok(cases)
}

/// Deserializes the whole input, with a JSON path on shape errors.
fn read(bytes: &[u8]) -> Result<Vec<Feature>, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let features: Vec<Feature> = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = json_path(&err.path().to_string());
        json_error(err.into_inner(), path)
    })?;
    de.end().map_err(|err| json_error(err, "$".to_owned()))?;
    Ok(features)
}

fn json_error(err: serde_json::Error, path: String) -> ParseError {
    if err.is_data() {
        ParseError::JsonShape { format: FORMAT, path, message: err.to_string() }
    } else {
        ParseError::Json { format: FORMAT, line: err.line(), column: err.column(), message: err.to_string() }
    }
}

/// serde_path_to_error writes `.` for the root and `[0].elements` below it.
fn json_path(path: &str) -> String {
    match path {
        "." => "$".to_owned(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// Backgrounds say so in `type`; writers without `type` say it in `keyword`.
fn is_scenario(element: &Element) -> bool {
    let background =
        |field: &Option<String>| field.as_deref().is_some_and(|v| v.trim().eq_ignore_ascii_case("background"));
    match element.kind {
        Some(_) => !background(&element.kind),
        None => !background(&element.keyword),
    }
}

fn case(feature: &str, element: Element) -> TestCase {
    let mut results = Vec::new();
    for step in [element.before, element.steps, element.after].into_iter().flatten().flatten() {
        collect(step, &mut results);
    }
    let duration_nanos = results.iter().fold(0i64, |sum, r| sum.saturating_add(step_nanos(&r.duration)));
    let (status, message) = outcome(&results);
    TestCase {
        test_suite_name: feature.to_owned(),
        prefix: feature.to_owned(),
        name: element.name.unwrap_or_default(),
        status,
        duration_nanos,
        message,
    }
}

/// Flattens a step and its step hooks into results, in run order. A step
/// without a result (some old writers) counts as an unreadable status.
fn collect(step: Step, out: &mut Vec<StepResult>) {
    for hook in step.before.into_iter().flatten() {
        collect(hook, out);
    }
    out.push(step.result.unwrap_or(StepResult { status: None, duration: Value::Null, error_message: None }));
    for hook in step.after.into_iter().flatten() {
        collect(hook, out);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum StepStatus {
    Passed,
    Unknown,
    Skipped,
    Failed,
}

fn step_status(result: &StepResult) -> StepStatus {
    match result.status.as_deref().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("passed") => StepStatus::Passed,
        // Ambiguous: more than one step definition matched; cucumber fails it.
        Some("failed" | "ambiguous") => StepStatus::Failed,
        Some("skipped" | "pending" | "undefined") => StepStatus::Skipped,
        _ => StepStatus::Unknown,
    }
}

/// The worst step decides: any failure fails the scenario, then any skip
/// skips it, then an unreadable status makes it UNKNOWN. The message is
/// the first error message among the deciding steps.
fn outcome(results: &[StepResult]) -> (TestStatus, Option<String>) {
    let worst = results.iter().map(step_status).max().unwrap_or(StepStatus::Passed);
    let status = match worst {
        StepStatus::Passed => TestStatus::Succeeded,
        StepStatus::Unknown => TestStatus::Unknown,
        StepStatus::Skipped => TestStatus::Skipped,
        StepStatus::Failed => TestStatus::Failed,
    };
    let message = results
        .iter()
        .filter(|r| step_status(r) == worst)
        .find_map(|r| text::message(r.error_message.as_deref(), None));
    (status, message)
}

fn step_nanos(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().map_or_else(|| n.as_f64().map_or(0, duration::nanos), |v| v.max(0)),
        Value::String(s) => s.trim().parse::<f64>().map_or(0, duration::nanos),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_start_at_the_root() {
        assert_eq!(json_path("."), "$");
        assert_eq!(json_path("[0].elements[2].steps"), "$[0].elements[2].steps");
        assert_eq!(json_path("name"), "$.name");
    }

    #[test]
    fn step_durations_accept_numbers_and_strings() {
        assert_eq!(step_nanos(&serde_json::json!(1500)), 1500);
        assert_eq!(step_nanos(&serde_json::json!(1500.6)), 1501);
        assert_eq!(step_nanos(&serde_json::json!("42")), 42);
        assert_eq!(step_nanos(&serde_json::json!(-3)), 0);
        assert_eq!(step_nanos(&serde_json::json!(u64::MAX)), i64::MAX);
        assert_eq!(step_nanos(&serde_json::json!(null)), 0);
        assert_eq!(step_nanos(&serde_json::json!({"ms": 1})), 0);
    }
}

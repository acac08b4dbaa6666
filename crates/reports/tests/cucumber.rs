//! Cucumber JSON as cucumber-jvm and cucumber-js write it.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use kiln_reports::{ParseError, ReportFormat, TestCase, TestStatus, parse};

const REPORT: &str = r#"[
  {
    "uri": "classpath:features/checkout.feature",
    "id": "checkout",
    "keyword": "Feature",
    "name": "Checkout",
    "line": 1,
    "tags": [],
    "elements": [
      {
        "line": 3,
        "name": "",
        "description": "",
        "type": "background",
        "keyword": "Background",
        "steps": [
          {"keyword": "Given ", "name": "a cart", "line": 4, "result": {"status": "passed", "duration": 1000000}}
        ]
      },
      {
        "id": "checkout;pay-by-card",
        "line": 6,
        "name": "Pay by card",
        "type": "scenario",
        "keyword": "Scenario",
        "before": [{"match": {"location": "Hooks.setUp()"}, "result": {"status": "passed", "duration": 500}}],
        "steps": [
          {"keyword": "When ", "name": "I pay", "line": 7, "result": {"status": "passed", "duration": 2000000}},
          {"keyword": "Then ", "name": "I get a receipt", "line": 8, "result": {"status": "passed", "duration": 3000000}}
        ],
        "after": [{"match": {"location": "Hooks.tearDown()"}, "result": {"status": "passed", "duration": 500}}]
      },
      {
        "id": "checkout;pay-by-voucher",
        "line": 10,
        "name": "Pay by voucher",
        "type": "scenario",
        "keyword": "Scenario",
        "steps": [
          {"keyword": "When ", "name": "I use a voucher", "line": 11, "result": {"status": "passed", "duration": 1000}},
          {"keyword": "Then ", "name": "it is accepted", "line": 12,
           "result": {"status": "failed", "duration": 2000, "error_message": "java.lang.AssertionError: expected accepted\n\tat Steps.accepted(Steps.java:40)\n"}},
          {"keyword": "And ", "name": "I get a receipt", "line": 13, "result": {"status": "skipped"}}
        ]
      },
      {
        "id": "checkout;refunds;;2",
        "line": 20,
        "name": "Refunds",
        "type": "scenario",
        "keyword": "Scenario Outline",
        "steps": [
          {"keyword": "Given ", "name": "a refund of 5", "line": 16, "result": {"status": "passed", "duration": 10}},
          {"keyword": "Then ", "name": "it is pending", "line": 17, "result": {"status": "pending", "duration": 0, "error_message": "TODO: implement me"}},
          {"keyword": "And ", "name": "it is logged", "line": 18, "result": {"status": "undefined"}}
        ]
      }
    ]
  },
  {
    "uri": "features/empty.feature",
    "keyword": "Feature",
    "name": "Nothing yet",
    "elements": []
  },
  {
    "uri": "features/search.feature",
    "keyword": "Feature",
    "name": "Search",
    "elements": [
      {"name": "Find by title", "type": "scenario", "keyword": "Scenario", "steps": [
        {"keyword": "When ", "name": "I search", "result": {"status": "undefined"}},
        {"keyword": "Then ", "name": "I find", "result": {"status": "skipped"}}
      ]}
    ]
  }
]"#;

fn cases(json: &str) -> Vec<TestCase> {
    parse(ReportFormat::CucumberJson, json.as_bytes()).unwrap()
}

#[test]
fn realistic_report() {
    let cases = cases(REPORT);
    let got: Vec<_> =
        cases.iter().map(|c| (c.test_suite_name.as_str(), c.prefix.as_str(), c.name.as_str(), c.status)).collect();
    assert_eq!(
        got,
        [
            ("Checkout", "Checkout", "Pay by card", TestStatus::Succeeded),
            ("Checkout", "Checkout", "Pay by voucher", TestStatus::Failed),
            ("Checkout", "Checkout", "Refunds", TestStatus::Skipped),
            ("Search", "Search", "Find by title", TestStatus::Skipped),
        ]
    );
    // Hooks count toward the duration; the background is not a case.
    let durations: Vec<_> = cases.iter().map(|c| c.duration_nanos).collect();
    assert_eq!(durations, [5_001_000, 3000, 10, 0]);
    assert_eq!(cases[0].message, None);
    assert_eq!(
        cases[1].message.as_deref(),
        Some("java.lang.AssertionError: expected accepted\n\tat Steps.accepted(Steps.java:40)")
    );
    assert_eq!(cases[2].message.as_deref(), Some("TODO: implement me"));
    assert_eq!(cases[3].message, None);
}

fn scenario(steps: &str) -> TestCase {
    let json = format!(r#"[{{"name":"F","elements":[{{"name":"S","type":"scenario","steps":[{steps}]}}]}}]"#);
    let mut cases = cases(&json);
    assert_eq!(cases.len(), 1);
    cases.remove(0)
}

#[test]
fn status_mapping() {
    let passed = r#"{"result":{"status":"passed"}}"#;
    let failed = r#"{"result":{"status":"failed","error_message":"bad"}}"#;
    let skipped = r#"{"result":{"status":"skipped"}}"#;
    assert_eq!(scenario("").status, TestStatus::Succeeded);
    assert_eq!(scenario(passed).status, TestStatus::Succeeded);
    assert_eq!(scenario(&format!("{skipped},{failed}")).status, TestStatus::Failed);
    assert_eq!(scenario(&format!("{passed},{skipped}")).status, TestStatus::Skipped);
    assert_eq!(scenario(r#"{"result":{"status":"ambiguous"}}"#).status, TestStatus::Failed);
    assert_eq!(scenario(r#"{"result":{"status":"PASSED"}}"#).status, TestStatus::Succeeded);
    // A step with no result, or a status no writer uses, cannot be called a pass.
    assert_eq!(scenario(&format!("{passed},{{\"name\":\"x\"}}")).status, TestStatus::Unknown);
    assert_eq!(scenario(r#"{"result":{"status":"exploded"}}"#).status, TestStatus::Unknown);
    assert_eq!(scenario(&format!("{{\"result\":{{}}}},{skipped}")).status, TestStatus::Skipped);
}

#[test]
fn failing_hooks_fail_the_scenario() {
    let json = r#"[{"name":"F","elements":[{"name":"S","type":"scenario",
        "steps":[{"result":{"status":"skipped"},"after":[{"result":{"status":"failed","error_message":"step hook"}}]}],
        "after":[{"result":{"status":"failed","error_message":"screenshot failed"}}]}]}]"#;
    let case = cases(json).remove(0);
    assert_eq!(case.status, TestStatus::Failed);
    assert_eq!(case.message.as_deref(), Some("step hook"));
}

#[test]
fn durations_sum_and_tolerate_odd_numbers() {
    let case = scenario(
        r#"{"result":{"status":"passed","duration":1500}},{"result":{"status":"passed","duration":2.5e3}},
           {"result":{"status":"passed","duration":"7"}},{"result":{"status":"passed","duration":-9}},
           {"result":{"status":"passed","duration":null}}"#,
    );
    assert_eq!(case.duration_nanos, 1500 + 2500 + 7);
    let huge =
        scenario(r#"{"result":{"status":"passed","duration":9e18}},{"result":{"status":"passed","duration":9e18}}"#);
    assert_eq!(huge.duration_nanos, i64::MAX);
}

#[test]
fn missing_names_and_nulls_are_tolerated() {
    let json = r#"[{"elements":null},{"name":null,"elements":[{"steps":null},{"keyword":"Background","steps":[]}]}]"#;
    let cases = cases(json);
    assert_eq!(cases.len(), 1, "an element without a type is a scenario unless its keyword says background");
    assert_eq!((cases[0].test_suite_name.as_str(), cases[0].name.as_str()), ("", ""));
    assert_eq!(cases[0].status, TestStatus::Succeeded);
}

#[test]
fn empty_array_has_no_cases() {
    assert_eq!(cases(" [ ] \n"), []);
    assert_eq!(cases("\u{FEFF}[]"), []);
}

#[test]
fn malformed_json_names_line_and_column() {
    let err = parse(ReportFormat::CucumberJson, b"[\n  {\"name\": \"F\",,}\n]").unwrap_err();
    match &err {
        ParseError::Json { line, column, .. } => assert_eq!((*line, *column), (2, 16)),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("CUCUMBERJSON report is not valid JSON: "), "{err}");
    assert!(matches!(parse(ReportFormat::CucumberJson, b"[] []").unwrap_err(), ParseError::Json { .. }));
    assert!(matches!(parse(ReportFormat::CucumberJson, b"[{").unwrap_err(), ParseError::Json { .. }));
    assert!(matches!(parse(ReportFormat::CucumberJson, b"<testsuite/>").unwrap_err(), ParseError::Json { .. }));
}

#[test]
fn wrong_shapes_name_the_json_path() {
    let shape = |json: &str| match parse(ReportFormat::CucumberJson, json.as_bytes()).unwrap_err() {
        ParseError::JsonShape { path, .. } => path,
        other => panic!("{other:?}"),
    };
    assert_eq!(shape(r#"{"name":"F"}"#), "$");
    assert_eq!(shape(r#"[{"name":"F","elements":{}}]"#), "$[0].elements");
    assert_eq!(
        shape(r#"[{"elements":[]},{"elements":[{"steps":[{"result":{"status":3}}]}]}]"#),
        "$[1].elements[0].steps[0].result.status"
    );
    let err = parse(ReportFormat::CucumberJson, br#"{"name":"F"}"#).unwrap_err();
    assert!(err.to_string().starts_with("CUCUMBERJSON report has unexpected JSON at $: invalid type: map"), "{err}");
}

#[test]
fn empty_and_binary_input_are_errors() {
    assert_eq!(
        parse(ReportFormat::CucumberJson, b"").unwrap_err(),
        ParseError::Empty { format: ReportFormat::CucumberJson }
    );
    assert_eq!(
        parse(ReportFormat::CucumberJson, b" \n\t").unwrap_err(),
        ParseError::Empty { format: ReportFormat::CucumberJson }
    );
    assert!(matches!(parse(ReportFormat::CucumberJson, b"[\"\xFF\"]").unwrap_err(), ParseError::Json { .. }));
}

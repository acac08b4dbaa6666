//! JUnit XML: Maven Surefire, pytest and jest shapes.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use kiln_reports::{ParseError, ReportFormat, TestCase, TestStatus, parse};

const SUREFIRE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="all" tests="6" failures="1" errors="1" skipped="1" time="3.75">
  <testsuite name="com.example.CalculatorTest" tests="4" failures="1" errors="1" skipped="1" time="1.25" timestamp="2024-05-01T10:00:00">
    <properties>
      <property name="java.version" value="17.0.9"/>
    </properties>
    <testcase name="adds" classname="com.example.CalculatorTest" time="0.012"/>
    <testcase name="divides" classname="com.example.CalculatorTest" time="0.5">
      <failure message="expected: &lt;2&gt; but was: &lt;3&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: expected: <2> but was: <3>
	at com.example.CalculatorTest.divides(CalculatorTest.java:21)
]]></failure>
      <system-out><![CDATA[dividing]]></system-out>
    </testcase>
    <testcase name="overflows" classname="com.example.CalculatorTest" time="0,25">
      <error message="boom" type="java.lang.IllegalStateException">java.lang.RuntimeException: wrapped
	at com.example.CalculatorTest.overflows(CalculatorTest.java:30)</error>
    </testcase>
    <testcase name="later" classname="com.example.CalculatorTest" time="">
      <skipped message="not yet"/>
    </testcase>
  </testsuite>
  <testsuite name="com.example.FlakyTest" tests="1" time="2.5">
    <testcase name="eventually" classname="com.example.FlakyTest" time="2.5">
      <flakyFailure message="first try" type="java.lang.AssertionError"/>
    </testcase>
  </testsuite>
</testsuites>
"#;

fn only(xml: &str) -> TestCase {
    let mut cases = parse(ReportFormat::JunitXml, xml.as_bytes()).unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    cases.remove(0)
}

#[test]
fn surefire_report() {
    let cases = parse(ReportFormat::JunitXml, SUREFIRE.as_bytes()).unwrap();
    let got: Vec<_> =
        cases.iter().map(|c| (c.test_suite_name.as_str(), c.prefix.as_str(), c.name.as_str(), c.status)).collect();
    assert_eq!(
        got,
        [
            ("com.example.CalculatorTest", "com.example.CalculatorTest", "adds", TestStatus::Succeeded),
            ("com.example.CalculatorTest", "com.example.CalculatorTest", "divides", TestStatus::Failed),
            ("com.example.CalculatorTest", "com.example.CalculatorTest", "overflows", TestStatus::Error),
            ("com.example.CalculatorTest", "com.example.CalculatorTest", "later", TestStatus::Skipped),
            ("com.example.FlakyTest", "com.example.FlakyTest", "eventually", TestStatus::Succeeded),
        ]
    );
    let durations: Vec<_> = cases.iter().map(|c| c.duration_nanos).collect();
    assert_eq!(durations, [12_000_000, 500_000_000, 250_000_000, 0, 2_500_000_000]);

    assert_eq!(cases[0].message, None);
    // The body repeats the message attribute, so the body alone is kept.
    assert_eq!(
        cases[1].message.as_deref(),
        Some(
            "org.opentest4j.AssertionFailedError: expected: <2> but was: <3>\n\tat com.example.CalculatorTest.divides(CalculatorTest.java:21)"
        )
    );
    assert_eq!(
        cases[2].message.as_deref(),
        Some(
            "boom\njava.lang.RuntimeException: wrapped\n\tat com.example.CalculatorTest.overflows(CalculatorTest.java:30)"
        )
    );
    assert_eq!(cases[3].message.as_deref(), Some("not yet"));
    assert_eq!(cases[4].message, None, "a flaky pass is a pass");
}

#[test]
fn bare_testsuite_root_from_pytest() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuite name="pytest" errors="0" failures="0" skipped="1" tests="2" time="0.05"><testcase classname="tests.test_app" name="test_ok" time="0.001" /><testcase classname="tests.test_app" name="test_skip" time="0.000"><skipped type="pytest.skip" message="no db">tests/test_app.py:9: no db</skipped></testcase></testsuite>"#;
    let cases = parse(ReportFormat::JunitXml, xml.as_bytes()).unwrap();
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0].test_suite_name, "pytest");
    assert_eq!(cases[0].prefix, "tests.test_app");
    assert_eq!(cases[0].duration_nanos, 1_000_000);
    assert_eq!(cases[1].status, TestStatus::Skipped);
    // The body repeats the message, so it stands alone.
    assert_eq!(cases[1].message.as_deref(), Some("tests/test_app.py:9: no db"));
}

#[test]
fn nested_suites_use_the_nearest_name() {
    let xml = r#"<testsuites name="jest tests">
      <testcase classname="top" name="outside any suite"/>
      <testsuite name="outer">
        <testcase classname="o" name="one"/>
        <testsuite name="inner">
          <testsuite><testcase classname="x" name="deep in a nameless suite"/></testsuite>
          <testcase classname="i" name="two"/>
        </testsuite>
        <testcase classname="o" name="three" time="1"/>
      </testsuite>
    </testsuites>"#;
    let cases = parse(ReportFormat::JunitXml, xml.as_bytes()).unwrap();
    let got: Vec<_> = cases.iter().map(|c| (c.test_suite_name.as_str(), c.name.as_str())).collect();
    assert_eq!(
        got,
        [
            ("jest tests", "outside any suite"),
            ("outer", "one"),
            ("", "deep in a nameless suite"),
            ("inner", "two"),
            ("outer", "three"),
        ]
    );
}

#[test]
fn failure_beats_a_skip_and_first_of_failure_or_error_wins() {
    let case = only(r#"<testsuite><testcase name="t"><skipped/><failure message="f"/></testcase></testsuite>"#);
    assert_eq!(case.status, TestStatus::Failed);
    assert_eq!(case.message.as_deref(), Some("f"));
    let case = only(r#"<testsuite><testcase name="t"><error/><failure message="f"/></testcase></testsuite>"#);
    assert_eq!(case.status, TestStatus::Error);
    assert_eq!(case.message, None);
}

#[test]
fn missing_attributes_are_empty_and_bad_times_zero() {
    let case = only(r#"<testsuite><testcase time="soon"/></testsuite>"#);
    assert_eq!((case.test_suite_name.as_str(), case.prefix.as_str(), case.name.as_str()), ("", "", ""));
    assert_eq!(case.duration_nanos, 0);
    assert_eq!(only(r#"<testsuite><testcase time="-2"/></testsuite>"#).duration_nanos, 0);
    assert_eq!(only(r#"<testsuite><testcase time=" 1.000000001 "/></testsuite>"#).duration_nanos, 1_000_000_001);
}

#[test]
fn long_messages_are_cut_to_4096_characters() {
    let xml =
        format!(r#"<testsuite><testcase name="t"><failure>{}</failure></testcase></testsuite>"#, "ü".repeat(5000));
    let message = only(&xml).message.unwrap();
    assert_eq!(message.chars().count(), 4096);
}

#[test]
fn namespaced_elements_are_matched_by_local_name() {
    let xml = r#"<j:testsuite xmlns:j="urn:x" name="s"><j:testcase name="t"><j:failure message="m"/></j:testcase></j:testsuite>"#;
    let case = only(xml);
    assert_eq!(case.status, TestStatus::Failed);
}

#[test]
fn empty_but_valid_files_have_no_cases() {
    for xml in ["<testsuites/>", "<?xml version=\"1.0\"?>\n<testsuite name=\"none\" tests=\"0\"></testsuite>\n"] {
        assert_eq!(parse(ReportFormat::JunitXml, xml.as_bytes()).unwrap(), [], "{xml}");
    }
}

#[test]
fn entities_and_doctype_are_understood() {
    let xml = r#"<?xml version="1.0"?><!DOCTYPE testsuite [<!ENTITY who "world">]><testsuite name="&who;"><testcase name="a&amp;b"/></testsuite>"#;
    let case = only(xml);
    assert_eq!(case.test_suite_name, "world");
    assert_eq!(case.name, "a&b");
}

#[test]
fn billion_laughs_is_an_error_not_a_hang() {
    let mut xml = String::from("<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY l0 \"ha\">");
    for i in 1..10 {
        let prev = format!("&l{};", i - 1).repeat(10);
        xml.push_str(&format!("<!ENTITY l{i} \"{prev}\">"));
    }
    xml.push_str("]><testsuite name=\"&l9;\"/>");
    let err = parse(ReportFormat::JunitXml, xml.as_bytes()).unwrap_err();
    assert!(matches!(err, ParseError::Xml { .. }), "{err}");
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 50_000;
    let xml = format!(
        "<testsuites>{}<testcase name=\"deep\"/>{}</testsuites>",
        "<testsuite name=\"s\">".repeat(depth),
        "</testsuite>".repeat(depth)
    );
    let case = only(&xml);
    assert_eq!((case.test_suite_name.as_str(), case.name.as_str()), ("s", "deep"));
}

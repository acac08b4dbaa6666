//! Visual Studio TRX: `<TestRun>` with `<Results>` of `<UnitTestResult
//! testId testName outcome duration>` and `<TestDefinitions>` whose
//! `<UnitTest id><TestMethod className>` give each test's class. Only the
//! top-level results count: data-driven rows (`<InnerResults>`) roll up
//! into their parent's outcome.

use std::collections::HashMap;

use roxmltree::Node;

use crate::xml::{self, is};
use crate::{ParseError, ReportFormat, TestCase, TestStatus, duration, text};

const FORMAT: ReportFormat = ReportFormat::VisualStudioTrx;

pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<TestCase>, ParseError> {
    let source = xml::decode(FORMAT, bytes)?;
    let doc = xml::document(FORMAT, &source)?;
    let root = xml::root(FORMAT, &doc, &["TestRun"], "<TestRun>")?;
    let classes = classes(root);
    let results = root.children().filter(|n| is(*n, "Results")).flat_map(|results| results.children());
    // UnitTestResult, and the rarer WebTestResult, ManualTestResult, …
    let results = results.filter(|n| n.is_element() && n.tag_name().name().ends_with("TestResult"));
    Ok(results.map(|node| case(node, &classes)).collect())
}

/// Test id → class name (without the `, Assembly` suffix some writers add).
fn classes<'a>(root: Node<'a, '_>) -> HashMap<&'a str, &'a str> {
    let definitions = root.children().filter(|n| is(*n, "TestDefinitions")).flat_map(|d| d.children());
    definitions
        .filter_map(|test| {
            let id = test.attribute("id")?;
            let class = xml::child(test, "TestMethod")?.attribute("className")?;
            Some((id, class.split(',').next().unwrap_or(class).trim()))
        })
        .collect()
}

fn case(node: Node<'_, '_>, classes: &HashMap<&str, &str>) -> TestCase {
    let name = node.attribute("testName").unwrap_or("");
    let class = node
        .attribute("testId")
        .and_then(|id| classes.get(id).copied())
        .unwrap_or_else(|| text::split_full_name(name).0);
    TestCase {
        test_suite_name: class.to_owned(),
        prefix: class.to_owned(),
        name: name.to_owned(),
        status: status(node.attribute("outcome")),
        duration_nanos: node.attribute("duration").map_or(0, duration::timespan),
        message: message(node),
    }
}

/// Visual Studio's `TestOutcome` values.
fn status(outcome: Option<&str>) -> TestStatus {
    match outcome.map(str::trim) {
        Some("Passed" | "PassedButRunAborted" | "Completed") => TestStatus::Succeeded,
        Some("Failed") => TestStatus::Failed,
        Some("Error" | "Timeout" | "Aborted" | "NotRunnable" | "Disconnected") => TestStatus::Error,
        Some("NotExecuted") => TestStatus::Skipped,
        _ => TestStatus::Unknown,
    }
}

/// `<Output><ErrorInfo><Message>` and `<StackTrace>`.
fn message(node: Node<'_, '_>) -> Option<String> {
    let info = xml::child(xml::child(node, "Output")?, "ErrorInfo")?;
    let head = xml::child_text(info, "Message");
    let stack = xml::child_text(info, "StackTrace");
    text::message(head.as_deref(), stack.as_deref())
}

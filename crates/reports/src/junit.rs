//! JUnit XML: `<testsuites>` (suites may nest) or a bare `<testsuite>`,
//! holding `<testcase classname name time>`. A `<failure>` child means
//! FAILED, `<error>` ERROR, `<skipped>` SKIPPED, none SUCCEEDED. Surefire's
//! `<flakyFailure>`/`<rerunFailure>` are reruns of a test that passed.

use roxmltree::Node;

use crate::xml::{self, is};
use crate::{ParseError, ReportFormat, TestCase, TestStatus, duration, text};

const FORMAT: ReportFormat = ReportFormat::JunitXml;

pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<TestCase>, ParseError> {
    let source = xml::decode(FORMAT, bytes)?;
    let doc = xml::document(FORMAT, &source)?;
    let root = xml::root(FORMAT, &doc, &["testsuites", "testsuite"], "<testsuites> or <testsuite>")?;
    let cases = xml::walk(root, None, suite_name, |node| is(node, "testcase"));
    Ok(cases.into_iter().map(|(node, suite)| case(node, suite.unwrap_or_default())).collect())
}

/// The nearest `<testsuite>`'s name; a `<testsuites>` name only stands in
/// for cases outside any suite.
fn suite_name<'a>(outer: &Option<&'a str>, node: Node<'a, '_>) -> Option<&'a str> {
    if is(node, "testsuite") {
        Some(node.attribute("name").unwrap_or(""))
    } else if is(node, "testsuites") {
        outer.or(node.attribute("name"))
    } else {
        *outer
    }
}

fn case(node: Node<'_, '_>, suite: &str) -> TestCase {
    let (status, message) = outcome(node);
    TestCase {
        test_suite_name: suite.to_owned(),
        prefix: node.attribute("classname").unwrap_or("").to_owned(),
        name: node.attribute("name").unwrap_or("").to_owned(),
        status,
        duration_nanos: node.attribute("time").map_or(0, duration::seconds),
        message,
    }
}

/// A failure or error wins over a skip, whichever comes first in the file.
fn outcome(node: Node<'_, '_>) -> (TestStatus, Option<String>) {
    let failed = node.children().find(|c| is(*c, "failure") || is(*c, "error"));
    let (status, element) = match failed {
        Some(element) if is(element, "failure") => (TestStatus::Failed, element),
        Some(element) => (TestStatus::Error, element),
        None => match xml::child(node, "skipped") {
            Some(element) => (TestStatus::Skipped, element),
            None => return (TestStatus::Succeeded, None),
        },
    };
    (status, text::message(element.attribute("message"), Some(&xml::text(element))))
}

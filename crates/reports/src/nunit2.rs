//! NUnit 2 XML: `<test-results>` holding nested `<test-suite name><results>`
//! and `<test-case name executed result success time>`. The name is the
//! full dotted name; as in CodeBuild's own example, the prefix is that name
//! less its method (`NUnit.Tests.MockTestFixture`) and `NotRunnable` is ERROR.

use roxmltree::Node;

use crate::xml::{self, is};
use crate::{ParseError, ReportFormat, TestCase, TestStatus, duration, text};

const FORMAT: ReportFormat = ReportFormat::NunitXml;

pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<TestCase>, ParseError> {
    let source = xml::decode(FORMAT, bytes)?;
    let doc = xml::document(FORMAT, &source)?;
    let root = xml::root(FORMAT, &doc, &["test-results"], "<test-results>")?;
    let cases = xml::walk(root, "", suite_name, |node| is(node, "test-case"));
    Ok(cases.into_iter().map(|(node, suite)| case(node, suite)).collect())
}

fn suite_name<'a>(outer: &&'a str, node: Node<'a, '_>) -> &'a str {
    if is(node, "test-suite") { node.attribute("name").unwrap_or("") } else { outer }
}

fn case(node: Node<'_, '_>, suite: &str) -> TestCase {
    let name = node.attribute("name").unwrap_or("");
    let (prefix, _) = text::split_full_name(name);
    TestCase {
        test_suite_name: suite.to_owned(),
        prefix: if prefix.is_empty() { suite.to_owned() } else { prefix.to_owned() },
        name: name.to_owned(),
        status: status(node),
        duration_nanos: node.attribute("time").map_or(0, duration::seconds),
        message: message(node),
    }
}

/// From `result`; older files have only `executed` and `success`.
fn status(node: Node<'_, '_>) -> TestStatus {
    let flag = |name| node.attribute(name).map(|v| v.trim().eq_ignore_ascii_case("true"));
    match node.attribute("result").map(str::trim) {
        Some("Success") => TestStatus::Succeeded,
        Some("Failure") => TestStatus::Failed,
        Some("Error" | "NotRunnable" | "Cancelled") => TestStatus::Error,
        Some("Ignored" | "Skipped") => TestStatus::Skipped,
        Some(_) => TestStatus::Unknown,
        None => match (flag("executed"), flag("success")) {
            (Some(false), _) => TestStatus::Skipped,
            (_, Some(true)) => TestStatus::Succeeded,
            (_, Some(false)) => TestStatus::Failed,
            _ => TestStatus::Unknown,
        },
    }
}

/// `<failure>` (message and stack trace), else `<reason>` (why skipped or
/// not run). NUnit 3 keeps the same shape.
pub(crate) fn message(node: Node<'_, '_>) -> Option<String> {
    let holder = xml::child(node, "failure").or_else(|| xml::child(node, "reason"))?;
    let head = xml::child_text(holder, "message");
    let stack = xml::child_text(holder, "stack-trace");
    text::message(head.as_deref(), stack.as_deref())
}

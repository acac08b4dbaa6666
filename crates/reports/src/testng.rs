//! TestNG XML: `<testng-results><suite><test><class name><test-method
//! status name duration-ms is-config>`. Configuration methods (`@Before…`,
//! `@After…`) are not tests. The message comes from `<exception>`.

use roxmltree::Node;

use crate::xml::{self, is};
use crate::{ParseError, ReportFormat, TestCase, TestStatus, duration, text};

const FORMAT: ReportFormat = ReportFormat::TestNgXml;

pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<TestCase>, ParseError> {
    let source = xml::decode(FORMAT, bytes)?;
    let doc = xml::document(FORMAT, &source)?;
    let root = xml::root(FORMAT, &doc, &["testng-results"], "<testng-results>")?;
    let methods = xml::walk(root, "", class_name, |node| is(node, "test-method"));
    Ok(methods
        .into_iter()
        .filter(|(node, _)| !node.attribute("is-config").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")))
        .map(|(node, class)| case(node, class))
        .collect())
}

fn class_name<'a>(outer: &&'a str, node: Node<'a, '_>) -> &'a str {
    if is(node, "class") { node.attribute("name").unwrap_or("") } else { outer }
}

fn case(node: Node<'_, '_>, class: &str) -> TestCase {
    let status = match node.attribute("status").map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("PASS") => TestStatus::Succeeded,
        Some(s) if s.eq_ignore_ascii_case("FAIL") => TestStatus::Failed,
        Some(s) if s.eq_ignore_ascii_case("SKIP") => TestStatus::Skipped,
        _ => TestStatus::Unknown,
    };
    TestCase {
        test_suite_name: class.to_owned(),
        prefix: class.to_owned(),
        name: node.attribute("name").unwrap_or("").to_owned(),
        status,
        duration_nanos: node.attribute("duration-ms").map_or(0, duration::millis),
        message: xml::child(node, "exception").and_then(exception_message),
    }
}

/// `<message>` then `<full-stacktrace>`; the exception class when both are missing.
fn exception_message(exception: Node<'_, '_>) -> Option<String> {
    let message = xml::child_text(exception, "message");
    let stack = xml::child_text(exception, "full-stacktrace");
    text::message(message.as_deref(), stack.as_deref()).or_else(|| text::message(exception.attribute("class"), None))
}

//! NUnit 3 XML: `<test-run>` holding nested `<test-suite type name>` and
//! `<test-case fullname name classname result label duration>`. A failure
//! labelled Error, Invalid (not runnable) or Cancelled is ERROR.

use roxmltree::Node;

use crate::xml::{self, is};
use crate::{ParseError, ReportFormat, TestCase, TestStatus, duration, nunit2, text};

const FORMAT: ReportFormat = ReportFormat::Nunit3Xml;

/// Enclosing suite names: the nearest fixture's and the nearest suite's
/// (parameterized methods and theories are suites inside a fixture).
#[derive(Clone, Copy, Default)]
struct Suites<'a> {
    fixture: Option<&'a str>,
    nearest: Option<&'a str>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<TestCase>, ParseError> {
    let source = xml::decode(FORMAT, bytes)?;
    let doc = xml::document(FORMAT, &source)?;
    // A bare `<test-suite>` is what NUnit 3 writes for a single assembly
    // with some runners; it has the same shape below.
    let root = xml::root(FORMAT, &doc, &["test-run", "test-suite"], "<test-run>")?;
    let cases = xml::walk(root, Suites::default(), enter, |node| is(node, "test-case"));
    Ok(cases.into_iter().map(|(node, suites)| case(node, suites)).collect())
}

fn enter<'a>(outer: &Suites<'a>, node: Node<'a, '_>) -> Suites<'a> {
    if !is(node, "test-suite") {
        return *outer;
    }
    let name = node.attribute("name");
    let fixture = node.attribute("type").is_some_and(|t| t == "TestFixture" || t == "GenericFixture");
    Suites { fixture: if fixture { name } else { outer.fixture }, nearest: name }
}

fn case(node: Node<'_, '_>, suites: Suites<'_>) -> TestCase {
    let full = node.attribute("fullname").or(node.attribute("name")).unwrap_or("");
    let prefix = node.attribute("classname").unwrap_or_else(|| text::split_full_name(full).0);
    TestCase {
        test_suite_name: suites.fixture.or(suites.nearest).unwrap_or("").to_owned(),
        prefix: prefix.to_owned(),
        name: full.to_owned(),
        status: status(node),
        duration_nanos: node.attribute("duration").map_or(0, duration::seconds),
        message: nunit2::message(node),
    }
}

fn status(node: Node<'_, '_>) -> TestStatus {
    let label = node.attribute("label").map(str::trim);
    match node.attribute("result").map(str::trim) {
        Some("Passed") => TestStatus::Succeeded,
        Some("Failed") if matches!(label, Some("Error" | "Invalid" | "Cancelled")) => TestStatus::Error,
        Some("Failed") => TestStatus::Failed,
        Some("Skipped") => TestStatus::Skipped,
        // A warning does not fail the run in NUnit; its text is the message.
        Some("Warning") => TestStatus::Succeeded,
        _ => TestStatus::Unknown,
    }
}

//! # kiln-reports
//!
//! Parses the test report files a buildspec's `reports` section names into
//! CodeBuild's test cases (what `DescribeTestCases` returns) and sums them
//! into a `TestReportSummary`. Pure: it reads only the bytes it is given.
//!
//! ```
//! use kiln_reports::{parse, summarize, ReportFormat, TestStatus};
//!
//! let xml = br#"<testsuite name="math"><testcase classname="m.Add" name="adds" time="0.5"/></testsuite>"#;
//! let cases = parse(ReportFormat::JunitXml, xml)?;
//! assert_eq!(cases[0].status, TestStatus::Succeeded);
//! assert_eq!(summarize(&cases).duration_nanos, 500_000_000);
//! # Ok::<(), kiln_reports::ParseError>(())
//! ```
//!
//! ## Formats
//!
//! | format | suite | prefix | name |
//! |---|---|---|---|
//! | JUNITXML | nearest `<testsuite name>` | `classname` | `name` |
//! | CUCUMBERJSON | feature name | feature name | scenario name |
//! | TESTNGXML | `<class name>` | `<class name>` | method name |
//! | NUNITXML (2.x) | nearest `<test-suite name>` | full name less its last part | full name |
//! | NUNIT3XML | enclosing fixture's name | `classname` | `fullname` |
//! | VISUALSTUDIOTRX | test class | test class | `testName` |
//!
//! Messages (failure, error or skip reason, joined with the stack trace)
//! are trimmed and cut to [`MAX_MESSAGE_CHARS`] characters.
//!
//! ## Errors
//!
//! Bytes that are not text, malformed XML or JSON, the wrong root element,
//! JSON of the wrong shape and an empty file are a [`ParseError`] that names
//! the problem with its line and column (XML, JSON syntax) or JSON path.
//! A well-formed file with no tests gives `Ok(vec![])`. No input panics.
//! XML may carry a DTD; roxmltree bounds entity expansion.

mod case;
mod cucumber;
mod duration;
mod error;
mod format;
mod junit;
mod nunit2;
mod nunit3;
mod summary;
mod testng;
mod text;
mod trx;
mod xml;

pub use case::{MAX_MESSAGE_CHARS, TestCase, TestStatus};
pub use error::ParseError;
pub use format::ReportFormat;
pub use summary::{Summary, summarize};

/// Parses one report file's bytes as `format`.
pub fn parse(format: ReportFormat, bytes: &[u8]) -> Result<Vec<TestCase>, ParseError> {
    match format {
        ReportFormat::JunitXml => junit::parse(bytes),
        ReportFormat::CucumberJson => cucumber::parse(bytes),
        ReportFormat::TestNgXml => testng::parse(bytes),
        ReportFormat::NunitXml => nunit2::parse(bytes),
        ReportFormat::Nunit3Xml => nunit3::parse(bytes),
        ReportFormat::VisualStudioTrx => trx::parse(bytes),
    }
}

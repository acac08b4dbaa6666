//! The report file formats a buildspec's `file-format` can name.

use std::fmt;

/// A test report file format, as the buildspec's `file-format` names it.
/// Serialized as CodeBuild spells it (`JUNITXML`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ReportFormat {
    /// CodeBuild's default when `file-format` is absent.
    #[default]
    JunitXml,
    CucumberJson,
    TestNgXml,
    NunitXml,
    Nunit3Xml,
    VisualStudioTrx,
}

/// Code coverage formats: valid in a buildspec, but not test reports.
const COVERAGE_FORMATS: [&str; 4] = ["CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV"];

impl ReportFormat {
    /// Every test report format, in CodeBuild's documentation order.
    pub const ALL: [ReportFormat; 6] = [
        ReportFormat::JunitXml,
        ReportFormat::CucumberJson,
        ReportFormat::TestNgXml,
        ReportFormat::NunitXml,
        ReportFormat::Nunit3Xml,
        ReportFormat::VisualStudioTrx,
    ];

    /// From the buildspec value, case-insensitively. `None` for unknown
    /// names and for the code coverage formats (see [`Self::is_coverage`]).
    pub fn parse(name: &str) -> Option<ReportFormat> {
        let name = name.trim();
        Self::ALL.into_iter().find(|format| format.as_str().eq_ignore_ascii_case(name))
    }

    /// The name as CodeBuild spells it: `JUNITXML`, `CUCUMBERJSON`, …
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::JunitXml => "JUNITXML",
            ReportFormat::CucumberJson => "CUCUMBERJSON",
            ReportFormat::TestNgXml => "TESTNGXML",
            ReportFormat::NunitXml => "NUNITXML",
            ReportFormat::Nunit3Xml => "NUNIT3XML",
            ReportFormat::VisualStudioTrx => "VISUALSTUDIOTRX",
        }
    }

    /// Whether `name` is a code coverage format (`CLOVERXML`, `COBERTURAXML`,
    /// `JACOCOXML`, `SIMPLECOV`), case-insensitively: lets a caller tell
    /// "coverage, not parsed here" from "unknown".
    pub fn is_coverage(name: &str) -> bool {
        let name = name.trim();
        COVERAGE_FORMATS.iter().any(|known| known.eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for format in ReportFormat::ALL {
            assert_eq!(ReportFormat::parse(format.as_str()), Some(format));
            assert_eq!(ReportFormat::parse(&format.as_str().to_lowercase()), Some(format));
        }
        assert_eq!(ReportFormat::parse("JUnitXml"), Some(ReportFormat::JunitXml));
        assert_eq!(ReportFormat::parse("nunit3xml"), Some(ReportFormat::Nunit3Xml));
    }

    #[test]
    fn coverage_and_unknown_names_are_not_test_formats() {
        for name in ["CLOVERXML", "coberturaxml", "JACOCOXML", "SimpleCov"] {
            assert_eq!(ReportFormat::parse(name), None, "{name}");
            assert!(ReportFormat::is_coverage(name), "{name}");
        }
        for name in ["", "JUNIT", "XML", "JUNITXML2"] {
            assert_eq!(ReportFormat::parse(name), None, "{name}");
            assert!(!ReportFormat::is_coverage(name), "{name}");
        }
    }

    #[test]
    fn serde_uses_codebuild_names() {
        for format in ReportFormat::ALL {
            let json = serde_json::to_string(&format).unwrap();
            assert_eq!(json, format!("\"{}\"", format.as_str()));
            assert_eq!(serde_json::from_str::<ReportFormat>(&json).unwrap(), format);
        }
        assert_eq!(ReportFormat::default(), ReportFormat::JunitXml);
        assert_eq!(ReportFormat::TestNgXml.to_string(), "TESTNGXML");
    }
}

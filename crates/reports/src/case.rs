//! One test case as CodeBuild stores it.

/// Longest message kept, in characters; longer ones are cut.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// One test case, with CodeBuild's `TestCase` fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TestCase {
    /// The suite: JUnit testsuite, Cucumber feature, TestNG class, …
    pub test_suite_name: String,
    /// CodeBuild's prefix: JUnit classname, TestNG class, Cucumber feature, …
    pub prefix: String,
    pub name: String,
    pub status: TestStatus,
    pub duration_nanos: i64,
    /// Failure, error or skip message (with its text or stack trace),
    /// trimmed, at most [`MAX_MESSAGE_CHARS`] characters.
    pub message: Option<String>,
}

/// A test case's outcome. Serialized as CodeBuild spells it (`SUCCEEDED`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TestStatus {
    Succeeded,
    Failed,
    Error,
    Skipped,
    Unknown,
}

impl TestStatus {
    /// Every status, in CodeBuild's documentation order.
    pub const ALL: [TestStatus; 5] =
        [TestStatus::Succeeded, TestStatus::Failed, TestStatus::Error, TestStatus::Skipped, TestStatus::Unknown];

    /// `SUCCEEDED`, `FAILED`, `ERROR`, `SKIPPED` or `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Succeeded => "SUCCEEDED",
            TestStatus::Failed => "FAILED",
            TestStatus::Error => "ERROR",
            TestStatus::Skipped => "SKIPPED",
            TestStatus::Unknown => "UNKNOWN",
        }
    }

    /// From CodeBuild's spelling, exactly (as a `TestCaseFilter.status`).
    pub fn parse(name: &str) -> Option<TestStatus> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        let names: Vec<_> = TestStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["SUCCEEDED", "FAILED", "ERROR", "SKIPPED", "UNKNOWN"]);
        for status in TestStatus::ALL {
            assert_eq!(TestStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{}\"", status.as_str()));
        }
        assert_eq!(TestStatus::parse("succeeded"), None);
    }
}

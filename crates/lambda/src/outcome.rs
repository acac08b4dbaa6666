//! What one invocation did: the builds it started and what it left alone, and why. This is the
//! function's response, so it is also what `aws lambda invoke` prints.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub started: Vec<Started>,
    pub skipped: Vec<Skipped>,
}

/// A build started for a reference change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub repository: String,
    pub reference: String,
    pub commit: String,
    pub project: String,
    pub build_id: String,
}

/// A reference change, or a part of the event, that started no build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub reason: String,
}

impl Skipped {
    /// A part of the event that is not about a reference at all.
    pub fn event(reason: String) -> Skipped {
        Skipped { repository: None, reference: None, reason }
    }
}

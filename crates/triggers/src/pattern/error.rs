//! Why a pattern is invalid, worded as EventBridge's `InvalidEventPatternException`.

/// An invalid event pattern. `reason` is Event Ruler's explanation; the message adds
/// EventBridge's lead-in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Event pattern is not valid. Reason: {reason}")]
pub struct PatternError {
    pub reason: String,
}

impl PatternError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        PatternError { reason: reason.into() }
    }
}

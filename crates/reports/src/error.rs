//! Why a report file could not be parsed.

use crate::ReportFormat;

/// Why a report file could not be parsed. Each message names the format and
/// the problem, with a line and column (XML, JSON syntax) or a JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("{format} report is empty")]
    Empty { format: ReportFormat },
    /// Neither UTF-8 nor UTF-16 with a byte order mark.
    #[error("{format} report is not UTF-8 text: invalid byte at offset {offset}")]
    NotText { format: ReportFormat, offset: usize },
    /// Not well-formed XML; `message` carries the line:column when known.
    #[error("{format} report is not well-formed XML: {message}")]
    Xml { format: ReportFormat, message: String },
    /// Well-formed XML of another kind of report.
    #[error("{format} report has root element <{found}> at {line}:{column}; expected {expected}")]
    WrongRoot { format: ReportFormat, found: String, expected: &'static str, line: u32, column: u32 },
    /// Not JSON at all.
    #[error("{format} report is not valid JSON: {message}")]
    Json { format: ReportFormat, message: String, line: usize, column: usize },
    /// Valid JSON whose value at `path` (`$[0].elements`) is not what the format has there.
    #[error("{format} report has unexpected JSON at {path}: {message}")]
    JsonShape { format: ReportFormat, path: String, message: String },
}

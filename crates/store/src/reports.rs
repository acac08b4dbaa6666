//! Records of CodeBuild's test reports: report groups, the reports builds write into them, and
//! the test cases of each report.
//!
//! As with projects and builds, the store keeps the operation layer's JSON documents beside the
//! few columns its queries need, and knows nothing of CodeBuild's rules beyond a count limit
//! the caller passes in.

/// A report group as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportGroupRecord {
    /// Unique, like the name.
    pub arn: String,
    pub name: String,
    /// The project whose build created the group (buildspec `reports`); `None` for a group
    /// made by CreateReportGroup. Groups are counted per project against a limit.
    pub project: Option<String>,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The group document (JSON text of CodeBuild's `ReportGroup` shape).
    pub doc: String,
}

/// What to sort report groups by, as ListReportGroups' `sortBy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportGroupSort {
    Name,
    Created,
    Modified,
}

/// What `delete_report_group` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupDeletion {
    Deleted,
    /// No group has that ARN.
    Absent,
    /// The group has reports and deleting them was not asked for: nothing was deleted.
    HasReports,
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub arn: String,
    /// The group it belongs to; the report goes when the group is deleted with its reports.
    pub group_arn: String,
    /// The ARN of the build that wrote it.
    pub execution_id: String,
    /// Opaque to the store; listings filter on it.
    pub status: String,
    /// Listings order by it (ties by ARN); `purge_reports` goes by it.
    pub created_ms: i64,
    /// The report document (JSON text of CodeBuild's `Report` shape).
    pub doc: String,
}

/// Which reports a listing returns. `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportQuery {
    pub group_arn: Option<String>,
    pub status: Option<String>,
}

/// One test case of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCaseRecord {
    /// Set by `insert_report` to the report's ARN.
    pub report_arn: String,
    /// Position in the report from 0, set by `insert_report`; listings follow it.
    pub seq: i64,
    pub prefix: String,
    pub name: String,
    pub status: String,
    pub duration_ns: i64,
    pub message: Option<String>,
    pub suite: String,
    pub raw_path: String,
}

/// Which test cases a listing returns. `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestCaseQuery {
    /// Exactly this status.
    pub status: Option<String>,
    /// A substring (case-sensitive) of the name or the prefix.
    pub keyword: Option<String>,
}

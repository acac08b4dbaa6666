//! The buildspec's `reports`: after the phases, each report's files are found like artifact
//! files (`files`, `base-directory`, `discard-paths`), parsed in their `file-format`, and sent
//! to the executor as one [`Event::Report`] per report group, which stores the report.
//!
//! As in CodeBuild, a malformed file makes its report INCOMPLETE and never fails the build.

use kiln_artifacts::{ArtifactError, collect};
use kiln_buildspec::{Artifacts, Report};
use kiln_reports::{ReportFormat, TestCase};

use crate::emit::Emitter;
use crate::protocol::{Event, Job};

/// CodeBuild keeps at most this many test cases of a report; one more tells the store the
/// report was truncated.
const KEPT_CASES: usize = 501;

/// Report files larger than this are not read (a test report is rarely more than a few MB).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads every report of the buildspec and emits what it found.
pub fn process(job: &Job, emit: &Emitter) {
    let text = job.prepared.as_ref().map(|p| p.buildspec_text.as_str()).unwrap_or_default();
    let Ok(spec) = kiln_buildspec::parse(text) else { return };
    for (group, report) in &spec.reports {
        if let Some(event) = read_report(job, group, report, emit) {
            emit.emit(&event);
        }
    }
}

fn read_report(job: &Job, group: &str, report: &Report, emit: &Emitter) -> Option<Event> {
    let Some(format) = ReportFormat::parse(&report.file_format) else {
        emit.agent(&format!(
            "Skipping report {group}: code coverage reports ({}) are not supported by this Kiln version",
            report.file_format
        ));
        return None;
    };
    let selection = Artifacts {
        files: report.files.clone(),
        base_directory: report.base_directory.clone(),
        discard_paths: report.discard_paths,
        ..Default::default()
    };
    let entries = match collect(&job.build_dir.join("src"), &selection) {
        Ok(entries) => entries,
        Err(ArtifactError::NoMatches) => {
            emit.agent(&format!("Skipping report {group}: no report files found matching {:?}", report.files));
            return None;
        }
        Err(e) => {
            emit.agent(&format!("Report {group} is INCOMPLETE: {e}"));
            return Some(Event::Report {
                group: group.to_string(),
                status: "INCOMPLETE".to_string(),
                test_cases: Vec::new(),
                raw_paths: Vec::new(),
            });
        }
    };
    emit.agent(&format!("Preparing to upload report {group}: {} {} files", entries.len(), format.as_str()));
    let mut cases: Vec<TestCase> = Vec::new();
    let mut raw_paths = Vec::new();
    let mut status = "SUCCEEDED";
    for entry in &entries {
        raw_paths.push(entry.source.display().to_string());
        match read_file(&entry.source, format) {
            Ok(found) => cases.extend(found),
            Err(problem) => {
                status = "INCOMPLETE";
                emit.agent(&format!("Report {group}: {} could not be parsed: {problem}", entry.name));
            }
        }
    }
    emit.agent(&format!("Report {group}: {} test cases", cases.len()));
    cases.truncate(KEPT_CASES);
    Some(Event::Report { group: group.to_string(), status: status.to_string(), test_cases: cases, raw_paths })
}

fn read_file(path: &std::path::Path, format: ReportFormat) -> Result<Vec<TestCase>, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("the file is {size} bytes, more than the {MAX_FILE_BYTES} a report file may have"));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    kiln_reports::parse(format, &bytes).map_err(|e| e.to_string())
}

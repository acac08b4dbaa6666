//! What a build leaves behind: `artifacts`, `cache` and `reports`.

use crate::error::{BuildspecError, shown};
use crate::model::{Artifacts, Cache, CacheAction, REPORT_FILE_FORMATS, Report};
use crate::read::{Ctx, Result, flag, get, map, opt_string, string_list};
use crate::yaml::{Entry, Kind, Value};

const ARTIFACT_KEYS: [&str; 8] = [
    "files",
    "name",
    "discard-paths",
    "base-directory",
    "exclude-paths",
    "enable-symlinks",
    "s3-prefix",
    "secondary-artifacts",
];

/// `artifacts`, with its secondary artifacts.
pub(crate) fn read_artifacts(ctx: &mut Ctx, value: &Value) -> Result<Artifacts> {
    let mut artifacts = read_artifact(ctx, value, "artifacts", "artifacts", &ARTIFACT_KEYS)?;
    let entries = map(value, "artifacts")?;
    if let Some(secondary) = get(entries, "secondary-artifacts") {
        for entry in map(secondary, "artifacts/secondary-artifacts")? {
            let path = format!("artifacts/secondary-artifacts/{}", entry.key);
            // Same syntax as the primary, without nesting.
            let known = &ARTIFACT_KEYS[..ARTIFACT_KEYS.len() - 1];
            let section = format!("secondary-artifacts/{}", entry.key);
            let one = read_artifact(ctx, &entry.value, &path, &section, known)?;
            artifacts.secondary_artifacts.push((entry.key.clone(), one));
        }
    }
    Ok(artifacts)
}

fn read_artifact(ctx: &mut Ctx, value: &Value, path: &str, section: &str, known: &[&str]) -> Result<Artifacts> {
    let entries = map(value, path)?;
    ctx.warn_unknown(entries, known, section);
    let field = |key: &str| (get(entries, key), format!("{path}/{key}"));
    let mut out = Artifacts { files: required_list(value, entries, path, "files")?, ..Artifacts::default() };
    if let (Some(v), p) = field("name") {
        out.name = opt_string(v, &p)?;
    }
    if let (Some(v), p) = field("discard-paths") {
        out.discard_paths = flag(v, &p)?;
    }
    if let (Some(v), p) = field("base-directory") {
        out.base_directory = opt_string(v, &p)?;
    }
    if let (Some(v), p) = field("exclude-paths") {
        out.exclude_paths = string_list(v, &p, true)?;
    }
    if let (Some(v), p) = field("enable-symlinks") {
        out.enable_symlinks = flag(v, &p)?;
    }
    if let (Some(v), p) = field("s3-prefix") {
        out.s3_prefix = opt_string(v, &p)?;
    }
    Ok(out)
}

/// A path list the section cannot do without (`files`, `paths`). A lone
/// scalar is taken as a one-item list.
fn required_list(section: &Value, entries: &[Entry], path: &str, key: &str) -> Result<Vec<String>> {
    match get(entries, key) {
        Some(v) if v.kind != Kind::Null => string_list(v, &format!("{path}/{key}"), true),
        Some(v) => Err(missing(path, key, v)),
        None => Err(missing(path, key, section)),
    }
}

fn missing(path: &str, key: &str, at: &Value) -> BuildspecError {
    BuildspecError::at(format!("Missing required {path}/{key}"), at.pos)
}

pub(crate) fn read_cache(ctx: &mut Ctx, value: &Value) -> Result<Cache> {
    let entries = map(value, "cache")?;
    ctx.warn_unknown(entries, &["paths", "key", "fallback-keys", "action"], "cache");
    let mut cache = Cache { paths: required_list(value, entries, "cache", "paths")?, ..Cache::default() };
    if let Some(v) = get(entries, "key") {
        cache.key = opt_string(v, "cache/key")?;
    }
    if let Some(v) = get(entries, "fallback-keys") {
        cache.fallback_keys = string_list(v, "cache/fallback-keys", true)?;
    }
    if let Some(v) = get(entries, "action")
        && let Some(text) = opt_string(v, "cache/action")?
    {
        cache.action = Some(match text.to_ascii_lowercase().as_str() {
            "restore" => CacheAction::Restore,
            "save" => CacheAction::Save,
            _ => {
                return Err(BuildspecError::at(
                    format!("Invalid value `{}` for cache/action: expected restore or save", shown(&text)),
                    v.pos,
                ));
            }
        });
    }
    Ok(cache)
}

/// `reports`, keyed by report group name or ARN, in file order.
pub(crate) fn read_reports(ctx: &mut Ctx, value: &Value) -> Result<Vec<(String, Report)>> {
    map(value, "reports")?
        .iter()
        .map(|entry| Ok((entry.key.clone(), read_report(ctx, &entry.key, &entry.value)?)))
        .collect()
}

fn read_report(ctx: &mut Ctx, name: &str, value: &Value) -> Result<Report> {
    let path = format!("reports/{name}");
    let entries = map(value, &path)?;
    let known = ["files", "base-directory", "discard-paths", "file-format"];
    ctx.warn_unknown(entries, &known, &path);
    let mut report = Report {
        files: required_list(value, entries, &path, "files")?,
        base_directory: None,
        discard_paths: false,
        file_format: "JUNITXML".to_owned(),
    };
    if let Some(v) = get(entries, "base-directory") {
        report.base_directory = opt_string(v, &format!("{path}/base-directory"))?;
    }
    if let Some(v) = get(entries, "discard-paths") {
        report.discard_paths = flag(v, &format!("{path}/discard-paths"))?;
    }
    if let Some(v) = get(entries, "file-format")
        && let Some(text) = opt_string(v, &format!("{path}/file-format"))?
    {
        // Documented as case-insensitive.
        let upper = text.to_ascii_uppercase();
        if !REPORT_FILE_FORMATS.contains(&upper.as_str()) {
            return Err(BuildspecError::at(
                format!(
                    "Invalid file-format `{}` in {path}: expected one of {}",
                    shown(&text),
                    REPORT_FILE_FORMATS.join(", ")
                ),
                v.pos,
            ));
        }
        report.file_format = upper;
    }
    Ok(report)
}

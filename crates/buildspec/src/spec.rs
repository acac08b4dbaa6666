//! The whole document: size limit, root mapping, `version`, and the sections.

use crate::env::{read_env, read_proxy};
use crate::error::{BuildspecError, shown};
use crate::model::{Buildspec, Env, Proxy, Version};
use crate::outputs::{read_artifacts, read_cache, read_reports};
use crate::phases::read_phases;
use crate::read::{Ctx, Result, get, opt_string};
use crate::yaml::{self, Kind, Value};

/// Largest buildspec accepted, in bytes (256 KiB). CodeBuild documents no
/// figure; real buildspecs are a few KiB, and this caps parse cost.
pub const MAX_BUILDSPEC_BYTES: usize = 256 * 1024;

/// `batch` is known (batch builds) but not modelled here: accepted, unread.
const TOP_KEYS: [&str; 9] = ["version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache"];

pub(crate) fn parse(text: &str) -> Result<Buildspec> {
    if text.len() > MAX_BUILDSPEC_BYTES {
        return Err(BuildspecError::new(format!(
            "buildspec is too large: {} bytes, the limit is {MAX_BUILDSPEC_BYTES} bytes (256 KiB)",
            text.len()
        )));
    }
    let root = yaml::load(text)?;
    let entries = match &root.kind {
        Kind::Map(entries) => entries,
        Kind::Null => return Err(BuildspecError::new("buildspec is empty")),
        _ => {
            return Err(BuildspecError::at(
                format!("buildspec must be a YAML mapping: found {} instead", root.describe()),
                root.pos,
            ));
        }
    };

    let version = read_version(&root, get(entries, "version"))?;
    let mut ctx = Ctx::default();
    ctx.warn_unknown(entries, &TOP_KEYS, "root");
    let run_as = match get(entries, "run-as") {
        Some(v) => opt_string(v, "run-as")?,
        None => None,
    };
    let env = match get(entries, "env") {
        Some(v) => read_env(&mut ctx, v)?,
        None => Env::default(),
    };
    let proxy = match get(entries, "proxy") {
        Some(v) => read_proxy(&mut ctx, v)?,
        None => Proxy::default(),
    };
    // Not required: a buildspec with only artifacts is a plain repackaging.
    let phases = match get(entries, "phases") {
        Some(v) => read_phases(&mut ctx, v)?,
        None => Default::default(),
    };
    let artifacts = match present(get(entries, "artifacts")) {
        Some(v) => Some(read_artifacts(&mut ctx, v)?),
        None => None,
    };
    let cache = match present(get(entries, "cache")) {
        Some(v) => Some(read_cache(&mut ctx, v)?),
        None => None,
    };
    let reports = match get(entries, "reports") {
        Some(v) => read_reports(&mut ctx, v)?,
        None => Vec::new(),
    };

    Ok(Buildspec { version, run_as, env, proxy, phases, artifacts, cache, reports, warnings: ctx.warnings })
}

/// An optional section written with no body (`cache:`) is the same as absent.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| v.kind != Kind::Null)
}

fn read_version(root: &Value, value: Option<&Value>) -> Result<Version> {
    let Some(value) = value.filter(|v| v.kind != Kind::Null) else {
        return Err(BuildspecError::at(
            "buildspec `version` is missing: expected 0.1 or 0.2, see documentation",
            root.pos,
        ));
    };
    match &value.kind {
        Kind::Scalar(text) if text == "0.2" => Ok(Version::V0_2),
        Kind::Scalar(text) if text == "0.1" => Ok(Version::V0_1),
        // CodeBuild's wording, with the text as written (`1.0`, not `1`).
        Kind::Scalar(text) => Err(BuildspecError::at(
            format!("invalid buildspec `version` specified: {}, see documentation", shown(text)),
            value.pos,
        )),
        _ => Err(BuildspecError::at(
            format!(
                "invalid buildspec `version` specified: found {} instead of 0.1 or 0.2, see documentation",
                value.describe()
            ),
            value.pos,
        )),
    }
}

//! The `phases` section.

use crate::error::{BuildspecError, shown};
use crate::model::{Phase, Phases};
use crate::on_failure;
use crate::read::{Ctx, Result, get, map, opt_string, string_map, type_error};
use crate::yaml::{Kind, Value};

/// Most commands (`commands` plus `finally`, all phases together) a
/// buildspec may hold. CodeBuild documents no figure; this bounds the work
/// one buildspec can ask of the agent.
pub const MAX_COMMANDS: usize = 1_000;

const PHASE_KEYS: [&str; 5] = ["run-as", "on-failure", "runtime-versions", "commands", "finally"];

pub(crate) fn read_phases(ctx: &mut Ctx, value: &Value) -> Result<Phases> {
    let mut phases = Phases::default();
    for entry in map(value, "phases")? {
        let slot = match entry.key.as_str() {
            "install" => &mut phases.install,
            "pre_build" => &mut phases.pre_build,
            "build" => &mut phases.build,
            "post_build" => &mut phases.post_build,
            other => {
                // CodeBuild's wording.
                return Err(BuildspecError::at(
                    format!(
                        "Invalid buildspec phase name: {}. Expecting: build,install,post_build,pre_build",
                        shown(other)
                    ),
                    entry.key_pos,
                ));
            }
        };
        *slot = Some(read_phase(ctx, &entry.key, &entry.value)?);
    }
    Ok(phases)
}

fn read_phase(ctx: &mut Ctx, name: &str, value: &Value) -> Result<Phase> {
    let path = format!("phases/{name}");
    let entries = map(value, &path)?;
    let install = name == "install";
    if !install && let Some(entry) = entries.iter().find(|e| e.key == "runtime-versions") {
        return Err(BuildspecError::at(
            format!("runtime-versions is only allowed in the install phase, found in {path}"),
            entry.key_pos,
        ));
    }
    ctx.warn_unknown(entries, &PHASE_KEYS, &name.to_ascii_uppercase());

    let mut phase = Phase::default();
    if let Some(v) = get(entries, "run-as") {
        phase.run_as = opt_string(v, &format!("{path}/run-as"))?;
    }
    if let Some(v) = get(entries, "on-failure")
        && let Some(text) = opt_string(v, &format!("{path}/on-failure"))?
    {
        let parsed = on_failure::parse(&text).map_err(|why| {
            BuildspecError::at(format!("Invalid on-failure value `{}` in {path}: {why}", shown(&text)), v.pos)
        })?;
        phase.on_failure = Some(parsed);
    }
    if let Some(v) = get(entries, "runtime-versions") {
        phase.runtime_versions = string_map(v, &format!("{path}/runtime-versions"))?;
    }
    if let Some(v) = get(entries, "commands") {
        phase.commands = read_commands(ctx, v, "Commands", &format!("{path}/commands"))?;
    }
    if let Some(v) = get(entries, "finally") {
        phase.finally = read_commands(ctx, v, "Finally", &format!("{path}/finally"))?;
    }
    Ok(phase)
}

/// A command list. Items must be scalars; numbers and booleans keep their
/// text. `label` names items the way CodeBuild does (`Commands[0]`).
fn read_commands(ctx: &mut Ctx, value: &Value, label: &str, path: &str) -> Result<Vec<String>> {
    let items = match &value.kind {
        Kind::Null => return Ok(Vec::new()),
        Kind::Seq(items) => items,
        _ => return Err(type_error(path, "a list of strings", value)),
    };
    let mut commands = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Kind::Scalar(text) = &item.kind else {
            return Err(command_type_error(label, i, item));
        };
        ctx.commands += 1;
        if ctx.commands > MAX_COMMANDS {
            return Err(BuildspecError::at(
                format!(
                    "Too many commands: a buildspec may have at most {MAX_COMMANDS} \
                     (commands and finally of all phases together)"
                ),
                item.pos,
            ));
        }
        commands.push(text.clone());
    }
    Ok(commands)
}

/// CodeBuild's message for the unquoted `: ` gotcha, note included; the same
/// shape for the rarer list or empty items.
fn command_type_error(label: &str, index: usize, item: &Value) -> BuildspecError {
    let err = type_error(&format!("{label}[{index}]"), "of string type", item);
    match item.kind {
        Kind::Map(_) => {
            err.with_note(format!(", value of the key tag on line {} might be empty", item.pos.line.saturating_sub(1)))
        }
        _ => err,
    }
}

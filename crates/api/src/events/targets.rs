//! Rule targets: which ones Kiln accepts (CodeBuild projects), and the input a target makes of
//! a matched event (`Input`, `InputPath`, `InputTransformer`, or the whole event).

use kiln_model::events::Target;
use kiln_triggers::pattern::path::JsonPath;
use kiln_triggers::pattern::template::{Context, InputTransformer};
use serde_json::Value;

use crate::names::check_project_name;

/// The project a target ARN names: `arn:<partition>:codebuild:<region>:<account>:project/<name>`.
/// The region and account are not compared with Kiln's: the project is found by name.
pub(crate) fn project_of(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("codebuild"), Some(_region), Some(_account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let name = resource.strip_prefix("project/")?;
    check_project_name("Arn", name).ok().map(|()| name)
}

/// Why PutTargets refuses a target, as its failed entry's message; `None` when it is accepted.
pub(crate) fn refusal(target: &Target) -> Option<String> {
    let id = target.id.as_deref().unwrap_or_default();
    let arn = target.arn.as_deref().unwrap_or_default();
    if project_of(arn).is_none() {
        return Some(format!(
            "Kiln delivers events only to CodeBuild projects (arn:aws:codebuild:<region>:<account>:project/<name>); \
             target {id} has Arn {arn}"
        ));
    }
    let inputs = [target.input.is_some(), target.input_path.is_some(), target.input_transformer.is_some()];
    if inputs.iter().filter(|set| **set).count() > 1 {
        return Some(format!("Target {id}: only one of Input, InputPath and InputTransformer may be given"));
    }
    if let Some(input) = &target.input
        && let Err(e) = serde_json::from_str::<Value>(input)
    {
        return Some(format!("Target {id}: Input is not valid JSON: {e}"));
    }
    if let Some(path) = &target.input_path
        && let Err(e) = JsonPath::parse(path)
    {
        return Some(format!("Target {id}: InputPath {e}"));
    }
    if let Some(transformer) = &target.input_transformer
        && let Err(e) = transformer_of(transformer)
    {
        return Some(format!("Target {id}: {e}"));
    }
    None
}

fn transformer_of(
    transformer: &kiln_model::events::InputTransformer,
) -> Result<InputTransformer, kiln_triggers::pattern::template::TransformerError> {
    let paths = transformer.input_paths_map.clone().unwrap_or_default();
    InputTransformer::new(&paths, transformer.input_template.as_deref().unwrap_or_default())
}

/// The JSON a target sends for a matched event; an error says why there is none.
pub(crate) fn input(target: &Target, event: &Value, context: &Context<'_>) -> Result<Value, String> {
    if let Some(input) = &target.input {
        return serde_json::from_str(input).map_err(|e| format!("Input is not valid JSON: {e}"));
    }
    if let Some(path) = &target.input_path {
        let path = JsonPath::parse(path).map_err(|e| e.to_string())?;
        return path.select(event).ok_or_else(|| format!("InputPath {} finds nothing in the event", path.as_str()));
    }
    if let Some(transformer) = &target.input_transformer {
        let rendered = transformer_of(transformer).map_err(|e| e.to_string())?.render(event, context);
        return serde_json::from_str(&rendered)
            .map_err(|e| format!("InputTransformer produced {rendered:?}, which is not valid JSON: {e}"));
    }
    Ok(event.clone())
}

//! From pattern JSON to the pattern tree, refusing what EventBridge refuses with Event Ruler's
//! reasons.

use serde_json::{Map, Value};

use super::PatternError;
use super::cidr::IpRange;
use super::eval::{FieldPattern, ObjectPattern};
use super::matcher::{Affix, Exclusion, Literal, Matcher};
use super::numeric;
use super::wildcard::Wildcard;

const OR: &str = "$or";

/// Field names that cannot appear inside `$or` objects: they would read as match expressions.
const RESERVED_IN_OR: [&str; 8] =
    ["anything-but", "numeric", "prefix", "suffix", "exists", "equals-ignore-case", "wildcard", "cidr"];

type Result<T> = std::result::Result<T, PatternError>;

fn err<T>(reason: impl Into<String>) -> Result<T> {
    Err(PatternError::new(reason))
}

pub(crate) fn root(value: &Value) -> Result<ObjectPattern> {
    match value {
        Value::Object(fields) => object(fields, false),
        _ => err("Filter is not an object"),
    }
}

fn object(fields: &Map<String, Value>, inside_or: bool) -> Result<ObjectPattern> {
    if fields.is_empty() {
        return err("Empty objects are not allowed");
    }
    let mut pattern = ObjectPattern { fields: Vec::new(), any_of: Vec::new() };
    for (name, value) in fields {
        if name == OR {
            pattern.any_of = or_branches(value)?;
            continue;
        }
        if inside_or && RESERVED_IN_OR.contains(&name.as_str()) {
            return err(format!("{name} is Ruler reserved fieldName which cannot be used inside {OR}."));
        }
        let field = match value {
            Value::Object(inner) => FieldPattern::Object(object(inner, inside_or)?),
            Value::Array(items) => FieldPattern::Values(values(items)?),
            _ => return err(format!("\"{name}\" must be an object or an array")),
        };
        pattern.fields.push((name.clone(), field));
    }
    Ok(pattern)
}

fn or_branches(value: &Value) -> Result<Vec<ObjectPattern>> {
    let Value::Array(items) = value else {
        return err(format!("It must be an Array followed with {OR}."));
    };
    let mut branches = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Object(fields) => branches.push(object(fields, true)?),
            _ => return err(format!("Only JSON object is allowed in array of {OR} relationship.")),
        }
    }
    if branches.len() < 2 {
        return err(format!("There must have at least 2 Objects in {OR} relationship."));
    }
    Ok(branches)
}

fn values(items: &[Value]) -> Result<Vec<Matcher>> {
    if items.is_empty() {
        return err("Empty arrays are not allowed");
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(Matcher::Exact(Literal::String(s.clone()))),
            Value::Number(n) => match n.as_f64() {
                Some(n) => Ok(Matcher::Exact(Literal::Number(n))),
                None => err(format!("Number {n} cannot be matched")),
            },
            Value::Bool(b) => Ok(Matcher::Exact(Literal::Bool(*b))),
            Value::Null => Ok(Matcher::Exact(Literal::Null)),
            Value::Object(expression) => match_expression(expression),
            Value::Array(_) => err("Match value must be String, number, true, false, or null"),
        })
        .collect()
}

/// The one-key object of a match expression, e.g. `{"prefix": "us-"}`.
fn only_entry(fields: &Map<String, Value>, none: &str) -> Result<(String, Value)> {
    let mut entries = fields.iter();
    match (entries.next(), entries.next()) {
        (Some((key, value)), None) => Ok((key.clone(), value.clone())),
        (None, _) => err(none),
        (Some(_), Some(_)) => err("Only one key allowed in match expression"),
    }
}

fn match_expression(fields: &Map<String, Value>) -> Result<Matcher> {
    let (kind, value) = only_entry(fields, "Match expression name not found")?;
    match kind.as_str() {
        "prefix" => Ok(Matcher::Prefix(affix(&kind, &value)?)),
        "suffix" => Ok(Matcher::Suffix(affix(&kind, &value)?)),
        "equals-ignore-case" => Ok(Matcher::EqualsIgnoreCase(string(&kind, &value)?)),
        "wildcard" => Ok(Matcher::Wildcard(wildcard(&string(&kind, &value)?)?)),
        "numeric" => match &value {
            Value::Array(terms) => numeric::parse(terms).map(Matcher::Numeric).map_err(PatternError::new),
            _ => err("Value of numeric must be an array."),
        },
        "exists" => match value {
            Value::Bool(b) => Ok(Matcher::Exists(b)),
            _ => err("exists match pattern must be either true or false."),
        },
        "cidr" => IpRange::parse(&string(&kind, &value)?).map(Matcher::Cidr).map_err(PatternError::new),
        "anything-but" => anything_but(&value).map(Matcher::AnythingBut),
        other => err(format!("Unrecognized match type {other}")),
    }
}

fn string(kind: &str, value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        _ => err(format!("{kind} match pattern must be a string")),
    }
}

/// `"text"` or `{"equals-ignore-case": "text"}`.
fn affix(kind: &str, value: &Value) -> Result<Affix> {
    match value {
        Value::String(text) => Ok(Affix { text: text.clone(), ignore_case: false }),
        Value::Object(fields) => {
            let (inner, value) = only_entry(fields, "Match expression name not found")?;
            if inner != "equals-ignore-case" {
                return err(format!("Unsupported {kind} pattern: {inner}"));
            }
            Ok(Affix { text: string(&inner, &value)?, ignore_case: true })
        }
        _ => err(format!("{kind} match pattern must be a string")),
    }
}

fn wildcard(text: &str) -> Result<Wildcard> {
    Wildcard::parse(text).map_err(PatternError::new)
}

fn anything_but(value: &Value) -> Result<Exclusion> {
    match value {
        Value::String(s) => Ok(Exclusion::Strings(vec![s.clone()])),
        Value::Number(n) => Ok(Exclusion::Numbers(vec![number(n)?])),
        Value::Array(items) => anything_but_list(items),
        Value::Object(fields) => {
            let (kind, value) = only_entry(fields, "Anything-But expression name not found")?;
            match kind.as_str() {
                "prefix" | "suffix" => {
                    let text = match &value {
                        Value::String(s) => s.clone(),
                        _ => return err("prefix/suffix match pattern must be a string"),
                    };
                    if text.is_empty() {
                        return err("Null prefix/suffix not allowed");
                    }
                    Ok(if kind == "prefix" { Exclusion::Prefix(text) } else { Exclusion::Suffix(text) })
                }
                "equals-ignore-case" => Ok(Exclusion::IgnoreCase(strings(&kind, &value)?)),
                "wildcard" => {
                    let texts = strings(&kind, &value)?;
                    texts.iter().map(|t| wildcard(t)).collect::<Result<_>>().map(Exclusion::Wildcards)
                }
                other => err(format!("Unsupported anything-but pattern: {other}")),
            }
        }
        _ => err("Value of anything-but must be an array or single string/number value."),
    }
}

fn anything_but_list(items: &[Value]) -> Result<Exclusion> {
    let mut texts = Vec::new();
    let mut numbers = Vec::new();
    for item in items {
        match item {
            Value::String(s) => texts.push(s.clone()),
            Value::Number(n) => numbers.push(number(n)?),
            _ => return err("Inside anything but list, start|null|boolean is not supported."),
        }
    }
    match (texts.is_empty(), numbers.is_empty()) {
        (false, true) => Ok(Exclusion::Strings(texts)),
        (true, false) => Ok(Exclusion::Numbers(numbers)),
        _ => err("Inside anything but list, either all values are number or string, mixed type is not supported"),
    }
}

/// A string, or a non-empty list of strings (anything-but's `equals-ignore-case` and `wildcard`).
fn strings(kind: &str, value: &Value) -> Result<Vec<String>> {
    let not_strings =
        || PatternError::new(format!("Inside anything-but/{kind} list, number|start|null|boolean is not supported."));
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(|item| item.as_str().map(str::to_string).ok_or_else(not_strings)).collect()
        }
        _ => Err(not_strings()),
    }
}

fn number(n: &serde_json::Number) -> Result<f64> {
    n.as_f64().map_or_else(|| err(format!("Number {n} cannot be matched")), Ok)
}

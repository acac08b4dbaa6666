//! `numeric` matching: `["=", 5]`, `[">", 0]`, `["<=", 9]`, `[">", 0, "<=", 5]`.
//!
//! EventBridge compares numbers between -5.0e9 and 5.0e9 only: such bounds are refused in
//! patterns, and event values outside them never match a range.

use serde_json::Value;

/// The magnitude EventBridge's numeric matching is limited to.
const LIMIT: f64 = 5.0e9;

/// One end of a range: the value and whether it is included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bound {
    pub value: f64,
    pub inclusive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Range {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
}

impl Range {
    pub fn contains(&self, n: f64) -> bool {
        let above = self.lower.is_none_or(|b| if b.inclusive { n >= b.value } else { n > b.value });
        let below = self.upper.is_none_or(|b| if b.inclusive { n <= b.value } else { n < b.value });
        above && below
    }
}

/// An event leaf as a number numeric matching can compare, if it is one.
pub(crate) fn comparable(leaf: &Value) -> Option<f64> {
    leaf.as_f64().filter(|n| n.abs() <= LIMIT)
}

/// Parses the array of a `numeric` expression, with Event Ruler's reasons.
pub(crate) fn parse(terms: &[Value]) -> Result<Range, String> {
    let mut rest = terms.iter();
    let op = match rest.next() {
        Some(Value::String(op)) => op.as_str(),
        Some(other) => return Err(format!("Invalid member in numeric match: {other}")),
        None => return Err("Invalid member in numeric match: ]".to_string()),
    };
    let first = operand(op, rest.next())?;
    let range = match op {
        "=" => Range { lower: Some(inclusive(first)), upper: Some(inclusive(first)) },
        "<" => Range { lower: None, upper: Some(Bound { value: first, inclusive: false }) },
        "<=" => Range { lower: None, upper: Some(inclusive(first)) },
        ">" | ">=" => {
            let lower = Bound { value: first, inclusive: op == ">=" };
            match rest.next() {
                None => return Ok(Range { lower: Some(lower), upper: None }),
                Some(Value::String(top_op)) if top_op == "<" || top_op == "<=" => {
                    let top = operand(top_op, rest.next())?;
                    if rest.next().is_some() {
                        return Err("Too many terms in numeric range expression".to_string());
                    }
                    if top <= first {
                        return Err("Bottom must be less than top".to_string());
                    }
                    return Ok(Range {
                        lower: Some(lower),
                        upper: Some(Bound { value: top, inclusive: top_op == "<=" }),
                    });
                }
                Some(Value::String(other)) => return Err(format!("Bad numeric range operator: {other}")),
                Some(other) => return Err(format!("Bad value in numeric range: {other}")),
            }
        }
        other => return Err(format!("Unrecognized numeric range operator: {other}")),
    };
    if rest.next().is_some() {
        return Err("Too many elements in numeric expression".to_string());
    }
    Ok(range)
}

fn inclusive(value: f64) -> Bound {
    Bound { value, inclusive: true }
}

/// The number after an operator, within EventBridge's limits.
fn operand(op: &str, value: Option<&Value>) -> Result<f64, String> {
    let n = value.and_then(Value::as_f64).ok_or_else(|| format!("Value of {op} must be numeric"))?;
    if n.abs() > LIMIT {
        return Err("Value must be between -5.0E9 and 5.0E9, inclusive".to_string());
    }
    Ok(n)
}

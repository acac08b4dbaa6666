//! Properties of matching that must hold for any event: patterns built from an event match it,
//! complementary expressions never agree, ranges and wildcards mean what they say.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::Pattern;
use super::template::{Context, InputTransformer};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-cA-C./*-]{0,6}".prop_map(Value::String),
        (-1000i64..1000).prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

/// Events without arrays of objects: every leaf has one place, so paths name it unambiguously.
fn plain_event() -> impl Strategy<Value = Value> {
    let value = scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(scalar(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map("[a-d]", value, 0..5).prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Any JSON at all, arrays of objects included.
fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-d$]|prefix|numeric|exists|anything-but|\\$or", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A pattern asking for every leaf of `event` exactly; `None` when there is nothing to ask.
fn exact_pattern(event: &Map<String, Value>) -> Option<Value> {
    let mut pattern = Map::new();
    for (name, value) in event {
        let field = match value {
            Value::Object(inner) => exact_pattern(inner),
            Value::Array(items) if items.is_empty() => None,
            Value::Array(items) => Some(Value::Array(items.clone())),
            leaf => Some(json!([leaf])),
        };
        if let Some(field) = field {
            pattern.insert(name.clone(), field);
        }
    }
    (!pattern.is_empty()).then_some(Value::Object(pattern))
}

/// `{a: {b: {c: inner}}}` for the path `a.b.c`.
fn nest(path: &[String], inner: Value) -> Value {
    path.iter().rev().fold(inner, |acc, key| json!({ key.clone(): acc }))
}

fn parsed(value: &Value) -> Pattern {
    Pattern::from_value(value).unwrap_or_else(|e| panic!("{value}: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_pattern_of_the_events_own_values_matches_it(event in plain_event()) {
        let Some(pattern) = event.as_object().and_then(exact_pattern) else {
            return Ok(());
        };
        prop_assert!(parsed(&pattern).matches(&event), "{pattern} vs {event}");
    }

    #[test]
    fn exists_true_and_false_never_agree(event in plain_event(), path in prop::collection::vec("[a-d]", 1..4)) {
        let present = parsed(&nest(&path, json!([{"exists": true}]))).matches(&event);
        let absent = parsed(&nest(&path, json!([{"exists": false}]))).matches(&event);
        prop_assert_ne!(present, absent, "{:?} in {}", path, event);
    }

    #[test]
    fn anything_but_is_the_opposite_of_exact(leaf in scalar(), excluded in scalar()) {
        prop_assume!(excluded.is_string() || excluded.is_number());
        let event = json!({"f": leaf});
        let exact = parsed(&json!({"f": [excluded]})).matches(&event);
        let other = parsed(&json!({"f": [{"anything-but": excluded}]})).matches(&event);
        prop_assert_ne!(exact, other, "{} vs {}", excluded, event);
    }

    #[test]
    fn prefixes_and_suffixes_of_a_value_match_it(s in "[a-c]{1,8}", cut in 0usize..8) {
        let cut = cut.min(s.len());
        let (head, tail) = s.split_at(cut);
        let event = json!({"f": s.clone()});
        let prefix = parsed(&json!({"f": [{"prefix": head}]})).matches(&event);
        prop_assert!(prefix, "prefix {} of {}", head, s);
        let suffix = parsed(&json!({"f": [{"suffix": tail}]})).matches(&event);
        prop_assert!(suffix, "suffix {} of {}", tail, s);
        if !head.is_empty() {
            let excluded = parsed(&json!({"f": [{"anything-but": {"prefix": head}}]})).matches(&event);
            prop_assert!(!excluded, "anything-but prefix {} of {}", head, s);
        }
        let other = format!("{head}x");
        let starts = s.starts_with(&other);
        prop_assert_eq!(parsed(&json!({"f": [{"prefix": other.clone()}]})).matches(&event), starts);
        prop_assert_eq!(parsed(&json!({"f": [{"anything-but": {"prefix": other}}]})).matches(&event), !starts);
    }

    #[test]
    fn numeric_ranges_agree_with_comparisons(
        a in -1000.0f64..1000.0,
        width in 0.001f64..500.0,
        x in -1500.0f64..1500.0,
        lower_inclusive in any::<bool>(),
        upper_inclusive in any::<bool>(),
    ) {
        let b = a + width;
        let (lo, hi) = (if lower_inclusive { ">=" } else { ">" }, if upper_inclusive { "<=" } else { "<" });
        let pattern = parsed(&json!({"n": [{"numeric": [lo, a, hi, b]}]}));
        let above = if lower_inclusive { x >= a } else { x > a };
        let below = if upper_inclusive { x <= b } else { x < b };
        prop_assert_eq!(pattern.matches(&json!({"n": x})), above && below);
        prop_assert!(!pattern.matches(&json!({"n": x.to_string()})), "a numeric string is not a number");
        let equal = parsed(&json!({"n": [{"numeric": ["=", x]}]}));
        let same = equal.matches(&json!({"n": x}));
        prop_assert!(same, "= {}", x);
    }

    #[test]
    fn wildcards_made_from_a_value_match_it(s in "[a-c*\\\\]{0,10}", cuts in prop::collection::vec(any::<bool>(), 0..10)) {
        // Escape the value, then let some runs of it become stars.
        let mut wildcard = String::new();
        let mut starred = false;
        for (i, c) in s.chars().enumerate() {
            if cuts.get(i).copied().unwrap_or(false) {
                if !starred {
                    wildcard.push('*');
                    starred = true;
                }
                continue;
            }
            if c == '*' || c == '\\' {
                wildcard.push('\\');
            }
            wildcard.push(c);
            starred = false;
        }
        let event = json!({"f": s});
        prop_assert!(parsed(&json!({"f": [{"wildcard": wildcard.clone()}]})).matches(&event), "{}", wildcard);
        let excluded = parsed(&json!({"f": [{"anything-but": {"wildcard": wildcard.clone()}}]})).matches(&event);
        prop_assert!(!excluded, "anything-but {}", wildcard);
    }

    #[test]
    fn a_wildcard_without_stars_is_an_exact_match(s in "[a-c]{0,6}", t in "[a-c]{0,6}") {
        let event = json!({"f": t.clone()});
        prop_assert_eq!(parsed(&json!({"f": [{"wildcard": s.clone()}]})).matches(&event), s == t);
    }

    #[test]
    fn equals_ignore_case_ignores_only_case(s in "[a-zA-Z]{0,8}", flips in prop::collection::vec(any::<bool>(), 8)) {
        let recased: String = s
            .chars()
            .zip(flips.iter().chain(std::iter::repeat(&false)))
            .map(|(c, flip)| if *flip { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        let event = json!({"f": recased.clone()});
        let same = parsed(&json!({"f": [{"equals-ignore-case": s.clone()}]})).matches(&event);
        prop_assert!(same, "{} vs {}", s, recased);
        prop_assert_eq!(parsed(&json!({"f": [s.clone()]})).matches(&event), s == recased);
        let longer = parsed(&json!({"f": [{"equals-ignore-case": format!("{s}x")}]})).matches(&event);
        prop_assert!(!longer, "{}x vs {}", s, recased);
    }

    #[test]
    fn or_matches_when_a_branch_does(
        event in plain_event(),
        a in ("[a-d]", scalar()),
        b in ("[a-d]", scalar()),
    ) {
        let branch = |(name, value): &(String, Value)| json!({ name.clone(): [value.clone()] });
        let (first, second) = (branch(&a), branch(&b));
        let either = parsed(&json!({"$or": [first.clone(), second.clone()]})).matches(&event);
        prop_assert_eq!(either, parsed(&first).matches(&event) || parsed(&second).matches(&event));
    }

    #[test]
    fn anything_parses_or_fails_and_matching_never_panics(pattern in any_json(), event in any_json()) {
        if let Ok(p) = Pattern::from_value(&pattern) {
            let _ = p.matches(&event);
        }
        let _ = Pattern::parse(&pattern.to_string().replace('1', "\u{1}"));
    }

    #[test]
    fn transformed_strings_come_back_as_json(value in "[a-zA-Z0-9 ./:-]{0,12}", event in plain_event()) {
        let mut event = event;
        if let Value::Object(fields) = &mut event {
            fields.insert("v".to_string(), Value::String(value.clone()));
        }
        let paths = BTreeMap::from([("v".to_string(), "$.v".to_string())]);
        let transformer = InputTransformer::new(&paths, r#"{"x": <v>, "y": "<v>!", "plain": "<none>"}"#)
            .expect("valid transformer");
        let context = Context { rule_arn: "arn", rule_name: "r", ingestion_time: "t" };
        let rendered: Value = serde_json::from_str(&transformer.render(&event, &context)).expect("valid JSON");
        prop_assert_eq!(rendered, json!({"x": value.clone(), "y": format!("{value}!"), "plain": "<none>"}));
    }
}

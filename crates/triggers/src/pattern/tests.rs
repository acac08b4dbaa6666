//! Examples from EventBridge's documentation ("Event patterns", "Content filtering", "Input
//! transformation") and Event Ruler's, plus the edge cases that decide between readings.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::path::JsonPath;
use super::template::{Context, InputTransformer, TransformerError};
use super::{Pattern, PatternError};

fn pattern(value: Value) -> Pattern {
    Pattern::from_value(&value).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn matches(p: Value, event: &Value) -> bool {
    pattern(p).matches(event)
}

fn reason(p: &str) -> String {
    match Pattern::parse(p) {
        Ok(parsed) => panic!("{p} parsed as {parsed:?}"),
        Err(PatternError { reason }) => reason,
    }
}

/// The EC2 state-change event of the documentation, with the numeric fields Event Ruler's
/// examples use.
fn ec2_event() -> Value {
    json!({
        "version": "0",
        "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "012345679012",
        "time": "2017-10-02T16:24:49Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
        "detail": {
            "c-count": 5,
            "d-count": 3,
            "x-limit": 301.8,
            "source-ip": "10.0.0.33",
            "instance-id": "i-000000aaaaaa00000",
            "state": "running"
        }
    })
}

#[test]
fn documentation_simple_patterns() {
    let event = ec2_event();
    assert!(matches(json!({"source": ["aws.ec2"]}), &event));
    assert!(matches(json!({"source": ["aws.s3", "aws.ec2"]}), &event), "any value of the list");
    assert!(!matches(json!({"source": ["aws.s3"]}), &event));
    assert!(matches(
        json!({
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]}
        }),
        &event
    ));
    assert!(!matches(json!({"source": ["aws.ec2"], "detail": {"state": ["stopped"]}}), &event), "AND of fields");
    assert!(!matches(json!({"detail": {"missing": ["x"]}}), &event));
    assert!(!matches(json!({"detail": ["running"]}), &event), "an object is not a value");
}

#[test]
fn documentation_content_filters() {
    let event = ec2_event();
    assert!(matches(json!({"time": [{"prefix": "2017-10-02"}]}), &event));
    assert!(!matches(json!({"time": [{"prefix": "2017-10-03"}]}), &event));
    assert!(matches(json!({"source": [{"suffix": "ec2"}]}), &event));
    assert!(matches(json!({"source": [{"equals-ignore-case": "AWS.EC2"}]}), &event));
    assert!(matches(json!({"source": [{"prefix": {"equals-ignore-case": "AWS."}}]}), &event));
    assert!(matches(json!({"source": [{"suffix": {"equals-ignore-case": "EC2"}}]}), &event));
    assert!(!matches(json!({"source": [{"suffix": "EC2"}]}), &event), "case matters without ignore-case");
    assert!(matches(json!({"detail": {"state": [{"anything-but": "initializing"}]}}), &event));
    assert!(!matches(json!({"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}), &event));
    assert!(matches(json!({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}), &event));
    assert!(!matches(json!({"detail": {"c-count": [{"anything-but": 5}]}}), &event));
    assert!(!matches(json!({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}), &event));
    assert!(matches(json!({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}), &event));
    assert!(!matches(json!({"detail": {"state": [{"anything-but": {"suffix": "ing"}}]}}), &event));
    assert!(!matches(json!({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["RUNNING"]}}]}}), &event));
    assert!(!matches(json!({"detail": {"state": [{"anything-but": {"wildcard": "r*g"}}]}}), &event));
    assert!(matches(
        json!({"detail": {
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"numeric": ["=", 3.018e2]}]
        }}),
        &event
    ));
    assert!(!matches(json!({"detail": {"c-count": [{"numeric": [">", 5]}]}}), &event), "bounds are exclusive");
    assert!(matches(json!({"detail": {"c-count": [{"numeric": [">=", 5]}]}}), &event));
    assert!(matches(json!({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}), &event));
    assert!(!matches(json!({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}), &event));
    assert!(matches(json!({"detail": {"c-count": [{"exists": true}]}}), &event));
    assert!(matches(json!({"detail": {"c-count2": [{"exists": false}]}}), &event));
    assert!(!matches(json!({"detail": {"c-count": [{"exists": false}]}}), &event));
    assert!(matches(json!({"resources": [{"wildcard": "arn:aws:ec2:*:instance/i-*"}]}), &event));
    assert!(!matches(json!({"resources": [{"wildcard": "arn:aws:s3:*"}]}), &event));
}

#[test]
fn documentation_complex_example_and_or() {
    let event = ec2_event();
    let complex = json!({
        "time": [{"prefix": "2017-10-02"}],
        "detail": {
            "state": [{"anything-but": "initializing"}],
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"anything-but": [100, 200, 300]}],
            "source-ip": [{"cidr": "10.0.0.0/8"}]
        }
    });
    assert!(matches(complex, &event));
    let or = |second: Value| json!({"source": ["aws.ec2"], "$or": [{"detail-type": ["nope"]}, second]});
    assert!(matches(or(json!({"detail": {"state": ["running"]}})), &event));
    assert!(!matches(or(json!({"detail": {"state": ["stopped"]}})), &event));
    let nested = json!({"detail": {"$or": [
        {"c-count": [{"numeric": [">", 10]}]},
        {"d-count": [{"numeric": ["<", 10]}], "$or": [{"state": ["stopped"]}, {"instance-id": [{"prefix": "i-"}]}]}
    ]}});
    assert!(matches(nested, &event), "nested $or inside an $or branch");
}

#[test]
fn exact_values_keep_their_types() {
    let event = json!({"s": "5", "n": 5, "f": 5.0, "t": true, "z": null, "e": ""});
    assert!(matches(json!({"n": [5]}), &event));
    assert!(matches(json!({"f": [5]}), &event), "5 and 5.0 are the same number");
    assert!(!matches(json!({"s": [5]}), &event), "a number does not match a string");
    assert!(!matches(json!({"n": ["5"]}), &event), "a string does not match a number");
    assert!(matches(json!({"t": [true]}), &event));
    assert!(!matches(json!({"t": ["true"]}), &event));
    assert!(matches(json!({"z": [null]}), &event));
    assert!(!matches(json!({"missing": [null]}), &event), "null is not absence");
    assert!(matches(json!({"e": [""]}), &event), "the empty string is a value");
    assert!(matches(json!({"z": [{"exists": true}]}), &event), "a null leaf exists");
    assert!(matches(json!({"s": [{"anything-but": 5}]}), &event), "anything-but a number passes a string");
    assert!(matches(json!({"t": [{"anything-but": "x"}]}), &event), "anything-but passes other types");
    assert!(!matches(json!({"missing": [{"anything-but": "x"}]}), &event), "anything-but needs a value");
    assert!(!matches(json!({"s": [{"prefix": ""}], "n": [{"prefix": "5"}]}), &event), "prefix needs a string");
}

#[test]
fn arrays_match_any_element_and_keep_elements_together() {
    let event = json!({
        "resources": ["arn:a", "arn:b"],
        "nested": [["x"], ["y", ["z"]]],
        "empty": [],
        "employees": [
            {"firstName": "John", "lastName": "Doe"},
            {"firstName": "Anna", "lastName": "Smith"},
            [{"firstName": "Peter", "lastName": "Jones"}]
        ]
    });
    assert!(matches(json!({"resources": ["arn:c", "arn:b"]}), &event), "intersection is enough");
    assert!(!matches(json!({"resources": ["arn:c"]}), &event));
    assert!(matches(json!({"nested": ["z"]}), &event), "arrays of arrays are flattened");
    assert!(matches(json!({"resources": [{"anything-but": "arn:a"}]}), &event), "one element that is not arn:a");
    assert!(!matches(json!({"empty": [{"exists": true}]}), &event), "an empty array has no leaves");
    assert!(matches(json!({"empty": [{"exists": false}]}), &event));
    assert!(matches(json!({"employees": {"firstName": ["Anna"]}}), &event));
    assert!(matches(json!({"employees": {"firstName": ["Peter"], "lastName": ["Jones"]}}), &event));
    assert!(
        !matches(json!({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}), &event),
        "fields from different elements of one array do not match together"
    );
}

#[test]
fn exists_looks_at_leaves_only() {
    // Event Ruler's documented caveat: a field holding an object is not a leaf.
    let event = json!({"detail": {"state": "x", "c-count": {"c1": 100}}});
    assert!(matches(json!({"detail": {"c-count": [{"exists": false}]}}), &event));
    assert!(!matches(json!({"detail": {"c-count": [{"exists": true}]}}), &event));
    // A missing object: its fields are all absent.
    assert!(matches(json!({"nothing": {"here": [{"exists": false}]}}), &event));
    assert!(!matches(json!({"nothing": {"here": [{"exists": true}]}}), &event));
    assert!(matches(json!({"detail": {"state": {"deeper": [{"exists": false}]}}}), &event), "a leaf has no fields");
}

#[test]
fn numeric_ranges_and_limits() {
    let event = json!({"n": 10, "big": 6.0e9, "s": "10"});
    assert!(matches(json!({"n": [{"numeric": [">", 9.5, "<", 10.5]}]}), &event));
    assert!(!matches(json!({"n": [{"numeric": [">", 10, "<", 11]}]}), &event));
    assert!(matches(json!({"n": [{"numeric": [">", 9, "<=", 10]}]}), &event));
    assert!(!matches(json!({"s": [{"numeric": [">", 0]}]}), &event), "numeric needs a JSON number");
    assert!(!matches(json!({"big": [{"numeric": [">", 0]}]}), &event), "beyond 5e9 is not comparable");
    assert!(matches(json!({"big": [6.0e9]}), &event), "an exact number still matches");
}

#[test]
fn wildcards_and_their_escapes() {
    let event = json!({"path": "a/lib/b*c\\d", "plain": "abc"});
    assert!(matches(json!({"path": [{"wildcard": "*/lib/*"}]}), &event));
    assert!(matches(json!({"path": [{"wildcard": "*b\\*c\\\\d"}]}), &event), "escaped star and backslash");
    assert!(!matches(json!({"plain": [{"wildcard": "a\\*"}]}), &event), "an escaped star is literal");
    assert!(matches(json!({"plain": [{"wildcard": "*"}]}), &event));
    assert!(matches(json!({"plain": [{"wildcard": "a*b*c"}]}), &event), "stars may stand for nothing");
    assert!(!matches(json!({"plain": [{"wildcard": "a*c*b"}]}), &event));
    assert!(matches(json!({"plain": [{"wildcard": "abc"}]}), &event));
}

#[test]
fn code_commit_rule_of_the_codebuild_setup() {
    let rule = json!({
        "source": ["aws.codecommit"],
        "detail-type": ["CodeCommit Repository State Change"],
        "resources": ["arn:aws:codecommit:us-east-1:111111111111:some-repo"],
        "detail": {
            "event": ["referenceCreated", "referenceUpdated"],
            "referenceType": ["branch"],
            "referenceName": ["main"]
        }
    });
    let event = json!({
        "version": "0", "id": "3f7101d2", "detail-type": "CodeCommit Repository State Change",
        "source": "aws.codecommit", "account": "111111111111", "time": "2023-10-10T21:05:45Z",
        "region": "us-east-1", "resources": ["arn:aws:codecommit:us-east-1:111111111111:some-repo"],
        "detail": {
            "callerUserArn": "arn:aws:iam::111111111111:user/admin", "event": "referenceUpdated",
            "commitId": "f485fcc95a795517f279d0a877227e51208b0dfc",
            "oldCommitId": "a399698fbd740af9c78fb2dd7f667656b70646b6",
            "referenceFullName": "refs/heads/main", "referenceName": "main", "referenceType": "branch",
            "repositoryId": "280e6f04", "repositoryName": "some-repo"
        }
    });
    assert!(matches(rule.clone(), &event));
    let mut deleted = event.clone();
    deleted["detail"]["event"] = json!("referenceDeleted");
    assert!(!matches(rule.clone(), &deleted));
    let mut tag = event;
    tag["detail"]["referenceType"] = json!("tag");
    assert!(!matches(rule, &tag));
}

#[test]
fn invalid_patterns_say_why() {
    let cases = [
        ("[\"source\"]", "Filter is not an object"),
        ("{}", "Empty objects are not allowed"),
        (r#"{"source": "aws.ec2"}"#, "\"source\" must be an object or an array"),
        (r#"{"source": []}"#, "Empty arrays are not allowed"),
        (r#"{"detail": {}}"#, "Empty objects are not allowed"),
        (r#"{"a": [[1]]}"#, "Match value must be String, number, true, false, or null"),
        (r#"{"a": [{}]}"#, "Match expression name not found"),
        (r#"{"a": [{"prefix": "x", "suffix": "y"}]}"#, "Only one key allowed in match expression"),
        (r#"{"a": [{"prefix": 5}]}"#, "prefix match pattern must be a string"),
        (r#"{"a": [{"regex": "x"}]}"#, "Unrecognized match type regex"),
        (r#"{"a": [{"exists": "yes"}]}"#, "exists match pattern must be either true or false."),
        (r#"{"a": [{"numeric": 5}]}"#, "Value of numeric must be an array."),
        (r#"{"a": [{"numeric": [">", "x"]}]}"#, "Value of > must be numeric"),
        (r#"{"a": [{"numeric": ["~", 1]}]}"#, "Unrecognized numeric range operator: ~"),
        (r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#, "Bottom must be less than top"),
        (r#"{"a": [{"numeric": ["<", 5, ">", 1]}]}"#, "Too many elements in numeric expression"),
        (r#"{"a": [{"numeric": [">", 1, ">", 5]}]}"#, "Bad numeric range operator: >"),
        (r#"{"a": [{"numeric": [">", 6e9]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        (
            r#"{"a": [{"anything-but": [1, "x"]}]}"#,
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        (r#"{"a": [{"anything-but": [null]}]}"#, "Inside anything but list, start|null|boolean is not supported."),
        (r#"{"a": [{"anything-but": true}]}"#, "Value of anything-but must be an array or single string/number value."),
        (r#"{"a": [{"anything-but": {"prefix": ""}}]}"#, "Null prefix/suffix not allowed"),
        (r#"{"a": [{"anything-but": {"numeric": [">", 1]}}]}"#, "Unsupported anything-but pattern: numeric"),
        (r#"{"a": [{"wildcard": "a**b"}]}"#, "Consecutive wildcard characters at pos 1"),
        (r#"{"a": [{"wildcard": "a\\b"}]}"#, "Invalid escape character at pos 1"),
        (r#"{"a": [{"cidr": "10.0.0.0"}]}"#, "Malformed CIDR, one '/' required: 10.0.0.0"),
        (r#"{"a": [{"cidr": "10.0.0.0/33"}]}"#, "Nonstandard IP address: 10.0.0.0/33"),
        (r#"{"$or": [{"a": ["x"]}]}"#, "There must have at least 2 Objects in $or relationship."),
        (r#"{"$or": {"a": ["x"]}}"#, "It must be an Array followed with $or."),
        (r#"{"$or": [{"a": ["x"]}, "b"]}"#, "Only JSON object is allowed in array of $or relationship."),
        (
            r#"{"$or": [{"a": ["x"]}, {"prefix": ["y"]}]}"#,
            "prefix is Ruler reserved fieldName which cannot be used inside $or.",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(reason(text), expected, "{text}");
    }
    let syntax = Pattern::parse("{\"source\": [").expect_err("not JSON");
    assert!(syntax.to_string().starts_with("Event pattern is not valid. Reason: "), "{syntax}");
    assert!(syntax.reason.contains("EOF"), "{syntax}");
}

#[test]
fn json_paths_select_as_event_bridge_does() {
    let event =
        json!({"detail": {"state": "RUNNING", "items": [{"n": 1}, {"n": 2}], "a-b/c": true}, "resources": ["r0"]});
    let select = |p: &str| JsonPath::parse(p).unwrap_or_else(|e| panic!("{e}")).select(&event);
    assert_eq!(select("$"), Some(event.clone()));
    assert_eq!(select("$.detail.state"), Some(json!("RUNNING")));
    assert_eq!(select("$.resources[0]"), Some(json!("r0")));
    assert_eq!(select("$.detail.a-b/c"), Some(json!(true)));
    assert_eq!(select("$.detail.items[*].n"), Some(json!([1, 2])));
    assert_eq!(select("$.detail.items[1].n"), Some(json!(2)));
    assert_eq!(select("$.detail.*").map(|v| v.as_array().map(Vec::len)), Some(Some(3)));
    assert_eq!(select("$.detail.missing"), None);
    assert_eq!(select("$.resources[5]"), None);
    assert_eq!(select("$.detail.missing[*]"), Some(json!([])));
    for bad in ["detail", "$.", "$..a", "$['a']", "$[x]", "$.a[0", "$a", "$.a b"] {
        assert!(JsonPath::parse(bad).is_err(), "{bad} parsed");
    }
}

fn transformer(paths: &[(&str, &str)], template: &str) -> InputTransformer {
    let map: BTreeMap<String, String> = paths.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    InputTransformer::new(&map, template).unwrap_or_else(|e| panic!("{e}"))
}

const CONTEXT: Context<'static> = Context {
    rule_arn: "arn:aws:events:us-east-1:000000000000:rule/r",
    rule_name: "r",
    ingestion_time: "2015-11-11T21:29:55Z",
};

#[test]
fn input_transformer_documentation_examples() {
    let event = json!({
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
    });
    let paths = [("instance", "$.detail.instance-id"), ("state", "$.detail.state")];
    let render = |template: &str| transformer(&paths, template).render(&event, &CONTEXT);
    assert_eq!(render("\"<instance> is in state <state>\""), "\"i-0123456789 is in state RUNNING\"");
    assert_eq!(render("instance <instance> is in <state>"), "instance \"i-0123456789\" is in \"RUNNING\"");
    let json_template = r#"{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}"#;
    let rendered: Value = serde_json::from_str(&render(json_template)).expect("valid JSON");
    assert_eq!(rendered, json!({"instance": "i-0123456789", "state": [9, "RUNNING", true], "Transformed": "Yes"}));
    assert_eq!(render(r#""say \"<state>\"""#), r#""say \"RUNNING\"""#, "escaped quotes keep the string open");
    assert_eq!(
        render(r#"{"rule": <aws.events.rule-name>, "at": "<aws.events.event.ingestion-time>"}"#),
        r#"{"rule": "r", "at": "2015-11-11T21:29:55Z"}"#
    );
}

#[test]
fn input_transformer_values_missing_objects_and_unknown_placeholders() {
    let event = json!({"detail": {"n": 7, "obj": {"a": "b"}}, "id": "e1"});
    let paths = [("n", "$.detail.n"), ("obj", "$.detail.obj"), ("gone", "$.detail.gone")];
    let render = |template: &str| transformer(&paths, template).render(&event, &CONTEXT);
    assert_eq!(render("{\"n\": <n>, \"s\": \"<n>\"}"), "{\"n\": 7, \"s\": \"7\"}");
    assert_eq!(render("{\"o\": <obj>, \"s\": \"<obj>\"}"), "{\"o\": {\"a\":\"b\"}, \"s\": \"{a:b}\"}");
    assert_eq!(render("[<gone>] \"<gone>\""), "[] \"\"", "a variable the event lacks is replaced by nothing");
    assert_eq!(render("a <b> c <n"), "a <b> c <n", "no variable, no replacement");
    let whole: Value = serde_json::from_str(&render("<aws.events.event.json>")).expect("JSON");
    assert_eq!(whole, event);
    let without: Value = serde_json::from_str(&render("<aws.events.event>")).expect("JSON");
    assert_eq!(without, json!({"id": "e1"}));
}

#[test]
fn input_transformer_refuses_bad_keys_and_paths() {
    let make = |k: &str, v: &str| InputTransformer::new(&BTreeMap::from([(k.to_string(), v.to_string())]), "x");
    assert!(matches!(make("a.b", "$.a"), Err(TransformerError::BadKey(_))));
    assert!(matches!(make("", "$.a"), Err(TransformerError::BadKey(_))));
    let bad_path = make("a", "detail.a").expect_err("no $");
    assert!(bad_path.to_string().contains("detail.a is not a valid JSON path"), "{bad_path}");
    let many: BTreeMap<String, String> = (0..101).map(|i| (format!("k{i}"), "$".to_string())).collect();
    assert!(matches!(InputTransformer::new(&many, "x"), Err(TransformerError::TooMany(101))));
}

//! Buildspecs that must be rejected: each case pins the whole message
//! (CodeBuild's wording where known) and the line.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use kiln_buildspec::parse;

struct Case {
    name: &'static str,
    text: &'static str,
    /// The full `Display` text: message, ` at line L`, note.
    want: &'static str,
    line: Option<usize>,
}

const CASES: &[Case] = &[
    // --- version ---
    Case {
        name: "version missing",
        text: "phases:\n  build:\n    commands: [make]\n",
        want: "buildspec `version` is missing: expected 0.1 or 0.2, see documentation at line 1",
        line: Some(1),
    },
    Case {
        name: "version empty",
        text: "env: {}\nversion:\n",
        want: "buildspec `version` is missing: expected 0.1 or 0.2, see documentation at line 1",
        line: Some(1),
    },
    Case {
        name: "version 1.0 keeps its text",
        text: "# comment\nversion: 1.0\n",
        want: "invalid buildspec `version` specified: 1.0, see documentation at line 2",
        line: Some(2),
    },
    Case {
        name: "version 0.20 is not 0.2",
        text: "version: 0.20\n",
        want: "invalid buildspec `version` specified: 0.20, see documentation at line 1",
        line: Some(1),
    },
    Case {
        name: "version as a list",
        text: "version: [0.2]\n",
        want: "invalid buildspec `version` specified: found a list instead of 0.1 or 0.2, see documentation at line 1",
        line: Some(1),
    },
    // --- document shape ---
    Case { name: "empty text", text: "", want: "buildspec is empty", line: None },
    Case { name: "only comments", text: "# nothing\n\n", want: "buildspec is empty", line: None },
    Case { name: "explicit empty document", text: "---\n", want: "buildspec is empty", line: None },
    Case {
        name: "document is a list",
        text: "- version: 0.2\n",
        want: "buildspec must be a YAML mapping: found a list instead at line 1",
        line: Some(1),
    },
    Case {
        name: "document is a scalar",
        text: "hello\n",
        want: "buildspec must be a YAML mapping: found the scalar `hello` instead at line 1",
        line: Some(1),
    },
    Case {
        name: "invalid YAML: unclosed flow list",
        text: "version: 0.2\nphases:\n  build:\n    commands: [make, test\n",
        want: "unclosed bracket '[' at line 4",
        line: Some(4),
    },
    Case {
        name: "invalid YAML: tab indentation",
        text: "version: 0.2\nphases:\n\tbuild: {}\n",
        want: "tabs disallowed within this context (block indentation) at line 3",
        line: Some(3),
    },
    Case {
        name: "duplicate key",
        text: "version: 0.2\nenv:\n  variables:\n    A: 1\n    A: 2\n",
        want: "duplicate mapping key `A` is not allowed here at line 5",
        line: Some(5),
    },
    Case {
        name: "two documents",
        text: "version: 0.2\n---\nversion: 0.1\n",
        want: "only single YAML document expected but multiple found at line 3",
        line: Some(3),
    },
    Case {
        name: "unknown alias",
        text: "version: 0.2\nphases: *nowhere\n",
        want: "reference to unknown value at line 2",
        line: Some(2),
    },
    // --- phases ---
    Case {
        name: "unknown phase name (misindented artifacts)",
        text: "version: 0.2\nphases:\n  build:\n    commands: [make]\n  artifacts:\n    files: [x]\n",
        want: "Invalid buildspec phase name: artifacts. Expecting: build,install,post_build,pre_build at line 5",
        line: Some(5),
    },
    Case {
        name: "phase names are lower case",
        text: "version: 0.2\nphases:\n  postbuild:\n    commands: [x]\n",
        want: "Invalid buildspec phase name: postbuild. Expecting: build,install,post_build,pre_build at line 3",
        line: Some(3),
    },
    Case {
        name: "phases is a list",
        text: "version: 0.2\nphases:\n  - build\n",
        want: "Expected phases to be a mapping: found a list instead at line 3",
        line: Some(3),
    },
    Case {
        name: "unquoted colon-space in a command (CodeBuild's example)",
        text: "version: 0.2\n\nphases:\n  build:\n    commands:\n     - echo \"Hello: world\"\n",
        want: "Expected Commands[0] to be of string type: found subkeys instead at line 6, value of the key tag on line 5 might be empty",
        line: Some(6),
    },
    Case {
        name: "unquoted colon-space in a later command",
        text: "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      - echo FATAL: x\n",
        want: "Expected Commands[1] to be of string type: found subkeys instead at line 6, value of the key tag on line 5 might be empty",
        line: Some(6),
    },
    Case {
        name: "brace group reads as a flow mapping",
        text: "version: 0.2\nphases:\n  install:\n    commands:\n      - { echo hi; }\n",
        want: "Expected Commands[0] to be of string type: found subkeys instead at line 5, value of the key tag on line 4 might be empty",
        line: Some(5),
    },
    Case {
        name: "colon-space in finally",
        text: "version: 0.2\nphases:\n  build:\n    commands: [make]\n    finally:\n      - echo done: yes\n",
        want: "Expected Finally[0] to be of string type: found subkeys instead at line 6, value of the key tag on line 5 might be empty",
        line: Some(6),
    },
    Case {
        name: "nested list as a command",
        text: "version: 0.2\nphases:\n  build:\n    commands:\n      - - make\n",
        want: "Expected Commands[0] to be of string type: found a list instead at line 5",
        line: Some(5),
    },
    Case {
        name: "empty command item",
        text: "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n",
        want: "Expected Commands[1] to be of string type: found an empty value instead at line 6",
        line: Some(6),
    },
    Case {
        name: "commands as a single string",
        text: "version: 0.2\nphases:\n  build:\n    commands: make\n",
        want: "Expected phases/build/commands to be a list of strings: found the scalar `make` instead at line 4",
        line: Some(4),
    },
    Case {
        name: "phase body is a list",
        text: "version: 0.2\nphases:\n  build:\n    - make\n",
        want: "Expected phases/build to be a mapping: found a list instead at line 4",
        line: Some(4),
    },
    Case {
        name: "runtime-versions outside install",
        text: "version: 0.2\nphases:\n  build:\n    runtime-versions:\n      python: 3.12\n    commands: [make]\n",
        want: "runtime-versions is only allowed in the install phase, found in phases/build at line 4",
        line: Some(4),
    },
    Case {
        name: "nested runtime version",
        text: "version: 0.2\nphases:\n  install:\n    runtime-versions:\n      python:\n        - 3.12\n",
        want: "Expected phases/install/runtime-versions/python to be a scalar: found a list instead at line 6",
        line: Some(6),
    },
    Case {
        name: "run-as is a list",
        text: "version: 0.2\nphases:\n  build:\n    run-as: [a]\n",
        want: "Expected phases/build/run-as to be of string type: found a list instead at line 4",
        line: Some(4),
    },
    // --- on-failure ---
    Case {
        name: "on-failure unknown value",
        text: "version: 0.2\nphases:\n  build:\n    on-failure: IGNORE\n    commands: [make]\n",
        want: "Invalid on-failure value `IGNORE` in phases/build: expected ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex> or RETRY-<count>-<regex> at line 4",
        line: Some(4),
    },
    Case {
        name: "on-failure retry count too large",
        text: "version: 0.2\nphases:\n  pre_build:\n    on-failure: RETRY-101\n",
        want: "Invalid on-failure value `RETRY-101` in phases/pre_build: retry count 101 is out of range 0-100 at line 4",
        line: Some(4),
    },
    Case {
        name: "on-failure bad regex",
        text: "version: 0.2\nphases:\n  build:\n    on-failure: RETRY-2-[unclosed\n",
        want: "Invalid on-failure value `RETRY-2-[unclosed` in phases/build: `[unclosed` is not a valid regular expression at line 4",
        line: Some(4),
    },
    Case {
        name: "on-failure empty regex",
        text: "version: 0.2\nphases:\n  build:\n    on-failure: RETRY-\n",
        want: "Invalid on-failure value `RETRY-` in phases/build: the retry regex is empty at line 4",
        line: Some(4),
    },
    // --- env ---
    Case {
        name: "env variable with a nested map",
        text: "version: 0.2\nenv:\n  variables:\n    OK: 1\n    NESTED:\n      a: b\n",
        want: "Expected env/variables/NESTED to be a scalar: found subkeys instead at line 6",
        line: Some(6),
    },
    Case {
        name: "parameter-store value is a list",
        text: "version: 0.2\nenv:\n  parameter-store:\n    P: [a, b]\n",
        want: "Expected env/parameter-store/P to be a scalar: found a list instead at line 4",
        line: Some(4),
    },
    Case {
        name: "secrets-manager is a list",
        text: "version: 0.2\nenv:\n  secrets-manager:\n    - S\n",
        want: "Expected env/secrets-manager to be a mapping: found a list instead at line 4",
        line: Some(4),
    },
    Case {
        name: "env is a list",
        text: "version: 0.2\nenv:\n  - A=1\n",
        want: "Expected env to be a mapping: found a list instead at line 3",
        line: Some(3),
    },
    Case {
        name: "exported variable starting with AWS_",
        text: "version: 0.2\nenv:\n  exported-variables:\n    - IMAGE_TAG\n    - AWS_REGION\n",
        want: "Invalid exported variable `AWS_REGION` in env/exported-variables: variables starting with AWS_ or CODEBUILD_ cannot be exported at line 5",
        line: Some(5),
    },
    Case {
        name: "exported variable starting with CODEBUILD_",
        text: "version: 0.2\nenv:\n  exported-variables: [CODEBUILD_BUILD_ID]\n",
        want: "Invalid exported variable `CODEBUILD_BUILD_ID` in env/exported-variables: variables starting with AWS_ or CODEBUILD_ cannot be exported at line 3",
        line: Some(3),
    },
    Case {
        name: "exported-variables as a single name",
        text: "version: 0.2\nenv:\n  exported-variables: IMAGE_TAG\n",
        want: "Expected env/exported-variables to be a list of strings: found the scalar `IMAGE_TAG` instead at line 3",
        line: Some(3),
    },
    Case {
        name: "unsupported shell",
        text: "version: 0.2\nenv:\n  shell: zsh\n",
        want: "Unsupported shell `zsh` in env/shell: expected bash or /bin/sh at line 3",
        line: Some(3),
    },
    Case {
        name: "Windows shell",
        text: "version: 0.2\nenv:\n  shell: powershell.exe\n",
        want: "Unsupported shell `powershell.exe` in env/shell: Windows shells are not supported, expected bash or /bin/sh at line 3",
        line: Some(3),
    },
    Case {
        name: "git-credential-helper not a flag",
        text: "version: 0.2\nenv:\n  git-credential-helper: sometimes\n",
        want: "Invalid value `sometimes` for env/git-credential-helper: expected yes or no at line 3",
        line: Some(3),
    },
    Case {
        name: "proxy flag is a map",
        text: "version: 0.2\nproxy:\n  logs:\n    enabled: yes\n",
        want: "Expected proxy/logs to be yes or no: found subkeys instead at line 4",
        line: Some(4),
    },
    // --- artifacts, cache, reports ---
    Case {
        name: "artifacts without files",
        text: "version: 0.2\nartifacts:\n  name: out\n",
        want: "Missing required artifacts/files at line 3",
        line: Some(3),
    },
    Case {
        name: "artifacts with only secondary artifacts",
        text: "version: 0.2\nartifacts:\n  secondary-artifacts:\n    one:\n      files: [a]\n",
        want: "Missing required artifacts/files at line 3",
        line: Some(3),
    },
    Case {
        name: "artifacts files empty",
        text: "version: 0.2\nartifacts:\n  files:\n  name: out\n",
        want: "Missing required artifacts/files at line 3",
        line: Some(3),
    },
    Case {
        name: "secondary artifact without files",
        text: "version: 0.2\nartifacts:\n  files: [a]\n  secondary-artifacts:\n    second:\n      name: two\n",
        want: "Missing required artifacts/secondary-artifacts/second/files at line 6",
        line: Some(6),
    },
    Case {
        name: "artifact files item is a map",
        text: "version: 0.2\nartifacts:\n  files:\n    - out/*.jar\n    - path: x\n",
        want: "Expected artifacts/files[1] to be of string type: found subkeys instead at line 5",
        line: Some(5),
    },
    Case {
        name: "discard-paths not a flag",
        text: "version: 0.2\nartifacts:\n  files: [a]\n  discard-paths: maybe\n",
        want: "Invalid value `maybe` for artifacts/discard-paths: expected yes or no at line 4",
        line: Some(4),
    },
    Case {
        name: "enable-symlinks in a secondary artifact not a flag",
        text: "version: 0.2\nartifacts:\n  files: [a]\n  secondary-artifacts:\n    s:\n      files: [b]\n      enable-symlinks: 2\n",
        want: "Invalid value `2` for artifacts/secondary-artifacts/s/enable-symlinks: expected yes or no at line 7",
        line: Some(7),
    },
    Case {
        name: "cache without paths",
        text: "version: 0.2\ncache:\n  key: k\n",
        want: "Missing required cache/paths at line 3",
        line: Some(3),
    },
    Case {
        name: "cache action unknown",
        text: "version: 0.2\ncache:\n  paths: [a]\n  action: both\n",
        want: "Invalid value `both` for cache/action: expected restore or save at line 4",
        line: Some(4),
    },
    Case {
        name: "report without files",
        text: "version: 0.2\nreports:\n  unit:\n    base-directory: out\n",
        want: "Missing required reports/unit/files at line 4",
        line: Some(4),
    },
    Case {
        name: "report with an empty body",
        text: "version: 0.2\nreports:\n  unit:\n",
        want: "Missing required reports/unit/files at line 3",
        line: Some(3),
    },
    Case {
        name: "report file-format unknown",
        text: "version: 0.2\nreports:\n  unit:\n    files: [a.xml]\n    file-format: XUNIT\n",
        want: "Invalid file-format `XUNIT` in reports/unit: expected one of CUCUMBERJSON, JUNITXML, NUNITXML, NUNIT3XML, TESTNGXML, VISUALSTUDIOTRX, CLOVERXML, COBERTURAXML, JACOCOXML, SIMPLECOV at line 5",
        line: Some(5),
    },
    Case {
        name: "report discard-paths not a flag",
        text: "version: 0.2\nreports:\n  unit:\n    files: [a.xml]\n    discard-paths: [yes]\n",
        want: "Expected reports/unit/discard-paths to be yes or no: found a list instead at line 5",
        line: Some(5),
    },
    Case {
        name: "top-level run-as is a map",
        text: "version: 0.2\nrun-as:\n  user: x\n",
        want: "Expected run-as to be of string type: found subkeys instead at line 3",
        line: Some(3),
    },
];

#[test]
fn rejected_with_message_and_line() {
    let mut failures = Vec::new();
    for case in CASES {
        match parse(case.text) {
            Ok(spec) => failures.push(format!("{}: accepted: {spec:?}", case.name)),
            Err(err) => {
                let got = err.to_string();
                if got != case.want || err.line != case.line {
                    failures.push(format!(
                        "{}:\n   got  {got:?} (line {:?})\n   want {:?} (line {:?})",
                        case.name, err.line, case.want, case.line
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn subkeys_error_fields() {
    let err = parse("version: 0.2\nphases:\n  build:\n    commands:\n      - echo Step: 1\n").unwrap_err();
    assert_eq!(err.message, "Expected Commands[0] to be of string type: found subkeys instead");
    assert_eq!((err.line, err.column), (Some(5), Some(9)));
    assert_eq!(err.note.as_deref(), Some(", value of the key tag on line 4 might be empty"));
}

#[test]
fn too_large() {
    let mut text = String::from("version: 0.2\n");
    text.push_str(&"#".repeat(kiln_buildspec::MAX_BUILDSPEC_BYTES + 1 - text.len()));
    let err = parse(&text).unwrap_err();
    assert_eq!(err.to_string(), "buildspec is too large: 262145 bytes, the limit is 262144 bytes (256 KiB)");
    assert_eq!(err.line, None);
}

#[test]
fn too_many_commands_across_phases() {
    let mut text = String::from("version: 0.2\nphases:\n  build:\n    commands:\n");
    for i in 0..600 {
        text.push_str(&format!("      - echo {i}\n"));
    }
    text.push_str("  post_build:\n    finally:\n");
    for i in 0..401 {
        text.push_str(&format!("      - echo {i}\n"));
    }
    let err = parse(&text).unwrap_err();
    assert_eq!(
        err.message,
        "Too many commands: a buildspec may have at most 1000 (commands and finally of all phases together)"
    );
    // The 1,001st command: line 4 + 600 commands + 2 header lines + 401.
    assert_eq!(err.line, Some(4 + 600 + 2 + 401));
}

#[test]
fn billion_laughs_is_rejected_quickly() {
    let mut text = String::from("version: 0.2\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = i - 1;
        let refs = vec![format!("*x{prev}"); 10].join(", ");
        text.push_str(&format!("x{i}: &x{i} [{refs}]\n"));
    }
    text.push_str("phases:\n  build:\n    commands: *x9\n");
    let started = std::time::Instant::now();
    let err = parse(&text).unwrap_err();
    assert!(err.message.contains("too large or too complex"), "{err}");
    assert!(err.line.is_some());
    // Generous bound: only catches an expansion that ran away.
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn hostile_inputs_never_panic() {
    let inputs = [
        "\u{feff}",
        ":",
        "? [a, b]\n: c\n",
        "version: 0.2\nphases:\n  ? [a]\n  : b\n",
        "version: !!binary aGVsbG8=\n",
        "version: !!int x\n",
        "&a [*a]",
        "version: 0.2\nphases:\n  build:\n    commands: [\"\\uD800\"]\n",
        "version: 0.2\nenv:\n  variables:\n    ? - a\n    : b\n",
        "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - \"unterminated\n",
        "\0",
    ];
    for text in inputs {
        let _ = parse(text);
    }
}

#[test]
fn long_and_multiline_values_are_shown_short_on_one_line() {
    let long = "x".repeat(500);
    let err = parse(&format!("version: 0.2\nenv:\n  shell: {long}\n")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Unsupported shell `{}...` in env/shell: expected bash or /bin/sh at line 3", "x".repeat(60))
    );
    // A block scalar is placed where its text starts.
    let err = parse("version: 0.2\nphases:\n  build:\n    on-failure: |\n      RETRY\n      again\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid on-failure value `RETRY\\nagain\\n` in phases/build: expected ABORT, CONTINUE, RETRY, \
         RETRY-<count>, RETRY-<regex> or RETRY-<count>-<regex> at line 5"
    );
}

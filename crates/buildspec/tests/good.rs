//! Buildspecs CodeBuild accepts, and the values they parse to.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use kiln_buildspec::{
    Artifacts, Cache, CacheAction, OnFailure, Phase, Proxy, Report, Version, Warning, format_warnings, parse,
};

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The example from CodeBuild's buildspec reference, extended with every
/// key of the syntax section.
const FULL: &str = r#"version: 0.2

run-as: builder

env:
  shell: bash
  variables:
    JAVA_HOME: "/usr/lib/jvm/java-8-openjdk-amd64"
    PORT: 8080
    FLAG: true
    RATIO: 3.10
    EMPTY:
  parameter-store:
    LOGIN_PASSWORD: /CodeBuild/dockerLoginPassword
  secrets-manager:
    LOCAL_SECRET_VAR: "TestSecret:MY_SECRET_VAR"
    DB_PASS: prod/db:password:AWSCURRENT
  exported-variables:
    - IMAGE_TAG
    - BUILD_OUTCOME
  git-credential-helper: yes

proxy:
  upload-artifacts: yes
  logs: no

batch:
  fast-fail: false
  build-list:
    - identifier: linux
      env:
        compute-type: BUILD_GENERAL1_SMALL

phases:
  install:
    run-as: root
    on-failure: ABORT
    runtime-versions:
      java: corretto8
      python: 3.10
      ruby: "$MY_RUBY_VAR"
    commands:
      - echo Entered the install phase...
      - apt-get update -y
      - apt-get install -y maven
    finally:
      - echo This always runs even if the update or install command fails
  pre_build:
    on-failure: CONTINUE
    commands:
      - echo Entered the pre_build phase...
      - docker login -u User -p $LOGIN_PASSWORD
    finally:
      - echo This always runs even if the login command fails
  build:
    on-failure: RETRY-2-Connection reset
    commands:
      - echo Entered the build phase...
      - echo Build started on `date`
      - mvn install
    finally:
      - echo This always runs even if the install command fails
  post_build:
    on-failure: RETRY
    commands:
      - echo Entered the post_build phase...
      - echo Build completed on `date`

reports:
  arn:aws:codebuild:your-region:your-aws-account-id:report-group/report-group-name-1:
    files:
      - "**/*"
    base-directory: 'target/tests/reports'
    discard-paths: no
  reportGroupCucumberJson:
    files:
      - 'cucumber/target/cucumber-tests.xml'
    discard-paths: yes
    file-format: CucumberJson # default is JUNITXML
artifacts:
  files:
    - target/messageUtil-1.0.jar
  name: myname-$(date +%Y-%m-%d)
  discard-paths: yes
  base-directory: 'my-build*'
  exclude-paths:
    - '**/*.tmp'
  enable-symlinks: yes
  s3-prefix: builds
  secondary-artifacts:
    artifact1:
      files:
        - target/artifact-1.0.jar
      discard-paths: yes
    artifact2:
      files:
        - target/artifact-2.0.jar
      name: secondary-artifact-name-2
      base-directory: out
cache:
  key: npm-key-$(codebuild-hash-files package-lock.json)
  fallback-keys:
    - npm-key-
    - npm-
  action: restore
  paths:
    - '/root/.m2/**/*'
"#;

#[test]
fn full_reference_buildspec() {
    let spec = parse(FULL).unwrap();
    assert_eq!(spec.version, Version::V0_2);
    assert_eq!(spec.run_as.as_deref(), Some("builder"));

    let env = &spec.env;
    assert_eq!(env.shell.as_deref(), Some("bash"));
    assert_eq!(
        env.variables,
        pairs(&[
            ("JAVA_HOME", "/usr/lib/jvm/java-8-openjdk-amd64"),
            ("PORT", "8080"),
            ("FLAG", "true"),
            ("RATIO", "3.10"),
            ("EMPTY", ""),
        ])
    );
    assert_eq!(env.parameter_store, pairs(&[("LOGIN_PASSWORD", "/CodeBuild/dockerLoginPassword")]));
    assert_eq!(
        env.secrets_manager,
        pairs(&[("LOCAL_SECRET_VAR", "TestSecret:MY_SECRET_VAR"), ("DB_PASS", "prod/db:password:AWSCURRENT"),])
    );
    assert_eq!(env.exported_variables, strings(&["IMAGE_TAG", "BUILD_OUTCOME"]));
    assert!(env.git_credential_helper);
    assert_eq!(spec.proxy, Proxy { upload_artifacts: true, logs: false });

    assert_eq!(
        spec.phases.install,
        Some(Phase {
            run_as: Some("root".into()),
            on_failure: Some(OnFailure::Abort),
            runtime_versions: pairs(&[("java", "corretto8"), ("python", "3.10"), ("ruby", "$MY_RUBY_VAR"),]),
            commands: strings(&["echo Entered the install phase...", "apt-get update -y", "apt-get install -y maven",]),
            finally: strings(&["echo This always runs even if the update or install command fails"]),
        })
    );
    let pre_build = spec.phases.pre_build.as_ref().unwrap();
    assert_eq!(pre_build.on_failure, Some(OnFailure::Continue));
    assert_eq!(pre_build.commands.len(), 2);
    let build = spec.phases.build.as_ref().unwrap();
    assert_eq!(build.on_failure, Some(OnFailure::Retry { count: 2, pattern: Some("Connection reset".into()) }));
    assert_eq!(build.commands[1], "echo Build started on `date`");
    let post_build = spec.phases.post_build.as_ref().unwrap();
    assert_eq!(post_build.on_failure, Some(OnFailure::Retry { count: 3, pattern: None }));
    assert!(post_build.finally.is_empty());
    let order: Vec<&str> = spec.phases_in_order().map(|(name, _)| name).collect();
    assert_eq!(order, ["INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD"]);

    assert_eq!(
        spec.reports,
        vec![
            (
                "arn:aws:codebuild:your-region:your-aws-account-id:report-group/report-group-name-1".to_owned(),
                Report {
                    files: strings(&["**/*"]),
                    base_directory: Some("target/tests/reports".into()),
                    discard_paths: false,
                    file_format: "JUNITXML".into(),
                }
            ),
            (
                "reportGroupCucumberJson".to_owned(),
                Report {
                    files: strings(&["cucumber/target/cucumber-tests.xml"]),
                    base_directory: None,
                    discard_paths: true,
                    file_format: "CUCUMBERJSON".into(),
                }
            ),
        ]
    );

    assert_eq!(
        spec.artifacts,
        Some(Artifacts {
            files: strings(&["target/messageUtil-1.0.jar"]),
            name: Some("myname-$(date +%Y-%m-%d)".into()),
            discard_paths: true,
            base_directory: Some("my-build*".into()),
            exclude_paths: strings(&["**/*.tmp"]),
            enable_symlinks: true,
            s3_prefix: Some("builds".into()),
            secondary_artifacts: vec![
                (
                    "artifact1".into(),
                    Artifacts {
                        files: strings(&["target/artifact-1.0.jar"]),
                        discard_paths: true,
                        ..Artifacts::default()
                    }
                ),
                (
                    "artifact2".into(),
                    Artifacts {
                        files: strings(&["target/artifact-2.0.jar"]),
                        name: Some("secondary-artifact-name-2".into()),
                        base_directory: Some("out".into()),
                        ..Artifacts::default()
                    }
                ),
            ],
        })
    );
    assert_eq!(
        spec.cache,
        Some(Cache {
            paths: strings(&["/root/.m2/**/*"]),
            key: Some("npm-key-$(codebuild-hash-files package-lock.json)".into()),
            fallback_keys: strings(&["npm-key-", "npm-"]),
            action: Some(CacheAction::Restore),
        })
    );
    // `batch` is known: no warning for it or anything inside it.
    assert_eq!(spec.warnings, []);
}

#[test]
fn minimal_buildspecs() {
    let spec = parse("version: 0.2\nphases:\n  build:\n    commands:\n      - make\n").unwrap();
    assert_eq!(spec.version, Version::V0_2);
    let build = spec.phases.build.unwrap();
    assert_eq!(build.commands, ["make"]);
    assert_eq!(build.on_failure, None);
    assert_eq!(spec.phases.install, None);
    assert_eq!(spec.artifacts, None);
    assert_eq!(spec.env, Default::default());
    assert_eq!(spec.reports, []);

    // Only a version: nothing to run, nothing wrong.
    let spec = parse("version: 0.2\n").unwrap();
    assert_eq!(spec.phases, Default::default());

    // A phase with no body is present and empty; empty sections are absent.
    let spec = parse("version: 0.2\nphases:\n  install:\n  build:\n    commands:\ncache:\nenv:\n").unwrap();
    assert_eq!(spec.phases.install, Some(Phase::default()));
    assert_eq!(spec.phases.build, Some(Phase::default()));
    assert_eq!(spec.cache, None);

    // Flow style and quoted version are the same document.
    let spec = parse(r#"{version: "0.2", phases: {build: {commands: [make, "make test"]}}}"#).unwrap();
    assert_eq!(spec.phases.build.unwrap().commands, ["make", "make test"]);
}

#[test]
fn version_0_1() {
    let text = "version: 0.1\n\
                phases:\n  build:\n    commands:\n      - cd src\n      - make\n\
                artifacts:\n  files:\n    - '**/*'\n";
    let spec = parse(text).unwrap();
    assert_eq!(spec.version, Version::V0_1);
    assert_eq!(spec.version.to_string(), "0.1");
    assert_eq!(spec.phases.build.unwrap().commands, ["cd src", "make"]);
    assert_eq!(spec.artifacts.unwrap().files, ["**/*"]);
}

#[test]
fn scalar_commands_keep_their_text() {
    let text = "version: 0.2\nphases:\n  build:\n    commands:\n      - true\n      - 42\n      - 1.50\n      - yes\n      - \"echo FATAL: x\"\n      - 'echo a: b'\n      - |\n        if true; then\n          echo ok\n        fi\n      - >-\n        echo folded\n        line\n";
    let commands = parse(text).unwrap().phases.build.unwrap().commands;
    assert_eq!(
        commands,
        [
            "true",
            "42",
            "1.50",
            "yes",
            "echo FATAL: x",
            "echo a: b",
            "if true; then\n  echo ok\nfi\n",
            "echo folded line",
        ]
    );
}

#[test]
fn anchors_aliases_and_merges() {
    let text = r#"version: 0.2
env:
  variables: &vars
    REGION: eu-west-1
    PORT: 8080
phases:
  pre_build:
    commands: &login
      - echo login
      - 3.10
  build:
    commands: *login
reports:
  base: &report
    files: [out.xml]
    file-format: junitxml
  merged:
    <<: *report
    discard-paths: yes
"#;
    let spec = parse(text).unwrap();
    assert_eq!(spec.env.variables, pairs(&[("REGION", "eu-west-1"), ("PORT", "8080")]));
    assert_eq!(spec.phases.build.unwrap().commands, ["echo login", "3.10"]);
    let (name, merged) = &spec.reports[1];
    assert_eq!(name, "merged");
    assert_eq!(merged.files, ["out.xml"]);
    assert_eq!(merged.file_format, "JUNITXML");
    assert!(merged.discard_paths);
}

#[test]
fn flags_and_lenient_path_lists() {
    let text = "version: 0.2\nenv:\n  git-credential-helper: True\nproxy:\n  logs: on\n\
                artifacts:\n  files: '**/*'\n  discard-paths: false\n  exclude-paths: '*.log'\n\
                cache:\n  paths: node_modules/**/*\n  action: SAVE\n";
    let spec = parse(text).unwrap();
    assert!(spec.env.git_credential_helper);
    assert!(spec.proxy.logs);
    assert!(!spec.proxy.upload_artifacts);
    let artifacts = spec.artifacts.unwrap();
    assert_eq!(artifacts.files, ["**/*"]);
    assert_eq!(artifacts.exclude_paths, ["*.log"]);
    assert!(!artifacts.discard_paths);
    let cache = spec.cache.unwrap();
    assert_eq!(cache.paths, ["node_modules/**/*"]);
    assert_eq!(cache.action, Some(CacheAction::Save));
}

#[test]
fn shells_and_exports_that_are_allowed() {
    let spec = parse("version: 0.2\nenv:\n  shell: /bin/sh\n  exported-variables: [MY_AWS_VAR, CODEBUILDX]\n").unwrap();
    assert_eq!(spec.env.shell.as_deref(), Some("/bin/sh"));
    assert_eq!(spec.env.exported_variables, ["MY_AWS_VAR", "CODEBUILDX"]);
}

#[test]
fn unknown_keys_are_ignored_with_warnings() {
    let text = "version: 0.2\n\
                artifact:\n  files: [a]\n\
                env:\n  compute-type: BUILD_GENERAL1_SMALL\n\
                phases:\n  build:\n    env: x\n    commands: [make]\n  pre_build:\n    steps: []\n\
                artifacts:\n  files: [a]\n  type: zip\n";
    let spec = parse(text).unwrap();
    assert_eq!(spec.phases.build.unwrap().commands, ["make"]);
    assert_eq!(
        spec.warnings,
        [
            Warning { section: "root".into(), keys: vec!["artifact".into()], line: 2 },
            Warning { section: "env".into(), keys: vec!["compute-type".into()], line: 5 },
            Warning { section: "BUILD".into(), keys: vec!["env".into()], line: 8 },
            Warning { section: "PRE_BUILD".into(), keys: vec!["steps".into()], line: 11 },
            Warning { section: "artifacts".into(), keys: vec!["type".into()], line: 14 },
        ]
    );
    let log = format_warnings(&spec.warnings).unwrap();
    assert!(log.starts_with("Found possible syntax errors in buildspec:\nIn the section root\n"));
    assert!(log.ends_with("In the section artifacts\n    The following keys cannot be identified:\n        type"));
}

#[test]
fn every_report_format_is_accepted() {
    for format in kiln_buildspec::REPORT_FILE_FORMATS {
        let lower = format.to_ascii_lowercase();
        let text = format!("version: 0.2\nreports:\n  r:\n    files: [x]\n    file-format: {lower}\n");
        assert_eq!(parse(&text).unwrap().reports[0].1.file_format, format);
    }
}

#[test]
fn limits_are_inclusive() {
    let mut text = String::from("version: 0.2\nphases:\n  build:\n    commands:\n");
    for i in 0..kiln_buildspec::MAX_COMMANDS {
        text.push_str(&format!("      - echo {i}\n"));
    }
    assert_eq!(parse(&text).unwrap().phases.build.unwrap().commands.len(), 1000);

    let mut text = String::from("version: 0.2\n");
    text.push_str(&"#".repeat(kiln_buildspec::MAX_BUILDSPEC_BYTES - text.len()));
    assert_eq!(text.len(), kiln_buildspec::MAX_BUILDSPEC_BYTES);
    assert!(parse(&text).is_ok());
}

#[test]
fn byte_order_mark_and_crlf_line_ends() {
    let text = "\u{feff}version: 0.2\r\nphases:\r\n  build:\r\n    commands:\r\n      - make\r\n      - echo a\r\n";
    let spec = parse(text).unwrap();
    assert_eq!(spec.phases.build.unwrap().commands, ["make", "echo a"]);
}

#[test]
fn explicit_keys_override_merged_ones() {
    let text = "version: 0.2\nreports:\n  base: &r\n    files: [a.xml]\n    discard-paths: yes\n  \
                other:\n    <<: *r\n    files: [b.xml]\n";
    let spec = parse(text).unwrap();
    let other = &spec.reports[1].1;
    assert_eq!(other.files, ["b.xml"]);
    assert!(other.discard_paths);
}

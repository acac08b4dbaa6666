//! Bad input of every format is an error, never a panic: garbage, empty
//! files, every truncated prefix of a valid file, and single-byte damage.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use kiln_reports::{ParseError, ReportFormat, parse};

/// One small valid file per format, ending in its closing bracket or tag.
fn fixture(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::JunitXml => {
            r#"<?xml version="1.0"?><testsuites><testsuite name="s"><testcase classname="c" name="a" time="0.1"><failure message="m">trace</failure></testcase><testcase name="b"><skipped/></testcase></testsuite></testsuites>"#
        }
        ReportFormat::CucumberJson => {
            r#"[{"name":"F","elements":[{"name":"S","type":"scenario","steps":[{"result":{"status":"failed","duration":5,"error_message":"é"}}]}]}]"#
        }
        ReportFormat::TestNgXml => {
            r#"<testng-results><suite name="s"><test name="t"><class name="C"><test-method name="m" status="FAIL" duration-ms="3"><exception class="E"><message><![CDATA[boom]]></message></exception></test-method></class></test></suite></testng-results>"#
        }
        ReportFormat::NunitXml => {
            r#"<test-results><test-suite name="S"><results><test-case name="N.C.m" result="Failure" time="0.1"><failure><message>x</message></failure></test-case></results></test-suite></test-results>"#
        }
        ReportFormat::Nunit3Xml => {
            r#"<test-run><test-suite type="TestFixture" name="C"><test-case fullname="N.C.m" classname="N.C" result="Passed" duration="0.1"/></test-suite></test-run>"#
        }
        ReportFormat::VisualStudioTrx => {
            r#"<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><Results><UnitTestResult testId="1" testName="m" outcome="Passed" duration="00:00:01"/></Results><TestDefinitions><UnitTest id="1"><TestMethod className="N.C"/></UnitTest></TestDefinitions></TestRun>"#
        }
    }
}

#[test]
fn fixtures_parse() {
    for format in ReportFormat::ALL {
        let cases = parse(format, fixture(format).as_bytes()).unwrap();
        assert!(!cases.is_empty(), "{format}");
    }
}

#[test]
fn every_truncated_prefix_is_an_error() {
    for format in ReportFormat::ALL {
        let bytes = fixture(format).as_bytes();
        for len in 0..bytes.len() {
            let result = parse(format, &bytes[..len]);
            // Cutting off the closing bracket or tag always breaks the file.
            assert!(result.is_err(), "{format} prefix of {len} bytes parsed: {result:?}");
        }
    }
}

#[test]
fn single_byte_damage_never_panics() {
    let replacements = [b'<', b'>', b'"', b'\'', b'&', b'[', b'{', b'}', b'/', 0, 0xFF, 0xC3];
    for format in ReportFormat::ALL {
        let bytes = fixture(format).as_bytes();
        for at in 0..bytes.len() {
            for replacement in replacements {
                let mut damaged = bytes.to_vec();
                damaged[at] = replacement;
                // Either outcome is fine; reaching the next line means no panic.
                let _ = parse(format, &damaged);
            }
        }
    }
}

#[test]
fn empty_and_blank_files_are_empty_errors() {
    for format in ReportFormat::ALL {
        for bytes in [&b""[..], b"  \n\t ", b"\xEF\xBB\xBF"] {
            assert_eq!(parse(format, bytes).unwrap_err(), ParseError::Empty { format }, "{format} {bytes:?}");
        }
    }
}

#[test]
fn garbage_is_an_error_naming_the_format() {
    for format in ReportFormat::ALL {
        for bytes in [&b"not a report"[..], b"\xFF\xD8\xFF\xE0 jpeg", b"{\"a\":1}", b"<html><body/></html>"] {
            let err = parse(format, bytes).unwrap_err();
            assert!(err.to_string().starts_with(format.as_str()), "{err}");
        }
    }
}

#[test]
fn every_xml_format_rejects_the_others_roots() {
    let xml = [
        ReportFormat::JunitXml,
        ReportFormat::TestNgXml,
        ReportFormat::NunitXml,
        ReportFormat::Nunit3Xml,
        ReportFormat::VisualStudioTrx,
    ];
    for parser in xml {
        for other in xml.into_iter().filter(|&other| other != parser) {
            let err = parse(parser, fixture(other).as_bytes()).unwrap_err();
            assert!(matches!(err, ParseError::WrongRoot { .. }), "{parser} on {other}: {err}");
        }
    }
}

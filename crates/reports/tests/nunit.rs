//! NUnit 2 and NUnit 3 result files.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use kiln_reports::{ParseError, ReportFormat, TestStatus, parse};

/// NUnit 2.6's own sample shape (MockTestFixture), trimmed.
const NUNIT2: &str = r#"<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!--This file represents the results of running a test suite-->
<test-results name="mock-assembly.dll" total="6" errors="1" failures="1" not-run="2" inconclusive="1" ignored="1" skipped="0" invalid="1" date="2024-05-01" time="10:00:00">
  <environment nunit-version="2.6.4.14350" clr-version="2.0.50727.8009" os-version="Microsoft Windows NT 6.2.9200.0" platform="Win32NT" cwd="C:\build" machine-name="BUILD" user="ci" user-domain="BUILD" />
  <culture-info current-culture="en-US" current-uiculture="en-US" />
  <test-suite type="Assembly" name="mock-assembly.dll" executed="True" result="Failure" success="False" time="0.094" asserts="0">
    <results>
      <test-suite type="Namespace" name="NUnit" executed="True" result="Failure" success="False" time="0.094" asserts="0">
        <results>
          <test-suite type="TestFixture" name="MockTestFixture" description="Fake Test Fixture" executed="True" result="Failure" success="False" time="0.031" asserts="0">
            <results>
              <test-case name="NUnit.Tests.Assemblies.MockTestFixture.FailingTest" executed="True" result="Failure" success="False" time="0.013" asserts="0">
                <failure>
                  <message><![CDATA[Intentional failure]]></message>
                  <stack-trace><![CDATA[at NUnit.Tests.Assemblies.MockTestFixture.FailingTest()
]]></stack-trace>
                </failure>
              </test-case>
              <test-case name="NUnit.Tests.Assemblies.MockTestFixture.MockTest1" description="Mock Test #1" executed="True" result="Success" success="True" time="0.000" asserts="0" />
              <test-case name="NUnit.Tests.Assemblies.MockTestFixture.MockTest4" executed="False" result="Ignored">
                <reason>
                  <message><![CDATA[ignoring this test method for now]]></message>
                </reason>
              </test-case>
              <test-case name="NUnit.Tests.Assemblies.MockTestFixture.NotRunnableTest" executed="False" result="NotRunnable">
                <reason>
                  <message><![CDATA[No arguments were provided
]]></message>
                </reason>
              </test-case>
              <test-case name="NUnit.Tests.Assemblies.MockTestFixture.TestWithException" executed="True" result="Error" success="False" time="0.002" asserts="0">
                <failure>
                  <message><![CDATA[System.ApplicationException : Intentional Exception]]></message>
                  <stack-trace><![CDATA[at NUnit.Tests.Assemblies.MockTestFixture.MethodThrowsException()
at NUnit.Tests.Assemblies.MockTestFixture.TestWithException()
]]></stack-trace>
                </failure>
              </test-case>
              <test-case name="NUnit.Tests.Assemblies.MockTestFixture.InconclusiveTest" executed="True" result="Inconclusive" success="False" time="0.001" asserts="0" />
              <test-case name="NUnit.Tests.Assemblies.MockTestFixture.Sums(1,&quot;a.b&quot;)" executed="True" result="Success" success="True" time="1.5" asserts="1" />
            </results>
          </test-suite>
        </results>
      </test-suite>
    </results>
  </test-suite>
</test-results>
"#;

#[test]
fn nunit2_report_matches_codebuilds_own_example() {
    let cases = parse(ReportFormat::NunitXml, NUNIT2.as_bytes()).unwrap();
    let got: Vec<_> = cases.iter().map(|c| (c.name.rsplit('.').next().unwrap(), c.status, c.duration_nanos)).collect();
    assert_eq!(
        got,
        [
            ("FailingTest", TestStatus::Failed, 13_000_000),
            ("MockTest1", TestStatus::Succeeded, 0),
            ("MockTest4", TestStatus::Skipped, 0),
            ("NotRunnableTest", TestStatus::Error, 0),
            ("TestWithException", TestStatus::Error, 2_000_000),
            ("InconclusiveTest", TestStatus::Unknown, 1_000_000),
            ("b\")", TestStatus::Succeeded, 1_500_000_000),
        ]
    );
    for case in &cases {
        assert_eq!(case.test_suite_name, "MockTestFixture");
        assert_eq!(case.prefix, "NUnit.Tests.Assemblies.MockTestFixture", "{}", case.name);
    }
    assert_eq!(cases[3].name, "NUnit.Tests.Assemblies.MockTestFixture.NotRunnableTest");
    assert_eq!(cases[3].message.as_deref(), Some("No arguments were provided"));
    assert_eq!(
        cases[4].message.as_deref(),
        Some(
            "System.ApplicationException : Intentional Exception\nat NUnit.Tests.Assemblies.MockTestFixture.MethodThrowsException()\nat NUnit.Tests.Assemblies.MockTestFixture.TestWithException()"
        )
    );
    assert_eq!(cases[2].message.as_deref(), Some("ignoring this test method for now"));
    assert_eq!(cases[1].message, None);
}

#[test]
fn nunit2_without_result_uses_executed_and_success() {
    let xml = r#"<test-results><test-suite name="S"><results>
        <test-case name="A" executed="True" success="True"/>
        <test-case name="B" executed="True" success="False"/>
        <test-case name="C" executed="False"/>
        <test-case name="D"/>
    </results></test-suite></test-results>"#;
    let cases = parse(ReportFormat::NunitXml, xml.as_bytes()).unwrap();
    let got: Vec<_> = cases.iter().map(|c| c.status).collect();
    assert_eq!(got, [TestStatus::Succeeded, TestStatus::Failed, TestStatus::Skipped, TestStatus::Unknown]);
    assert_eq!(cases[0].prefix, "S", "an undotted name falls back to the suite");
}

const NUNIT3: &str = r#"<?xml version="1.0" encoding="utf-8" standalone="no"?>
<test-run id="0" runstate="Runnable" testcasecount="6" result="Failed" total="6" passed="2" failed="2" warnings="0" inconclusive="1" skipped="1" asserts="3" engine-version="3.16.3.0" clr-version="6.0.25" start-time="2024-05-01 10:00:00Z" end-time="2024-05-01 10:00:02Z" duration="1.73">
  <command-line><![CDATA[dotnet test --logger nunit]]></command-line>
  <test-suite type="Assembly" id="0-1009" name="Shop.Tests.dll" fullname="/src/Shop.Tests/bin/Shop.Tests.dll" runstate="Runnable" testcasecount="6" result="Failed" site="Child" duration="1.7" total="6" passed="2" failed="2" warnings="0" inconclusive="1" skipped="1" asserts="3">
    <environment framework-version="3.13.3.0" clr-version="6.0.25" os-version="Unix 5.15" platform="Unix" cwd="/src" machine-name="build" user="root" user-domain="build" culture="en-US" uiculture="en-US" os-architecture="x64" />
    <test-suite type="TestSuite" id="0-1010" name="Shop" fullname="Shop" runstate="Runnable" testcasecount="6" result="Failed" duration="1.7">
      <test-suite type="TestFixture" id="0-1000" name="CartTests" fullname="Shop.Tests.CartTests" classname="Shop.Tests.CartTests" runstate="Runnable" testcasecount="6" result="Failed" duration="1.7">
        <test-case id="0-1001" name="AddsItem" fullname="Shop.Tests.CartTests.AddsItem" methodname="AddsItem" classname="Shop.Tests.CartTests" runstate="Runnable" seed="1" result="Passed" start-time="2024-05-01 10:00:00Z" end-time="2024-05-01 10:00:00Z" duration="0.021" asserts="1" />
        <test-case id="0-1002" name="RemovesItem" fullname="Shop.Tests.CartTests.RemovesItem" methodname="RemovesItem" classname="Shop.Tests.CartTests" runstate="Runnable" seed="2" result="Failed" duration="0.5" asserts="1">
          <failure>
            <message><![CDATA[  Expected: 0
  But was:  1
]]></message>
            <stack-trace><![CDATA[   at Shop.Tests.CartTests.RemovesItem() in /src/Shop.Tests/CartTests.cs:line 25
]]></stack-trace>
          </failure>
          <output><![CDATA[removing]]></output>
        </test-case>
        <test-case id="0-1003" name="Throws" fullname="Shop.Tests.CartTests.Throws" methodname="Throws" classname="Shop.Tests.CartTests" runstate="Runnable" seed="3" result="Failed" label="Error" duration="0.002" asserts="0">
          <failure>
            <message><![CDATA[System.InvalidOperationException : empty cart]]></message>
          </failure>
        </test-case>
        <test-case id="0-1004" name="Later" fullname="Shop.Tests.CartTests.Later" methodname="Later" classname="Shop.Tests.CartTests" runstate="Ignored" seed="4" result="Skipped" label="Ignored" duration="0" asserts="0">
          <properties><property name="_SKIPREASON" value="not ready" /></properties>
          <reason><message><![CDATA[not ready]]></message></reason>
        </test-case>
        <test-case id="0-1005" name="Maybe" fullname="Shop.Tests.CartTests.Maybe" methodname="Maybe" classname="Shop.Tests.CartTests" runstate="Runnable" seed="5" result="Inconclusive" duration="0.001" asserts="0" />
        <test-suite type="ParameterizedMethod" id="0-1007" name="Totals" fullname="Shop.Tests.CartTests.Totals" classname="Shop.Tests.CartTests" runstate="Runnable" testcasecount="1" result="Passed" duration="1.1">
          <test-case id="0-1006" name="Totals(2,4)" fullname="Shop.Tests.CartTests.Totals(2,4)" methodname="Totals" classname="Shop.Tests.CartTests" runstate="Runnable" seed="6" result="Passed" duration="1.100" asserts="1" />
        </test-suite>
      </test-suite>
    </test-suite>
  </test-suite>
</test-run>
"#;

#[test]
fn nunit3_report() {
    let cases = parse(ReportFormat::Nunit3Xml, NUNIT3.as_bytes()).unwrap();
    let got: Vec<_> = cases.iter().map(|c| (c.name.as_str(), c.status, c.duration_nanos)).collect();
    assert_eq!(
        got,
        [
            ("Shop.Tests.CartTests.AddsItem", TestStatus::Succeeded, 21_000_000),
            ("Shop.Tests.CartTests.RemovesItem", TestStatus::Failed, 500_000_000),
            ("Shop.Tests.CartTests.Throws", TestStatus::Error, 2_000_000),
            ("Shop.Tests.CartTests.Later", TestStatus::Skipped, 0),
            ("Shop.Tests.CartTests.Maybe", TestStatus::Unknown, 1_000_000),
            ("Shop.Tests.CartTests.Totals(2,4)", TestStatus::Succeeded, 1_100_000_000),
        ]
    );
    for case in &cases {
        assert_eq!(case.test_suite_name, "CartTests", "the fixture, not the parameterized method suite");
        assert_eq!(case.prefix, "Shop.Tests.CartTests");
    }
    assert_eq!(
        cases[1].message.as_deref(),
        Some(
            "Expected: 0\n  But was:  1\nat Shop.Tests.CartTests.RemovesItem() in /src/Shop.Tests/CartTests.cs:line 25"
        )
    );
    assert_eq!(cases[2].message.as_deref(), Some("System.InvalidOperationException : empty cart"));
    assert_eq!(cases[3].message.as_deref(), Some("not ready"));
}

#[test]
fn nunit3_labels_and_fallbacks() {
    let xml = r#"<test-run><test-suite type="TestSuite" name="Loose">
        <test-case name="Bad" result="Failed" label="Invalid"/>
        <test-case name="Stopped" result="Failed" label="Cancelled"/>
        <test-case fullname="Ns.C.Warned" result="Warning"/>
        <test-case name="Odd"/>
    </test-suite></test-run>"#;
    let cases = parse(ReportFormat::Nunit3Xml, xml.as_bytes()).unwrap();
    let got: Vec<_> = cases.iter().map(|c| (c.test_suite_name.as_str(), c.prefix.as_str(), c.status)).collect();
    assert_eq!(
        got,
        [
            ("Loose", "", TestStatus::Error),
            ("Loose", "", TestStatus::Error),
            ("Loose", "Ns.C", TestStatus::Succeeded),
            ("Loose", "", TestStatus::Unknown),
        ]
    );
}

#[test]
fn formats_are_not_interchangeable() {
    let err = parse(ReportFormat::NunitXml, NUNIT3.as_bytes()).unwrap_err();
    assert!(matches!(&err, ParseError::WrongRoot { found, line: 2, .. } if found == "test-run"), "{err:?}");
    let err = parse(ReportFormat::Nunit3Xml, NUNIT2.as_bytes()).unwrap_err();
    assert!(matches!(&err, ParseError::WrongRoot { found, line: 3, .. } if found == "test-results"), "{err:?}");
}

#[test]
fn empty_runs_have_no_cases() {
    assert_eq!(parse(ReportFormat::NunitXml, b"<test-results total=\"0\"/>").unwrap(), []);
    assert_eq!(parse(ReportFormat::Nunit3Xml, b"<test-run testcasecount=\"0\"></test-run>").unwrap(), []);
}

//! Visual Studio TRX as `dotnet test --logger trx` writes it.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use kiln_reports::{ParseError, ReportFormat, TestStatus, parse};

const REPORT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<TestRun id="8d1b6a32-0000-4000-8000-000000000001" name="ci@build 2024-05-01 10:00:00" runUser="ci" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
  <Times creation="2024-05-01T10:00:00.0000000+00:00" queuing="2024-05-01T10:00:00.0000000+00:00" start="2024-05-01T10:00:00.0000000+00:00" finish="2024-05-01T10:00:02.0000000+00:00" />
  <TestSettings name="default" id="8d1b6a32-0000-4000-8000-000000000002">
    <Deployment runDeploymentRoot="ci_build_2024-05-01_10_00_00" />
  </TestSettings>
  <Results>
    <UnitTestResult executionId="e1" testId="t1" testName="AddsItem" computerName="build" duration="00:00:00.0123450" startTime="2024-05-01T10:00:00.0000000+00:00" endTime="2024-05-01T10:00:00.0000000+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="Passed" testListId="l1" relativeResultsDirectory="e1" />
    <UnitTestResult executionId="e2" testId="t2" testName="RemovesItem" computerName="build" duration="00:00:01.5000000" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="Failed" testListId="l1">
      <Output>
        <StdOut>removing</StdOut>
        <ErrorInfo>
          <Message>Assert.AreEqual failed. Expected:&lt;0&gt;. Actual:&lt;1&gt;. </Message>
          <StackTrace>   at Shop.Tests.CartTests.RemovesItem() in /src/CartTests.cs:line 25
</StackTrace>
        </ErrorInfo>
      </Output>
    </UnitTestResult>
    <UnitTestResult executionId="e3" testId="t3" testName="Later" computerName="build" duration="00:00:00" outcome="NotExecuted" testListId="l1">
      <Output><ErrorInfo><Message>not ready</Message></ErrorInfo></Output>
    </UnitTestResult>
    <UnitTestResult executionId="e4" testId="t4" testName="Totals" computerName="build" duration="1.00:00:02.25" outcome="Timeout" testListId="l1" resultType="DataDrivenTest">
      <InnerResults>
        <UnitTestResult executionId="e5" parentExecutionId="e4" testId="t4" testName="Totals (2,4)" duration="00:00:00.1" outcome="Passed" />
      </InnerResults>
    </UnitTestResult>
    <UnitTestResult executionId="e6" testId="missing" testName="Other.Ns.Loose.Orphan" duration="garbage" outcome="Inconclusive" />
  </Results>
  <TestDefinitions>
    <UnitTest name="AddsItem" storage="/src/bin/shop.tests.dll" id="t1">
      <Execution id="e1" />
      <TestMethod codeBase="/src/bin/Shop.Tests.dll" adapterTypeName="executor://mstestadapter/v2" className="Shop.Tests.CartTests" name="AddsItem" />
    </UnitTest>
    <UnitTest name="RemovesItem" storage="/src/bin/shop.tests.dll" id="t2">
      <TestMethod codeBase="/src/bin/Shop.Tests.dll" className="Shop.Tests.CartTests" name="RemovesItem" />
    </UnitTest>
    <UnitTest name="Later" storage="/src/bin/shop.tests.dll" id="t3">
      <TestMethod codeBase="/src/bin/Shop.Tests.dll" className="Shop.Tests.CartTests" name="Later" />
    </UnitTest>
    <UnitTest name="Totals" storage="/src/bin/shop.tests.dll" id="t4">
      <TestMethod codeBase="/src/bin/Shop.Tests.dll" className="Shop.Tests.MathTests, Shop.Tests, Version=1.0.0.0, Culture=neutral" name="Totals" />
    </UnitTest>
  </TestDefinitions>
  <ResultSummary outcome="Failed">
    <Counters total="5" executed="4" passed="1" failed="1" error="0" timeout="1" aborted="0" inconclusive="1" notExecuted="1" />
  </ResultSummary>
</TestRun>
"#;

#[test]
fn realistic_report() {
    let cases = parse(ReportFormat::VisualStudioTrx, REPORT.as_bytes()).unwrap();
    let got: Vec<_> = cases
        .iter()
        .map(|c| (c.test_suite_name.as_str(), c.prefix.as_str(), c.name.as_str(), c.status, c.duration_nanos))
        .collect();
    let (cart, math) = ("Shop.Tests.CartTests", "Shop.Tests.MathTests");
    assert_eq!(
        got,
        [
            (cart, cart, "AddsItem", TestStatus::Succeeded, 12_345_000),
            (cart, cart, "RemovesItem", TestStatus::Failed, 1_500_000_000),
            (cart, cart, "Later", TestStatus::Skipped, 0),
            (math, math, "Totals", TestStatus::Error, 86_402_250_000_000),
            ("Other.Ns.Loose", "Other.Ns.Loose", "Other.Ns.Loose.Orphan", TestStatus::Unknown, 0),
        ],
        "inner data-driven rows are not cases of their own"
    );
    assert_eq!(
        cases[1].message.as_deref(),
        Some(
            "Assert.AreEqual failed. Expected:<0>. Actual:<1>.\nat Shop.Tests.CartTests.RemovesItem() in /src/CartTests.cs:line 25"
        )
    );
    assert_eq!(cases[2].message.as_deref(), Some("not ready"));
    assert_eq!(cases[0].message, None);
}

#[test]
fn utf16_file_with_bom_is_read() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(REPORT.encode_utf16().flat_map(u16::to_le_bytes));
    let cases = parse(ReportFormat::VisualStudioTrx, &bytes).unwrap();
    assert_eq!(cases.len(), 5);
}

#[test]
fn run_without_results_has_no_cases() {
    let xml = r#"<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><ResultSummary outcome="Completed"/></TestRun>"#;
    assert_eq!(parse(ReportFormat::VisualStudioTrx, xml.as_bytes()).unwrap(), []);
}

#[test]
fn wrong_root_and_malformed_xml() {
    let err = parse(ReportFormat::VisualStudioTrx, b"<testsuites/>").unwrap_err();
    assert!(matches!(&err, ParseError::WrongRoot { expected: "<TestRun>", .. }), "{err:?}");
    let err = parse(ReportFormat::VisualStudioTrx, b"<TestRun><Results></TestRun>").unwrap_err();
    assert!(matches!(&err, ParseError::Xml { .. }), "{err:?}");
}

//! TestNG's testng-results.xml.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use kiln_reports::{ParseError, ReportFormat, TestStatus, parse};

const REPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testng-results ignored="0" total="5" passed="2" failed="1" skipped="1">
  <reporter-output>
  </reporter-output>
  <suite started-at="2024-05-01T10:00:00 UTC" name="Regression" finished-at="2024-05-01T10:00:03 UTC" duration-ms="3021">
    <groups>
    </groups>
    <test started-at="2024-05-01T10:00:00 UTC" name="API" finished-at="2024-05-01T10:00:03 UTC" duration-ms="3021">
      <class name="com.example.api.UserApiTest">
        <test-method is-config="true" signature="setUp()[pri:0, instance:com.example.api.UserApiTest@1]" name="setUp" duration-ms="120" status="PASS" started-at="2024-05-01T10:00:00 UTC" finished-at="2024-05-01T10:00:00 UTC">
          <reporter-output>
          </reporter-output>
        </test-method>
        <test-method signature="createsUser()[pri:0, instance:com.example.api.UserApiTest@1]" name="createsUser" duration-ms="845" status="PASS" started-at="2024-05-01T10:00:00 UTC" finished-at="2024-05-01T10:00:01 UTC">
          <reporter-output>
          </reporter-output>
        </test-method>
        <test-method signature="deletesUser()[pri:0, instance:com.example.api.UserApiTest@1]" name="deletesUser" duration-ms="1200" status="FAIL" description="removes a user" started-at="2024-05-01T10:00:01 UTC" finished-at="2024-05-01T10:00:02 UTC">
          <exception class="java.lang.AssertionError">
            <message>
              <![CDATA[expected [204] but found [500]]]>
            </message>
            <full-stacktrace>
              <![CDATA[java.lang.AssertionError: expected [204] but found [500]
	at org.testng.Assert.fail(Assert.java:99)
	at com.example.api.UserApiTest.deletesUser(UserApiTest.java:42)
]]>
            </full-stacktrace>
          </exception>
          <reporter-output>
          </reporter-output>
        </test-method>
        <test-method is-config="true" signature="tearDown()" name="tearDown" duration-ms="3" status="FAIL" finished-at="2024-05-01T10:00:02 UTC">
          <exception class="java.lang.IllegalStateException"/>
        </test-method>
      </class>
      <class name="com.example.api.OrderApiTest">
        <test-method signature="listsOrders()" name="listsOrders" duration-ms="12" status="PASS" data-provider="pages">
          <params><param index="0"><value><![CDATA[1]]></value></param></params>
        </test-method>
        <test-method signature="exportsOrders()" name="exportsOrders" duration-ms="0" status="SKIP">
          <exception class="org.testng.SkipException">
            <message><![CDATA[export service down]]></message>
          </exception>
        </test-method>
        <test-method signature="cancels()" name="cancels" status="FAIL">
          <exception class="java.lang.NullPointerException"/>
        </test-method>
        <test-method signature="odd()" name="odd" duration-ms="x" status="WEIRD"/>
      </class>
    </test>
  </suite>
</testng-results>
"#;

#[test]
fn realistic_report() {
    let cases = parse(ReportFormat::TestNgXml, REPORT.as_bytes()).unwrap();
    let got: Vec<_> = cases
        .iter()
        .map(|c| (c.test_suite_name.as_str(), c.prefix.as_str(), c.name.as_str(), c.status, c.duration_nanos))
        .collect();
    let (user, order) = ("com.example.api.UserApiTest", "com.example.api.OrderApiTest");
    assert_eq!(
        got,
        [
            (user, user, "createsUser", TestStatus::Succeeded, 845_000_000),
            (user, user, "deletesUser", TestStatus::Failed, 1_200_000_000),
            (order, order, "listsOrders", TestStatus::Succeeded, 12_000_000),
            (order, order, "exportsOrders", TestStatus::Skipped, 0),
            (order, order, "cancels", TestStatus::Failed, 0),
            (order, order, "odd", TestStatus::Unknown, 0),
        ],
        "config methods are skipped"
    );
    assert_eq!(cases[0].message, None);
    assert_eq!(
        cases[1].message.as_deref(),
        Some(
            "java.lang.AssertionError: expected [204] but found [500]\n\tat org.testng.Assert.fail(Assert.java:99)\n\tat com.example.api.UserApiTest.deletesUser(UserApiTest.java:42)"
        )
    );
    assert_eq!(cases[3].message.as_deref(), Some("export service down"));
    assert_eq!(cases[4].message.as_deref(), Some("java.lang.NullPointerException"), "class when nothing else");
}

#[test]
fn empty_results_have_no_cases() {
    let xml =
        r#"<testng-results total="0"><reporter-output/><suite name="s"><test name="t"/></suite></testng-results>"#;
    assert_eq!(parse(ReportFormat::TestNgXml, xml.as_bytes()).unwrap(), []);
}

#[test]
fn junit_file_is_the_wrong_root() {
    let err = parse(ReportFormat::TestNgXml, b"<testsuite/>").unwrap_err();
    assert_eq!(err.to_string(), "TESTNGXML report has root element <testsuite> at 1:1; expected <testng-results>");
}

#[test]
fn malformed_xml_names_the_position() {
    let err = parse(ReportFormat::TestNgXml, b"<testng-results>\n<suite></test>\n</testng-results>").unwrap_err();
    assert_eq!(
        err,
        ParseError::Xml { format: ReportFormat::TestNgXml, message: "expected 'suite' tag, not 'test' at 2:8".into() }
    );
}

"""Report groups and reports over the wire: CreateReportGroup, UpdateReportGroup,
BatchGetReportGroups, ListReportGroups (sortBy, sortOrder, maxResults, nextToken) and
DeleteReportGroup, plus the report operations' answers for unknown ARNs and bad input. Reports
themselves come from builds (buildspec `reports`); their recording, listing, test cases and
trends are tested in the operation layer (crates/api/src/reports/tests.rs)."""

import time

import pytest
from botocore.exceptions import ClientError

from kilntest.builds import uniq
from kilntest.contract import CBOR, JSON

ARN_PREFIX = "arn:aws:codebuild:us-east-1:000000000000"
NO_EXPORT = {"exportConfigType": "NO_EXPORT"}


def group_arn(name: str) -> str:
    return f"{ARN_PREFIX}:report-group/{name}"


def rejected(call, code: str, *fragments: str) -> str:
    with pytest.raises(ClientError) as e:
        call()
    error = e.value.response["Error"]
    assert error["Code"] == code, error
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for fragment in fragments:
        assert fragment in error["Message"], error
    return error["Message"]


def after_a_millisecond_tick():
    """Times are kept in milliseconds: make sure the next one is a different one."""
    start = time.time()
    while time.time() - start < 0.003:
        pass


@pytest.fixture(scope="module", params=[JSON, CBOR], ids=["json", "cbor"])
def raw_cb(request, kiln):
    """A client that sends whatever it is given."""
    return kiln.codebuild(request.param, validate_params=False)


def all_group_arns(cb, **kw) -> list[str]:
    arns, token = [], None
    for _ in range(1000):
        page = cb.list_report_groups(**kw, **({"nextToken": token} if token else {}))
        if "maxResults" in kw:
            assert len(page["reportGroups"]) <= kw["maxResults"]
        arns.extend(page["reportGroups"])
        token = page.get("nextToken")
        if not token:
            return arns
    raise AssertionError("ListReportGroups never stopped paging")


def test_report_group_lifecycle(any_cb):
    name = uniq("rg")
    tags = [{"key": "team", "value": "core"}]
    group = any_cb.create_report_group(name=name, type="TEST", exportConfig=NO_EXPORT, tags=tags)["reportGroup"]
    assert group["arn"] == group_arn(name)
    assert (group["name"], group["type"], group["status"]) == (name, "TEST", "ACTIVE")
    assert group["exportConfig"] == NO_EXPORT
    assert group["tags"] == tags
    assert group["created"] == group["lastModified"]

    rejected(lambda: any_cb.create_report_group(name=name, type="TEST", exportConfig=NO_EXPORT),
             "ResourceAlreadyExistsException", name)

    s3 = {"exportConfigType": "S3", "s3Destination": {"bucket": "reports", "path": "unit", "packaging": "ZIP"}}
    after_a_millisecond_tick()
    updated = any_cb.update_report_group(arn=group["arn"], exportConfig=s3)["reportGroup"]
    assert updated["exportConfig"]["s3Destination"]["bucket"] == "reports"
    assert updated["tags"] == tags, "tags left out of the update stay"
    assert updated["lastModified"] > group["lastModified"]
    assert updated["created"] == group["created"]

    got = any_cb.batch_get_report_groups(reportGroupArns=[group["arn"]])
    assert got["reportGroupsNotFound"] == []
    assert got["reportGroups"][0]["exportConfig"]["exportConfigType"] == "S3"
    assert group["arn"] in all_group_arns(any_cb)

    # No reports yet: no deleteReports needed, and the group's reports list is empty.
    listed = any_cb.list_reports_for_report_group(reportGroupArn=group["arn"])
    assert listed["reports"] == []
    any_cb.delete_report_group(arn=group["arn"])
    got = any_cb.batch_get_report_groups(reportGroupArns=[group["arn"]])
    assert (got["reportGroups"], got["reportGroupsNotFound"]) == ([], [group["arn"]])
    assert group["arn"] not in all_group_arns(any_cb)
    # Deleting again succeeds, with or without deleteReports, as CodeBuild declares no error.
    any_cb.delete_report_group(arn=group["arn"])
    any_cb.delete_report_group(arn=group["arn"], deleteReports=True)


def test_list_report_groups_sorts_orders_and_pages(any_cb):
    base = uniq("rgl")
    names = [f"{base}-b", f"{base}-c", f"{base}-a"]
    for name in names:
        any_cb.create_report_group(name=name, type="TEST", exportConfig=NO_EXPORT)
        after_a_millisecond_tick()
    any_cb.update_report_group(arn=group_arn(f"{base}-b"), tags=[{"key": "k", "value": "v"}])
    mine = [group_arn(n) for n in names]

    def listed(**kw):
        return [a for a in all_group_arns(any_cb, **kw) if a in mine]

    by_name = sorted(mine)
    assert listed() == by_name, "NAME, ASCENDING by default"
    assert listed(sortBy="NAME", sortOrder="DESCENDING") == by_name[::-1]
    assert listed(sortBy="CREATED_TIME") == mine
    assert listed(sortBy="CREATED_TIME", sortOrder="DESCENDING") == mine[::-1]
    assert listed(sortBy="LAST_MODIFIED_TIME", sortOrder="DESCENDING")[0] == group_arn(f"{base}-b")
    for size in (1, 2):
        assert listed(maxResults=size, sortBy="CREATED_TIME") == mine, f"maxResults {size}"

    for name in names:
        any_cb.delete_report_group(arn=group_arn(name))
    assert listed() == []


def test_unknown_arns(any_cb):
    ghost_group = group_arn(uniq("ghost"))
    ghost_report = f"{ARN_PREFIX}:report/{uniq('ghost')}:0000"
    got = any_cb.batch_get_report_groups(reportGroupArns=[ghost_group, "not-an-arn"])
    assert (got["reportGroups"], got["reportGroupsNotFound"]) == ([], [ghost_group, "not-an-arn"])
    got = any_cb.batch_get_reports(reportArns=[ghost_report])
    assert (got["reports"], got["reportsNotFound"]) == ([], [ghost_report])

    rejected(lambda: any_cb.update_report_group(arn=ghost_group, tags=[]), "ResourceNotFoundException", ghost_group)
    rejected(lambda: any_cb.list_reports_for_report_group(reportGroupArn=ghost_group),
             "ResourceNotFoundException", ghost_group)
    rejected(lambda: any_cb.get_report_group_trend(reportGroupArn=ghost_group, trendField="PASS_RATE"),
             "ResourceNotFoundException", ghost_group)
    rejected(lambda: any_cb.describe_test_cases(reportArn=ghost_report), "ResourceNotFoundException", ghost_report)
    # CodeBuild declares no not-found error for the deletes.
    any_cb.delete_report(arn=ghost_report)
    any_cb.delete_report_group(arn=ghost_group)

    assert isinstance(any_cb.list_reports()["reports"], list)
    assert isinstance(any_cb.list_reports(filter={"status": "FAILED"}, sortOrder="ASCENDING")["reports"], list)


def test_trend_of_a_group_without_reports(any_cb):
    name = uniq("rgt")
    arn = any_cb.create_report_group(name=name, type="TEST", exportConfig=NO_EXPORT)["reportGroup"]["arn"]
    trend = any_cb.get_report_group_trend(reportGroupArn=arn, trendField="PASS_RATE", numOfReports=5)
    assert trend["rawData"] == []
    assert trend["stats"] == {}
    rejected(lambda: any_cb.get_report_group_trend(reportGroupArn=arn, trendField="LINE_COVERAGE"),
             "InvalidInputException", "LINE_COVERAGE")
    any_cb.delete_report_group(arn=arn)


def test_bad_input(raw_cb):
    rejected(lambda: raw_cb.list_report_groups(sortBy="SIZE"), "InvalidInputException", "'sortBy'",
             "enum value set")
    for max_results in (0, 101):
        rejected(lambda: raw_cb.list_report_groups(maxResults=max_results), "InvalidInputException", "'maxResults'")
        rejected(lambda: raw_cb.list_reports(maxResults=max_results), "InvalidInputException", "'maxResults'")
    rejected(lambda: raw_cb.list_report_groups(nextToken="not-a-token"), "InvalidInputException", "nextToken")
    rejected(lambda: raw_cb.list_reports(filter={"status": "PASSED"}), "InvalidInputException", "'filter.status'")
    rejected(lambda: raw_cb.create_report_group(name="x", type="TEST", exportConfig=NO_EXPORT),
             "InvalidInputException", "'name'")
    rejected(lambda: raw_cb.create_report_group(name=uniq("rgb"), type="TEST"), "InvalidInputException",
             "'exportConfig'")
    rejected(lambda: raw_cb.create_report_group(name=uniq("rgb"), type="TEST",
                                                exportConfig={"exportConfigType": "S3"}),
             "InvalidInputException", "s3Destination.bucket")
    rejected(lambda: raw_cb.batch_get_report_groups(reportGroupArns=[]), "InvalidInputException",
             "'reportGroupArns'")
    rejected(lambda: raw_cb.batch_get_reports(reportArns=[f"r{i}" for i in range(101)]), "InvalidInputException",
             "'reportArns'")
    rejected(lambda: raw_cb.describe_test_cases(reportArn="r", maxResults=101), "InvalidInputException",
             "'maxResults'")
    rejected(lambda: raw_cb.describe_test_cases(reportArn="r", filter={"status": "PASSED"}),
             "InvalidInputException", "filter.status")
    rejected(lambda: raw_cb.get_report_group_trend(reportGroupArn=group_arn("g"), trendField="SPEED"),
             "InvalidInputException", "'trendField'")
    rejected(lambda: raw_cb.get_report_group_trend(reportGroupArn=group_arn("g"), trendField="TOTAL",
                                                   numOfReports=0),
             "InvalidInputException", "'numOfReports'")


def test_aws_cli_creates_and_lists_report_groups(aws):
    name = uniq("rgcli")
    created = aws("codebuild", "create-report-group", "--name", name, "--type", "TEST",
                  "--export-config", "exportConfigType=NO_EXPORT")
    arn = created.json["reportGroup"]["arn"]
    assert arn == group_arn(name)
    listed = aws("codebuild", "list-report-groups", "--sort-by", "CREATED_TIME", "--sort-order", "DESCENDING")
    assert arn in listed.json["reportGroups"]
    aws("codebuild", "delete-report-group", "--arn", arn, "--delete-reports")
    gone = aws("codebuild", "batch-get-report-groups", "--report-group-arns", arn)
    assert gone.json["reportGroupsNotFound"] == [arn]

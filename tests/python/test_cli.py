"""The aws cli walkthrough (the README's cli example): create a project from a JSON file, start
a build of a branch, poll batch-get-builds until it is done, read its log with get-log-events.
Every response the cli receives is validated against the service model (cli_plugin.py)."""

import json
import time

from kilntest.builds import uniq
from kilntest.gitrepo import EXPORTING_BUILDSPEC, Repo


def test_aws_cli_walkthrough(kiln, aws, tmp_path):
    repo = Repo(tmp_path / "MyDemoRepo")
    repo.commit({"buildspec.yml": EXPORTING_BUILDSPEC, "version.txt": "main-1"})
    repo.checkout("f3", create_from="main")
    f3_head = repo.commit({"version.txt": "f3-1"})
    url = f"https://git-codecommit.us-east-1.amazonaws.com/v1/repos/{uniq('MyDemoRepo')}"
    kiln.map_url(url, repo.url)
    name = uniq("cli_walkthrough")

    # aws codebuild create-project --cli-input-json file://project.json
    project_json = tmp_path / "project.json"
    project_json.write_text(json.dumps({
        "name": name,
        "source": {"type": "CODECOMMIT", "location": url},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                        "computeType": "BUILD_GENERAL1_SMALL"},
        "serviceRole": "arn:aws:iam::000000000000:role/kiln",
    }, indent=2))
    project = aws("codebuild", "create-project", "--cli-input-json", f"file://{project_json}").json["project"]
    assert project["name"] == name

    # aws codebuild start-build --project-name NAME --source-version refs/heads/f3
    build = aws("codebuild", "start-build", "--project-name", name, "--source-version", "refs/heads/f3").json["build"]
    assert build["currentPhase"] == "QUEUED"
    assert build["buildNumber"] == 1

    # aws codebuild batch-get-builds --ids ID, until buildComplete
    deadline = time.monotonic() + 60
    while True:
        done = aws("codebuild", "batch-get-builds", "--ids", build["id"]).json["builds"][0]
        if done["buildComplete"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert done["resolvedSourceVersion"] == f3_head
    assert {"name": "CONTENT", "value": "f3-1"} in done["exportedEnvironmentVariables"]

    # aws logs get-log-events --log-group-name /aws/codebuild/NAME --log-stream-name UUID --start-from-head
    events = aws("logs", "get-log-events", "--log-group-name", done["logs"]["groupName"],
                 "--log-stream-name", done["logs"]["streamName"], "--start-from-head").json["events"]
    text = "".join(e["message"] for e in events)
    assert f"building f3-1 at {f3_head}" in text

    # The other listing commands a user reaches for.
    assert build["id"] in aws("codebuild", "list-builds-for-project", "--project-name", name).json["ids"]
    assert name in aws("codebuild", "list-projects").json["projects"]
    assert aws("codebuild", "batch-get-projects", "--names", name).json["projects"][0]["name"] == name


def test_aws_cli_reports_errors(aws):
    result = aws("codebuild", "start-build", "--project-name", uniq("cli-missing"), check=False)
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    assert "Project cannot be found" in result.stderr

"""Parameter Store and Secrets Manager on Kiln's endpoint (boto3 and the aws cli), values
encrypted at rest, and builds that read them: project variables of type PARAMETER_STORE and
SECRETS_MANAGER and the buildspec's env.parameter-store / env.secrets-manager resolve in
DOWNLOAD_SOURCE, reach the commands, and never appear in the build log (CodeBuild prints ***)."""

import hashlib
import json

import botocore.exceptions
import pytest

from kilntest import clients
from kilntest.builds import create_project, exported, log_text, no_source, phase, phase_types, run_build, uniq


@pytest.fixture(scope="module")
def ssm(kiln):
    return clients.json_client(kiln.endpoint, "ssm")


@pytest.fixture(scope="module")
def sm(kiln):
    return clients.json_client(kiln.endpoint, "secretsmanager")


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"]


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# ------------------------------------------------------------------------ Parameter Store


def test_parameters_put_get_versions_and_errors(ssm):
    base = f"/{uniq('app')}"
    assert ssm.put_parameter(Name=f"{base}/user", Value="admin", Type="String")["Version"] == 1
    assert ssm.put_parameter(Name=f"{base}/token", Value="tok-1", Type="SecureString")["Tier"] == "Standard"
    assert error_code(ssm.put_parameter, Name=f"{base}/user", Value="root", Type="String") == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name=f"{base}/user", Value="root", Type="String", Overwrite=True)["Version"] == 2

    user = ssm.get_parameter(Name=f"{base}/user")["Parameter"]
    assert (user["Value"], user["Version"], user["Type"]) == ("root", 2, "String")
    assert user["ARN"] == f"arn:aws:ssm:us-east-1:000000000000:parameter{base}/user"
    first = ssm.get_parameter(Name=f"{base}/user:1")["Parameter"]
    assert (first["Value"], first["Selector"]) == ("admin", ":1")
    assert error_code(ssm.get_parameter, Name=f"{base}/user:9") == "ParameterVersionNotFound"
    assert error_code(ssm.get_parameter, Name=f"{base}/missing") == "ParameterNotFound"

    hidden = ssm.get_parameter(Name=f"{base}/token")["Parameter"]
    assert hidden["Type"] == "SecureString" and hidden["Value"] != "tok-1"
    assert ssm.get_parameter(Name=f"{base}/token", WithDecryption=True)["Parameter"]["Value"] == "tok-1"

    many = ssm.get_parameters(Names=[f"{base}/user", f"{base}/nope", f"{base}/token"], WithDecryption=True)
    assert sorted(p["Value"] for p in many["Parameters"]) == ["root", "tok-1"]
    assert many["InvalidParameters"] == [f"{base}/nope"]

    # Model constraints and Parameter Store's own name rules answer ValidationException.
    assert error_code(ssm.put_parameter, Name="/aws/reserved", Value="x", Type="String") == "ValidationException"
    assert error_code(ssm.put_parameter, Name="no/leading/slash", Value="x", Type="String") == "ValidationException"


def test_parameters_by_path_recursive_paging_and_delete(ssm):
    base = f"/{uniq('tree')}"
    names = [f"{base}/a", f"{base}/b", f"{base}/sub/c", f"{base}/sub/deeper/d"]
    for name in names:
        ssm.put_parameter(Name=name, Value=name[-1], Type="String")
    one_level = ssm.get_parameters_by_path(Path=base)["Parameters"]
    assert [p["Name"] for p in one_level] == names[:2]
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=base, Recursive=True, MaxResults=1)
    assert [p["Name"] for page in pages for p in page["Parameters"]] == names

    ssm.delete_parameter(Name=f"{base}/a")
    assert error_code(ssm.delete_parameter, Name=f"{base}/a") == "ParameterNotFound"
    gone = ssm.delete_parameters(Names=[f"{base}/b", f"{base}/never"])
    assert (gone["DeletedParameters"], gone["InvalidParameters"]) == ([f"{base}/b"], [f"{base}/never"])
    left = ssm.get_parameters_by_path(Path=base, Recursive=True)["Parameters"]
    assert [p["Name"] for p in left] == names[2:]

    described = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{base}/sub/"]}])["Parameters"]
    assert [p["Name"] for p in described] == names[2:]
    assert "Value" not in described[0]


# ------------------------------------------------------------------------ Secrets Manager


def test_secrets_versions_stages_and_errors(sm):
    name = uniq("prod/db")
    created = sm.create_secret(Name=name, SecretString=json.dumps({"password": "pw-1"}), Description="db")
    arn = created["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}-")
    assert len(arn) == len(f"arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}-") + 6
    assert error_code(sm.create_secret, Name=name, SecretString="again") == "ResourceExistsException"

    second = sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"password": "pw-2"}))
    assert second["VersionStages"] == ["AWSCURRENT"]
    current = sm.get_secret_value(SecretId=name)
    assert json.loads(current["SecretString"]) == {"password": "pw-2"}
    assert current["VersionId"] == second["VersionId"]
    previous = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert (json.loads(previous["SecretString"]), previous["VersionId"]) == ({"password": "pw-1"}, created["VersionId"])
    by_id = sm.get_secret_value(SecretId=name, VersionId=created["VersionId"])
    assert by_id["VersionStages"] == ["AWSPREVIOUS"]
    assert error_code(sm.get_secret_value, SecretId=name, VersionStage="AWSPENDING") == "ResourceNotFoundException"
    assert error_code(sm.get_secret_value, SecretId=uniq("missing")) == "ResourceNotFoundException"

    described = sm.describe_secret(SecretId=arn)
    assert described["VersionIdsToStages"] == {created["VersionId"]: ["AWSPREVIOUS"],
                                               second["VersionId"]: ["AWSCURRENT"]}
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    assert [s["Name"] for s in listed] == [name]

    deletion = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert deletion["DeletionDate"] > described["CreatedDate"]
    assert error_code(sm.get_secret_value, SecretId=name) == "InvalidRequestException"
    assert sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"] == []
    planned = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}], IncludePlannedDeletion=True)
    assert "DeletedDate" in planned["SecretList"][0]
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert error_code(sm.describe_secret, SecretId=name) == "ResourceNotFoundException"
    assert error_code(sm.delete_secret, SecretId=name, ForceDeleteWithoutRecovery=True,
                      RecoveryWindowInDays=7) == "InvalidParameterException"


def test_binary_secrets_and_update(sm):
    name = uniq("bin")
    sm.create_secret(Name=name, SecretBinary=b"\x00\xff raw")
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\xff raw"
    updated = sm.update_secret(SecretId=name, SecretString="now text", Description="changed")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "now text"
    assert sm.get_secret_value(SecretId=name)["VersionId"] == updated["VersionId"]
    assert sm.describe_secret(SecretId=name)["Description"] == "changed"


def test_aws_cli_manages_parameters_and_secrets(aws):
    base = f"/{uniq('cli')}"
    aws("ssm", "put-parameter", "--name", f"{base}/key", "--value", "cli-value", "--type", "SecureString")
    got = aws("ssm", "get-parameter", "--name", f"{base}/key", "--with-decryption").json["Parameter"]
    assert got["Value"] == "cli-value"
    listed = aws("ssm", "get-parameters-by-path", "--path", base, "--recursive").json["Parameters"]
    assert [p["Name"] for p in listed] == [f"{base}/key"]
    aws("ssm", "delete-parameter", "--name", f"{base}/key")
    missing = aws("ssm", "get-parameter", "--name", f"{base}/key", check=False)
    assert missing.returncode != 0 and "ParameterNotFound" in missing.stderr

    name = uniq("cli-secret")
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", '{"k":"v1"}')
    aws("secretsmanager", "put-secret-value", "--secret-id", name, "--secret-string", '{"k":"v2"}')
    value = aws("secretsmanager", "get-secret-value", "--secret-id", name, "--version-stage", "AWSPREVIOUS").json
    assert json.loads(value["SecretString"]) == {"k": "v1"}
    aws("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    gone = aws("secretsmanager", "get-secret-value", "--secret-id", name, check=False)
    assert gone.returncode != 0 and "ResourceNotFoundException" in gone.stderr


def test_values_are_encrypted_at_rest(kiln, ssm, sm):
    secure = f"secure-{uniq('v')}"
    secret = f"secret-{uniq('v')}"
    plain = f"plain-{uniq('v')}"
    base = f"/{uniq('rest')}"
    ssm.put_parameter(Name=f"{base}/secure", Value=secure, Type="SecureString")
    ssm.put_parameter(Name=f"{base}/plain", Value=plain, Type="String")
    sm.create_secret(Name=uniq("rest"), SecretString=json.dumps({"k": secret}))
    data_dir = kiln.server.data_dir
    stored = b"".join(p.read_bytes() for p in data_dir.glob("kiln.db*"))
    # The scan sees what the store holds: a String parameter is kept in plaintext.
    assert plain.encode() in stored
    assert secure.encode() not in stored
    assert secret.encode() not in stored
    key = data_dir / "secrets.key"
    assert key.stat().st_mode & 0o777 == 0o600


# ------------------------------------------------------------------------ builds


BUILD_SPEC = """version: 0.2
env:
  parameter-store:
    SPEC_PARAM: {spec_param}
    OVERRIDDEN: {spec_param}
  secrets-manager:
    SPEC_SECRET: {secret}:api_key:AWSCURRENT
  exported-variables:
    - H_PROJECT_PARAM
    - H_PROJECT_SECRET
    - H_SPEC_PARAM
    - H_SPEC_SECRET
    - OVERRIDDEN
phases:
  build:
    commands:
      - echo "values $PROJECT_PARAM $PROJECT_SECRET $SPEC_PARAM $SPEC_SECRET"
      - echo "literal {literal}"
      - H_PROJECT_PARAM=$(printf %s "$PROJECT_PARAM" | sha256sum | cut -d' ' -f1)
      - H_PROJECT_SECRET=$(printf %s "$PROJECT_SECRET" | sha256sum | cut -d' ' -f1)
      - H_SPEC_PARAM=$(printf %s "$SPEC_PARAM" | sha256sum | cut -d' ' -f1)
      - H_SPEC_SECRET=$(printf %s "$SPEC_SECRET" | sha256sum | cut -d' ' -f1)
"""


def test_build_resolves_secrets_and_masks_them(cb, logs, ssm, sm):
    base = f"/{uniq('build')}"
    project_param = f"pp-{uniq('s')}"
    spec_param = f"sp-{uniq('s')}"
    db_password = f"dbpw-{uniq('s')}"
    api_key = f"api-{uniq('s')}"
    ssm.put_parameter(Name=f"{base}/project", Value=project_param, Type="SecureString")
    ssm.put_parameter(Name=f"{base}/spec", Value=spec_param, Type="SecureString")
    secret = uniq("build-secret")
    sm.create_secret(Name=secret, SecretString=json.dumps({"password": db_password, "api_key": api_key}))

    spec = BUILD_SPEC.format(spec_param=f"{base}/spec", secret=secret, literal=api_key)
    project = create_project(cb, uniq("secrets"), source=no_source(spec), environment={
        "type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL",
        "environmentVariables": [
            {"name": "PROJECT_PARAM", "value": f"{base}/project", "type": "PARAMETER_STORE"},
            {"name": "PROJECT_SECRET", "value": f"{secret}:password", "type": "SECRETS_MANAGER"},
            # The project's variable wins over the buildspec's parameter-store entry.
            {"name": "OVERRIDDEN", "value": "from-project", "type": "PLAINTEXT"},
        ]})
    done = run_build(cb, projectName=project["name"])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    got = exported(done)
    assert got["H_PROJECT_PARAM"] == sha(project_param)
    assert got["H_PROJECT_SECRET"] == sha(db_password)
    assert got["H_SPEC_PARAM"] == sha(spec_param)
    assert got["H_SPEC_SECRET"] == sha(api_key)
    assert got["OVERRIDDEN"] == "from-project"

    text = log_text(logs, done)
    for value in (project_param, spec_param, db_password, api_key):
        assert value not in text
    assert "\nvalues *** *** *** ***\n" in text
    # The agent's own line echoing the command is masked as well.
    assert 'Running command echo "literal ***"' in text
    assert "\nliteral ***\n" in text
    assert "Processing environment variables" in text


def test_start_build_override_replaces_a_secret_variable(cb, ssm):
    name = f"/{uniq('override')}"
    ssm.put_parameter(Name=name, Value="from-parameter-store", Type="String")
    spec = "version: 0.2\nenv:\n  exported-variables: [V]\nphases:\n  build:\n    commands:\n      - 'true'\n"
    project = create_project(cb, uniq("override"), source=no_source(spec), environment={
        "type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL",
        "environmentVariables": [{"name": "V", "value": name, "type": "PARAMETER_STORE"}]})
    done = run_build(cb, projectName=project["name"])
    assert exported(done)["V"] == "from-parameter-store"
    overridden = run_build(cb, projectName=project["name"],
                           environmentVariablesOverride=[{"name": "V", "value": "plain", "type": "PLAINTEXT"}])
    assert exported(overridden)["V"] == "plain"


def test_missing_parameter_or_json_key_fails_download_source(cb, logs, sm):
    missing = f"/{uniq('missing')}/param"
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo never\n"
    project = create_project(cb, uniq("missing"), source=no_source(spec))
    done = run_build(cb, projectName=project["name"],
                     environmentVariablesOverride=[{"name": "P", "value": missing, "type": "PARAMETER_STORE"}])
    assert done["buildStatus"] == "FAILED"
    source = phase(done, "DOWNLOAD_SOURCE")
    assert source["phaseStatus"] == "FAILED"
    assert source["contexts"] == [{"statusCode": "Decrypted Variables Error",
                                   "message": f"parameter does not exist: {missing}"}]
    assert "INSTALL" not in phase_types(done) and phase_types(done)[-2:] == ["FINALIZING", "COMPLETED"]
    assert "\nnever\n" not in log_text(logs, done)

    secret = uniq("no-key")
    sm.create_secret(Name=secret, SecretString=json.dumps({"present": "x"}))
    spec = f"version: 0.2\nenv:\n  secrets-manager:\n    S: {secret}:absent\nphases:\n  build:\n    commands:\n      - 'true'\n"
    done = run_build(cb, projectName=create_project(cb, uniq("nokey"), source=no_source(spec))["name"])
    [context] = phase(done, "DOWNLOAD_SOURCE")["contexts"]
    assert context["statusCode"] == "Secrets Manager Error"
    assert "absent" in context["message"] and secret in context["message"]

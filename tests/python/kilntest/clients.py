"""boto3 clients of a Kiln endpoint, in both wire protocols, each reporting every response to
the contract validator and checking that its requests really use the protocol it claims.

The JSON client is the machine's boto3 as users run it (botocore 1.43 speaks AWS JSON 1.1 to
CodeBuild). The CBOR client is the same botocore loading a copy of the CodeBuild model whose
only protocol is `smithy-rpc-v2-cbor`, which is what boto3 >= 1.44 picks for CodeBuild; botocore
1.43 already carries the RPC v2 CBOR serializer and parser (`RpcV2CBORSerializer`)."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

import boto3
import botocore.session
from botocore.config import Config

from . import contract
from .contract import CBOR, JSON

REGION = "us-east-1"
ACCOUNT = "000000000000"
DEFAULT_KEY = ("AKIDKILNTESTS", "kiln-tests-secret")


class ProtocolMismatch(AssertionError):
    pass


def _model_dir(protocol: str) -> Path:
    """A botocore data dir whose CodeBuild model speaks only `protocol`."""
    root = Path(tempfile.mkdtemp(prefix=f"kiln-model-{protocol}-"))
    atexit.register(shutil.rmtree, root, True)
    doc = json.loads((contract.MODEL_DIR / contract.MODEL_FILES["codebuild"]).read_text())
    doc["metadata"]["protocol"] = protocol
    doc["metadata"]["protocols"] = [protocol]
    target = root / "codebuild" / "2016-10-06"
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(doc))
    return root


_MODEL_DIRS: dict[str, Path] = {}


def _session(protocol: str) -> botocore.session.Session:
    session = botocore.session.get_session()
    stock = session.get_service_model("codebuild").metadata.get("protocol")
    if stock != protocol:
        # Newer botocore prefers CBOR for CodeBuild; older ones only know JSON. Either way the
        # client gets exactly the protocol asked for.
        if protocol not in _MODEL_DIRS:
            _MODEL_DIRS[protocol] = _model_dir(protocol)
        session = botocore.session.get_session()
        session.get_component("data_loader").search_paths.insert(0, str(_MODEL_DIRS[protocol]))
    return session


def _check_request(protocol: str, service: str):
    def before_send(request, **_):
        path = request.url.split("://", 1)[-1].split("/", 1)[-1]
        ctype = request.headers.get("Content-Type", b"")
        ctype = ctype.decode() if isinstance(ctype, bytes) else ctype
        if protocol == CBOR:
            ok = path.startswith("service/CodeBuild_20161006/operation/") and ctype == "application/cbor"
        else:
            target = request.headers.get("X-Amz-Target", b"")
            target = target.decode() if isinstance(target, bytes) else target
            ok = path in ("", "/") and ctype == "application/x-amz-json-1.1" and "." in target
        if not ok:
            contract.record([f"{service} client meant to speak {protocol} sent {request.method} "
                             f"/{path} Content-Type={ctype!r}"])
    return before_send


def _check_response(protocol: str, service: str):
    def after_call(http_response, model, **_):
        contract.record(contract.check_response(
            service, model.name, http_response.status_code, http_response.headers,
            http_response.content, protocol))
    return after_call


def instrument(client, protocol: str):
    """Hooks the contract validator and the protocol check into `client`; returns it."""
    service = client.meta.service_model.service_name
    client.meta.events.register("before-send", _check_request(protocol, service))
    client.meta.events.register("after-call", _check_response(protocol, service))
    return client


def codebuild(endpoint: str, protocol: str = JSON, key=DEFAULT_KEY, validate_params: bool = True, **config):
    """A CodeBuild client of `endpoint` speaking `protocol` (JSON or CBOR)."""
    session = boto3.Session(botocore_session=_session(protocol))
    client = session.client(
        "codebuild", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate_params, **config),
    )
    actual = client.meta.service_model.protocol
    if actual != protocol:
        raise ProtocolMismatch(f"asked for a {protocol} CodeBuild client, botocore made a {actual} one")
    return instrument(client, protocol)


def logs(endpoint: str, key=DEFAULT_KEY, **config):
    """A CloudWatch Logs client of `endpoint` (AWS JSON 1.1)."""
    client = boto3.client(
        "logs", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=Config(retries={"max_attempts": 1}, **config),
    )
    return instrument(client, JSON)


def json_client(endpoint: str, service: str, key=DEFAULT_KEY, **config):
    """A boto3 client of an AWS JSON 1.1 service on `endpoint`, e.g. `ssm` or `secretsmanager`."""
    client = boto3.client(
        service, endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=Config(retries={"max_attempts": 1}, **config),
    )
    return instrument(client, JSON)

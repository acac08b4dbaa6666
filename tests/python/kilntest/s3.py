"""S3 on Kiln's endpoint: a boto3 S3 client (path-style) whose every response is checked the
way S3 answers (rest-xml: well-formed XML, S3's namespace on results, `<Error><Code>` documents
with 4xx statuses, `x-amz-request-id`), and that check for the aws cli plugin."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from . import contract
from .clients import DEFAULT_KEY, REGION

NAMESPACE = "{http://s3.amazonaws.com/doc/2006-03-01/}"
# 501 is S3's answer for what Kiln does not implement; every other 5xx is a server fault.
ALLOWED_5XX = {501}


def check_response(operation: str, status: int, headers, body: bytes) -> list[str]:
    """Everything wrong with one S3 response (an empty list when it is right)."""
    where = f"s3.{operation} (HTTP {status})"
    out = []
    if not headers.get("x-amz-request-id"):
        out.append("no x-amz-request-id header")
    if status >= 500 and status not in ALLOWED_5XX:
        out.append(f"server fault: HTTP {status}")
    if body and (headers.get("Content-Type") or "").startswith("application/xml"):
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            return [f"{where}: body is not XML: {e}; body={body[:200]!r}"] + out
        if status >= 300:
            if root.tag != "Error" or not root.findtext("Code") or not root.findtext("Message"):
                out.append(f"error body is not <Error> with Code and Message: {body[:200]!r}")
        elif not root.tag.startswith(NAMESPACE):
            out.append(f"result element {root.tag} is not in S3's namespace")
    return [f"{where}: {v}" for v in out]


def check_http(http_response, model) -> list[str]:
    """`check_response` for a botocore response; the body of a successful streaming output
    (GetObject) is left unread, for the caller to stream."""
    streaming = model.has_streaming_output and http_response.status_code < 300
    body = b"" if streaming else http_response.content
    return check_response(model.name, http_response.status_code, http_response.headers, body)


def _after_call(http_response, model, **_):
    contract.record(check_http(http_response, model))


def client(endpoint: str, key=DEFAULT_KEY, **config):
    """boto3's S3 client as users point it at Kiln: path-style addressing, no retries."""
    # Imported here: the aws cli plugin imports this module for its check only.
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )
    s3.meta.events.register("after-call", _after_call)
    return s3

"""A strict validator of Kiln's responses against botocore's service models (the copies Kiln
vendors in crates/model/botocore): no keys outside the model, no nulls, the right type for every
member (timestamps as epoch-second numbers; CBOR tag 1 on the CBOR wire), enum values, required
members, min/max; errors as `{"__type", "message"}` with an exception the operation declares (or
a protocol-level one), never a 5xx; `x-amzn-RequestId` and the protocol's Content-Type.

Every client of the suite reports each response here (see clients.py and cli_plugin.py), and
conftest.py fails the test that received a violating response."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from functools import lru_cache
from pathlib import Path

import cbor2

MODEL_DIR = Path(__file__).resolve().parents[3] / "crates" / "model" / "botocore"
MODEL_FILES = {"codebuild": "codebuild-2016-10-06.json", "logs": "logs-2014-03-28.json",
               "ssm": "ssm-2014-11-06.json", "secretsmanager": "secretsmanager-2017-10-17.json",
               "events": "events-2015-10-07.json"}

JSON = "json"
CBOR = "smithy-rpc-v2-cbor"
CONTENT_TYPES = {JSON: "application/x-amz-json-1.1", CBOR: "application/cbor"}

# Errors any operation may answer that the models do not declare: the protocol's own (bad
# body, unknown operation), authentication (what AWS JSON services answer), and Kiln's answer
# for a model operation it does not implement.
PROTOCOL_ERRORS = {
    "SerializationException",
    "UnknownOperationException",
    "UnsupportedOperationException",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "AccessDeniedException",
    "ThrottlingException",
}

# Errors a service answers that its model does not declare for the operation: Parameter Store
# and EventBridge report model-constraint violations as the framework's ValidationException.
SERVICE_ERRORS = {"ssm": {"ValidationException"}, "events": {"ValidationException"}}


class Tagged:
    """A CBOR tagged item, kept as such so that the validator can tell tag 1 from others."""

    def __init__(self, tag: int, value):
        self.tag = tag
        self.value = value

    def __repr__(self) -> str:
        return f"Tagged({self.tag}, {self.value!r})"


class Model:
    def __init__(self, doc: dict):
        self.doc = doc
        self.shapes: dict = doc["shapes"]
        self.operations: dict = doc["operations"]

    def output_shape(self, operation: str) -> str | None:
        return self.operations[operation].get("output", {}).get("shape")

    def declared_errors(self, operation: str) -> set[str]:
        return {e["shape"] for e in self.operations[operation].get("errors", [])}


@lru_cache(maxsize=None)
def model(service: str) -> Model:
    return Model(json.loads((MODEL_DIR / MODEL_FILES[service]).read_text()))


def service_of_prefix(target_prefix: str) -> str:
    return {"CodeBuild_20161006": "codebuild", "Logs_20140328": "logs", "AmazonSSM": "ssm",
            "secretsmanager": "secretsmanager", "AWSEvents": "events"}[target_prefix]


# ---------------------------------------------------------------------------------- decoding

def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError(f"duplicate key {k!r}")
        seen[k] = v
    return seen


def decode(body: bytes, protocol: str):
    """The response body as Python data; CBOR tags 0 and 1 come back as `Tagged`."""
    if protocol == JSON:
        return json.loads(body, object_pairs_hook=_no_duplicates)
    return cbor2.loads(
        body,
        semantic_decoders={0: lambda v, *_: Tagged(0, v), 1: lambda v, *_: Tagged(1, v)},
        allow_duplicate_keys=False,
    )


# -------------------------------------------------------------------------------- validation

def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@lru_cache(maxsize=None)
def _pattern(p: str):
    # Java-style classes like \p{L} are not Python's; such patterns are not checked.
    if r"\p" in p or r"\P" in p:
        return None
    try:
        return re.compile(p)
    except re.error:
        return None


def check_value(m: Model, shape_name: str, value, path: str, protocol: str, out: list[str]) -> None:
    shape = m.shapes[shape_name]
    kind = shape["type"]
    if value is None:
        out.append(f"{path}: null (members without a value must be left out)")
        return

    def bounds(n, what):
        if "min" in shape and n < shape["min"]:
            out.append(f"{path}: {what} {n} is below the model's min {shape['min']}")
        if "max" in shape and n > shape["max"]:
            out.append(f"{path}: {what} {n} is above the model's max {shape['max']}")

    if kind == "structure":
        if not isinstance(value, dict):
            out.append(f"{path}: expected a structure ({shape_name}), got {type(value).__name__}")
            return
        members = shape.get("members", {})
        for key in value:
            if key not in members:
                out.append(f"{path}.{key}: not a member of {shape_name}")
        for req in shape.get("required", []):
            if req not in value:
                out.append(f"{path}: required member {req} of {shape_name} is missing")
        if shape.get("union") and len(value) != 1:
            out.append(f"{path}: union {shape_name} must have exactly one member, has {len(value)}")
        for key, v in value.items():
            if key in members:
                check_value(m, members[key]["shape"], v, f"{path}.{key}", protocol, out)
    elif kind == "list":
        if not isinstance(value, list):
            out.append(f"{path}: expected a list ({shape_name}), got {type(value).__name__}")
            return
        # An empty list passes a list's min: CodeBuild itself answers `"buildsNotFound": []`
        # (aws-cli's batch-get-builds example) though the model reuses BuildIds (min 1) there.
        if value:
            bounds(len(value), "length")
        for i, item in enumerate(value):
            check_value(m, shape["member"]["shape"], item, f"{path}[{i}]", protocol, out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.append(f"{path}: expected a map ({shape_name}), got {type(value).__name__}")
            return
        bounds(len(value), "size")
        for k, v in value.items():
            check_value(m, shape["key"]["shape"], k, f"{path}<key {k!r}>", protocol, out)
            check_value(m, shape["value"]["shape"], v, f"{path}[{k!r}]", protocol, out)
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string ({shape_name}), got {type(value).__name__} {value!r}")
            return
        if "enum" in shape and value not in shape["enum"]:
            out.append(f"{path}: {value!r} is not a value of enum {shape_name}")
        bounds(len(value), "length")
        pattern = _pattern(shape["pattern"]) if "pattern" in shape else None
        if pattern is not None and not pattern.search(value):
            out.append(f"{path}: {value!r} does not match {shape_name}'s pattern {shape['pattern']}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{path}: expected an integer ({shape_name}), got {type(value).__name__} {value!r}")
            return
        bounds(value, "value")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{path}: expected a boolean, got {type(value).__name__} {value!r}")
    elif kind in ("float", "double"):
        if not _is_number(value):
            out.append(f"{path}: expected a number ({shape_name}), got {type(value).__name__} {value!r}")
            return
        bounds(value, "value")
    elif kind == "timestamp":
        if protocol == CBOR:
            if not (isinstance(value, Tagged) and value.tag == 1 and _is_number(value.value)):
                out.append(f"{path}: a CBOR timestamp must be tag 1 around epoch seconds, got {value!r}")
        elif not _is_number(value):
            out.append(f"{path}: a JSON timestamp must be epoch seconds as a number, got {value!r}")
        else:
            # Epoch seconds, not milliseconds: anything past year 3000 is a unit mistake.
            if not 0 <= value < 32503680000:
                out.append(f"{path}: {value!r} is not plausible epoch seconds")
    elif kind == "blob":
        if protocol == CBOR:
            if not isinstance(value, bytes):
                out.append(f"{path}: expected a CBOR byte string, got {type(value).__name__}")
        else:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, TypeError, ValueError):
                out.append(f"{path}: expected base64 text, got {value!r}")
    else:
        out.append(f"{path}: shape type {kind} is not known to the validator")


def check_response(service: str, operation: str, status: int, headers, body: bytes, protocol: str) -> list[str]:
    """Everything wrong with one response to `operation` (an empty list when it is right)."""
    where = f"{service}.{operation} ({protocol}, HTTP {status})"
    out: list[str] = []
    m = model(service)
    if operation not in m.operations:
        return [f"{where}: operation is not in the model"]
    if not headers.get("x-amzn-RequestId"):
        out.append("no x-amzn-RequestId header")
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip()
    if ctype != CONTENT_TYPES[protocol]:
        out.append(f"Content-Type is {ctype!r}, expected {CONTENT_TYPES[protocol]!r}")
    if protocol == CBOR and headers.get("smithy-protocol") != "rpc-v2-cbor":
        out.append(f"smithy-protocol header is {headers.get('smithy-protocol')!r}, expected 'rpc-v2-cbor'")
    if status >= 500:
        out.append(f"server fault: HTTP {status}")
    try:
        data = decode(body, protocol) if body else {}
    except Exception as e:  # any decoding failure is a contract violation
        return [f"{where}: body does not decode as {protocol}: {e}; body={body[:200]!r}"] + out
    if 200 <= status < 300:
        shape = m.output_shape(operation)
        if shape is None:
            if data not in ({}, None):
                out.append(f"output has no shape in the model but the body is {data!r}")
        else:
            check_value(m, shape, data, "$", protocol, out)
    else:
        out.extend(check_error(m, operation, status, data))
    return [f"{where}: {v}" for v in out]


def check_error(m: Model, operation: str, status: int, data) -> list[str]:
    out = []
    if not isinstance(data, dict):
        return [f"error body is not an object: {data!r}"]
    extra = set(data) - {"__type", "message"}
    if extra:
        out.append(f"error body has keys outside {{__type, message}}: {sorted(extra)}")
    code = data.get("__type")
    if not isinstance(code, str) or not code:
        out.append(f"error body has no __type: {data!r}")
        return out
    name = code.rsplit("#", 1)[-1].split(":", 1)[0]
    service_errors = SERVICE_ERRORS.get(m.doc["metadata"].get("endpointPrefix"), set())
    if name not in m.declared_errors(operation) and name not in PROTOCOL_ERRORS | service_errors:
        out.append(f"{name} is neither declared by {operation} nor a protocol-level error")
    if not isinstance(data.get("message"), str) or not data["message"]:
        out.append(f"error {name} has no message")
    if not 400 <= status < 500:
        out.append(f"error {name} came with HTTP {status}, expected 4xx")
    return out


# --------------------------------------------------------------------------------- recording

_lock = threading.Lock()
_violations: list[str] = []


def record(violations: list[str]) -> None:
    if violations:
        with _lock:
            _violations.extend(violations)


def take() -> list[str]:
    """The violations recorded since the last call."""
    with _lock:
        taken = list(_violations)
        _violations.clear()
    return taken

#!/usr/bin/env python3
"""Generate kiln-model's Rust types from the vendored botocore service models.

Usage (from anywhere):
    python3 crates/model/codegen/generate.py          # rewrite src/{codebuild,logs,ssm,secretsmanager,events}.rs
    python3 crates/model/codegen/generate.py --check  # exit 1 if the committed files are stale

Python 3.11, standard library only. The output is piped through `rustfmt --edition 2024`
(run from the crate directory, so it sees the same configuration as `cargo fmt`).

Mapping (see also the crate docs in src/lib.rs):
- structure        -> struct, every member `Option<T>` (the types serve as requests and
                      responses), serde-renamed to the member name, unknown keys ignored.
- string + enum    -> enum with `as_str`, `ALL`, `Display`, `FromStr`.
- string           -> String; integer -> i32; long -> i64; boolean -> bool;
  double / float   -> f64; timestamp -> crate::Timestamp; blob -> crate::Blob;
  list             -> Vec<T>; map -> BTreeMap<String, V>.
- A structure member that closes a cycle of direct structure references is boxed.

Naming:
- Type names are the botocore shape names. A name that would shadow a Rust prelude or std
  name (RESERVED_TYPE_NAMES) gets the suffix `Shape`, e.g. `Result` -> `ResultShape`. The
  wire names (serde renames, OPERATIONS, ERROR_SHAPES) always keep the model's spelling.
- Fields are snake_case; Rust keywords are raw identifiers (`r#type`).
- Enum variants are CamelCase from the value: `BUILD_GENERAL1_SMALL` -> `BuildGeneral1Small`,
  `Bits/Second` -> `BitsSecond`, `V1.1` -> `V1_1` (an underscore keeps two digit runs apart),
  values starting with a digit get a `V` prefix.

Validation (`impl crate::Validate`) checks required members, string length (in chars),
integer/long/double ranges, list/map lengths, and recurses into nested values. `pattern` is
deliberately not checked: many botocore patterns are Java regexes.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The Logs operations Kiln serves; logs.rs holds only the shapes reachable from these.
LOGS_OPERATIONS = (
    "GetLogEvents",
    "DescribeLogGroups",
    "DescribeLogStreams",
    "FilterLogEvents",
)

# The Parameter Store operations Kiln serves (builds resolve PARAMETER_STORE variables from them).
SSM_OPERATIONS = (
    "PutParameter",
    "GetParameter",
    "GetParameters",
    "DeleteParameter",
    "DeleteParameters",
    "GetParametersByPath",
    "DescribeParameters",
)

# The Secrets Manager operations Kiln serves (builds resolve SECRETS_MANAGER variables from them).
SECRETS_MANAGER_OPERATIONS = (
    "CreateSecret",
    "PutSecretValue",
    "GetSecretValue",
    "DeleteSecret",
    "ListSecrets",
    "DescribeSecret",
    "UpdateSecret",
)

# The EventBridge operations Kiln serves (rules on the default bus with CodeBuild targets).
EVENTS_OPERATIONS = (
    "PutRule",
    "DescribeRule",
    "ListRules",
    "DeleteRule",
    "EnableRule",
    "DisableRule",
    "PutTargets",
    "RemoveTargets",
    "ListTargetsByRule",
    "PutEvents",
    "TestEventPattern",
)

CRATE_DIR = Path(__file__).resolve().parent.parent
GENERATOR = "crates/model/codegen/generate.py"


@dataclass(frozen=True)
class Target:
    model: str  # relative to the crate directory
    output: str  # relative to the crate directory
    title: str
    operations: tuple[str, ...] | None  # None: every operation and every shape
    # Structures whose stored JSON is transcoded straight to CBOR, which must know which
    # members are timestamps (CBOR tag 1): see `emit_timestamp_members`.
    timestamp_members_of: tuple[str, ...] = ()


TARGETS = (
    Target("botocore/codebuild-2016-10-06.json", "src/codebuild.rs", "AWS CodeBuild", None, ("Build",)),
    Target("botocore/logs-2014-03-28.json", "src/logs.rs", "Amazon CloudWatch Logs", LOGS_OPERATIONS),
    Target("botocore/ssm-2014-11-06.json", "src/ssm.rs", "AWS Systems Manager Parameter Store", SSM_OPERATIONS),
    Target(
        "botocore/secretsmanager-2017-10-17.json",
        "src/secretsmanager.rs",
        "AWS Secrets Manager",
        SECRETS_MANAGER_OPERATIONS,
    ),
    Target("botocore/events-2015-10-07.json", "src/events.rs", "Amazon EventBridge", EVENTS_OPERATIONS),
)

# Shape names that would shadow prelude/std names used unqualified in generated code or by
# its users; they get TYPE_SUFFIX.
RESERVED_TYPE_NAMES = frozenset(
    """
    Option Some None Result Ok Err String Vec Box Self ToString ToOwned Iterator IntoIterator
    From Into TryFrom TryInto Default Clone Copy Send Sync Sized Drop Fn FnMut FnOnce
    PartialEq Eq PartialOrd Ord Hash Debug AsRef AsMut Extend
    """.split()
)
TYPE_SUFFIX = "Shape"

RUST_KEYWORDS = frozenset(
    """
    as break const continue crate else enum extern false fn for if impl in let loop match mod
    move mut pub ref return self Self static struct super trait true type unsafe use where while
    async await dyn abstract become box do final macro override priv typeof unsized virtual
    yield try gen
    """.split()
)
# Keywords that cannot be raw identifiers.
NON_RAW_KEYWORDS = frozenset({"crate", "self", "Self", "super"})

DOC_MAX_CHARS = 200

SCALAR_TYPES = {
    "string": "String",
    "integer": "i32",
    "long": "i64",
    "boolean": "bool",
    "double": "f64",
    "float": "f64",
    "timestamp": "crate::Timestamp",
    "blob": "crate::Blob",
}


class ModelError(Exception):
    """The model has something this generator does not know how to map."""


# ---------------------------------------------------------------------------------------------
# Names


def type_name(shape_name: str) -> str:
    if shape_name in RESERVED_TYPE_NAMES:
        return shape_name + TYPE_SUFFIX
    return shape_name


def snake_case(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def field_name(member_name: str) -> str:
    s = snake_case(member_name)
    if s in NON_RAW_KEYWORDS:
        return s + "_"
    if s in RUST_KEYWORDS:
        return "r#" + s
    return s


def variant_name(value: str) -> str:
    out = ""
    for part in re.split(r"[^A-Za-z0-9]+", value):
        if not part:
            continue
        if part.isupper() or part.islower() or part.isdigit():
            word = part[0].upper() + part[1:].lower()
        else:  # already mixed case, e.g. `LogStreamName`
            word = part[0].upper() + part[1:]
        if out and out[-1].isdigit() and word[0].isdigit():
            out += "_"
        out += word
    if not out:
        raise ModelError(f"enum value {value!r} has no letters or digits")
    if out[0].isdigit():
        out = "V" + out
    return out


# ---------------------------------------------------------------------------------------------
# Documentation

_BLOCK_TAG = re.compile(r"</?(?:p|ul|ol|li|br|div|dl|dt|dd|note|important|h\d)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)\.(?=\s|$)")
_URL = re.compile(r"https?://[^\s<>]*[^\s<>.,;:)]")


def doc_lines(documentation: str | None) -> list[str]:
    """The first sentence of an HTML doc string, as `///` lines (empty if there is none)."""
    if not documentation:
        return []
    # A lead-in sentence ending in ":" before a list reads better cut at the list.
    lead_in = re.split(r"<(?:ul|ol|dl)\b", documentation, maxsplit=1, flags=re.I)[0]
    if _ANY_TAG.sub("", lead_in).strip():
        documentation = lead_in
    text = _BLOCK_TAG.sub(" ", documentation)
    text = _ANY_TAG.sub("", text)
    text = " ".join(html.unescape(text).split())
    if not text:
        return []
    end = _SENTENCE_END.search(text)
    if end:
        text = text[: end.end()]
    elif text.endswith(":"):
        text = text[:-1] + "."
    if len(text) > DOC_MAX_CHARS:
        text = text[:DOC_MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "..."
    # Keep rustdoc quiet: no intra-doc links, no stray HTML, no bare URLs.
    text = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    text = text.replace("<", "\\<").replace(">", "\\>")
    text = _URL.sub(lambda m: "<" + m.group(0) + ">", text)
    return [f"/// {text}"]


# ---------------------------------------------------------------------------------------------
# Model analysis


class Model:
    def __init__(self, data: dict, operations: tuple[str, ...] | None):
        self.metadata = data["metadata"]
        self.shapes: dict = data["shapes"]
        all_ops: dict = data["operations"]
        if operations is None:
            self.operations = {name: all_ops[name] for name in sorted(all_ops)}
            self.selected = sorted(self.shapes)
        else:
            missing = [name for name in operations if name not in all_ops]
            if missing:
                raise ModelError(f"operations not in the model: {missing}")
            self.operations = {name: all_ops[name] for name in sorted(operations)}
            self.selected = sorted(self._reachable())
        self.names = self._type_names()
        self.boxed = self._boxed_edges()
        self.needs_validation = self._needs_validation()

    def shape(self, name: str) -> dict:
        try:
            return self.shapes[name]
        except KeyError:
            raise ModelError(f"unknown shape {name!r}") from None

    def _reachable(self) -> set[str]:
        roots = []
        for op in self.operations.values():
            for key in ("input", "output"):
                if key in op:
                    roots.append(op[key]["shape"])
            roots.extend(err["shape"] for err in op.get("errors", []))
        return self.reachable_from(roots)

    def reachable_from(self, roots: list[str]) -> set[str]:
        """The shapes `roots` lead to through members, list members and map keys and values,
        the roots included."""
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(self._children(name))
        return seen

    def _children(self, name: str) -> list[str]:
        shape = self.shape(name)
        kids = [m["shape"] for m in shape.get("members", {}).values()]
        kids.extend(shape[k]["shape"] for k in ("member", "key", "value") if k in shape)
        return kids

    def is_enum(self, name: str) -> bool:
        shape = self.shape(name)
        return shape["type"] == "string" and "enum" in shape

    def is_error(self, name: str) -> bool:
        shape = self.shape(name)
        return bool(shape.get("exception") or shape.get("error"))

    def generated_types(self) -> list[str]:
        return [n for n in self.selected if self.shape(n)["type"] == "structure" or self.is_enum(n)]

    def _type_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        taken: dict[str, str] = {}
        for shape_name in self.generated_types():
            rust = type_name(shape_name)
            if rust in taken:
                raise ModelError(f"shapes {taken[rust]!r} and {shape_name!r} both map to {rust}")
            taken[rust] = shape_name
            names[shape_name] = rust
        return names

    def _boxed_edges(self) -> set[tuple[str, str]]:
        """(structure, member) pairs that close a cycle of direct structure references.

        Lists and maps already put their elements on the heap, so only direct references
        count. Every edge inside a strongly connected component (Tarjan) is boxed.
        """
        graph: dict[str, list[tuple[str, str]]] = {}
        for name in self.selected:
            shape = self.shape(name)
            if shape["type"] != "structure":
                continue
            graph[name] = [
                (member, ref["shape"])
                for member, ref in shape.get("members", {}).items()
                if self.shape(ref["shape"])["type"] == "structure"
            ]
        component: dict[str, int] = {}
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        counter = [0]

        def visit(node: str) -> None:
            index[node] = low[node] = counter[0]
            counter[0] += 1
            stack.append(node)
            on_stack.add(node)
            for _, target in graph[node]:
                if target not in index:
                    visit(target)
                    low[node] = min(low[node], low[target])
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
            if low[node] == index[node]:
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component[top] = index[node]
                    if top == node:
                        break

        for node in graph:
            if node not in index:
                visit(node)
        return {
            (source, member)
            for source, edges in graph.items()
            for member, target in edges
            if component[source] == component[target]
        }

    def _needs_validation(self) -> dict[str, bool]:
        """Whether a value of each shape can ever fail validation (fixed point over cycles)."""
        needs = {name: False for name in self.shapes}
        changed = True
        while changed:
            changed = False
            for name in self.selected:
                if not needs[name] and self._can_fail(name, needs):
                    needs[name] = True
                    changed = True
        return needs

    def _can_fail(self, name: str, needs: dict[str, bool]) -> bool:
        shape = self.shape(name)
        kind = shape["type"]
        if kind == "structure":
            return bool(shape.get("required")) or any(
                needs[m["shape"]] for m in shape.get("members", {}).values()
            )
        if kind == "list":
            return has_bounds(shape) or needs[shape["member"]["shape"]]
        if kind == "map":
            return has_bounds(shape) or needs[shape["key"]["shape"]] or needs[shape["value"]["shape"]]
        if kind == "string" and "enum" in shape:
            return False
        return kind in ("string", "integer", "long", "double", "float") and has_bounds(shape)

    def rust_type(self, name: str) -> str:
        shape = self.shape(name)
        kind = shape["type"]
        if kind == "structure" or self.is_enum(name):
            return self.names[name]
        if kind == "list":
            return f"Vec<{self.rust_type(shape['member']['shape'])}>"
        if kind == "map":
            return f"std::collections::BTreeMap<String, {self.rust_type(shape['value']['shape'])}>"
        try:
            return SCALAR_TYPES[kind]
        except KeyError:
            raise ModelError(f"shape {name!r} has unsupported type {kind!r}") from None


def has_bounds(shape: dict) -> bool:
    """True if min or max can reject something (a length minimum of 0 cannot)."""
    if "max" in shape:
        return True
    if "min" not in shape:
        return False
    return shape["type"] not in ("string", "list", "map") or shape["min"] > 0


# ---------------------------------------------------------------------------------------------
# Rust emission


def rust_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def opt_literal(shape: dict, key: str, kind: str) -> str:
    if key not in shape:
        return "None"
    value = shape[key]
    if kind == "float":
        return f"Some({float(value)!r})"
    if key == "min" and kind == "len" and value <= 0:
        return "None"
    return f"Some({int(value)})"


def emit_struct(model: Model, name: str) -> list[str]:
    shape = model.shape(name)
    rust = model.names[name]
    out = doc_lines(shape.get("documentation"))
    out.append("#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]")
    out.append(f"pub struct {rust} {{")
    fields = set()
    for member, ref in shape.get("members", {}).items():
        field = field_name(member)
        if field in fields:
            raise ModelError(f"{name}: two members map to field {field}")
        fields.add(field)
        ty = model.rust_type(ref["shape"])
        if (name, member) in model.boxed:
            ty = f"Box<{ty}>"
        out.extend(doc_lines(ref.get("documentation")))
        out.append(
            f"#[serde(rename = {rust_str(member)}, default, "
            'skip_serializing_if = "Option::is_none")]'
        )
        out.append(f"pub {field}: Option<{ty}>,")
    out.append("}")
    out.append("")
    out.extend(emit_validate(model, name))
    return out


def emit_validate(model: Model, name: str) -> list[str]:
    shape = model.shape(name)
    rust = model.names[name]
    body: list[str] = []
    required = set(shape.get("required", []))
    for member, ref in shape.get("members", {}).items():
        field = field_name(member)
        target = ref["shape"]
        checks = value_checks(model, target) if model.needs_validation[target] else []
        path = f'let p = crate::validate::member_path(path, {rust_str(member)});'
        if member in required:
            body.append(f"match &self.{field} {{")
            if checks:
                body.append("Some(v) => {")
                body.append(path)
                body.extend(checks)
                body.append("}")
            else:
                body.append("Some(_) => {}")
            body.append(
                "None => errors.push(crate::ValidationError::null("
                f"crate::validate::member_path(path, {rust_str(member)}))),"
            )
            body.append("}")
        elif checks:
            body.append(f"if let Some(v) = &self.{field} {{")
            body.append(path)
            body.extend(checks)
            body.append("}")
    if body:
        sig = "fn validate_into(&self, path: &str, errors: &mut Vec<crate::ValidationError>) {"
    else:
        sig = "fn validate_into(&self, _path: &str, _errors: &mut Vec<crate::ValidationError>) {"
    return [f"impl crate::Validate for {rust} {{", sig, *body, "}", "}", ""]


def value_checks(model: Model, name: str) -> list[str]:
    """Statements checking `v` (a reference to a value of shape `name`) at path `p`."""
    shape = model.shape(name)
    kind = shape["type"]
    out: list[str] = []
    if kind == "structure":
        out.append("v.validate_into(&p, errors);")
    elif kind == "string":
        if has_bounds(shape):
            check = "sensitive_string_length" if shape.get("sensitive") else "string_length"
            out.append(
                f"crate::validate::{check}(v, &p, {opt_literal(shape, 'min', 'len')}, "
                f"{opt_literal(shape, 'max', 'len')}, errors);"
            )
    elif kind in ("integer", "long"):
        if has_bounds(shape):
            value = "i64::from(*v)" if kind == "integer" else "*v"
            out.append(
                f"crate::validate::int_range({value}, &p, {opt_literal(shape, 'min', 'int')}, "
                f"{opt_literal(shape, 'max', 'int')}, errors);"
            )
    elif kind in ("double", "float"):
        if has_bounds(shape):
            out.append(
                f"crate::validate::float_range(*v, &p, {opt_literal(shape, 'min', 'float')}, "
                f"{opt_literal(shape, 'max', 'float')}, errors);"
            )
    elif kind == "list":
        if has_bounds(shape):
            out.append(
                f"crate::validate::list_length(v, &p, {opt_literal(shape, 'min', 'len')}, "
                f"{opt_literal(shape, 'max', 'len')}, errors);"
            )
        element = shape["member"]["shape"]
        if model.needs_validation[element]:
            out.append("for (i, v) in v.iter().enumerate() {")
            out.append("let p = crate::validate::element_path(&p, i);")
            out.extend(value_checks(model, element))
            out.append("}")
    elif kind == "map":
        if has_bounds(shape):
            out.append(
                f"crate::validate::map_length(v, &p, {opt_literal(shape, 'min', 'len')}, "
                f"{opt_literal(shape, 'max', 'len')}, errors);"
            )
        key, value = shape["key"]["shape"], shape["value"]["shape"]
        # Keys are reported at the map's path, values at `map.<key>`.
        if model.needs_validation[value]:
            out.append("for (k, v) in v {")
            if model.needs_validation[key]:
                out.append("{")
                out.append("let v = k;")
                out.extend(value_checks(model, key))
                out.append("}")
            out.append("let p = crate::validate::entry_path(&p, k);")
            out.extend(value_checks(model, value))
            out.append("}")
        elif model.needs_validation[key]:
            out.append("for v in v.keys() {")
            out.extend(value_checks(model, key))
            out.append("}")
    return out


def emit_enum(model: Model, name: str) -> list[str]:
    shape = model.shape(name)
    rust = model.names[name]
    values: list[str] = shape["enum"]
    variants: dict[str, str] = {}
    for value in values:
        variant = variant_name(value)
        if variant in variants:
            raise ModelError(f"{name}: {variants[variant]!r} and {value!r} both map to {variant}")
        variants[variant] = value
    out = doc_lines(shape.get("documentation"))
    out.append("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]")
    out.append(f"pub enum {rust} {{")
    for variant, value in variants.items():
        out.append(f"#[serde(rename = {rust_str(value)})]")
        out.append(f"{variant},")
    out.append("}")
    out.append("")
    out.append(f"impl {rust} {{")
    out.append("/// Every value the model defines, in model order.")
    all_items = ", ".join(f"Self::{v}" for v in variants)
    out.append(f"pub const ALL: &'static [Self] = &[{all_items}];")
    out.append("")
    out.append("/// The wire value.")
    out.append("pub fn as_str(&self) -> &'static str {")
    out.append("match self {")
    out.extend(f"Self::{v} => {rust_str(value)}," for v, value in variants.items())
    out.append("}")
    out.append("}")
    out.append("}")
    out.append("")
    out.append(f"impl std::fmt::Display for {rust} {{")
    out.append("fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {")
    out.append("f.write_str(self.as_str())")
    out.append("}")
    out.append("}")
    out.append("")
    out.append(f"impl std::str::FromStr for {rust} {{")
    out.append("type Err = crate::UnknownEnumValue;")
    out.append("")
    out.append("fn from_str(s: &str) -> Result<Self, Self::Err> {")
    out.append("match s {")
    out.extend(f"{rust_str(value)} => Ok(Self::{v})," for v, value in variants.items())
    out.append(f"_ => Err(crate::UnknownEnumValue::new({rust_str(name)}, s)),")
    out.append("}")
    out.append("}")
    out.append("}")
    out.append("")
    return out


def emit_tables(model: Model) -> list[str]:
    out = [
        "/// The `X-Amz-Target` prefix of this service's JSON protocol.",
        f"pub const TARGET_PREFIX: &str = {rust_str(model.metadata['targetPrefix'])};",
        "",
        "/// The operations in this module, sorted by name, with their model shape names.",
        "pub const OPERATIONS: &[crate::OperationInfo] = &[",
    ]
    for op_name, op in model.operations.items():
        input_shape = op.get("input", {}).get("shape", "")
        output_shape = op.get("output", {}).get("shape", "")
        errors = ", ".join(rust_str(e["shape"]) for e in op.get("errors", []))
        out.append(
            f"crate::OperationInfo {{ name: {rust_str(op_name)}, input: {rust_str(input_shape)}, "
            f"output: {rust_str(output_shape)}, errors: &[{errors}] }},"
        )
    out.append("];")
    out.append("")
    error_shapes = ", ".join(rust_str(n) for n in model.selected if model.is_error(n))
    out.append("/// The exception shapes in this module, sorted by name.")
    out.append(f"pub const ERROR_SHAPES: &[&str] = &[{error_shapes}];")
    out.append("")
    return out


def emit_timestamp_members(model: Model, root: str) -> list[str]:
    """The member names holding a timestamp anywhere inside `root`, for a transcoder that tags
    them by name. Refused when that would be wrong: a name holding a timestamp in one place
    and something else in another, or a blob (base64 in JSON, a byte string in CBOR)."""
    kinds: dict[str, set[str]] = {}
    for name in sorted(model.reachable_from([root])):
        shape = model.shape(name)
        if shape["type"] == "blob":
            raise ModelError(f"{root} holds blob shape {name!r}; its JSON cannot be transcoded by name")
        for member_name, member in shape.get("members", {}).items():
            kinds.setdefault(member_name, set()).add(model.shape(member["shape"])["type"])
    mixed = sorted(n for n, k in kinds.items() if "timestamp" in k and len(k) > 1)
    if mixed:
        raise ModelError(f"in {root}, members {mixed} are timestamps in one place and not in another")
    members = ", ".join(rust_str(n) for n in sorted(n for n, k in kinds.items() if "timestamp" in k))
    return [
        f"/// The member names that hold a timestamp anywhere inside a `{root}`. In that tree such a",
        "/// name never holds anything else and there are no blobs (the generator checks both), so",
        "/// stored JSON can be transcoded to CBOR knowing only these names.",
        f"pub const {snake_case(root).upper()}_TIMESTAMP_MEMBERS: &[&str] = &[{members}];",
        "",
    ]


def render(target: Target) -> str:
    model_path = CRATE_DIR / target.model
    with model_path.open(encoding="utf-8") as f:
        model = Model(json.load(f), target.operations)
    meta = model.metadata
    scope = (
        "every shape"
        if target.operations is None
        else "the shapes reachable from " + ", ".join(target.operations)
    )
    lines = [
        f"// @generated by {GENERATOR} from crates/model/{target.model}",
        f"// ({meta.get('uid', '')}); do not edit. Regenerate with `python3 {GENERATOR}`.",
        "",
        f"//! {target.title} types (API version {meta['apiVersion']}): {scope}.",
        "",
        "// Variant names come from the model's values, which sometimes share a prefix.",
        "#![allow(clippy::enum_variant_names)]",
        "",
    ]
    lines.extend(emit_tables(model))
    for root in target.timestamp_members_of:
        lines.extend(emit_timestamp_members(model, root))
    for name in model.generated_types():
        if model.is_enum(name):
            lines.extend(emit_enum(model, name))
        else:
            lines.extend(emit_struct(model, name))
    return rustfmt("\n".join(lines) + "\n")


def rustfmt(source: str) -> str:
    result = subprocess.run(
        ["rustfmt", "--edition", "2024", "--emit", "stdout"],
        input=source,
        capture_output=True,
        text=True,
        cwd=CRATE_DIR,
        check=False,
    )
    if result.returncode != 0:
        raise ModelError(f"rustfmt failed:\n{result.stderr}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a generated file is not current"
    )
    args = parser.parse_args()
    stale = []
    for target in TARGETS:
        try:
            text = render(target)
        except (ModelError, OSError, ValueError) as err:
            print(f"error generating {target.output}: {err}", file=sys.stderr)
            return 2
        path = CRATE_DIR / target.output
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target.output)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote crates/model/{target.output}")
    if stale:
        for output in stale:
            print(f"crates/model/{output} is not current; run python3 {GENERATOR}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every row of data/selectors.generated.json: snpm's selector parser (postcss-selector-parser in
lossy mode plus @npmcli/query's fix-ups) gives the AST npm 11.19.1's gives, or the same error.

The table is regenerated with `node tests/conformance/query/generate_tables.js`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snpm.errors import SnpmError
from snpm.ops.query_engine import parse_query
from snpm.ops.query_engine.ast import ARRAY_DELIMITER, AstNode
from snpm.ops.query_engine.transform import js_value

DATA = Path(__file__).parent / "data" / "selectors.generated.json"
UNDEFINED = {"$type": "undefined"}


def _plain(value: object) -> object:
    if value is None:
        return UNDEFINED
    if value is ARRAY_DELIMITER:
        return {"$type": "arrayDelimiter"}
    return value


def dump(node: AstNode) -> dict[str, Any]:
    value = None if node.type in ("root", "selector") else js_value(node)
    out: dict[str, Any] = {"type": node.type, "value": _plain(value), "str": str(node)}
    if node.nodes:
        out["nodes"] = [dump(n) for n in node.nodes]
    if node.nested is not None:
        out["nested"] = dump(node.nested)
    matcher = node.attribute_matcher
    if matcher is not None:
        out["lookup"] = [_plain(p) for p in node.lookup_properties]
        out["matcher"] = {
            "qualifiedAttribute": _plain(matcher.qualified_attribute),
            "operator": _plain(matcher.operator),
            "value": _plain(matcher.value),
            "insensitive": matcher.insensitive,
        }
    if node.semver_value is not None or node.semver_func is not None:
        out["semver"] = {
            "value": _plain(node.semver_value),
            "func": _plain(node.semver_func),
            "position": _plain(node.semver_position),
        }
    if node.type == "pseudo" and node.value == ":type":
        out["typeValue"] = _plain(node.type_value)
    if node.type == "pseudo" and node.value == ":path":
        out["pathValue"] = _plain(node.path_value)
    if node.outdated_kind is not None:
        out["outdatedKind"] = node.outdated_kind
    if node.vulns is not None:
        out["vulns"] = node.vulns
    if node.type == "attribute":
        out["attribute"] = {
            "qualified": node.qualified_attribute,
            "operator": _plain(node.operator),
            "value": _plain(node.attr_value),
            "insensitive": node.insensitive,
        }
    return out


def _order(value: object) -> object:
    """Compare dicts regardless of key order (JS key order is not what is being tested)."""
    if isinstance(value, dict):
        return {k: _order(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_order(v) for v in value]
    return value


def test_every_selector_row() -> None:
    cases = json.loads(DATA.read_text())["cases"]
    failures = []
    for case in cases:
        query = case["query"]
        try:
            root = parse_query(query)
            got: dict[str, Any] = {"ast": dump(root) if root is not None else None}
        except SnpmError as err:
            got = {"error": {"message": err.message, "code": err.code if err.code is not None else UNDEFINED}}
        want = {k: v for k, v in case.items() if k != "query"}
        if _order(got) != _order(want):
            failures.append(f"{query!r}:\n  want {json.dumps(want)}\n  got  {json.dumps(got)}")
    print(f"query selector parse table: {len(cases) - len(failures)}/{len(cases)} rows pass")
    assert not failures, f"{len(failures)} of {len(cases)} rows differ:\n" + "\n".join(failures)

"""Attribute selectors, `:attr(...)` lookups and `:semver(...)` filters (query-selector-all.js).

`attribute_match` is arborist's attributeMatch: `[key]` tests truthiness, the operators compare
strings (numbers as their text; arrays match when an item does), `i` lowercases. `lookup` follows
an `:attr` path through package.json, flattening arrays at `:attr` nesting. `semver_filter` is
`:semver(value, [attr], fn)`: `fn` defaults to `infer` (two versions: eq, two ranges: intersects,
else satisfies); values that are not versions or ranges never match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from snpm import semver
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.query_engine.ast import ARRAY_DELIMITER, AstNode, AttributeMatcher
from snpm.tree import Node

__all__ = ["attribute_match", "lookup", "node_matcher", "semver_filter", "truthy"]

_WORDS = re.compile(r"\w+", re.ASCII)


def _attr_operator(attr: JsonValue, value: str, insensitive: bool, operator: str) -> bool:
    if isinstance(attr, int | float) and not isinstance(attr, bool):
        attr = _number_text(attr)
    if not isinstance(attr, str):
        return False
    if insensitive:
        attr = attr.lower()
    if operator == "=":
        return attr == value
    if operator == "~=":
        return value in _WORDS.findall(attr)
    if operator == "*=":
        return value in attr
    if operator == "|=":
        return attr.startswith(f"{value}-")
    if operator == "^=":
        return attr.startswith(value)
    if operator == "$=":
        return attr.endswith(value)
    raise SnpmError("attributeOperators[operator] is not a function")


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def attribute_match(matcher: AttributeMatcher, obj: JsonValue) -> bool:
    operator = matcher.operator or ""
    attribute = matcher.qualified_attribute
    target = obj.get(attribute) if isinstance(obj, dict) else None
    if operator == "":
        return truthy(target)
    value = matcher.value or ""
    if matcher.insensitive:
        value = value.lower()
    if isinstance(target, list):
        return any(
            _attr_operator(item if truthy(item) else "", value, matcher.insensitive, operator)
            for item in target
        )
    return _attr_operator(target if truthy(target) else "", value, matcher.insensitive, operator)


def truthy(value: object) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):
        return value != 0
    return True


def node_matcher(node: AstNode) -> AttributeMatcher:
    return AttributeMatcher(node.qualified_attribute, node.operator, node.attr_value, node.insensitive)


def lookup_step(objs: list[JsonValue], prop: str) -> list[JsonValue] | None:
    """`objs.flatMap(obj => obj[prop] || [])`, None when nothing truthy is left."""
    found: list[JsonValue] = []
    for obj in objs:
        value = obj.get(prop) if isinstance(obj, dict) else None
        if isinstance(value, list):
            found.extend(value)
        elif truthy(value):
            found.append(value)
    if all(not truthy(obj) for obj in found):
        return None
    return found


def lookup(package: JsonObject, properties: Sequence[object]) -> list[JsonValue] | None:
    """Follow a `:attr` path through the package (None when some step finds nothing)."""
    objs: list[JsonValue] | None = [package]
    for prop in properties:
        assert objs is not None
        if prop is ARRAY_DELIMITER:
            objs = [x for obj in objs for x in (obj if isinstance(obj, list) else [obj])]
            continue
        objs = lookup_step(objs, str(prop))
        if objs is None:
            return None
    return objs


def semver_filter(ast: AstNode, items: list[Node], warn: Callable[[str, str], None]) -> list[Node]:
    matcher = ast.attribute_matcher
    assert matcher is not None
    func = ast.semver_func or "infer"
    value = ast.semver_value
    if not value:
        warn("query", "usage of :semver() with no parameters is deprecated")
        return list(items)
    value_is_version = semver.valid(value) is not None
    if not value_is_version and semver.valid_range(value) is None:
        raise SnpmError(f"`{value}` is not a valid semver version or range", code="EQUERYINVALIDSEMVER")

    def matches(obj: JsonValue) -> bool:
        if matcher.operator and not attribute_match(matcher, obj):
            return False
        attr = obj.get(matcher.qualified_attribute) if isinstance(obj, dict) else None
        if not isinstance(attr, str) or (semver.valid(attr) is None and semver.valid_range(attr) is None):
            return False
        attr_is_version = semver.valid(attr) is not None
        actual = func
        if actual == "infer":
            if value_is_version and attr_is_version:
                actual = "eq"
            elif not value_is_version and not attr_is_version:
                actual = "intersects"
            else:
                actual = "satisfies"
        if actual in ("eq", "neq", "gt", "gte", "lt", "lte"):
            if not value_is_version or not attr_is_version:
                return False
            return bool(getattr(semver, actual)(attr, value))
        if actual in ("gtr", "ltr", "satisfies"):
            if not value_is_version and not attr_is_version:
                return False
            fn = getattr(semver, actual)
            return bool(fn(value, attr) if value_is_version else fn(attr, value))
        if actual in ("intersects", "subset"):
            return bool(getattr(semver, actual)(attr, value))
        raise SnpmError(f"`semver.{actual}` is not a supported operator.", code="EQUERYINVALIDOPERATOR")

    found = []
    for node in items:
        if not ast.lookup_properties:
            if matches(node.package):
                found.append(node)
            continue
        # arborist returns from inside its loop at the first property that is not the array
        # delimiter: only that level of the path is ever tested
        objs: list[JsonValue] = [node.package]
        for prop in ast.lookup_properties:
            if prop is ARRAY_DELIMITER:
                objs = [x for obj in objs for x in (obj if isinstance(obj, list) else [obj])]
                continue
            step = lookup_step(objs, str(prop))
            if step and any(matches(obj) for obj in step):
                found.append(node)
            break
    return found

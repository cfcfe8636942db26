"""Lockfiles with git merge-conflict markers, resolved the way npm reads them (parse-conflict-json).

npm never refuses a conflicted package-lock.json: it splits the text into the "ours", "base" and
"theirs" versions (diff3 markers; without a base section the common lines only), parses each, and
replays the changes base → ours onto theirs with just-diff / just-diff-apply; a change that cannot
apply copies ours' value at that path. The install then repairs whatever is inconsistent. Lines are
joined without newlines, so the result remembers no indentation. Pure.
"""

from __future__ import annotations

import re

import msgspec

from snpm.ecmascript.json import ParsedJson, parse_json
from snpm.ecmascript.values import to_string
from snpm.errors import SnpmError
from snpm.json_types import JsonValue

__all__ = ["has_conflict_markers", "resolve_conflicts"]

_PARENT = re.compile(r"\|{7,}")
_OURS = re.compile(r"<{7,}")
_THEIRS = re.compile(r"={7,}")
_END = re.compile(r">{7,}")
_LINES = re.compile(r"[\n\r]+")
# Object.getOwnPropertyNames(Object.prototype): changes touching these names are skipped
_PROTOTYPE_NAMES = frozenset(
    [
        "constructor",
        "__defineGetter__",
        "__defineSetter__",
        "hasOwnProperty",
        "__lookupGetter__",
        "__lookupSetter__",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toString",
        "valueOf",
        "__proto__",
        "toLocaleString",
    ]
)
_MISSING = object()  # no such property
_UNDEFINED = object()  # a property holding JS `undefined` (left out of objects, null in arrays)
_HOLE = object()  # an array slot never assigned (not an own property; null when written)

Key = str | int


def has_conflict_markers(text: str) -> bool:
    """parse-conflict-json `isDiff`: ours, separator and end markers all present.

    `/<{7,}/` matches exactly where seven `<` do; a substring search is many times faster than the
    regular expression over a megabyte of lockfile."""
    return "<<<<<<<" in text and "=======" in text and ">>>>>>>" in text


def _js_string(value: object) -> str:
    """`String(value)` for JSON values (what just-diff compares array items with)."""
    if value is _MISSING:
        return "undefined"
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    if isinstance(value, dict) and "toString" in value:
        # an own, non-callable toString: JS throws "Cannot convert object to primitive value"
        raise SnpmError("Cannot convert object to primitive value", code="EJSONPARSE")
    return to_string(value)


def _key(container: object, key: Key) -> Key | None:
    """A JS property key as Python indexes the container (objects stringify numbers, arrays take
    canonical numeric strings); None when no element can have it."""
    if isinstance(container, dict):
        return str(key)
    if isinstance(container, list):
        if isinstance(key, int):
            return key if key >= 0 else None
        return int(key) if re.fullmatch(r"0|[1-9][0-9]*", key) else None
    return None


def _get(container: object, key: Key) -> object:
    index = _key(container, key)
    if isinstance(container, dict):
        return container.get(str(index), _MISSING)
    if isinstance(container, list) and isinstance(index, int) and index < len(container):
        found = container[index]
        return _MISSING if found is _HOLE else found
    return _MISSING


def _keys(container: dict[str, JsonValue] | list[JsonValue]) -> list[Key]:
    return list(container) if isinstance(container, dict) else list(range(len(container)))


class _Op(msgspec.Struct):
    op: str
    path: list[Key]
    value: object = None


class _Diff:
    """just-diff: remove (in reverse), then replace, then add operations."""

    def __init__(self) -> None:
        self.remove: list[_Op] = []
        self.replace: list[_Op] = []
        self.add: list[_Op] = []

    def run(
        self, old: dict[str, JsonValue] | list[JsonValue], new: dict[str, JsonValue] | list[JsonValue]
    ) -> list[_Op]:
        self.walk(old, new, [], [])
        return self.remove[::-1] + self.replace + self.add

    def walk(self, old: object, new: object, base: list[Key], base_removes: list[Key]) -> None:
        assert isinstance(old, dict | list) and isinstance(new, dict | list)
        if _trim_from_right(old, new):
            for key in _keys(old):
                if _get(new, key) is _MISSING:
                    self.remove.append(_Op("remove", [*base_removes, key]))
            for key in _keys(new):
                self.push_replaces(key, old, new, [*base, key], [*base, key])
        else:
            assert isinstance(old, list) and isinstance(new, list)
            delta = len(old) - len(new)
            for i in range(delta):
                self.remove.append(_Op("remove", [*base_removes, i]))
            trimmed = old[delta:]
            for i in range(len(new)):
                self.push_replaces(i, trimmed, new, [*base, i], [*base, i + delta])

    def push_replaces(
        self, key: Key, old: object, new: object, path: list[Key], path_removes: list[Key]
    ) -> None:
        before, after = _get(old, key), _get(new, key)
        if before is _MISSING and after is not _MISSING:
            self.add.append(_Op("add", path, after))
        elif not _same(before, after):
            # (just-diff also replaces two empty containers whose String() differ: only possible
            # between an object and an array, which the type check already covers)
            containers = isinstance(before, dict | list) and isinstance(after, dict | list)
            if not containers or type(before) is not type(after):
                self.replace.append(_Op("replace", path, after))
            else:
                self.walk(before, after, path, path_removes)


def _same(a: object, b: object) -> bool:
    """JavaScript `===`: containers are only equal to themselves."""
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return (
        type(a) is type(b)
        and a == b
        or (isinstance(a, int | float) and isinstance(b, int | float) and a == b)
    )


def _trim_from_right(old: object, new: object) -> bool:
    if not (isinstance(old, list) and isinstance(new, list)) or len(old) <= len(new):
        return True
    delta = len(old) - len(new)
    left = 0
    for i in range(len(new)):
        if _js_string(old[i]) != _js_string(new[i]):
            break
        left += 1
    right = 0
    for j in range(len(new), 0, -1):
        if _js_string(_get(old, j + delta)) != _js_string(_get(new, j)):
            break
        right += 1
    return left >= right


class _ApplyError(Exception):
    pass


def _set(container: object, key: Key, value: object) -> None:
    index = _key(container, key)
    if isinstance(container, dict):
        container[str(index)] = value
    elif isinstance(container, list) and isinstance(index, int):
        # assigning past the end leaves holes
        while len(container) < index:
            container.append(_HOLE)
        if index == len(container):
            container.append(value)
        else:
            container[index] = value


def _apply(target: object, op: _Op) -> None:
    """just-diff-apply for one operation; raises _ApplyError where it throws."""
    *parents, last = op.path
    if last in ("__proto__", "constructor", "prototype"):
        raise _ApplyError("setting of prototype values not supported")
    current = target
    for prop in parents:
        if prop in ("__proto__", "constructor", "prototype"):
            raise _ApplyError("setting of prototype values not supported")
        if not isinstance(current, dict | list):
            raise _ApplyError("cannot use 'in' on a primitive")
        found = _get(current, prop)
        if found is _MISSING:
            found = {}
            _set(current, prop, found)
        current = found
    if current is None or current is _UNDEFINED:
        raise _ApplyError("cannot read properties of null")
    if not isinstance(current, dict | list):
        # a primitive: JS finds a string's indexes and `length` as own properties, and silently
        # ignores writes to primitives (sloppy mode); anything else is "expected to find property"
        if op.op == "add":
            return
        if isinstance(current, str) and (
            last == "length" or _key([], last) is not None and int(last) < len(current)
        ):
            return
        raise _ApplyError(f"expected to find property {op.path}")
    if op.op in ("remove", "replace") and _get(current, last) is _MISSING:
        raise _ApplyError(f"expected to find property {op.path}")
    if op.op == "remove":
        index = _key(current, last)
        if isinstance(current, dict):
            del current[str(index)]
        elif isinstance(index, int):
            del current[index]
    else:
        _set(current, last, op.value)


def _copy_path(to: object, source: object, path: list[Key], i: int) -> None:
    if i == len(path):
        return  # npm then writes `undefined` under the key "undefined": invisible in JSON
    key = path[i]
    mine, theirs = _get(to, key), _get(source, key)
    if isinstance(mine, dict | list) and isinstance(theirs, dict | list) and type(mine) is type(theirs):
        _copy_path(mine, theirs, path, i + 1)
    else:
        _set(to, key, _UNDEFINED if theirs is _MISSING else theirs)


def _to_json(value: object) -> JsonValue:
    """Drop the JS-only values as JSON.stringify would (in place: values may be shared)."""
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is _UNDEFINED]:
            del value[key]
        for item in value.values():
            _to_json(item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if item is _UNDEFINED or item is _HOLE:
                value[i] = None
            else:
                _to_json(item)
    return value  # type: ignore[return-value]


def resolve_conflicts(text: str) -> ParsedJson:
    """The JSON npm reads from conflicted lockfile text (preferring "ours"), with the formatting
    remembered from the one-line "theirs" text. Raises JSONParseError when a side is not JSON, SnpmError
    EJSONPARSE when a side is not an object or array."""
    state = "top"
    pieces = {"ours": "", "theirs": "", "parent": ""}
    for line in _LINES.split(text.removeprefix("\ufeff")):
        if _PARENT.search(line):
            state = "parent"
        elif _OURS.search(line):
            state = "ours"
        elif _THEIRS.search(line):
            state = "theirs"
        elif _END.search(line):
            state = "top"
        else:
            if state in ("top", "ours"):
                pieces["ours"] += line
            if state in ("top", "theirs"):
                pieces["theirs"] += line
            if state in ("top", "parent"):
                pieces["parent"] += line
    parent = parse_json(pieces["parent"], what="lockfile").value
    ours = parse_json(pieces["ours"], what="lockfile").value
    parsed = parse_json(pieces["theirs"], what="lockfile")
    theirs = parsed.value
    if not isinstance(parent, dict | list) or not isinstance(ours, dict | list):
        raise SnpmError("both arguments must be objects or arrays", code="EJSONPARSE")
    for op in _Diff().run(parent, ours):
        if any(isinstance(p, str) and p in _PROTOTYPE_NAMES for p in op.path):
            continue
        try:
            _apply(theirs, op)
        except _ApplyError:
            _copy_path(theirs, ours, op.path, 0)
    _to_json(theirs)
    return parsed

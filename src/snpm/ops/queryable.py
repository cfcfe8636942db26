"""npm's lib/utils/queryable.js, the reading half: `npm view <pkg> <field>` paths.

`dependencies.foo`, `contributors[0].email`, `time[1.0.0]` (brackets may hold dots), and mapping
over arrays: `contributors.email` on an array gives `{"contributors[0].email": …, …}` — with
queryable's quirk that the label glues the earlier keys together without dots (`a.b.c` over an
array at `a.b` labels its items `ab[0].c`). A value npm would leave `undefined` is `UNDEFINED`.
"""

from __future__ import annotations

import re
from typing import Final, TypeAlias

from snpm.errors import SnpmError
from snpm.json_types import JsonValue

__all__ = ["UNDEFINED", "Undefined", "parse_keys", "query"]


class Undefined:
    """JavaScript's `undefined` where a queried value does not exist."""

    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = Undefined()

Value: TypeAlias = "JsonValue | Undefined"

_SQ_BRACKETS = re.compile(r"(.+)\[([^\]]+)\]\.?(.*)$", re.DOTALL)
_EMPTY_BRACKETS = re.compile(r"^(.*)\[\]\.?(.*)$", re.DOTALL)
_APPEND = object()


class _Bracketed(str):
    """A key read from inside brackets: never split on dots (queryable's `new String`)."""

    __slots__ = ()


def _replace_append(text: str) -> list[object]:
    match = _EMPTY_BRACKETS.match(text)
    if match:
        pre, post = match.group(1), match.group(2)
        return [p for p in [*_replace_append(pre), _APPEND, post] if p]
    return [text]


def _parse_brackets(text: str) -> list[object]:
    match = _SQ_BRACKETS.match(text)
    if match:
        post = match.group(3)
        return [
            *_parse_brackets(match.group(1)),
            _Bracketed(match.group(2)),
            *(_parse_brackets(post) if post else []),
        ]
    return _replace_append(text)


def parse_keys(key: str) -> list[object]:
    """The path's keys in order (strings, with `_APPEND` for `[]`)."""
    keys: list[object] = []
    for part in _parse_brackets(key.strip()):
        if isinstance(part, _Bracketed) or part is _APPEND:
            keys.append(str(part) if isinstance(part, _Bracketed) else part)
        else:
            keys.extend(str(part).split("."))
    return keys


def _is_integer_key(key: str) -> bool:
    """Number.isInteger(Number(key)), for the strings a path holds."""
    text = key.strip()
    if text == "":
        return True
    try:
        number = float(text) if not re.match(r"^0[xXoObB]", text) else int(text, 0)
    except ValueError:
        return False
    return float(number).is_integer()


def _own(data: Value, key: str) -> tuple[bool, Value]:
    """Object.hasOwn(data, key) and the value found."""
    if isinstance(data, dict):
        return (True, data[key]) if key in data else (False, UNDEFINED)
    if isinstance(data, list | str):
        if key == "length":
            return True, len(data)
        if key.isdigit() and (key == "0" or not key.startswith("0")) and int(key) < len(data):
            return True, data[int(key)]
        return False, UNDEFINED
    if data is None or isinstance(data, Undefined):
        raise SnpmError("Cannot convert undefined or null to object", code=None)
    return False, UNDEFINED


def _item(item: Value, key: str) -> Value:
    """`item[key]` in JS for an array element (strings have indices and a length)."""
    if item is None or isinstance(item, Undefined):
        shown = "null" if item is None else "undefined"
        raise SnpmError(f"Cannot read properties of {shown} (reading '{key}')")
    found, value = _own(item, key)
    return value if found else UNDEFINED


def query(data: Value, key: str, *, unwrap_single_item_arrays: bool = True) -> dict[str, Value] | None:
    """Queryable's getter: `{key: value}`, a mapped `{label[i].k: value}`, or None when absent."""
    current: Value = data
    label = ""
    for k in parse_keys(key):
        if k is _APPEND:
            raise SnpmError(
                "Empty brackets are not valid syntax for retrieving values.", code="EINVALIDSYNTAX"
            )
        assert isinstance(k, str)
        if isinstance(current, list) and not _is_integer_key(k):
            return {f"{label}[{index}].{k}": _item(item, k) for index, item in enumerate(current)}
        found, value = _own(current, k)
        if not found:
            return None
        current = value
        label += k
    if unwrap_single_item_arrays and isinstance(current, list) and len(current) <= 1:
        current = current[0] if current else UNDEFINED
    return {key: current}

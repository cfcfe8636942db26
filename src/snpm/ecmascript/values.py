"""JavaScript's conversions of a whole value: `Boolean(value)` (truthiness), `String(value)` and
`typeof`, for the Python values that stand for JS ones (None for null, bool, int/float for numbers,
str, list for arrays, dict for objects).

Python's `bool()` and `str()` disagree with JavaScript exactly where npm's code branches: `[]` and
`{}` are truthy in JS and NaN is falsy; `String(1.0)` is `"1"` and `String([1, null])` is `"1,"`.
"""

from __future__ import annotations

from snpm.ecmascript.numbers import number_to_string

__all__ = ["to_string", "truthy", "typeof"]


def truthy(value: object) -> bool:
    """`Boolean(value)`: false for null, false, 0, NaN and "", true for everything else (also `[]`, `{}`)."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float):
        return value == value and value != 0  # NaN != NaN
    if isinstance(value, str):
        return value != ""
    return True


def to_string(value: object) -> str:
    """`String(value)`: arrays join their items with commas (null as empty), other objects are
    `[object Object]`, numbers print as JS prints them."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_to_string(value)
    if isinstance(value, list):
        return ",".join("" if item is None else to_string(item) for item in value)
    return "[object Object]"


def typeof(value: object) -> str:
    """The `typeof` the value would have in JS (`null` is an "object"), for error messages."""
    if value is None:
        return "object"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if callable(value):
        return "function"
    return "object"

"""ECMAScript numbers: `Number(value)`, the global `isNaN`, and `Number#toString`.

JS numbers are doubles. Python's `float(s)` and `str(x)` differ from `Number(s)` and `String(x)` at
the edges npm's output shows: `Number(" 0x10 ")` is 16 and `Number("1_0")` NaN; `Number("١")` is NaN
(only ASCII digits); `String(1e21)` is `"1e+21"`, `String(1.0)` is `"1"`, `String(2**60)` is
`"1152921504606847000"` (an integer past 2**53 is a rounded double). Python ints stand for JS
numbers here and print as the double they would be.
"""

from __future__ import annotations

import math
import re
from functools import cache

from snpm.ecmascript.strings import WHITESPACE

__all__ = ["MAX_SAFE_INTEGER", "is_nan", "number_to_string", "to_number"]

MAX_SAFE_INTEGER = 2**53 - 1


# StringNumericLiteral: decimal (with Infinity) or an unsigned binary/octal/hex integer;
# compiled on first use: most runs never need it, and compiling costs start-up time
@cache
def _numeric_literal() -> re.Pattern[str]:
    return re.compile(
        r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\Z"
        r"|0[xX][0-9a-fA-F]+\Z|0[oO][0-7]+\Z|0[bB][01]+\Z",
        re.ASCII,
    )


def to_number(value: object) -> float:
    """`Number(value)` for primitives (strings, numbers, booleans, null); anything else is NaN."""
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int | float):
        return _to_double(value)
    if not isinstance(value, str):
        return math.nan
    text = value.strip(WHITESPACE)
    if not text:
        return 0.0
    if not _numeric_literal().match(text):
        return math.nan
    if text[:2] in ("0x", "0X", "0o", "0O", "0b", "0B"):
        return _to_double(int(text, 0))
    return float(text)


def _to_double(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer past the largest double
        return math.inf if value > 0 else -math.inf


def is_nan(value: object) -> bool:
    """The global `isNaN(value)`: true when `Number(value)` is NaN."""
    return math.isnan(to_number(value))


def number_to_string(value: float | int) -> str:
    """`Number#toString()`: the shortest digits that round-trip, in JS's layout (`1e+21`, `1e-7`)."""
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return str(value)
        value = _to_double(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"  # also -0
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return str(int(value))
    sign = "-" if value < 0 else ""
    # repr() gives the shortest round-trip digits, like JS; only the layout differs
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0").rstrip("0") or "0"
    # point: where the decimal point sits relative to the digits (ECMA-262 Number::toString's n)
    if whole == "0":
        point = -(len(frac) - len(frac.lstrip("0")))
    else:
        point = len(whole)
    point += int(exp_text) if exp_text else 0
    k = len(digits)
    if k <= point <= 21:
        text = digits + "0" * (point - k)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * (-point) + digits
    else:
        exponent = point - 1
        exp = ("+" if exponent >= 0 else "-") + str(abs(exponent))
        text = (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + exp
    return sign + text

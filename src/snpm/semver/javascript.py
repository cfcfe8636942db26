"""The few JavaScript value semantics node-semver relies on, so the port behaves like the original.

node-semver trims with `String#trim`, splits on `/\\s+/`, turns digit strings into doubles with `+s`
and prints numbers with `Number#toString`. Python's `str.strip`, `\\s`, `int()` and `str()` differ at
the edges (Unicode spaces, U+FEFF, integers past 2**53, `1e+21`), and those edges are observable in
range desugaring (`^9007199254740991.0.0` must fail as "Invalid major version"). Pure; imports nothing
from snpm.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

# ECMAScript WhiteSpace + LineTerminator: what `String#trim` removes and `\s` matches.
WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# The same set written for the inside of a regex character class.
WHITESPACE_CLASS = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"

WHITESPACE_RUN = re.compile(f"[{WHITESPACE_CLASS}]+")

_NUMERIC_LITERAL = re.compile(
    r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\Z"
    r"|0[xX][0-9a-fA-F]+\Z|0[oO][0-7]+\Z|0[bB][01]+\Z",
    re.ASCII,
)


def trim(value: str) -> str:
    """`String#trim`."""
    return value.strip(WHITESPACE)


def length(value: str) -> int:
    """`String#length`: UTF-16 code units, so characters beyond U+FFFF count twice."""
    return len(value) if value.isascii() else len(value.encode("utf-16-le")) // 2


def split_whitespace(value: str) -> list[str]:
    """`value.split(/\\s+/)` (keeps the empty edge items JS keeps)."""
    return WHITESPACE_RUN.split(value)


def typeof(value: object) -> str:
    """The `typeof` a Python value would have had in JS, for error messages."""
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


def to_number(value: object) -> float:
    """`Number(value)` for the primitive values semver sees (strings, numbers, booleans, null)."""
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return math.nan
    text = trim(value)
    if not text:
        return 0.0
    if not _NUMERIC_LITERAL.match(text):
        return math.nan
    if text[:2] in ("0x", "0X", "0o", "0O", "0b", "0B"):
        return float(int(text, 0))
    return float(text)


def is_nan(value: object) -> bool:
    """The global `isNaN(value)` (coerces first)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return math.isnan(to_number(value))
    return True


def number_to_string(value: float) -> str:
    """`Number#toString()` for a double (shortest round-trip digits, JS exponent rules)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = exponent + k
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def increment(digits: str) -> str:
    """`String(+digits + 1)`: exact below 2**53, double arithmetic (and its rounding) above."""
    if len(digits) <= 15:
        return str(int(digits) + 1)
    return number_to_string(float(digits) + 1)

"""JSON text as npm's JavaScript reads and writes it: parsing with format detection, `JSON.stringify`,
json-stringify-nice's sorted output, and `localeCompare(other, 'en')` ordering.

npm writes package.json and lockfiles with `JSON.stringify(value, null, indent)` after restoring the
indent and newline that json-parse-even-better-errors found in the file it read. Byte-exact output
therefore needs JavaScript's semantics where Python's differ: objects list integer-like keys first
(a JS object property order rule), numbers print with `Number#toString` (`1`, not `1.0`; `1e+21`),
`String#trim` strips U+FEFF, and ICU collation (not code points) orders keys sorted with
`localeCompare`.

This module is kept byte-identical in `snpm.lockfile` and `snpm.manifest`: layer-1 packages may not
import each other, and both need it (a unit test checks that the copies match). Imports only layer 0.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import msgspec

from snpm.errors import SnpmError
from snpm.json_types import JsonValue

__all__ = [
    "ParsedJson",
    "js_number",
    "js_trim",
    "locale_key",
    "parse_json",
    "sort_keys_nice",
    "stringify",
    "stringify_nice",
]

# ── ICU collation for `localeCompare(other, 'en')` ─────────────────────────────────────────────────
# The root collation orders printable ASCII like this at the primary level (measured with node 20's
# ICU: letters compare case-insensitively first, then lowercase sorts before uppercase; digits are not
# compared numerically). C0 controls other than \t\n\v\f\r, and DEL, are completely ignorable.
_PRIMARY_ORDER = "\t\n\x0b\x0c\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_IGNORABLE = [c for c in range(0x80) if chr(c) not in _PRIMARY_ORDER and not chr(c).isupper()]
_PRIMARY: dict[int, str | None] = {ord(c): chr(0x20 + i) for i, c in enumerate(_PRIMARY_ORDER)}
_PRIMARY.update({ord(c.upper()): chr(0x20 + _PRIMARY_ORDER.index(c)) for c in "abcdefghijklmnopqrstuvwxyz"})
_PRIMARY.update(dict.fromkeys(_IGNORABLE))
_SECONDARY: dict[int, str | None] = {c: "\x01" for c in range(0x80)}
_SECONDARY.update(dict.fromkeys(_IGNORABLE))
_TERTIARY: dict[int, str | None] = {c: ("\x02" if chr(c).isupper() else "\x01") for c in range(0x80)}
_TERTIARY.update(dict.fromkeys(_IGNORABLE))
# Characters outside ASCII sort after every ASCII primary, by code point (an approximation of the
# full Unicode collation table; npm's own names and paths are ASCII).
_NON_ASCII_BASE = 0x100


@lru_cache(maxsize=65536)
def locale_key(text: str) -> tuple[str, str, str]:
    """A sort key ordering strings like `a.localeCompare(b, 'en')` (exact for ASCII)."""
    if text.isascii():
        return text.translate(_PRIMARY), text.translate(_SECONDARY), text.translate(_TERTIARY)
    primary: list[str] = []
    secondary: list[str] = []
    tertiary: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        code = ord(char)
        if code < 0x80:
            weight = _PRIMARY[code]
            if weight is not None:
                primary.append(weight)
                secondary.append("\x01")
                tertiary.append(_TERTIARY[code] or "")
        elif unicodedata.combining(char):
            # an accent: no primary weight, a secondary difference after its base letter
            secondary.append(chr(0x100 + code % 0xFF00))
        else:
            lower = char.lower()
            primary.append(chr(min(0x10FFFF, _NON_ASCII_BASE + ord(lower[0]))))
            secondary.append("\x01")
            tertiary.append("\x02" if char != lower else "\x01")
    return "".join(primary), "".join(secondary), "".join(tertiary)


# ── JavaScript value semantics ─────────────────────────────────────────────────────────────────────
# ECMAScript WhiteSpace + LineTerminator (what `String#trim` strips and regex `\s` matches)
_JS_SPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_SPACE_CHARS = (
    "\t\n\x0b\x0c\r \xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)
# an "array index" property key: JS objects iterate these first, in numeric order
_INDEX_KEY = re.compile(r"(?:0|[1-9][0-9]{0,9})\Z")
_MAX_INDEX = 2**32 - 2
_MAX_SAFE = 2**53


def js_trim(text: str) -> str:
    """`String#trim` (also strips U+FEFF, unlike `str.strip`)."""
    return text.strip(_JS_SPACE_CHARS)


def js_number(value: float | int) -> str:
    """`Number#toString` for a JSON number (what `JSON.stringify` prints; non-finite → `null`)."""
    if isinstance(value, int):
        if -_MAX_SAFE < value < _MAX_SAFE:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            return "null"
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < _MAX_SAFE:
        return str(int(value))
    sign = "-" if value < 0 else ""
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0").rstrip("0") or "0"
    # n: where the decimal point sits relative to the digits (ECMAScript Number::toString)
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


def _is_index_key(key: str) -> bool:
    return key[:1].isdigit() and _INDEX_KEY.match(key) is not None and int(key) <= _MAX_INDEX


def js_key_order(keys: Sequence[str]) -> Sequence[str]:
    """The order a JS object built by inserting `keys` in turn would iterate them in."""
    index_keys = [k for k in keys if k[:1].isdigit() and _is_index_key(k)]
    if not index_keys:
        return keys
    index_keys.sort(key=int)
    seen = set(index_keys)
    return index_keys + [k for k in keys if k not in seen]


# ── parsing (json-parse-even-better-errors) ────────────────────────────────────────────────────────
# Both patterns are the library's, with JS `\s` spelled out; `$` is JS end-of-input (`\Z`).
_FORMAT = re.compile(f"[{_JS_SPACE}]*[{{\\[]((?:\r?\n)+)([{_JS_SPACE}]*)")
_EMPTY = re.compile(r"(?:\{\}|\[\])((?:\r?\n)+)?\Z")


@dataclass(frozen=True, slots=True)
class ParsedJson:
    """A parsed JSON document and the formatting npm remembers from it (`Symbol.for('indent')`,
    `Symbol.for('newline')`; both None when the top value is not an object or array)."""

    value: JsonValue
    indent: str | None
    newline: str | None


def _reject_constant(name: str) -> JsonValue:
    raise ValueError(f"Unexpected token {name[:1]!r}")


def parse_json(text: str | bytes, *, what: str = "JSON") -> ParsedJson:
    """`JSON.parse` after stripping a BOM, remembering indent and newline like npm does.

    Raises SnpmError(code="EJSONPARSE") on invalid JSON.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    value: JsonValue
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        # msgspec refuses what JSON.parse accepts in one case: escaped lone surrogates ("\ud800").
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as err:
            raise SnpmError(f"{err} while parsing {what}", code="EJSONPARSE") from None
    if not isinstance(value, dict | list):
        return ParsedJson(value, None, None)
    match = _EMPTY.match(text) or _FORMAT.match(text)
    if match is None:
        return ParsedJson(value, "", "")
    newline, indent = match.group(1), match.group(2) if match.re is _FORMAT else None
    return ParsedJson(value, "  " if indent is None else indent, "\n" if newline is None else newline)


# ── stringify ──────────────────────────────────────────────────────────────────────────────────────
def _indent_text(indent: str | int) -> str:
    """The gap JSON.stringify uses for a `space` argument: at most 10 spaces or 10 characters."""
    if isinstance(indent, bool):
        return ""
    if isinstance(indent, int):
        return " " * max(0, min(10, indent))
    return indent[:10]


KeySorter = Callable[[dict[str, JsonValue]], list[str]]


def _prepare(value: JsonValue, sorter: KeySorter | None) -> object:
    """A copy msgspec encodes exactly like JSON.stringify: JS key order, JS number text."""
    if isinstance(value, str) or value is None or value is True or value is False:
        return value
    if isinstance(value, dict):
        return _prepare_object(value, sorter)
    if isinstance(value, list):
        return [_prepare(v, sorter) for v in value]
    if isinstance(value, int) and -_MAX_SAFE < value < _MAX_SAFE:
        return value
    return msgspec.Raw(js_number(value).encode())


def _prepare_object(obj: dict[str, JsonValue], sorter: KeySorter | None) -> dict[str, object]:
    keys = sorter(obj) if sorter is not None else list(obj)
    out: dict[str, object] = {}
    for key in js_key_order(keys):
        value = obj[key]
        kind = type(value)
        # strings and booleans are most of a lockfile: handled here without a call
        if kind is str or kind is bool or value is None:
            out[key] = value
        elif kind is dict:
            out[key] = _prepare_object(value, sorter)  # type: ignore[arg-type]
        else:
            out[key] = _prepare(value, sorter)
    return out


_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _STRING_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _quote(text: str) -> str:
    # well-formed JSON.stringify: lone surrogates are written as \udxxx escapes
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, text) + '"'


def _write(value: object, gap: str, depth: int, out: list[str]) -> None:
    """JSON.stringify's serializer in Python, used when msgspec cannot encode a value."""
    if isinstance(value, msgspec.Raw):
        out.append(bytes(value).decode())
    elif isinstance(value, str):
        out.append(_quote(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, dict | list):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        open_, close = ("{", "}") if isinstance(value, dict) else ("[", "]")
        if not items:
            out.append(open_ + close)
            return
        inner = "\n" + gap * (depth + 1) if gap else ""
        out.append(open_)
        for i, (key, item) in enumerate(items):
            out.append(("," if i else "") + inner)
            if isinstance(value, dict):
                out.append(_quote(str(key)) + (": " if gap else ":"))
            _write(item, gap, depth + 1, out)
        out.append(("\n" + gap * depth if gap else "") + close)
    else:
        raise TypeError(f"not JSON: {type(value).__name__}")


_LEADING_SPACES = re.compile(rb"^ +", re.MULTILINE)


def _encode(prepared: object, gap: str) -> str:
    try:
        data = msgspec.json.encode(prepared)
    except (msgspec.EncodeError, UnicodeEncodeError):
        out: list[str] = []
        _write(prepared, gap, 0, out)
        return "".join(out)
    if not gap:
        return data.decode()
    if gap == " " * len(gap):
        return msgspec.json.format(data, indent=len(gap)).decode()
    # another gap (tabs, mixed): format one space per level, then widen each level to the gap; JSON
    # strings never hold a raw newline, so leading spaces on a line are indentation only
    pretty = msgspec.json.format(data, indent=1)
    unit = gap.encode()
    return _LEADING_SPACES.sub(lambda m: unit * len(m.group()), pretty).decode()


def stringify(value: JsonValue, indent: str | int = 2) -> str:
    """`JSON.stringify(value, null, indent)`."""
    return _encode(_prepare(value, None), _indent_text(indent))


def sort_keys_nice(prefer: Sequence[str]) -> KeySorter:
    """json-stringify-nice's key order: non-objects before objects (arrays count as non-objects),
    then the preferred keys in their order, then the rest by `localeCompare(other, 'en')`."""
    rank: dict[str, tuple[int, tuple[str, str, str]]] = {
        key: (i, ("", "", "")) for i, key in enumerate(prefer)
    }
    after = len(prefer)

    def sort_key(key: str) -> tuple[int, tuple[str, str, str]]:
        found = rank.get(key)
        if found is None:
            # the sorter's own memo: keys repeat across thousands of lockfile entries
            found = rank[key] = (after, locale_key(key))
        return found

    def order(obj: dict[str, JsonValue]) -> list[str]:
        plain = [k for k, v in obj.items() if not isinstance(v, dict)]
        if len(plain) == len(obj):
            return sorted(plain, key=sort_key)
        nested = [k for k, v in obj.items() if isinstance(v, dict)]
        return sorted(plain, key=sort_key) + sorted(nested, key=sort_key)

    return order


def stringify_nice(value: JsonValue, prefer: Sequence[str] = (), indent: str | int = 2) -> str:
    """json-stringify-nice: every object sorted (see `sort_keys_nice`), a trailing newline when indented."""
    gap = _indent_text(indent)
    return _encode(_prepare(value, sort_keys_nice(prefer)), gap) + ("\n" if gap else "")

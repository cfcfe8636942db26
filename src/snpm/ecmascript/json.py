"""JSON text as npm's JavaScript reads and writes it: `JSON.parse` the way json-parse-even-better-errors
does it (BOM stripped, indent and newline remembered), `JSON.stringify`, json-stringify-nice's sorted
output, and the property order of JS objects.

npm writes package.json and lockfiles with `JSON.stringify(value, null, indent)` after restoring the
indent and newline it found in the file it read. Byte-exact output needs JavaScript's semantics where
Python's differ: an object lists integer-like keys first, in numeric order (a JS property order
rule); numbers print with `Number#toString` (`1`, not `1.0`; `1e+21`); a lone surrogate is written as
a `\\udxxx` escape (well-formed JSON.stringify); json-stringify-nice sorts keys with
`localeCompare(other, 'en')` (ICU collation, not code points).

msgspec does the encoding and decoding (it is many times faster than the json module); values are
first rewritten into what msgspec encodes exactly like JSON.stringify, and the few things msgspec
refuses (lone surrogates) fall back to a serializer written here. When msgspec refuses a text, the
error npm would print is worked out then, and only then: V8's message (`json_errors`) wrapped the
way json-parse-even-better-errors wraps it (`even_better_errors`). msgspec itself (with what it
imports, ~8 ms) loads at the first parse or stringify, not with this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Final, TypeAlias

from snpm.ecmascript.collation import CollationKey, locale_compare_key
from snpm.ecmascript.numbers import MAX_SAFE_INTEGER, number_to_string
from snpm.ecmascript.strings import WHITESPACE_CLASS
from snpm.record import Record

__all__ = [
    "JSONParseError",
    "JsonValue",
    "KeySorter",
    "ParsedJson",
    "json_number",
    "json_parse_error",
    "key_order",
    "parse_json",
    "sort_keys_nice",
    "stringify",
    "stringify_nice",
]

# snpm.json_types' alias, spelled again because this package imports nothing from snpm; type
# aliases are structural, so the two are interchangeable
JsonValue: TypeAlias = "None | bool | int | float | str | list[JsonValue] | dict[str, JsonValue]"


# ── the property order of JS objects ───────────────────────────────────────────────────────────────
# an "array index" property key: JS objects iterate these first, in numeric order
_INDEX_KEY = re.compile(r"(?:0|[1-9][0-9]{0,9})\Z")
_MAX_INDEX = 2**32 - 2


def _is_index_key(key: str) -> bool:
    return key[:1].isdigit() and _INDEX_KEY.match(key) is not None and int(key) <= _MAX_INDEX


def key_order(keys: Sequence[str]) -> Sequence[str]:
    """The order a JS object built by inserting `keys` in turn iterates them in."""
    index_keys = [k for k in keys if k[:1].isdigit() and _is_index_key(k)]
    if not index_keys:
        return keys
    index_keys.sort(key=int)
    seen = set(index_keys)
    return index_keys + [k for k in keys if k not in seen]


def json_number(value: float | int) -> str:
    """How `JSON.stringify` writes a number: `Number#toString`, with `null` for NaN and ±Infinity."""
    text = number_to_string(value)
    return text if text[-1].isdigit() else "null"  # only NaN and ±Infinity end in a letter


# ── parsing (json-parse-even-better-errors) ────────────────────────────────────────────────────────
# Both patterns are the library's, with JS `\s` spelled out; `$` is JS end-of-input (`\Z`).
_FORMAT = re.compile(f"[{WHITESPACE_CLASS}]*[{{\\[]((?:\r?\n)+)([{WHITESPACE_CLASS}]*)")
_EMPTY = re.compile(r"(?:\{\}|\[\])((?:\r?\n)+)?\Z")


class JSONParseError(ValueError):
    """json-parse-even-better-errors' JSONParseError: `code` is always EJSONPARSE, `message` the
    library's text (V8's message, reworded, and `while parsing <context>`), `position` the UTF-16
    index it names (0 when none), `system_message` V8's own message. `str()` is JS's `String(err)`,
    `JSONParseError: <message>`, which is what npm interpolates (`Invalid package.json: ${err}`)."""

    code = "EJSONPARSE"
    name = "JSONParseError"

    def __init__(self, message: str, position: int = 0, system_message: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.system_message = system_message or message

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


def json_parse_error(text: str) -> JSONParseError | None:
    """The JSONParseError json-parse-even-better-errors throws for `text` (BOM already stripped),
    or None when `JSON.parse` accepts it. Only for text a decoder has already refused: it walks the
    text again to find V8's message."""
    # imported here: the error path's regexes cost start-up time every valid read would pay
    from snpm.ecmascript.even_better_errors import even_better_error
    from snpm.ecmascript.json_errors import json_parse_error_message

    system_message = json_parse_error_message(text)
    if system_message is None:
        return None
    wrapped = even_better_error(system_message, text)
    return JSONParseError(wrapped.message, wrapped.position, system_message)


class ParsedJson(Record):
    """A parsed JSON document and the formatting npm remembers from it (`Symbol.for('indent')`,
    `Symbol.for('newline')`; both None when the top value is not an object or array). A Record,
    not a dataclass: see `snpm.cli.command.CommandContext`."""

    _FIELDS = ("value", "indent", "newline")
    __slots__ = _FIELDS

    def __init__(self, value: JsonValue, indent: str | None, newline: str | None) -> None:
        self.value: Final = value
        self.indent: Final = indent
        self.newline: Final = newline


def parse_json(text: str | bytes, *, what: str | None = None) -> ParsedJson:
    """`JSON.parse` after stripping a BOM, remembering indent and newline like npm does.

    Raises `JSONParseError` with json-parse-even-better-errors' message on invalid JSON. `what` is
    not used: the message always ends with the library's `while parsing <context>` (the argument
    stays for callers that still pass it).
    """
    del what
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    import msgspec

    value: JsonValue
    try:
        value = msgspec.json.decode(text)
    except (msgspec.DecodeError, UnicodeEncodeError):
        # only now, on the failure path, is V8's verdict worked out
        error = json_parse_error(text)
        if error is not None:
            raise error from None
        # msgspec refuses some of what JSON.parse accepts: escaped lone surrogates ("\ud800"), raw
        # lone surrogates in a str, numbers past the double range (1e400 is Infinity)
        try:
            value = json.loads(text)
        except RecursionError:
            raise JSONParseError("Maximum call stack size exceeded") from None
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
    if isinstance(value, int) and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    import msgspec

    return msgspec.Raw(json_number(value).encode())


def _prepare_object(obj: dict[str, JsonValue], sorter: KeySorter | None) -> dict[str, object]:
    keys = sorter(obj) if sorter is not None else list(obj)
    out: dict[str, object] = {}
    for key in key_order(keys):
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
    import msgspec

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
    import msgspec

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
    """`JSON.stringify(value, null, indent)` (`indent=0` or `""`: the compact form)."""
    if isinstance(value, str):
        # what msgspec would write, character for character; the settings table quotes its
        # defaults this way at import, and that should not import msgspec
        return _quote(value)
    return _encode(_prepare(value, None), _indent_text(indent))


_PREFERRED_KEY: CollationKey = ("", "", "")


def sort_keys_nice(prefer: Sequence[str]) -> KeySorter:
    """json-stringify-nice's key order: non-objects before objects (arrays count as non-objects),
    then the preferred keys in their order, then the rest by `localeCompare(other, 'en')`."""
    rank: dict[str, tuple[int, CollationKey]] = {key: (i, _PREFERRED_KEY) for i, key in enumerate(prefer)}
    after = len(prefer)

    def sort_key(key: str) -> tuple[int, CollationKey]:
        found = rank.get(key)
        if found is None:
            # the sorter's own memo: keys repeat across thousands of lockfile entries
            found = rank[key] = (after, locale_compare_key(key))
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

"""json-parse-even-better-errors' error text (npm's bundled 5.0.0): how npm words a JSON syntax error.

Every JSON file npm reads (package.json through @npmcli/package-json, lockfiles through
parse-conflict-json, libnpmversion's package.json) goes through this library, which takes V8's
SyntaxError (`snpm.ecmascript.json_errors`) and rewrites it as a `JSONParseError` with code
EJSONPARSE:

- `Unexpected token 'x', "…" is not valid JSON` becomes `Unexpected token "x" (0x78), "…" is not
  valid JSON` (the token through `JSON.stringify`, its UTF-16 code in hex); the library's pattern
  uses JS `.`, so a U+2028/U+2029 token is left as V8 wrote it;
- ` while parsing <context>` is appended: for an empty text `empty string`; when the message names
  a position (the first ` position <digits>` anywhere in it, even inside V8's quoted snippet) or is
  "Unexpected end of JSON input" (at the last code unit), up to 20 code units each side of it through
  `JSON.stringify`, with `...` where cut and `near ` unless the snippet is the whole text; otherwise
  the first 40 code units in single quotes, as they are;
- `position` is that position, or 0.

Imports only snpm.ecmascript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from snpm.ecmascript.json_errors import from_utf16_units, json_parse_error_message, to_utf16_units
from snpm.ecmascript.strings import WHITESPACE_CLASS
from snpm.ecmascript.values import to_string

__all__ = [
    "DEFAULT_CONTEXT",
    "ParseErrorText",
    "even_better_error",
    "non_string_error_message",
]

DEFAULT_CONTEXT: Final = 20
# /^Unexpected token '?(.)'?(,)? /i with JS `.` (no line terminators); ASCII-only case folding,
# as a JS regex without the `u` flag folds these letters
_UNEXPECTED_TOKEN = re.compile(
    "^[Uu][Nn][Ee][Xx][Pp][Ee][Cc][Tt][Ee][Dd] [Tt][Oo][Kk][Ee][Nn] '?([^\\n\\r\\u2028\\u2029])'?(,)? "
)
# / position\s+(\d+)/i
_POSITION = re.compile(f" [Pp][Oo][Ss][Ii][Tt][Ii][Oo][Nn][{WHITESPACE_CLASS}]+([0-9]+)")
# /^Unexpected end of JSON.*/i
_UNEXPECTED_END = re.compile(
    "^[Uu][Nn][Ee][Xx][Pp][Ee][Cc][Tt][Ee][Dd] [Ee][Nn][Dd] [Oo][Ff] [Jj][Ss][Oo][Nn]"
)

_STRINGIFY_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# JSON.stringify escapes C0 controls, `"`, `\` and (well-formed JSON.stringify) lone surrogates
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _STRINGIFY_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _stringify(units: str) -> str:
    """`JSON.stringify(string)` of a string given as UTF-16 code units (a JS string)."""
    # pairs become one character first, so only lone surrogates are left to escape
    return '"' + _NEEDS_ESCAPE.sub(_escape, from_utf16_units(units)) + '"'


def _hexify(unit: str) -> str:
    code = f"{ord(unit):X}"
    return f"0x{'0' if len(code) % 2 else ''}{code}"


@dataclass(frozen=True, slots=True)
class ParseErrorText:
    """The library's `makeParsedError`: the JSONParseError's `message` and `position`."""

    message: str
    position: int


def even_better_error(system_message: str, text: str, context: int = DEFAULT_CONTEXT) -> ParseErrorText:
    """`parseError(e, txt, context)`: the message and position of the JSONParseError that the
    library throws for `text` (already BOM-stripped) when `JSON.parse` failed with `system_message`."""
    if not text:
        return ParseErrorText(f"{system_message} while parsing empty string", 0)
    msg = to_utf16_units(system_message)
    units = to_utf16_units(text)
    token = _UNEXPECTED_TOKEN.match(msg)
    if token is not None:
        char, comma = token.group(1), token.group(2) or ""
        msg = f"Unexpected token {_stringify(char)} ({_hexify(char)}){comma} " + msg[token.end() :]
    index = _POSITION.search(msg)
    at: int | None
    if index is not None:
        at = int(index.group(1))
    elif _UNEXPECTED_END.match(msg):
        at = len(units) - 1
    else:
        at = None
    if at is None:
        return ParseErrorText(from_utf16_units(f"{msg} while parsing '{units[: context * 2]}'"), 0)
    start = 0 if at <= context else at - context
    end = len(units) if at + context >= len(units) else at + context
    snippet = ("..." if start else "") + units[start:end] + ("" if end == len(units) else "...")
    near = "" if snippet == units else "near "
    return ParseErrorText(from_utf16_units(f"{msg} while parsing {near}{_stringify(snippet)}"), at)


def non_string_error_message(value: object) -> str | None:
    """The TypeError message (code EJSONPARSE) the library throws when handed a value that is
    neither a string nor a Buffer and `String(value)` is not JSON; None when it parses."""
    text = to_string(value)
    if text.startswith("\ufeff"):
        text = text[1:]
    if json_parse_error_message(text) is None:
        return None
    shown = "an empty array" if isinstance(value, list) and not value else to_string(value)
    return f"Cannot parse {shown}"

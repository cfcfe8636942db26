"""ECMAScript's string semantics where Python's differ: whitespace, `trim`, `split(/\\s+/)`, UTF-16
`length`, the regex `.`, and `encodeURIComponent`/`decodeURIComponent`.

Python's nearest equivalents disagree at the edges, and npm's libraries decide things at exactly
those edges: `str.strip()` and `\\s` also take U+001C-U+001F and U+0085 but `str.strip()` keeps U+FEFF;
`len()` counts code points where JS counts UTF-16 units (`"😀".length === 2`); Python's `.` matches
`\\r`; `urllib.parse.unquote` never fails where `decodeURIComponent` throws a URIError (npm-package-arg
and hosted-git-info rely on that throw). Expected values are node 20's
(`tests/unit/ecmascript/test_ecmascript_node_e2e.py` compares them with node itself).
"""

from __future__ import annotations

import re

__all__ = [
    "NOT_LINE_TERMINATOR",
    "WHITESPACE",
    "WHITESPACE_CLASS",
    "WHITESPACE_RE",
    "WHITESPACE_RUN",
    "URIError",
    "decode_uri_component",
    "encode_uri_component",
    "is_uri_component_safe",
    "split_whitespace",
    "trim",
    "utf16_length",
]

# ECMAScript WhiteSpace + LineTerminator: what `String#trim` removes and what regex `\s` matches.
WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# The same set spelled for the inside of a regex character class: `f"[{WHITESPACE_CLASS}]"` is JS `\s`.
WHITESPACE_CLASS = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
WHITESPACE_RE = re.compile(f"[{WHITESPACE_CLASS}]")
WHITESPACE_RUN = re.compile(f"[{WHITESPACE_CLASS}]+")
# JS regex `.`: anything but its line terminators (Python's `.` also takes `\r`, `\u2028`, `\u2029`).
NOT_LINE_TERMINATOR = "[^\\n\\r\\u2028\\u2029]"

# encodeURIComponent leaves exactly these alone (ECMA-262 uriUnreserved).
_URI_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
_URI_COMPONENT_SAFE = re.compile(r"[A-Za-z0-9\-_.!~*'()]*\Z")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class URIError(ValueError):  # noqa: N818 - JavaScript's name for it
    """What `encodeURIComponent`/`decodeURIComponent` throw: always "URI malformed"."""

    def __init__(self) -> None:
        super().__init__("URI malformed")


def trim(text: str) -> str:
    """`String#trim`."""
    return text.strip(WHITESPACE)


def split_whitespace(text: str) -> list[str]:
    """`text.split(/\\s+/)` (keeps the empty first and last items JS keeps)."""
    return WHITESPACE_RUN.split(text)


def utf16_length(text: str) -> int:
    """`String#length`: UTF-16 code units, so characters beyond U+FFFF count twice."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def is_uri_component_safe(text: str) -> bool:
    """`encodeURIComponent(text) === text`, without building the encoded string."""
    return _URI_COMPONENT_SAFE.match(text) is not None


def encode_uri_component(text: str) -> str:
    """`encodeURIComponent`: UTF-8 percent-encoding of everything but uriUnreserved.

    Raises `URIError` for a lone surrogate, as JS does.
    """
    if is_uri_component_safe(text):
        return text
    out: list[str] = []
    for ch in text:
        if ch in _URI_UNRESERVED:
            out.append(ch)
            continue
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise URIError
        out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8"))
    return "".join(out)


def decode_uri_component(text: str) -> str:
    """`decodeURIComponent`: raises `URIError` on a bad escape or bad UTF-8, as JS does."""
    if "%" not in text:
        return text
    out: list[str] = []
    i = 0
    end = len(text)
    while i < end:
        ch = text[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        lead = _hex_byte(text, i)
        i += 3
        if lead < 0x80:
            out.append(chr(lead))
            continue
        if lead & 0xE0 == 0xC0:
            count = 2
        elif lead & 0xF0 == 0xE0:
            count = 3
        elif lead & 0xF8 == 0xF0:
            count = 4
        else:
            raise URIError
        octets = bytearray([lead])
        for _ in range(count - 1):
            octet = _hex_byte(text, i)
            if octet & 0xC0 != 0x80:
                raise URIError
            octets.append(octet)
            i += 3
        try:
            # strict UTF-8 refuses overlong forms, surrogates and values past U+10FFFF, like ECMA-262
            out.append(octets.decode("utf-8"))
        except UnicodeDecodeError:
            raise URIError from None
    return "".join(out)


def _hex_byte(text: str, at: int) -> int:
    if at + 2 >= len(text) or text[at] != "%":
        raise URIError
    if text[at + 1] not in _HEX_DIGITS or text[at + 2] not in _HEX_DIGITS:
        raise URIError
    return int(text[at + 1 : at + 3], 16)

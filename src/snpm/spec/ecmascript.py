"""The ECMAScript string built-ins that npm's spec libraries lean on, with JavaScript's exact semantics.

npm-package-arg, hosted-git-info and validate-npm-package-name decide things by comparing
`encodeURIComponent(x) !== x`, by `decodeURIComponent` (which throws on malformed input), by
`String.prototype.trim` and by the `\\s` and `.` regex classes. Python's nearest equivalents differ
at the edges (`str.strip` knows other spaces, `urllib.parse.unquote` never fails, Python's `.` matches
`\\r`), so the JavaScript rules are written out here once. Imports only `snpm.errors`.
"""

from __future__ import annotations

import re

from snpm.errors import SpecError

# ECMAScript WhiteSpace + LineTerminator: what `trim()` removes and what `\s` matches.
JS_SPACE_CLASS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_SPACE_CHARS = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)
# What JavaScript's `.` refuses to match (its line terminators), for use as `[^...]`.
JS_NOT_LINE_TERMINATOR = "[^\n\r\u2028\u2029]"

JS_SPACE = re.compile(f"[{JS_SPACE_CLASS}]")

# encodeURIComponent leaves exactly these alone (ECMA-262 uriUnreserved).
_URI_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
_URI_COMPONENT_SAFE = re.compile(r"[A-Za-z0-9\-_.!~*'()]*\Z")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def uri_error() -> SpecError:
    """The URIError that `encodeURIComponent`/`decodeURIComponent` throw (npa lets it escape)."""
    return SpecError("URI malformed", code=None)


def js_trim(value: str) -> str:
    """`String.prototype.trim`."""
    return value.strip(_JS_SPACE_CHARS)


def js_length(value: str) -> int:
    """`String.prototype.length`: UTF-16 code units, so astral characters count twice."""
    if value.isascii():
        return len(value)
    return len(value) + sum(1 for ch in value if ord(ch) > 0xFFFF)


def is_uri_component_safe(value: str) -> bool:
    """`encodeURIComponent(value) === value`, without building the encoded string."""
    return _URI_COMPONENT_SAFE.match(value) is not None


def encode_uri_component(value: str) -> str:
    """`encodeURIComponent`: UTF-8 percent-encoding of everything but uriUnreserved."""
    if is_uri_component_safe(value):
        return value
    out: list[str] = []
    for ch in value:
        if ch in _URI_UNRESERVED:
            out.append(ch)
            continue
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise uri_error()
        out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8"))
    return "".join(out)


def decode_uri_component(value: str) -> str:
    """`decodeURIComponent`: raises the URIError as `SpecError("URI malformed")` on bad escapes or UTF-8."""
    if "%" not in value:
        return value
    out: list[str] = []
    i = 0
    end = len(value)
    while i < end:
        ch = value[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        lead = _hex_byte(value, i)
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
            raise uri_error()
        octets = bytearray([lead])
        for _ in range(count - 1):
            octet = _hex_byte(value, i)
            if octet & 0xC0 != 0x80:
                raise uri_error()
            octets.append(octet)
            i += 3
        try:
            # strict UTF-8 refuses overlong forms, surrogates and values past U+10FFFF, like ECMA-262
            out.append(octets.decode("utf-8"))
        except UnicodeDecodeError:
            raise uri_error() from None
    return "".join(out)


def _hex_byte(value: str, at: int) -> int:
    if at + 2 >= len(value):
        raise uri_error()
    if value[at] != "%" or value[at + 1] not in _HEX_DIGITS or value[at + 2] not in _HEX_DIGITS:
        raise uri_error()
    return int(value[at + 1 : at + 3], 16)

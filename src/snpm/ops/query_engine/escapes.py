"""CSS escapes as postcss-selector-parser undoes them (util/unesc.js) and quoted attribute values.

`\\` followed by up to six hex digits (and one optional space) is that code point (U+FFFD for
zero, surrogates and beyond U+10FFFF); `\\\\` stays one backslash; a trailing `\\` stays; any other
escaped character is itself.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["unesc", "unescape_value"]

_QUOTED: Final = re.compile(r"^('|\")([\s\S]*)\1$")


def _gobble_hex(text: str) -> tuple[str, int] | None:
    lower = text.lower()
    hex_digits = ""
    space_terminated = False
    for i in range(min(6, len(lower))):
        code = ord(lower[i])
        valid = 97 <= code <= 102 or 48 <= code <= 57
        space_terminated = code == 32
        if not valid:
            break
        hex_digits += lower[i]
    if not hex_digits:
        return None
    point = int(hex_digits, 16)
    consumed = len(hex_digits) + (1 if space_terminated else 0)
    if 0xD800 <= point <= 0xDFFF or point == 0 or point > 0x10FFFF:
        return "\ufffd", consumed
    return chr(point), consumed


def unesc(text: str) -> str:
    """util/unesc.js: CSS escapes → characters."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            gobbled = _gobble_hex(text[i + 1 : i + 7])
            if gobbled is not None:
                out.append(gobbled[0])
                i += gobbled[1] + 1
                continue
            if i + 1 < len(text) and text[i + 1] == "\\":
                out.append("\\")
                i += 2
                continue
            if len(text) == i + 1:
                out.append(ch)
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def unescape_value(value: str) -> tuple[str, str | None]:
    quote_mark: str | None = None
    unescaped = value
    match = _QUOTED.match(unescaped)
    if match:
        quote_mark = match.group(1)
        unescaped = match.group(2)
    return unesc(unescaped), quote_mark

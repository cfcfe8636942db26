"""ICU collation for `String#localeCompare(other, 'en')`, which npm sorts most things by.

npm sorts with @isaacs/string-locale-compare('en') (Intl.Collator('en')): config keys, dependency
maps in package.json, json-stringify-nice's lockfile keys, npm-packlist's tarball order, `cache ls`.
ICU's order is not code-point order: punctuation before digits before letters, in CLDR's own sequence
(`_` before `-` before `,` …, `@` before `/`), letters case-insensitively first with lower case
winning a tie, accents after the plain letter, control characters ignored, digit runs by value with
Intl.Collator's `numeric` option. `locale_compare_key` is exact (as node 20's ICU orders them, ties
included) for ASCII text with every option, and for digits, Cyrillic, Greek and CJK mixed with ASCII
(`tests/unit/ecmascript/test_ecmascript_node_e2e.py` checks random strings of each against node).
It approximates the rest: scripts sort after Latin by code point, accented Latin letters order
their accents by code point (ICU: acute before grave), and non-ASCII punctuation and symbols join the
nearest ASCII group (ICU has its own order for each).

Speed: lockfiles sort thousands of paths. Keys are three strings (compared in C, unlike tuples of
weights); ASCII text, unless digits meet the numeric option, is turned into them by `bytes.translate`
with tables derived from the general rules (so the two paths cannot disagree); keys are cached.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TypeAlias

__all__ = ["CollationKey", "locale_compare_key"]

# the primary (base letters), secondary (accents) and tertiary (case) weights, each as a string
CollationKey: TypeAlias = tuple[str, str, str]

# ICU's root order for printable ASCII: spaces, punctuation, symbols, currency (not ignorable).
# The whitespace controls TAB, LF, VT, FF, CR and NEL are not ignorable either: they sort first,
# before " " (the other C0 controls and DEL are). Non-ASCII characters join their group (by code
# point): Z* after " ", P* after "%", S[kmo] after "~", Sc after "$".
_ASCII_ORDER = "\t\n\v\f\r\x85 _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PUNCT_STEP = 0x110000  # room for every code point between two ASCII punctuation marks
_PUNCT_WEIGHT = {ch: i * _PUNCT_STEP for i, ch in enumerate(_ASCII_ORDER)}
_GROUP_AFTER = {
    "Z": _PUNCT_WEIGHT[" "],
    "P": _PUNCT_WEIGHT["%"],
    "Sk": _PUNCT_WEIGHT["~"],
    "Sm": _PUNCT_WEIGHT["~"],
    "So": _PUNCT_WEIGHT["~"],
    "Sc": _PUNCT_WEIGHT["$"],
}
# Letters ICU sorts as a base letter plus a secondary difference, or as an expansion.
_LETTER_SPECIAL: dict[str, tuple[str, int]] = {
    "ø": ("o", 1),
    "ł": ("l", 1),
    "đ": ("d", 1),
    "ħ": ("h", 1),
    "ı": ("i", 1),
    "ŧ": ("t", 1),
}
_MAX_NUMBER_DIGITS = 254
_AFTER_ALL_NUMBERS = 1 << 1024  # past any 254-digit number
_EXPANSIONS = {"ß": "ss", "æ": "ae", "œ": "oe", "ĳ": "ij", "þ": "th"}
_ASCII_DIGIT = re.compile(r"[0-9]")


@functools.lru_cache(maxsize=65536)
def locale_compare_key(text: str, *, numeric: bool = False, accents: bool = True) -> CollationKey:
    """A sort key ordering strings like `a.localeCompare(b, 'en')` (Intl.Collator('en').compare).

    `numeric` compares digit runs by value (Intl.Collator `numeric: true`); `accents=False` ignores
    accents (`sensitivity: 'case'`, which npm's pack report uses). Strings ICU finds equal (differing
    only in ignorable characters) get equal keys, so a stable sort keeps their input order, as
    JavaScript's Array#sort does. Keys made with different options must not be compared.
    """
    if text.isascii() and not (numeric and _ASCII_DIGIT.search(text)):
        # every ASCII character is one collation element (one character of each key string) or none
        units = text.encode()
        primary = units.translate(_ASCII_PRIMARY, _ASCII_IGNORABLE).decode("latin-1")
        tertiary = units.translate(_ASCII_TERTIARY, _ASCII_IGNORABLE).decode("latin-1")
        return primary, ("\x00" * len(primary) if accents else ""), tertiary
    primary_list: list[tuple[int, int]] = []
    secondary: list[int] = []
    tertiary_list: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if numeric and ch.isdecimal():
            j = i
            while j < len(text) and text[j].isdecimal():
                j += 1
            # ICU ignores leading zeros and compares at most 254 digits as one number
            run = "".join(str(unicodedata.digit(c, 0)) for c in text[i:j]).lstrip("0") or "0"
            for start in range(0, len(run), _MAX_NUMBER_DIGITS):
                primary_list.append((2, int(run[start : start + _MAX_NUMBER_DIGITS])))
                secondary.append(0)
                tertiary_list.append(0)
            i = j
            continue
        if numeric and unicodedata.digit(ch, None) is not None:
            # ICU's numeric mode orders digit runs by value; other digits ("²") come after them all
            primary_list.append((2, _AFTER_ALL_NUMBERS + unicodedata.digit(ch)))
            secondary.append(0)
            tertiary_list.append(0)
        else:
            _collate_char(ch, primary_list, secondary, tertiary_list)
        i += 1
    return (
        "".join([_encode_primary(element, numeric) for element in primary_list]),
        "".join(map(_encode_number, secondary)) if accents else "",
        "".join(map(chr, tertiary_list)),
    )


# ── weights as strings ─────────────────────────────────────────────────────────────────────────────
# A key is three strings, because Python compares strings in C and tuples of tuples slowly. Each
# weight becomes characters such that no weight's text is a prefix of another's and the texts
# order like the weights; then the strings order exactly like the weight sequences. Primary
# weights: one character for an ASCII punctuation mark, digit or letter; a lead character and the
# code point for a character sorted after one of those; a lead character and a length-prefixed
# number for numeric digit runs. Secondary weights: length-prefixed numbers (0 is one character).
_GROUP1_BASE = 0x01  # anchor i (`_ASCII_ORDER[i]`) is chr(1 + 2i); chr(2 + 2i) leads what follows it
_DIGIT_BASE = 0x60  # 0-9, when not numeric
_NUMBER_LEAD = 0x6A  # a digit run's value, when numeric
_LETTER_BASE = 0x70  # a-z
_OTHER_LEAD = 0x90  # any other character, by code point
_NUMBER_DIGIT = 1 << 20  # base of the length-prefixed numbers (each digit one code point)


def _encode_number(value: int) -> str:
    """A non-negative integer as a length character and base-2**20 digits (0 is just the length)."""
    digits: list[str] = []
    while value:
        value, digit = divmod(value, _NUMBER_DIGIT)
        digits.append(chr(digit))
    return chr(len(digits)) + "".join(reversed(digits))


def _encode_primary(element: tuple[int, int], numeric: bool) -> str:
    group, weight = element
    if group == 1:
        anchor, after = divmod(weight, _PUNCT_STEP)
        if not after:
            return chr(_GROUP1_BASE + 2 * anchor)
        return chr(_GROUP1_BASE + 2 * anchor + 1) + chr(after - 1)
    if group == 2:
        if numeric:
            return chr(_NUMBER_LEAD) + _encode_number(weight)
        return chr(_DIGIT_BASE + weight)
    if group == 3:
        return chr(_LETTER_BASE + weight - ord("a"))
    return chr(_OTHER_LEAD) + chr(weight)


def _collate_char(ch: str, primary: list[tuple[int, int]], secondary: list[int], tertiary: list[int]) -> None:
    lower = ch.lower()
    case = 1 if lower != ch else 0
    if ch in _PUNCT_WEIGHT:
        primary.append((1, _PUNCT_WEIGHT[ch]))
        secondary.append(0)
        tertiary.append(0)
        return
    if "0" <= ch <= "9":
        primary.append((2, ord(ch) - 48))
        secondary.append(0)
        tertiary.append(0)
        return
    if "a" <= lower <= "z" and len(lower) == 1:
        primary.append((3, ord(lower)))
        secondary.append(0)
        tertiary.append(case)
        return
    if lower in _EXPANSIONS:
        for base in _EXPANSIONS[lower]:
            primary.append((3, ord(base)))
            secondary.append(0)
            tertiary.append(2 + case)
        return
    if lower in _LETTER_SPECIAL:
        base, accent = _LETTER_SPECIAL[lower]
        primary.append((3, ord(base)))
        secondary.append(accent)
        tertiary.append(case)
        return
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed != ch:
        marks = 0
        start = len(primary)
        for part in decomposed:
            if unicodedata.combining(part):
                marks = marks * 1000 + ord(part)
            else:
                _collate_char(part, primary, secondary, tertiary)
        if marks and len(primary) > start:
            secondary[start] = marks
        compat = unicodedata.decomposition(ch).startswith("<")
        if compat:
            for i in range(start, len(tertiary)):
                tertiary[i] += 2
        return
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf") or unicodedata.combining(ch):
        return  # completely ignorable
    group = _GROUP_AFTER.get(category) or _GROUP_AFTER.get(category[0])
    if group is not None:
        primary.append((1, group + 1 + ord(ch)))
    elif category == "Nd":
        primary.append((2, unicodedata.digit(ch, 0)))
    else:
        primary.append((4, ord(lower[0]) if lower else ord(ch)))
    secondary.append(0)
    tertiary.append(case)


def _ascii_tables() -> tuple[bytes, bytes, bytes]:
    """The fast path's `bytes.translate` tables, from `_collate_char` and `_encode_primary`
    themselves: the primary and tertiary character of each ASCII code, and the ignorable codes."""
    ignorable = bytearray()
    primary_of = bytearray(256)
    tertiary_of = bytearray(256)
    for code in range(0x80):
        primary: list[tuple[int, int]] = []
        secondary: list[int] = []
        tertiary: list[int] = []
        _collate_char(chr(code), primary, secondary, tertiary)
        if not primary:
            ignorable.append(code)
            continue
        encoded = _encode_primary(primary[0], False)
        assert len(primary) == 1 and secondary == [0] and len(encoded) == 1 and tertiary[0] < 0x100
        primary_of[code] = ord(encoded)
        tertiary_of[code] = tertiary[0]
    return bytes(primary_of), bytes(tertiary_of), bytes(ignorable)


_ASCII_PRIMARY, _ASCII_TERTIARY, _ASCII_IGNORABLE = _ascii_tables()

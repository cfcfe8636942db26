"""ICU collation for `String#localeCompare(other, 'en')`, which npm sorts most listings by.

npm sorts with @isaacs/string-locale-compare('en') (Intl.Collator('en')); npm-packlist's tarball
order uses `localeCompare(…, 'en')` too. ICU's order is not code-point order: punctuation before
digits before letters, in CLDR's own sequence, letters case-insensitively first with lower case
winning a tie, accents after the plain letter. `locale_compare_key` is exact for ASCII (checked
against node 20 on every ASCII string of up to two characters, control characters included) and a
close approximation elsewhere (other scripts sort after Latin by code point).

Shared by npm-packlist's sort (`snpm.manifest.packlist`) and `cache ls` (`snpm.cache.maintenance`).
Pure: no I/O; imports nothing from snpm.
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["locale_compare_key"]

# ICU's root order for printable ASCII: spaces, punctuation, symbols, currency (not ignorable).
# The whitespace controls TAB, LF, VT, FF, CR and NEL are not ignorable either: they sort first,
# before " " (the other C0 controls and DEL are). Non-ASCII characters join their group (by code
# point): Z* after " ", P* after "%", S[kmo] after "~", Sc after "$".
_ASCII_ORDER = "\t\n\v\f\r\x85 _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PUNCT_WEIGHT = {ch: i * 0x110000 for i, ch in enumerate(_ASCII_ORDER)}
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
_AFTER_ALL_NUMBERS = 1 << 1024
_EXPANSIONS = {"ß": "ss", "æ": "ae", "œ": "oe", "ĳ": "ij", "þ": "th"}


@functools.lru_cache(maxsize=8192)
def locale_compare_key(
    text: str, *, numeric: bool = False, accents: bool = True
) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...]]:
    """A sort key approximating ICU's `en` collation (what npm's localeCompare sorts by).

    Exact for ASCII names: punctuation < digits < letters, case-insensitive first, lowercase
    before uppercase on ties, accents after the plain letter. Other scripts sort after Latin by
    code point. `numeric` compares digit runs by value (Intl.Collator `numeric: true`);
    `accents=False` ignores accents (`sensitivity: 'case'`, which npm's pack report uses).
    Strings ICU finds equal (differing only in ignorable characters) get equal keys, so a stable
    sort keeps their input order, as JavaScript's Array#sort does.
    """
    primary: list[tuple[int, int]] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if numeric and ch.isdecimal():
            j = i
            while j < len(text) and text[j].isdecimal():
                j += 1
            primary.append((2, int("".join(str(unicodedata.digit(c, 0)) for c in text[i:j]))))
            secondary.append(0)
            tertiary.append(0)
            i = j
            continue
        if numeric and unicodedata.digit(ch, None) is not None:
            # ICU's numeric mode orders digit runs by value; other digits ("²") come after them all
            primary.append((2, _AFTER_ALL_NUMBERS + unicodedata.digit(ch)))
            secondary.append(0)
            tertiary.append(0)
        else:
            _collate_char(ch, primary, secondary, tertiary)
        i += 1
    return tuple(primary), tuple(secondary) if accents else (), tuple(tertiary)


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

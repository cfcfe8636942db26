"""`localeCompare` with the `en` locale (ICU root collation), for the ASCII text npm sorts.

npm sorts config keys (and many listings) with @isaacs/string-locale-compare('en'), i.e.
Intl.Collator('en'). Its order is not code-point order: punctuation comes before digits before
letters, in CLDR's own sequence (`_` before `-` before `,` …, `@` before `/`), letters compare
case-insensitively first and lower case wins a tie. Characters outside ASCII sort after letters
by code point (an approximation; npm's keys are ASCII).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

# the 95 printable ASCII characters in Intl.Collator('en') order (upper case folded onto lower)
_ORDER = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_PRIMARY = {ch: i for i, ch in enumerate(_ORDER)}


def _primary(ch: str) -> int:
    weight = _PRIMARY.get(ch.lower() if "A" <= ch <= "Z" else ch)
    return weight if weight is not None else 1000 + ord(ch)


@lru_cache(maxsize=4096)
def collation_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A sort key equivalent to Intl.Collator('en').compare for ASCII text."""
    return (
        tuple(_primary(ch) for ch in text),
        tuple(1 if "A" <= ch <= "Z" else 0 for ch in text),
    )


def locale_sorted(items: Iterable[str]) -> list[str]:
    return sorted(items, key=collation_key)

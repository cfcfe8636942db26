"""Compatibility names for `localeCompare(other, 'en')`, which npm sorts config keys with.

The collation itself is `snpm.ecmascript.collation.locale_compare_key` (exact for ASCII, control
characters included); `collation_key` is that function under the name `snpm.ops` imports it by, and
`locale_sorted` sorts with it. New code should import from `snpm.ecmascript.collation`.
"""

from __future__ import annotations

from collections.abc import Iterable

from snpm.ecmascript.collation import locale_compare_key as collation_key

__all__ = ["collation_key", "locale_sorted"]


def locale_sorted(items: Iterable[str]) -> list[str]:
    """`[...items].sort((a, b) => a.localeCompare(b, 'en'))`."""
    return sorted(items, key=collation_key)

"""arborist's CaseInsensitiveMap: `node.children` and `node.edgesOut`.

File systems may be case-insensitive and unicode-normalising, so `FOO` and `foo` are the same
child. Keys keep the spelling they were set with; setting an existing key (in any spelling) moves
it to the end, as JS `Map.delete` + `Map.set` does (iteration order is insertion order).

Each key also gets a sequence number when it is set (`position`): increasing in iteration order, so
the relative order of two entries is known without walking the map (the depth-first ordering of
`snpm.tree.rooting` needs it for nodes with a thousand children).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["CIMap", "normalize_key"]

V = TypeVar("V")


def normalize_key(key: str) -> str:
    """The spelling two names share when a case-insensitive file system would confuse them."""
    if key.isascii():
        return key.lower()
    return unicodedata.normalize("NFKD", key).lower()


class CIMap(Generic[V]):
    __slots__ = ("_data", "_keys", "_next", "_odd", "_seq")

    def __init__(self) -> None:
        self._data: dict[str, V] = {}
        self._keys: dict[str, str] = {}
        # how many keys are spelled differently from their normal form; while none are, a key in
        # normal form that is not found exactly is not there at all (the common case, fast)
        self._odd = 0
        # key (as spelled) → when it was last set: iteration order is increasing `_seq`
        self._seq: dict[str, int] = {}
        self._next = 0

    def get(self, key: str) -> V | None:
        found = self._data.get(key)
        if found is not None:
            return found
        if not self._odd:
            if key.isascii() and key.islower():
                return None
            return self._data.get(normalize_key(key))
        real = self._keys.get(normalize_key(key))
        return None if real is None else self._data.get(real)

    def set(self, key: str, value: V) -> None:
        norm = normalize_key(key)
        previous = self._keys.get(norm)
        if previous is not None:
            del self._data[previous]
            del self._seq[previous]
            if previous != norm:
                self._odd -= 1
        if key != norm:
            self._odd += 1
        self._keys[norm] = key
        self._data[key] = value
        self._seq[key] = self._next
        self._next += 1

    def delete(self, key: str) -> bool:
        norm = normalize_key(key)
        previous = self._keys.pop(norm, None)
        if previous is None:
            return False
        del self._data[previous]
        del self._seq[previous]
        if previous != norm:
            self._odd -= 1
        return True

    def position(self, key: str, value: V) -> int | None:
        """The sequence number of `key` (spelled exactly so) when it holds `value`, else None;
        entries iterate in increasing position."""
        if self._data.get(key) is not value:
            return None
        return self._seq[key]

    def has(self, key: str) -> bool:
        return normalize_key(key) in self._keys

    __contains__ = has

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def keys(self) -> list[str]:
        return list(self._data)

    def values(self) -> list[V]:
        """A snapshot: callers may change the map while looping (JS Map iterators tolerate that)."""
        return list(self._data.values())

    def items(self) -> list[tuple[str, V]]:
        return list(self._data.items())

    def __repr__(self) -> str:
        return f"CIMap({list(self._data)!r})"

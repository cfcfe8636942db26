"""Record: a plain value class with equality, hash and repr from the fields it names. Imports nothing.

Why not `dataclasses`: importing it (with the `inspect`, `ast` and `dis` it pulls in) and generating
each class's methods from source text costs start-up time, ~10 ms of a command that needs neither
asyncio nor msgspec and ~5 ms of an install (measured, session 11). A Record subclass declares
`__slots__`, the ordered `_FIELDS` that equality, hashing and repr use (a slot outside `_FIELDS` is
bookkeeping, e.g. the JSON an entry was read from), and writes its `__init__` out. Records are not
changed after `__init__`: `_replace` makes a changed copy.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

__all__ = ["Record"]


class Record:
    __slots__ = ()
    _FIELDS: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def _replace(self, **changes: Any) -> Self:  # noqa: ANN401 - each field's own type
        """A copy with `changes`, made through `__init__` (a bookkeeping slot is not copied)."""
        values = {name: getattr(self, name) for name in self._FIELDS}
        values.update(changes)
        return type(self)(**values)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        pairs = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{type(self).__name__}({pairs})"

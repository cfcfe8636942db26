"""snpm.record.Record: the value classes' equality, hash, repr and `_replace`, as dataclasses gave."""

from __future__ import annotations

from snpm.lockfile.model import LockEntry, entry_from_json, entry_to_json
from snpm.record import Record


class Point(Record):
    _FIELDS = ("x", "y")
    __slots__ = (*_FIELDS, "note")

    def __init__(self, x: int, y: int = 0) -> None:
        self.x = x
        self.y = y
        self.note = ""


class Other(Record):
    _FIELDS = ("x", "y")
    __slots__ = _FIELDS

    def __init__(self, x: int, y: int = 0) -> None:
        self.x = x
        self.y = y


def test_equality_hash_and_repr_come_from_the_fields_only() -> None:
    a, b = Point(1, 2), Point(1, 2)
    b.note = "bookkeeping"
    assert a == b and hash(a) == hash(b)
    assert a != Point(1, 3)
    assert a != Other(1, 2)  # another class is never equal, as with dataclasses
    assert repr(b) == "Point(x=1, y=2)"


def test_replace_makes_a_changed_copy_without_the_bookkeeping() -> None:
    a = Point(1, 2)
    a.note = "kept on a only"
    b = a._replace(y=5)
    assert (a.x, a.y, b.x, b.y) == (1, 2, 1, 5)
    assert b.note == ""


def test_a_lock_entry_read_from_json_writes_its_source_back_but_a_copy_does_not() -> None:
    source = {"version": "1.0.0", "zzz": 1, "dev": True}
    entry = entry_from_json(source)
    assert entry == LockEntry(version="1.0.0", dev=True, extra={"zzz": 1})
    assert entry_to_json(entry) is not source and entry_to_json(entry) == source
    changed = entry._replace(version="2.0.0")
    assert entry_to_json(changed) == {"version": "2.0.0", "dev": True, "zzz": 1}

"""The ideal-tree work queue (build-ideal-tree.js DepsQueue): a set of nodes popped shallowest
first, then by path in ICU order, re-sorted lazily after pushes. Shallower dependencies claim the
shallow slots before deeper ones are considered, which is what makes trees deterministic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.ecmascript.collation import locale_compare_key as locale_key

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["DepsQueue"]


def _order(node: Node) -> tuple[int, tuple[str, str, str]]:
    return node.depth, locale_key(node.path or "")


class DepsQueue:
    __slots__ = ("_items", "_members", "_sorted")

    def __init__(self) -> None:
        self._items: list[Node] = []
        self._members: set[Node] = set()
        self._sorted = True

    def __len__(self) -> int:
        return len(self._items)

    def push(self, node: Node) -> None:
        if node not in self._members:
            self._members.add(node)
            self._items.append(node)
            self._sorted = False

    def pop(self) -> Node:
        if not self._sorted:
            # stable, like V8's Array#sort
            self._items.sort(key=_order)
            self._sorted = True
        node = self._items.pop(0)
        self._members.discard(node)
        return node

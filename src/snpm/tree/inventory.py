"""arborist's Inventory: every node under a root, by location, with indexes.

A root's inventory maps `location` → Node, and indexes nodes by `name`, `packageName`, `realpath`,
`license` and `funding` (url) for queries like "every node named foo" (`npm update foo`, dedupe,
pruning duplicates after a placement). Query results are insertion-ordered, as JS Sets are: the
order nodes are visited in decides which duplicate is pruned first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from snpm.json_types import JsonValue
from snpm.tree.cimap import normalize_key

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["INDEX_KEYS", "Inventory"]

INDEX_KEYS: Final = ("name", "license", "funding", "realpath", "packageName")
_EMPTY: Final[dict[Node, None]] = {}


def _index_values(node: Node) -> tuple[object, ...]:
    pkg = node.package
    license_: JsonValue = pkg.get("license") or pkg.get("licence")
    if not license_:
        for key in ("licenses", "licences"):
            many = pkg.get(key)
            if isinstance(many, list) and many:
                license_ = many[0]
                break
    if isinstance(license_, dict):
        license_ = license_.get("type")
    funding = pkg.get("funding")
    if isinstance(funding, dict):
        funding = funding.get("url")
    return (node.name, license_, funding, node.realpath, node.package_name)


def _hashable(value: object) -> object:
    return value if value is None or isinstance(value, str | int | float | bool) else repr(value)


class Inventory:
    """location → Node, plus the indexes. Iterating yields nodes in insertion order."""

    __slots__ = ("_by_location", "_edge_names", "_indexed", "_indexes")

    def __init__(self) -> None:
        self._by_location: dict[str, Node] = {}
        self._indexes: dict[str, dict[object, dict[Node, None]]] = {key: {} for key in INDEX_KEYS}
        self._indexed: dict[Node, tuple[object, ...]] = {}
        # normalised dependency name → the nodes here with an edge of that name (see
        # Node._reload_named_edges, which would otherwise walk the whole tree per placement)
        self._edge_names: dict[str, dict[Node, None]] = {}

    def __len__(self) -> int:
        return len(self._by_location)

    def __iter__(self) -> Iterator[Node]:
        return iter(list(self._by_location.values()))

    def values(self) -> list[Node]:
        """A snapshot of the nodes (callers remove nodes while looping)."""
        return list(self._by_location.values())

    def keys(self) -> list[str]:
        return list(self._by_location)

    def items(self) -> list[tuple[str, Node]]:
        return list(self._by_location.items())

    def get(self, location: str) -> Node | None:
        return self._by_location.get(location)

    def has(self, node: Node) -> bool:
        return self._by_location.get(node.location) is node

    def __contains__(self, node: object) -> bool:
        location = getattr(node, "location", None)
        return isinstance(location, str) and self._by_location.get(location) is node

    def filter(self, predicate: object) -> list[Node]:
        assert callable(predicate)
        return [node for node in self._by_location.values() if predicate(node)]

    def add(self, node: Node) -> None:
        root = self._by_location.get("")
        if root is not None and node.root is not root and node.root is not root.root:
            # arborist refuses to index a node from another tree (a debug-only throw)
            return
        current = self._by_location.get(node.location)
        if current is not None:
            if current is node:
                return
            self.delete(current)
        self._by_location[node.location] = node
        values = tuple([v if v is None or type(v) is str else _hashable(v) for v in _index_values(node)])
        self._indexed[node] = values
        indexes = self._indexes
        for key, value in zip(INDEX_KEYS, values, strict=True):
            bucket = indexes[key].get(value)
            if bucket is None:
                indexes[key][value] = {node: None}
            else:
                bucket[node] = None
        for name in node.edges_out:
            self.index_edge(node, name)

    def delete(self, node: Node) -> None:
        if not self.has(node):
            return
        del self._by_location[node.location]
        for name in node.edges_out:
            self.unindex_edge(node, name)
        values = self._indexed.pop(node, None)
        if values is None:
            return
        for key, value in zip(INDEX_KEYS, values, strict=True):
            index = self._indexes[key]
            bucket = index.get(value)
            if bucket is not None:
                bucket.pop(node, None)
                if not bucket:
                    del index[value]

    def query(self, key: str, value: object) -> list[Node]:
        """The nodes whose `key` is `value` (a snapshot, in insertion order)."""
        return list(self._indexes[key].get(_hashable(value), _EMPTY))

    def index_edge(self, node: Node, name: str) -> None:
        self._edge_names.setdefault(normalize_key(name), {})[node] = None

    def unindex_edge(self, node: Node, name: str) -> None:
        key = normalize_key(name)
        holders = self._edge_names.get(key)
        if holders is not None:
            holders.pop(node, None)
            if not holders:
                del self._edge_names[key]

    def with_edge(self, name: str) -> list[Node]:
        """The nodes here that have an edge named `name` (any case), in no particular order."""
        return list(self._edge_names.get(normalize_key(name), _EMPTY))

    def duplicate_names(self) -> list[str]:
        """Names held by more than one node (what `npm dedupe` asks to update)."""
        return [
            name for name, nodes in self._indexes["name"].items() if isinstance(name, str) and len(nodes) > 1
        ]

    def query_keys(self, key: str) -> list[object]:
        """Every value of `key` present (`inventory.query(key)` with one argument)."""
        return list(self._indexes[key])

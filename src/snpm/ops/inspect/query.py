"""`npm query <selector>`: npm 11.19's lib/commands/query.js around the selector engine.

Each matching node becomes a QuerySelectorItem: its package.json fields, then `pkgid`, `location`,
`path`, `realpath`, `resolved`, `from` (dependents' locations), `to` (dependencies' locations),
`dev`, `inBundle`, `deduped` (always false: npm computes it before filling `from`), `overridden`
and `queryContext`. Nodes reached through several links to one physical package are reported
once, by the most logical representation (a top-level placement over a linked-store node).
With -w the query runs from each selected workspace (or the root, with the root included).
"""

from __future__ import annotations

from collections.abc import Sequence

from snpm.json_types import JsonObject, JsonValue
from snpm.ops.query_engine import QueryContext, query_selector_all
from snpm.tree import Node

__all__ = ["QueryCollector", "query_item"]


def _location_rank(node: Node) -> int:
    if "node_modules/.store/" not in node.location:
        return 2
    return 0 if node.is_link else 1


def query_item(node: Node, context: QueryContext) -> JsonObject:
    """The QuerySelectorItem npm builds for `node` (keys in its assignment order)."""
    target = node.target
    item: JsonObject = dict(target.package)
    logical = node if target.is_in_store else target
    item["pkgid"] = target.pkgid
    if logical.path is not None:
        item["location"] = logical.location
    item["path"] = logical.path
    item["realpath"] = target.realpath
    item["resolved"] = target.resolved
    froms: list[JsonValue] = []
    for edge in target.edges_in:
        source = edge.from_
        froms.append(source.location if source is not None and source.path is not None else None)
    item["from"] = froms
    item["to"] = [edge.to.location for edge in target.edges_out.values() if edge.to is not None]
    item["dev"] = target.dev
    item["inBundle"] = target.in_bundle
    item["deduped"] = False
    item["overridden"] = node.overridden
    item["queryContext"] = context.query_context(node)
    return item


class QueryCollector:
    """query.js's response list, deduplicated by physical location."""

    def __init__(self, context: QueryContext) -> None:
        self.context = context
        self.response: list[JsonObject] = []
        self._seen: dict[str, tuple[int, int]] = {}

    async def query(self, tree: Node, selector: str) -> None:
        for node in await query_selector_all(tree, selector, self.context):
            location = node.target.location if node.target.path is not None else None
            if not location:
                self.response.append(query_item(node, self.context))
                continue
            seen = self._seen.get(location)
            rank = _location_rank(node)
            if seen is None:
                self._seen[location] = (len(self.response), rank)
                self.response.append(query_item(node, self.context))
            elif rank > seen[1]:
                self.response[seen[0]] = query_item(node, self.context)
                self._seen[location] = (seen[0], rank)

    def items(self) -> Sequence[JsonObject]:
        return self.response

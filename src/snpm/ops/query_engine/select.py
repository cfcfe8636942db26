"""arborist's query-selector-all.js: evaluate a parsed query over a tree's inventory.

Every AST node of a selector is visited in walk order and narrows the current results: `#name`
and `[attr]` filter by name and package.json; `.prod/.dev/.optional/.peer/.workspace/.bundled` by
dependency type (through dependents for dev/optional/peer); pseudos by what they test. The first
node of a top-level selector starts from all nodes; after a combinator, from all nodes again, and
the pending combinator (`>` child, ` ` descendant, `~` sibling, along dependency edges) then
relates the two sides. Several comma-separated selectors are unioned. Results are ordered by
location, as arborist sorts them.

`QueryContext.query_context(node)` is arborist's per-node `queryContext` object (`missing`,
`versions`/`outdated` from `:outdated`, `advisories` from `:vuln`). `:missing` makes stand-in nodes
for unresolved edges. `:outdated` and `:vuln` ask the registry through the context's callables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import msgspec

from snpm.ecmascript.collation import locale_compare_key
from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.manifest.ignore_glob import Glob
from snpm.ops.query_engine.ast import AstNode
from snpm.ops.query_engine.matching import attribute_match, lookup, node_matcher, semver_filter, truthy
from snpm.ops.query_engine.transform import parse_query
from snpm.spec import parse_spec
from snpm.tree import Edge, Node
from snpm.tree.paths import resolve

__all__ = ["QueryContext", "query_selector_all"]

PackumentGetter = Callable[[str], Awaitable[JsonObject]]
AdvisoryGetter = Callable[[JsonObject], Awaitable[JsonObject]]


class QueryContext(msgspec.Struct):
    """What the query needs from outside the tree, and the per-node queryContext objects."""

    packument: PackumentGetter | None = None
    advisories: AdvisoryGetter | None = None
    warn: Callable[[str, str], None] = lambda _title, _message: None
    before_ms: float | None = None
    release_age_excluded: Callable[[str], bool] = lambda _name: False
    contexts: dict[Node, JsonObject] = msgspec.field(default_factory=dict)
    vuln_cache: JsonObject | None = None

    def query_context(self, node: Node) -> JsonObject:
        found = self.contexts.get(node)
        if found is None:
            found = self.contexts[node] = {}
        return found


# ── dependency types and combinators ──


def _edge_is_type(node: Node, dep_type: str, seen: set[Edge]) -> bool:
    for edge in node.edges_in:
        if edge in seen:
            continue
        seen.add(edge)
        source = edge.from_
        assert source is not None
        if edge.type == dep_type or getattr(source, dep_type) or _edge_is_type(source, dep_type, seen):
            return True
    return False


def _filter_by_type(nodes: Iterable[Node], dep_type: str) -> list[Node]:
    return [n for n in nodes if getattr(n, dep_type) or _edge_is_type(n, dep_type, set())]


_DEP_TYPES: dict[str, Callable[[list[Node]], list[Node]]] = {
    ".prod": lambda prev: [n for n in prev if not n.dev],
    ".dev": lambda prev: _filter_by_type(prev, "dev"),
    ".optional": lambda prev: _filter_by_type(prev, "optional"),
    ".peer": lambda prev: _filter_by_type(prev, "peer"),
    ".workspace": lambda prev: [n for n in prev if n.is_workspace],
    ".bundled": lambda prev: [n for n in prev if n.in_bundle],
}


def _has_parent(node: Node, compare: Iterable[Node]) -> bool:
    for other in compare:
        if other.is_link:
            other = other.target
        if node.is_top and node.resolve_parent is other:
            for link in node.links_in:
                if link.parent is other and not node.is_in_store:
                    return True
        for edge in node.edges_in:
            if edge.from_ is other:
                return True
    return False


def _has_ascendant(node: Node, compare: list[Node], seen: set[Edge] | None = None) -> bool:
    seen = set() if seen is None else seen
    if _has_parent(node, compare):
        return True
    resolve_parent = node.resolve_parent
    if node.is_top and resolve_parent is not None and _has_ascendant(resolve_parent, compare):
        return True
    for edge in node.edges_in:
        if edge in seen:
            continue
        seen.add(edge)
        source = edge.from_
        if source is not None and _has_ascendant(source, compare, seen):
            return True
    return any(_has_ascendant(link, compare, seen) for link in node.links_in)


def _siblings(prev: list[Node], nxt: list[Node]) -> list[Node]:
    parents: dict[Node, None] = {}
    for node in prev:
        for edge in node.edges_in:
            assert edge.from_ is not None
            parents[edge.from_] = None
    prev_set = set(prev)
    return [n for n in nxt if n not in prev_set and _has_parent(n, list(parents))]


_COMBINATORS: dict[str, Callable[[list[Node], list[Node]], list[Node]]] = {
    ">": lambda prev, nxt: [n for n in nxt if _has_parent(n, prev)],
    " ": lambda prev, nxt: [n for n in nxt if _has_ascendant(n, prev)],
    "~": _siblings,
}


# ── the evaluation ──


class _Results:
    def __init__(
        self,
        root_ast: AstNode,
        initial: list[Node],
        inventory: list[Node],
        target: Node | AstNode,
        context: QueryContext,
    ) -> None:
        self.current_selector: AstNode | None = root_ast.nodes[0] if root_ast.nodes else None
        self.inventory = inventory
        self.initial = initial
        self.target = target
        self.context = context
        self.results: dict[AstNode | None, list[Node]] = {}
        self.pending: Callable[[list[Node], list[Node]], list[Node]] | None = None
        self.current = root_ast
        self.current_results = initial

    @property
    def current_results(self) -> list[Node] | None:
        return self.results.get(self.current_selector)

    @current_results.setter
    def current_results(self, value: list[Node]) -> None:
        self.results[self.current_selector] = value

    @property
    def initial_items(self) -> list[Node]:
        node = self.current
        parent = node.parent
        assert parent is not None
        grand = parent.parent
        if parent.nodes and parent.nodes[0] is node and grand is not None and grand.type == "root":
            return self.initial
        prev = node.prev()
        if prev is None:
            raise SnpmError("Cannot read properties of undefined (reading 'type')")
        if prev.type == "combinator":
            return self.inventory
        return self.current_results or []

    def process_pending(self, nxt: list[Node]) -> None:
        pending, self.pending = self.pending, None
        self.current_results = pending(self.current_results or [], nxt) if pending is not None else nxt

    def collect(self, root_ast: AstNode) -> dict[Node, None]:
        out: dict[Node, None] = {}
        for selector in root_ast.nodes:
            out.update(dict.fromkeys(self.results.get(selector) or []))
        return out

    async def step(self) -> None:
        kind = self.current.type
        handler = _TYPE_HANDLERS.get(kind)
        if handler is None:
            raise SnpmError(f"`{kind}` is not a supported selector.", code="EQUERYNOSELECTOR")
        await handler(self)

    # ── per node type ──

    async def attribute_type(self) -> None:
        matcher = node_matcher(self.current)
        self.process_pending([n for n in self.initial_items if attribute_match(matcher, n.package)])

    async def class_type(self) -> None:
        dep_type = _DEP_TYPES.get(str(self.current))
        if dep_type is None:
            raise SnpmError(f"`{self.current}` is not a supported dependency type.", code="EQUERYNODEPTYPE")
        self.process_pending(dep_type(self.initial_items))

    async def combinator_type(self) -> None:
        # an unknown combinator (`+`) is none: the next part simply replaces the results
        self.pending = _COMBINATORS.get(str(self.current))

    async def id_type(self) -> None:
        name = self.current.value
        self.process_pending(
            [n for n in self.initial_items if name == n.name or name == n.package.get("name")]
        )

    async def pseudo_type(self) -> None:
        value = self.current.value
        handler = _PSEUDOS.get(value[1:])
        if handler is None:
            raise SnpmError(f"`{value}` is not a supported pseudo selector.", code="EQUERYNOPSEUDO")
        self.process_pending(await handler(self))

    async def selector_type(self) -> None:
        self.current_selector = self.current
        if self.current_results is None:
            self.current_results = []

    async def universal_type(self) -> None:
        self.process_pending(self.initial_items)

    # ── pseudos ──

    async def attr_pseudo(self) -> list[Node]:
        matcher = self.current.attribute_matcher
        assert matcher is not None
        found = []
        for node in self.initial_items:
            objs = lookup(node.package, self.current.lookup_properties)
            if objs is not None and any(attribute_match(matcher, obj) for obj in objs):
                found.append(node)
        return found

    async def empty_pseudo(self) -> list[Node]:
        return [n for n in self.initial_items if not len(n.edges_out)]

    async def extraneous_pseudo(self) -> list[Node]:
        return [n for n in self.initial_items if n.extraneous]

    async def has_pseudo(self) -> list[Node]:
        nested = self.current.nested
        assert nested is not None
        found = []
        for item in self.initial_items:
            res = await _retrieve(nested, [item], self.inventory, item, self.context)
            if res:
                found.append(item)
        return found

    async def invalid_pseudo(self) -> list[Node]:
        return [n for n in self.initial_items if any(e.invalid for e in n.edges_in)]

    async def is_pseudo(self) -> list[Node]:
        nested = self.current.nested
        assert nested is not None
        return list(await _retrieve(nested, self.initial_items, self.inventory, self.current, self.context))

    async def link_pseudo(self) -> list[Node]:
        return [n for n in self.initial_items if n.is_link or (n.is_top and not n.is_root)]

    async def missing_pseudo(self) -> list[Node]:
        found: list[Node] = []
        for node in self.inventory:
            for edge in node.edges_out.values():
                if edge.missing:
                    item = Node(pkg={"name": edge.name, "version": edge.spec})
                    self.context.contexts[item] = {"missing": True}
                    item.edges_in = {edge: None}
                    found.append(item)
        return found

    async def not_pseudo(self) -> list[Node]:
        nested = self.current.nested
        assert nested is not None
        res = await _retrieve(nested, self.initial_items, self.inventory, self.current, self.context)
        return [n for n in self.initial_items if n not in res]

    async def overridden_pseudo(self) -> list[Node]:
        return [n for n in self.initial_items if n.overridden]

    async def path_pseudo(self) -> list[Node]:
        path_value = self.current.path_value
        if not path_value:
            return list(self.initial_items)
        found = []
        for node in self.initial_items:
            pattern = resolve(node.root.realpath or "", path_value).replace("\\", "/")
            if Glob(pattern, nocase=False, match_base=False).match((node.realpath or "").replace("\\", "/")):
                found.append(node)
        return found

    async def private_pseudo(self) -> list[Node]:
        return [n for n in self.initial_items if truthy(n.package.get("private"))]

    async def root_pseudo(self) -> list[Node]:
        target_root = self.target.root if isinstance(self.target, Node) else None
        return [n for n in self.initial_items if n is target_root]

    async def scope_pseudo(self) -> list[Node]:
        return [n for n in self.initial_items if n is self.target]

    async def semver_pseudo(self) -> list[Node]:
        return semver_filter(self.current, self.initial_items, self.context.warn)

    async def type_pseudo(self) -> list[Node]:
        type_value = self.current.type_value
        if not type_value:
            return list(self.initial_items)
        found: list[Node] = []
        for node in self.initial_items:
            for edge in node.edges_in:
                parsed = parse_spec(f"{edge.name}@{edge.spec}")
                if (type_value == "registry" and parsed.registry) or parsed.type == type_value:
                    assert edge.to is not None
                    found.append(edge.to)
        return found

    async def deduped_pseudo(self) -> list[Node]:
        return [n for n in self.initial_items if len(n.target.edges_in) > 1]

    async def vuln_pseudo(self) -> list[Node]:
        from snpm.ops.query_engine.registry_pseudos import vuln_filter

        return await vuln_filter(self.initial_items, self.current.vulns, self.context)

    async def outdated_pseudo(self) -> list[Node]:
        from snpm.ops.query_engine.registry_pseudos import outdated_filter

        return await outdated_filter(self.initial_items, self.current.outdated_kind or "any", self.context)


_TYPE_HANDLERS: dict[str, Callable[[_Results], Awaitable[None]]] = {
    "attribute": _Results.attribute_type,
    "class": _Results.class_type,
    "combinator": _Results.combinator_type,
    "id": _Results.id_type,
    "pseudo": _Results.pseudo_type,
    "selector": _Results.selector_type,
    "universal": _Results.universal_type,
}

_PSEUDOS: dict[str, Callable[[_Results], Awaitable[list[Node]]]] = {
    "attr": _Results.attr_pseudo,
    "empty": _Results.empty_pseudo,
    "extraneous": _Results.extraneous_pseudo,
    "has": _Results.has_pseudo,
    "invalid": _Results.invalid_pseudo,
    "is": _Results.is_pseudo,
    "link": _Results.link_pseudo,
    "missing": _Results.missing_pseudo,
    "not": _Results.not_pseudo,
    "overridden": _Results.overridden_pseudo,
    "path": _Results.path_pseudo,
    "private": _Results.private_pseudo,
    "root": _Results.root_pseudo,
    "scope": _Results.scope_pseudo,
    "semver": _Results.semver_pseudo,
    "type": _Results.type_pseudo,
    "deduped": _Results.deduped_pseudo,
    "vuln": _Results.vuln_pseudo,
    "outdated": _Results.outdated_pseudo,
}


async def _retrieve(
    root_ast: AstNode,
    initial: list[Node],
    inventory: list[Node],
    target: Node | AstNode,
    context: QueryContext,
) -> dict[Node, None]:
    results = _Results(root_ast, initial, inventory, target, context)
    queue: list[AstNode] = []
    root_ast.walk(queue.append)
    for node in queue:
        results.current = node
        await results.step()
    return results.collect(root_ast)


async def query_selector_all(target: Node, query: str, context: QueryContext | None = None) -> list[Node]:
    """`targetNode.querySelectorAll(query)`: the matching nodes, sorted by location."""
    context = context or QueryContext()
    root_ast = parse_query(query)
    if root_ast is None:
        return []
    inventory = target.root.inventory.values()
    found = await _retrieve(root_ast, inventory, inventory, target, context)
    # a stand-in from :missing has no location: the collator compares the string "undefined"
    return sorted(found, key=lambda n: locale_compare_key(n.location if n.path else "undefined"))

"""`npm ls` / `npm ll`: a port of npm 11.19's lib/commands/ls.js.

The tree is walked breadth first (treeverse.breadth) from the root over each node's edges out
(plus its extraneous children), children sorted by `pkgid` in ICU order. What npm keeps in Symbol
properties on the arborist nodes lives in `_Entry` objects: one per real node (so, as in npm,
what a second edge writes — its type, a further `invalid:` reason — is seen by the first entry if
it is not visited yet), and fresh ones for a missing dependency or a node met again (`deduped`).
Each visited entry makes an item (a label for the human tree, an object for --json); an item is
kept when its node matches the positional args (or there are none), and keeping it keeps its
ancestors. Depth limits which children are asked for: 0 by default, unlimited with --all or args;
a workspace counts as depth 0 again. Problems (missing, invalid, extraneous) come from visited,
kept nodes only; the CLI turns them into ELSPROBLEMS unless every one is `extraneous:`.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Iterable

import msgspec

from snpm.ecmascript.collation import locale_compare_key
from snpm.ecmascript.strings import trim
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.inspect.archy import ArchyNode, archy
from snpm.ops.inspect.chalk import Chalk
from snpm.ops.inspect.loading import Warn, node_relative, workspace_nodes
from snpm.spec import GitSpec, parse_spec
from snpm.tree import Edge, Node

__all__ = ["LsOptions", "LsResult", "list_tree"]


class LsOptions(msgspec.Struct, frozen=True):
    args: tuple[str, ...] = ()
    all: bool = False
    depth: float | None = None  # npm's `depth` (null unless given; Infinity is math.inf)
    json: bool = False
    long: bool = False
    parseable: bool = False
    global_: bool = False
    link: bool = False
    omit: tuple[str, ...] = ()
    unicode: bool = True
    workspaces_enabled: bool = True
    include_workspace_root: bool = False
    install_strategy: str = "hoisted"
    workspace_names: tuple[str, ...] = ()


class LsResult(msgspec.Struct, frozen=True):
    """`text` for stdout (None with --json), `json` the --json object; `no_match` is npm's
    exitCode 1 for args that matched nothing; `problems` in the order found; `root_error` when
    the root package.json could not be parsed (npm throws EJSONPARSE after printing)."""

    text: str | None
    json: JsonObject | None
    no_match: bool
    problems: tuple[str, ...]
    root_error: bool

    def problems_error(self) -> SnpmError | None:
        """ELSPROBLEMS when a problem is not just an extraneous package."""
        if self.problems and not all(p.startswith("extraneous:") for p in self.problems):
            return SnpmError("\n".join(self.problems), code="ELSPROBLEMS")
        return None


class _Item(msgspec.Struct, eq=False):
    """What visiting an entry returns: a label (human) or an object (--json)."""

    parent: _Item | None
    include: bool
    name: str = ""
    label: str = ""
    obj: JsonObject = msgspec.field(default_factory=dict)
    children: list[_Item] = msgspec.field(default_factory=list)


class _Entry(msgspec.Struct, eq=False):
    """A node as ls.js sees it: an arborist node plus its Symbol properties, or a stand-in."""

    node: Node | None  # None for a missing dependency or a deduped copy
    name: str
    pkgid: str
    path: str | None = None
    realpath: str | None = None
    version: str | None = None
    package: JsonObject | None = None
    is_link: bool = False
    target_location: str | None = None
    missing: str | None = None  # the dependent's pkgid
    required: str | None = None  # a deduped copy has none (JSON then leaves the key out)
    type: str | None = None
    invalid: str | None = None
    dedupe: bool = False
    parent_item: _Item | None = None
    include: bool = False
    filtered_by: bool = False
    depth: int = 0
    problems: tuple[str, ...] = ()

    @property
    def is_optional(self) -> bool:
        return self.type in ("optional", "peerOptional")

    def extraneous(self, global_: bool) -> bool:
        return self.node is not None and self.node.extraneous and not global_


def _entry(node: Node) -> _Entry:
    return _Entry(
        node=node,
        name=node.name,
        pkgid=node.pkgid,
        path=node.path,
        realpath=node.realpath,
        version=node.version,
        package=node.package,
        is_link=node.is_link,
    )


class _Walk:
    def __init__(self, tree: Node, options: LsOptions, chalk: Chalk, warn: Warn) -> None:
        self.tree = tree
        self.o = options
        self.chalk = chalk
        self.entries: dict[Node, _Entry] = {}
        self.seen_nodes: dict[str | None, _Entry] = {}
        self.seen_items: list[_Item] = []
        self.problems: dict[str, None] = {}
        depth = options.depth
        default_depth = math.inf if depth is None else depth
        self.depth_to_print = default_depth if (options.all or options.args) else (depth or 0)
        self.ws_nodes = (
            workspace_nodes(tree, options.workspace_names, warn) if options.workspace_names else []
        )

    def entry(self, node: Node) -> _Entry:
        found = self.entries.get(node)
        if found is None:
            found = self.entries[node] = _entry(node)
        return found

    # ── treeverse.breadth ──

    def run(self) -> _Item | None:
        root = self.entry(self.tree)
        root.include = not self.o.args
        root.depth = 0
        self.seen_nodes[self.tree.path] = root
        queue: deque[_Entry] = deque([root])
        visited: set[_Entry] = set()
        result: _Item | None = None
        while queue:
            entry = queue.popleft()
            if entry in visited:
                continue
            visited.add(entry)
            item = self.visit(entry)
            if entry is root:
                result = item
            queue.extend(self.children(entry, item))
        return result

    def children(self, entry: _Entry, item: _Item | None) -> list[_Entry]:
        node = entry.node
        if node is None:
            return []
        current_depth = 0 if node.is_workspace else entry.depth
        if current_depth > self.depth_to_print:
            return []
        edges = [e for e in node.target.edges_out.values() if self.selected_workspace_edge(e)]
        if current_depth == 0:
            edges = [e for e in edges if self.edge_type_ok(e)]
        if self.o.install_strategy == "linked" and current_depth > 0:
            edges = [e for e in edges if not e.dev]
        seen_paths: set[str] = set()
        kids = [self.edge_entry(e, seen_paths) for e in edges]
        kids += [
            self.entry(child)
            for child in node.children.values()
            if child.path not in seen_paths and child.extraneous
        ]
        kids.sort(key=lambda k: locale_compare_key(k.pkgid))
        return [self.augment(k, current_depth, item) for k in kids]

    def selected_workspace_edge(self, edge: Edge) -> bool:
        source, to = edge.from_, edge.to
        assert source is not None
        if not self.o.workspaces_enabled and source.is_project_root:
            if to is None:
                raise SnpmError("Cannot read properties of null (reading 'isWorkspace')")
            if to.is_workspace:
                return False
        if not self.ws_nodes:
            return True
        if self.o.include_workspace_root and to is not None and not to.is_workspace:
            return True
        if source.is_project_root:
            return to is not None and to.is_workspace and any(n is to.target for n in self.ws_nodes)
        return True

    def edge_type_ok(self, edge: Edge) -> bool:
        for omit_type in self.o.omit:
            if getattr(edge, omit_type, False) is True:
                return False
        return (edge.to is not None and edge.to.is_link) if self.o.link else True

    def edge_entry(self, edge: Edge, seen_paths: set[str]) -> _Entry:
        to = edge.to
        source = edge.from_
        assert source is not None
        if edge.missing or (edge.optional and to is None):
            entry = _Entry(node=None, name=edge.name, pkgid=f"{edge.name}@{edge.spec}", missing=source.pkgid)
        else:
            assert to is not None
            entry = self.entry(to)
        if entry.path:
            seen_paths.add(entry.path)
        entry.required = edge.spec or "*"
        entry.type = edge.type
        if edge.invalid:
            reason = f"{json.dumps(entry.required, ensure_ascii=False)} from {source.location or 'the root project'}"
            entry.invalid = f"{entry.invalid}, {reason}" if entry.invalid else reason
        return entry

    def augment(self, entry: _Entry, current_depth: int, parent_item: _Item | None) -> _Entry:
        if entry.path in self.seen_nodes:
            node = entry.node
            entry = _Entry(
                node=None,
                name=entry.name,
                pkgid=entry.pkgid,
                path=entry.path,
                realpath=entry.realpath,
                version=entry.version,
                package=entry.package,
                is_link=entry.is_link,
                target_location=(
                    node_relative(node.root.realpath, entry.realpath)
                    if node is not None
                    else entry.target_location
                ),
                missing=entry.missing,
                type=entry.type,
                invalid=entry.invalid,
                dedupe=entry.missing is None,
            )
        else:
            self.seen_nodes[entry.path] = entry
        entry.parent_item = parent_item
        entry.include = entry.filtered_by = self.matches_args(self.seen_nodes[entry.path])
        entry.depth = current_depth + 1
        return entry

    def matches_args(self, entry: _Entry) -> bool:
        if not self.o.args:
            return True
        node = entry.node
        return node is not None and any(node.satisfies(spec) for spec in self.o.args)

    # ── visit ──

    def visit(self, entry: _Entry) -> _Item | None:
        entry.problems = self.entry_problems(entry)
        if self.o.json:
            item: _Item | None = self.json_item(entry)
        elif self.o.parseable:
            item = None
        else:
            item = self.human_item(entry)
        if entry.include:
            self.problems.update(dict.fromkeys(entry.problems))
        if item is not None:
            self.seen_items.append(item)
        return item

    def entry_problems(self, entry: _Entry) -> tuple[str, ...]:
        problems: dict[str, None] = {}
        if entry.missing is not None and not entry.is_optional:
            problems[f"missing: {entry.pkgid}, required by {entry.missing}"] = None
        if entry.invalid:
            problems[f"invalid: {entry.pkgid} {_text(entry.path)}"] = None
        if entry.extraneous(self.o.global_):
            problems[f"extraneous: {entry.pkgid} {_text(entry.path)}"] = None
        return tuple(problems)

    def with_include(self, entry: _Entry, item: _Item) -> _Item:
        """augmentItemWithIncludeMetadata: a kept item keeps its ancestors."""
        if entry.include:
            parent = entry.parent_item
            while parent is not None:
                parent.include = True
                parent = parent.parent
        return item

    def human_item(self, entry: _Entry) -> _Item:
        chalk, node, o = self.chalk, entry.node, self.o
        printable = chalk.blue_bright(entry.pkgid) if node is not None and node.is_workspace else entry.pkgid
        if node is not None and node.is_root:
            if not node.package or o.global_:
                printable = _text(entry.path)
            else:
                printable += ("\n" if o.long else " ") + _text(entry.path)
        optional = entry.is_optional
        label = ""
        if entry.missing is not None:
            missing_msg = f"UNMET {'OPTIONAL ' if optional else ''}DEPENDENCY"
            label += (chalk.yellow(missing_msg) if optional else chalk.red(missing_msg)) + " "
        label += chalk.yellow(printable) if (o.args and entry.filtered_by) else printable
        if entry.dedupe:
            label += " " + chalk.dim("deduped")
        if entry.invalid:
            label += " " + chalk.red(f"invalid: {entry.invalid}")
        if entry.extraneous(o.global_):
            label += " " + chalk.red("extraneous")
        if node is not None and node.overridden:
            label += " " + chalk.dim("overridden")
        if node is not None and _is_git(node.resolved):
            label += f" ({node.resolved})"
        if entry.is_link:
            target = (
                node_relative(node.root.realpath, entry.realpath)
                if node is not None
                else entry.target_location
            )
            label += f" -> ./{_text(target)}"
        if o.long:
            if entry.package is None:
                raise SnpmError("Cannot read properties of undefined (reading 'description')")
            description = entry.package.get("description")
            label += "\n" + (_text(description) if description else "")
        item = _Item(parent=entry.parent_item, include=entry.include, name=entry.name, label=label)
        return self.with_include(entry, item)

    def json_item(self, entry: _Entry) -> _Item:
        node, o = entry.node, self.o
        obj: JsonObject = {}
        if entry.version:
            obj["version"] = entry.version
        if node is not None and node.resolved:
            obj["resolved"] = node.resolved
        if node is not None and not node.is_project_root:
            obj["overridden"] = node.overridden
        if node is not None and node.is_root and node.package:
            obj["name"] = node.package_name or node.name
        if o.long and entry.missing is None:
            obj["name"] = entry.name
            package = entry.package or {}
            obj.update((k, v) for k, v in package.items() if k != "dependencies")
            obj["extraneous"] = False
            obj["path"] = entry.path
            deps = package.get("dependencies")
            optional = package.get("optionalDependencies")
            obj["_dependencies"] = {
                **(deps if isinstance(deps, dict) else {}),
                **(optional if isinstance(optional, dict) else {}),
            }
            dev = package.get("devDependencies")
            obj["devDependencies"] = dev if dev else {}
            peer = package.get("peerDependencies")
            obj["peerDependencies"] = peer if peer else {}
        if entry.extraneous(o.global_):
            obj["extraneous"] = True
        if entry.invalid:
            obj["invalid"] = entry.invalid
        if entry.missing is not None and not entry.is_optional:
            if entry.required is not None:
                obj["required"] = entry.required
            obj["missing"] = True
        if entry.include and entry.problems:
            obj["problems"] = list(entry.problems)
        item = _Item(parent=entry.parent_item, include=entry.include, name=entry.name, obj=obj)
        return self.with_include(entry, item)


def _text(value: JsonValue | None) -> str:
    if value is None:
        return "undefined"
    return value if isinstance(value, str) else json.dumps(value)


def _is_git(resolved: str | None) -> bool:
    if not resolved:
        return False
    try:
        return isinstance(parse_spec(resolved), GitSpec)
    except SnpmError:
        return False


def list_tree(
    tree: Node,
    options: LsOptions,
    *,
    path: str,
    chalk: Chalk | None = None,
    warn: Warn | None = None,
) -> LsResult:
    """`npm ls` over a loaded tree; `path` is the folder ls was asked about (the root's path)."""
    walk = _Walk(tree, options, chalk or Chalk(False), warn or (lambda _title, _message: None))
    result = walk.run()
    assert result is not None or options.parseable
    root_error = any(
        getattr(err, "code", None) == "EJSONPARSE"
        and getattr(err, "path", None) == f"{path.rstrip('/')}/package.json"
        for err in tree.errors
    )
    items = walk.seen_items
    problems = tuple(walk.problems)
    # npm's `result && !result[_include] && args.length`: --parseable has no result object
    no_match = bool(options.args) and result is not None and not result.include
    if options.json:
        assert result is not None
        obj = _json_output(result, items, problems, root_error, path)
        return LsResult(None, obj, no_match, problems, root_error)
    if options.parseable:
        text = _parseable_output(walk.seen_nodes.values(), options)
        return LsResult(text, None, no_match, problems, root_error)
    assert result is not None
    return LsResult(
        _human_output(result, items, walk.chalk, options.unicode), None, no_match, problems, root_error
    )


def _human_output(result: _Item, items: list[_Item], chalk: Chalk, unicode: bool) -> str:
    for item in items:
        if item.include and item.parent is not None:
            item.parent.children.append(item)

    def archy_node(item: _Item) -> ArchyNode:
        return ArchyNode(item.label, [archy_node(kid) for kid in item.children])

    top = archy_node(result)
    if not top.nodes:
        top.nodes = ["(empty)"]
    return chalk.reset(archy(top, "", unicode=unicode))


def _json_output(
    result: _Item, items: list[_Item], problems: tuple[str, ...], root_error: bool, path: str
) -> JsonObject:
    if problems:
        result.obj["problems"] = list(problems)
    if root_error:
        before = result.obj.get("problems")
        result.obj["problems"] = [
            *(before if isinstance(before, list) else []),
            f"error in {path}: Failed to parse root package.json",
        ]
        result.obj["invalid"] = True
    for item in items:
        if item.include and item.parent is not None:
            deps = item.parent.obj.get("dependencies")
            if not isinstance(deps, dict):
                deps = item.parent.obj["dependencies"] = {}
            deps[item.name] = item.obj
    return result.obj


def _parseable_output(entries: Iterable[_Entry], options: LsOptions) -> str:
    lines: list[str] = []
    for entry in entries:
        if not entry.path or not entry.include:
            continue
        line = entry.path
        if options.long:
            node = entry.node
            line += f":{entry.pkgid}"
            if entry.path != entry.realpath:
                line += f":{_text(entry.realpath)}"
            if entry.extraneous(options.global_):
                line += ":EXTRANEOUS"
            if entry.invalid:
                line += ":INVALID"
            if node is not None and node.overridden:
                line += ":OVERRIDDEN"
        lines.append(line)
    return trim("\n".join(lines) + "\n" if lines else "")

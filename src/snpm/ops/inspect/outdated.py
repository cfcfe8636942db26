"""`npm outdated`: a port of npm 11.19's lib/commands/outdated.js.

The edges looked at: the root's and each workspace's edges out (plus every node's with --all), or
with args the edges into the nodes of those names; under -w only edges from the selected
workspaces' dependency set. For each registry edge the packument is fetched (revalidated, as
npm's `preferOnline`), `wanted` is npm-pick-manifest's pick for the edge's spec and `latest` the
pick for `*`; a row is kept when the package is missing, or current ≠ wanted, or wanted ≠ latest.
ETARGET, E403 and E404 drop the row silently. Rows sort by name, then dependent (ICU order).
In global mode npm walks the global root's children as if they were edges (no spec: `wanted` is
the default pick), which `_Dep` mirrors.

The three renderings are npm's: a text-table (`--long` adds type, homepage, dependent location),
`--parseable` colon-separated lines, and `--json` keyed by name (an array when a name repeats).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence

import msgspec
from msgspec.structs import replace

from snpm.ecmascript.collation import locale_compare_key
from snpm.errors import SnpmError
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.json_types import JsonObject, JsonValue
from snpm.manifest.ignore_glob import Glob
from snpm.ops.inspect.chalk import Chalk
from snpm.ops.inspect.text_table import text_table
from snpm.spec import AliasSpec, PackageSpec, parse_spec
from snpm.tree import Edge, Node

__all__ = [
    "OutdatedOptions",
    "OutdatedRow",
    "PackumentFetcher",
    "find_outdated",
    "is_release_age_excluded",
    "outdated_json",
    "outdated_parseable",
    "outdated_table",
]

PackumentFetcher = Callable[[str, bool], Awaitable[JsonObject]]
_SKIPPED = frozenset({"ETARGET", "E403", "E404"})


class OutdatedOptions(msgspec.Struct, frozen=True):
    args: tuple[str, ...] = ()
    all: bool = False
    long: bool = False
    global_: bool = False
    omit: tuple[str, ...] = ()
    pick: PickOptions = PickOptions()
    min_release_age_exclude: tuple[str, ...] = ()


class OutdatedRow(msgspec.Struct, frozen=True):
    name: str
    path: str | None
    type: str
    current: str | None
    location: str | None
    wanted: str
    latest: str
    workspace_dependent: str | None
    depended_by_location: str
    dependent: str
    homepage: JsonValue


def _safe_spec(spec: str | None) -> PackageSpec | None:
    if spec is None:
        return None
    try:
        return parse_spec(spec)
    except SnpmError:
        return None


def is_release_age_excluded(name: str | None, patterns: Sequence[str]) -> bool:
    """arborist release-age-exclude.js: exact names or minimatch globs (no negation, comments or
    extglobs, so a leading `!` or `#` only ever matches literally)."""
    if not name or not patterns:
        return False
    for pattern in patterns:
        if name == pattern:
            return True
        if pattern.startswith(("!", "#")):
            continue
        if Glob(pattern, nocase=False, match_base=False).match(name):
            return True
    return False


class _Dep:
    """An edge as outdated.js reads it; in global mode a child node stands in for the edge."""

    def __init__(self, edge: Edge | None, node: Node | None) -> None:
        self.edge = edge
        self.node = node  # global mode: the child node

    @property
    def name(self) -> str:
        return self.edge.name if self.edge is not None else (self.node.name if self.node else "")

    @property
    def spec(self) -> str | None:
        return self.edge.spec if self.edge is not None else None

    @property
    def source(self) -> Node | None:
        return self.edge.from_ if self.edge is not None else None

    def flag(self, name: str) -> bool:
        if self.edge is not None:
            return bool(getattr(self.edge, name))
        return bool(self.node is not None and getattr(self.node, name))


def _collect(tree: Node, options: OutdatedOptions, filter_set: dict[Node, None] | None) -> list[_Dep]:
    deps: dict[object, _Dep] = {}

    def track(dep: _Dep) -> None:
        source = dep.source
        if source is not None and filter_set and source.target not in filter_set:
            return
        key: object = dep.edge if dep.edge is not None else dep.node
        deps.setdefault(key, dep)

    def edges_out(node: Node) -> None:
        if options.global_:
            for child in node.children.values():
                track(_Dep(None, child))
        else:
            for edge in node.edges_out.values():
                track(_Dep(edge, None))

    if options.args:
        for arg in options.args:
            for node in tree.inventory.query("name", arg):
                for edge in list(node.edges_in):
                    track(_Dep(edge, None))
    else:
        if options.all:
            for node in tree.inventory.values():
                edges_out(node)
        edges_out(tree)
        if not options.global_:
            for edge in tree.edges_out.values():
                to = edge.to
                if to is not None and to.target.is_workspace:
                    edges_out(to.target)
    return list(deps.values())


async def find_outdated(
    tree: Node,
    options: OutdatedOptions,
    fetch_packument: PackumentFetcher,
    *,
    filter_set: dict[Node, None] | None = None,
) -> list[OutdatedRow]:
    deps = _collect(tree, options, filter_set)
    found = await asyncio.gather(*(_outdated_info(dep, options, fetch_packument) for dep in deps))
    rows = [row for row in found if row is not None]
    rows.sort(key=lambda r: (locale_compare_key(r.name), locale_compare_key(r.dependent)))
    return rows


async def _outdated_info(dep: _Dep, options: OutdatedOptions, fetch: PackumentFetcher) -> OutdatedRow | None:
    parsed_spec = _safe_spec(dep.spec)
    alias = parsed_spec.sub_spec if isinstance(parsed_spec, AliasSpec) else None
    edge = dep.edge
    node: Node | None = edge.to if edge is not None else dep.node
    current_value = node.package.get("version") if node is not None else None
    current = current_value if isinstance(current_value, str) else None
    if dep.flag("optional"):
        dep_type = "optionalDependencies"
    elif dep.flag("peer"):
        dep_type = "peerDependencies"
    elif dep.flag("dev"):
        dep_type = "devDependencies"
    else:
        dep_type = "dependencies"
    for omit_type in options.omit:
        holder_flag = getattr(node, omit_type, False) if node is not None else dep.flag(omit_type)
        if holder_flag:
            return None
    if edge is not None and edge.error == "MISSING" and dep_type != "dependencies":
        return None
    full = _safe_spec(f"{dep.name}@{dep.spec}" if dep.spec is not None else f"{dep.name}@undefined")
    if full is None or not full.registry:
        return None
    name = alias.name if alias is not None and alias.name else dep.name
    try:
        packument = await fetch(name, options.long)
        expected = alias.fetch_spec if alias is not None else dep.spec
        pick = options.pick
        if is_release_age_excluded(_str(packument.get("name")), options.min_release_age_exclude):
            pick = replace(pick, before_ms=None)
        wanted = _str(pick_manifest(packument, expected, pick).manifest.get("version"))
        latest = _str(pick_manifest(packument, "*", pick).manifest.get("version"))
    except SnpmError as err:
        if err.code in _SKIPPED:
            return None
        raise
    if current and current == wanted and wanted == latest:
        return None
    source = dep.source
    return OutdatedRow(
        name=dep.spec.replace("npm", dep.name, 1) if alias is not None and dep.spec else dep.name,
        path=node.path if node is not None else None,
        type=dep_type,
        current=current,
        location=node.location if node is not None else None,
        wanted=wanted or "",
        latest=latest or "",
        workspace_dependent=source.pkgid if source is not None and source.is_workspace else None,
        depended_by_location=source.location if source is not None and source.name else "global",
        dependent=source.name if source is not None and source.name else "global",
        homepage=packument.get("homepage"),
    )


def _str(value: JsonValue) -> str | None:
    return value if isinstance(value, str) else None


def _js(value: JsonValue) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def outdated_table(rows: Iterable[OutdatedRow], chalk: Chalk, *, long: bool) -> str | None:
    """The text-table npm prints (None when nothing is outdated: npm prints nothing)."""
    rows = list(rows)
    if not rows:
        return None
    headers = ["Package", "Current", "Wanted", "Latest", "Location", "Depended by"]
    if long:
        headers += ["Package Type", "Homepage", "Depended By Location"]
    table = [[chalk.style(h, "bold", "underline") for h in headers]]
    for d in rows:
        cells = [
            chalk.yellow(d.name) if d.current == d.wanted else chalk.red(d.name),
            d.current if d.current is not None else "MISSING",
            chalk.cyan(d.wanted),
            chalk.blue(d.latest),
            d.location if d.location is not None else "-",
            chalk.blue(d.workspace_dependent) if d.workspace_dependent else d.dependent,
        ]
        if long:
            cells += [d.type, chalk.blue(_js(d.homepage)), d.depended_by_location]
        table.append(cells)
    return text_table(table, align=["l", "r", "r", "r", "l"])


def outdated_parseable(rows: Iterable[OutdatedRow], *, long: bool) -> str:
    lines = []
    for d in rows:
        parts = [
            d.path or "",
            f"{d.name}@{d.wanted}",
            f"{d.name}@{d.current}" if d.current else "MISSING",
            f"{d.name}@{d.latest}",
            d.dependent,
        ]
        if long:
            parts += [d.type, _js(d.homepage), d.depended_by_location]
        lines.append(":".join(parts))
    return "\n".join(lines)


def outdated_json(rows: Iterable[OutdatedRow], *, long: bool) -> JsonObject:
    out: JsonObject = {}
    for d in rows:
        item: JsonObject = {}
        if d.current is not None:
            item["current"] = d.current
        item["wanted"] = d.wanted
        item["latest"] = d.latest
        item["dependent"] = d.dependent
        if d.path is not None:
            item["location"] = d.path
        if long:
            item["type"] = d.type
            if d.homepage is not None:
                item["homepage"] = d.homepage
            item["dependedByLocation"] = d.depended_by_location
        existing = out.get(d.name)
        if existing is None:
            out[d.name] = item
        elif isinstance(existing, list):
            existing.append(item)
        else:
            out[d.name] = [existing, item]
    return out

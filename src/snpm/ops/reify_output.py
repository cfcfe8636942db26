"""What `npm install` and its family print when they are done (npm's lib/utils/reify-output.js).

    added 154 packages, and audited 155 packages in 3s

    12 packages are looking for funding
      run `npm fund` for details

`summarize` walks the plan in npm's order and counts: ADD counts only nodes that ended up in the
actual tree (a failed or omitted optional dependency is not "added"), CHANGE and REMOVE count every
diff. `--dry-run` and `--long` also list `add x 1.0.0` / `remove x 1.0.0` / `change x 1.0.0 =>
1.1.0` lines (coloured blue/green/cyan on a colour terminal). The funding count is libnpmfund's:
distinct name@version reachable from the root whose `funding` is a valid http(s) URL (or a list of
them). `--json` prints the summary object instead. The duration is npm's `ms` short format.

A linked install (snpm.reify.linked) has no tree diff: `linked_diff` lists its store folders and
links in the order npm walks the diff of its isolated tree, and only store folders count.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from snpm.json_types import JsonObject, JsonValue
from snpm.ops.reify_message import ReifySummary, changed_message, format_ms, funding_lines, summary_json
from snpm.reify.linked import LinkedPlan, StoreFolder, Symlink
from snpm.reify.plan import Action, ReifyPlan
from snpm.spec.whatwg_url import parse as parse_url
from snpm.tree.node import Node

__all__ = [
    "ReifySummary",
    "changed_message",
    "diff_lines",
    "format_ms",
    "funding_count",
    "funding_lines",
    "linked_diff",
    "linked_diff_lines",
    "summarize",
    "summary_json",
]

_BLUE = ("\x1b[34m", "\x1b[39m")
_GREEN = ("\x1b[32m", "\x1b[39m")
_CYAN = ("\x1b[36m", "\x1b[39m")


def _version(node: Node | None) -> JsonValue:
    return None if node is None else node.package.get("version")


def _entry(node: Node) -> JsonObject:
    entry: JsonObject = {"name": node.name}
    version = _version(node)
    if version is not None:
        entry["version"] = version
    entry["path"] = node.path
    return entry


def summarize(
    plan: ReifyPlan | None,
    actual: Node,
    *,
    fund: bool,
    audited: int = 0,
    linked: LinkedPlan | None = None,
    linked_failed: Collection[str] = (),
) -> ReifySummary:
    """Count what the plan did to `actual` (the tree as it now is). A linked install counts the
    store folders it added (not those of optional packages that failed, `linked_failed`) and
    extracted again; its links are not packages."""
    summary = ReifySummary(audited=audited)
    for action, entry in linked_diff(linked) if linked is not None else ():
        # a root bundle's folders are not counted (arborist counts the store's)
        if not isinstance(entry, StoreFolder) or entry.in_bundle or entry.path in linked_failed:
            continue
        if action is Action.ADD:
            summary.added += 1
            summary.add.append(_store_entry(entry))
        else:
            summary.changed += 1
            summary.change.append({"from": _store_entry(entry), "to": _store_entry(entry)})
    if plan is not None:
        inventory = actual.inventory
        for diff in plan.diffs():
            if diff.action is Action.REMOVE:
                assert isinstance(diff.actual, Node)
                summary.removed += 1
                summary.remove.append(_entry(diff.actual))
            elif diff.action is Action.ADD:
                assert isinstance(diff.ideal, Node)
                if inventory.has(diff.ideal):
                    summary.added += 1
                    summary.add.append(_entry(diff.ideal))
            elif diff.action is Action.CHANGE:
                assert isinstance(diff.actual, Node) and isinstance(diff.ideal, Node)
                summary.changed += 1
                summary.change.append({"from": _entry(diff.actual), "to": _entry(diff.ideal)})
    if fund:
        summary.funding = funding_count(actual)
    return summary


def _store_entry(folder: StoreFolder) -> JsonObject:
    node = folder.node
    entry: JsonObject = {"name": node.package_name or node.name}
    version = node.package.get("version")
    if version is not None:
        entry["version"] = version
    entry["path"] = folder.path
    return entry


def _paint(pair: tuple[str, str], text: str, color: bool) -> str:
    return f"{pair[0]}{text}{pair[1]}" if color else text


def _js(value: JsonValue) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def diff_lines(plan: ReifyPlan, *, color: bool = False) -> list[str]:
    """The per-package lines of `--dry-run` / `--long`, in npm's order."""
    lines: list[str] = []
    for diff in plan.diffs():
        if diff.action is Action.REMOVE and diff.actual is not None:
            lines.append(
                f"{_paint(_BLUE, 'remove', color)} {diff.actual.name} {_js(diff.actual.package.get('version'))}"
            )
        elif diff.action is Action.ADD and diff.ideal is not None:
            lines.append(
                f"{_paint(_GREEN, 'add', color)} {diff.ideal.name} {_js(diff.ideal.package.get('version'))}"
            )
        elif diff.action is Action.CHANGE and diff.actual is not None and diff.ideal is not None:
            lines.append(
                f"{_paint(_CYAN, 'change', color)} {diff.actual.name} "
                f"{_js(diff.actual.package.get('version'))} => {_js(diff.ideal.package.get('version'))}"
            )
    return lines


def linked_diff(plan: LinkedPlan) -> list[tuple[Action, StoreFolder | Symlink]]:
    """A linked install's changes in the order npm walks the diff of its isolated tree, whose
    children are the entries on disk first (store folders extracted again), then the new ones:
    the link to each local folder (the root's, or the tree-only one to an undeclared workspace,
    always new), the store folders, the other links; the walk takes the last first."""
    layout = plan.layout
    front = set(layout.front)
    by_path = {s.path: s for s in (*plan.link, *layout.undeclared) if s.path in front}
    entries: list[tuple[Action, StoreFolder | Symlink]] = [(Action.CHANGE, f) for f in plan.change]
    entries.extend((Action.ADD, by_path[path]) for path in layout.front if path in by_path)
    entries.extend((Action.ADD, f) for f in plan.extract)
    entries.extend((Action.ADD, s) for s in plan.link if s.path not in front)
    return entries[::-1]


def linked_diff_lines(plan: LinkedPlan, *, color: bool = False) -> list[str]:
    """`--dry-run` / `--long` of a linked install: store folders by their package's name, links
    (as arborist names the isolated link) by their target's store key."""
    lines: list[str] = []
    for action, entry in linked_diff(plan):
        if isinstance(entry, StoreFolder):
            node = entry.node
            name = _js(node.name if entry.in_bundle else node.package_name or node.name)
            version = _js(node.package.get("version"))
            if action is Action.CHANGE:
                lines.append(f"{_paint(_CYAN, 'change', color)} {name} {version} => {version}")
            else:
                lines.append(f"{_paint(_GREEN, 'add', color)} {name} {version}")
        else:
            name = entry.name or _js(entry.package.get("name"))
            lines.append(f"{_paint(_GREEN, 'add', color)} {name} {_js(entry.package.get('version'))}")
    return lines


# ── libnpmfund readTree({countOnly: true}) ──


def _valid_url(value: JsonValue) -> bool:
    if not isinstance(value, str):
        return False
    parsed = parse_url(value)
    return parsed is not None and parsed.protocol in ("http:", "https:") and bool(parsed.host)


def _valid_funding(funding: JsonValue) -> bool:
    if not funding:
        return False
    if isinstance(funding, list):
        return all(not isinstance(f, list) and _valid_funding(f) for f in funding)
    if isinstance(funding, dict):
        url = funding.get("url")
        return _valid_url(url) if url else False
    return _valid_url(funding)


def funding_count(tree: Node) -> int:
    """How many distinct packages (name@version) reachable from the root ask for funding.

    libnpmfund marks every direct dependency of a node as seen before it descends into any of
    them, so the walk goes level by level within each node (an explicit stack, not recursion)."""
    seen: set[str] = set()
    count = 0
    stack: list[Iterator[Node]] = [iter((tree,))]
    while stack:
        parent = next(stack[-1], None)
        if parent is None:
            stack.pop()
            continue
        fresh: list[Node] = []
        for edge in parent.edges_out.values():
            to = edge.to
            if to is None:
                continue
            node = to.target
            pkg = node.package
            key = _js(pkg.get("name")) + _js(pkg.get("version"))
            if key in seen:
                continue
            seen.add(key)
            if _valid_funding(pkg.get("funding")):
                count += 1
            fresh.append(node)
        if fresh:
            stack.append(iter([n for n in fresh if len(n.edges_out)]))
    return count

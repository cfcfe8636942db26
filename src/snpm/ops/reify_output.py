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
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from snpm.json_types import JsonObject, JsonValue
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
    "summarize",
    "summary_json",
]

_BLUE = ("\x1b[34m", "\x1b[39m")
_GREEN = ("\x1b[32m", "\x1b[39m")
_CYAN = ("\x1b[36m", "\x1b[39m")


@dataclass(slots=True)
class ReifySummary:
    """reify-output.js `summary`."""

    add: list[JsonObject] = field(default_factory=list)
    added: int = 0
    audited: int = 0
    change: list[JsonObject] = field(default_factory=list)
    changed: int = 0
    funding: int = 0
    remove: list[JsonObject] = field(default_factory=list)
    removed: int = 0


def _version(node: Node | None) -> JsonValue:
    return None if node is None else node.package.get("version")


def _entry(node: Node) -> JsonObject:
    entry: JsonObject = {"name": node.name}
    version = _version(node)
    if version is not None:
        entry["version"] = version
    entry["path"] = node.path
    return entry


def summarize(plan: ReifyPlan | None, actual: Node, *, fund: bool, audited: int = 0) -> ReifySummary:
    """Count what the plan did to `actual` (the tree as it now is)."""
    summary = ReifySummary(audited=audited)
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


def format_ms(ms: float) -> str:
    """The `ms` package's short format (Math.round rounds halves up)."""

    def rounded(value: float) -> int:
        return math.floor(value + 0.5)

    ms_abs = abs(ms)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms_abs >= size:
            return f"{rounded(ms / size)}{unit}"
    return f"{rounded(ms)}ms"


def changed_message(summary: ReifySummary, elapsed_ms: float) -> str:
    """packagesChangedMessage without its leading blank line: `added 3 packages in 1s`."""
    added, removed, changed, audited = summary.added, summary.removed, summary.changed, summary.audited
    msg: list[str] = []
    if not added and not removed and not changed:
        msg.append("up to date")
        if audited:
            msg.append(", ")
    else:
        if added:
            msg.append(f"added {added} package{'' if added == 1 else 's'}")
        if removed:
            if added:
                msg.append(", ")
            if added and not audited and not changed:
                msg.append("and ")
            msg.append(f"removed {removed} package{'' if removed == 1 else 's'}")
        if changed:
            if added or removed:
                msg.append(", ")
            if not audited and (added or removed):
                msg.append("and ")
            msg.append(f"changed {changed} package{'' if changed == 1 else 's'}")
        if audited:
            msg.append(", and ")
    if audited:
        msg.append(f"audited {audited} package{'' if audited == 1 else 's'}")
    msg.append(f" in {format_ms(elapsed_ms)}")
    return "".join(msg)


def funding_lines(summary: ReifySummary) -> list[str]:
    """packagesFundingMessage (after a blank line), or nothing."""
    funding = summary.funding
    if not funding:
        return []
    pkg, verb = ("package", "is") if funding == 1 else ("packages", "are")
    return ["", f"{funding} {pkg} {verb} looking for funding", "  run `npm fund` for details"]


def summary_json(summary: ReifySummary) -> JsonObject:
    return {
        "add": list(summary.add),
        "added": summary.added,
        "audited": summary.audited,
        "change": list(summary.change),
        "changed": summary.changed,
        "funding": summary.funding,
        "remove": list(summary.remove),
        "removed": summary.removed,
    }


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

"""Explanations as npm prints them: lib/utils/explain-dep.js and explain-eresolve.js.

They render arborist's explanation objects (`Node.explain()`, `Edge.explain()`, the ERESOLVE
error's `explanation`): a node is `name@version` plus its flags and location, then the edges that
brought it in, indented two spaces per level, each `<type> name@"spec" from <node>` (`the root
project` for the root; `overridden name@"new" (was "old")` for overridden edges). `depth` limits how
far dependents are followed (npm uses 4 on the terminal and no limit in the report file), and at
most `ceil(depth / 2)` dependents are listed before a `N more (a, b, …)` line. `style` colours the
flags and names like npm's chalk (identity by default).
"""

from __future__ import annotations

import contextlib
import math
import posixpath
from collections.abc import Callable, Mapping

__all__ = [
    "Style",
    "eresolve_report",
    "eresolve_warning",
    "explain_edge",
    "explain_eresolve",
    "explain_node",
    "print_node",
]

Style = Callable[
    [str, str], str
]  # (role, text) → styled text; roles: a flag name, "dim", "bold", "workspace"

_FLAGS = ("extraneous", "dev", "optional", "peer", "bundled", "overridden")
Explanation = Mapping[str, object]


def _plain(role: str, text: str) -> str:
    return text


def _get(obj: object, key: str) -> object:
    return obj.get(key) if isinstance(obj, Mapping) else None


def _text(value: object) -> str:
    if value is None:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def print_node(node: Explanation, style: Style = _plain) -> str:
    extra = "".join(f" {style(flag, flag)}" for flag in _FLAGS if node.get(flag))
    pkgid = f"{_text(node.get('name'))}@{_text(node.get('version'))}"
    if node.get("isWorkspace"):
        pkgid = style("workspace", pkgid)
    location = node.get("location")
    return f"{pkgid}{extra}" + (style("dim", f"\n{location}") if location else "")


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _links_in(node: Explanation, depth: float, style: Style, seen: set[str]) -> str:
    links = node.get("linksIn")
    if not isinstance(links, list) or not links or depth <= 0:
        return ""
    messages = [explain_node(link, depth - 1, style, seen) for link in links if isinstance(link, Mapping)]
    return _indent("\n" + "\n".join(messages))


def _dependents(node: Explanation, depth: float, style: Style, seen: set[str]) -> str:
    dependents = node.get("dependents")
    if not isinstance(dependents, list) or not dependents or depth <= 0:
        return ""
    most = math.ceil(depth / 2) if depth != math.inf else len(dependents)
    messages = [
        explain_edge(edge, depth, style, seen) for edge in dependents[:most] if isinstance(edge, Mapping)
    ]
    if len(dependents) > most:
        length = 0
        names: list[str] = []
        for i in range(most, len(dependents)):
            dep_name = _get(_get(dependents[i], "from"), "name")
            shown = dep_name if isinstance(dep_name, str) else "the root project"
            length += len(shown)
            if length >= 50 and i < len(dependents) - 1:
                names.append("...")
                break
            names.append(shown)
        messages.append(f"{len(dependents) - most} more ({', '.join(names)})")
    return _indent("\n" + "\n".join(messages))


def explain_node(
    node: Explanation, depth: float = math.inf, style: Style = _plain, seen: set[str] | None = None
) -> str:
    seen = seen if seen is not None else set()
    return (
        print_node(node, style) + _dependents(node, depth, style, seen) + _links_in(node, depth, style, seen)
    )


def explain_edge(
    edge: Explanation, depth: float = math.inf, style: Style = _plain, seen: set[str] | None = None
) -> str:
    seen = seen if seen is not None else set()
    edge_type = _text(edge.get("type"))
    spec = _text(edge.get("spec"))
    source = edge.get("from")
    if edge_type == "workspace":
        location = _get(source, "location")
        dep = style(
            "bold", posixpath.relpath(spec[len("file:") :], str(location or ".")) if location else spec[5:]
        )
    else:
        dep = f'{_text(edge.get("name"))}@"{spec}"'
    if edge.get("overridden"):
        dep = f'{style("overridden", "overridden")} {dep} (was "{_text(edge.get("rawSpec"))}")'
    from_text = _explain_from(source if isinstance(source, Mapping) else {}, depth, style, seen)
    prefix = "" if edge_type == "prod" else f"{style(edge_type, edge_type)} "
    bundled = f"{style('bundled', 'bundled')} " if edge.get("bundled") else ""
    return f"{prefix}{bundled}{dep} from {from_text}"


def _explain_from(source: Explanation, depth: float, style: Style, seen: set[str]) -> str:
    if not source.get("name") and not source.get("version"):
        return "the root project"
    node_id = f"{_text(source.get('name'))}@{_text(source.get('version'))}:{_text(source.get('location'))}"
    if node_id in seen:
        return print_node(source, style)
    seen.add(node_id)
    result = (
        print_node(source, style)
        + _dependents(source, depth - 1, style, seen)
        + _links_in(source, depth - 1, style, seen)
    )
    seen.discard(node_id)
    return result


def explain_eresolve(expl: Explanation, depth: float = 4, style: Style = _plain) -> str:
    """explain-eresolve.js `explain(expl, chalk, depth)`."""
    edge, dep, current = expl.get("edge"), expl.get("dep"), expl.get("current")
    peer_conflict, current_edge = expl.get("peerConflict"), expl.get("currentEdge")
    out: list[str] = []
    while_installing = (
        _get(dep, "whileInstalling")
        or _get(current, "whileInstalling")
        or _get(_get(edge, "from"), "whileInstalling")
    )
    if isinstance(while_installing, Mapping):
        out.append("While resolving: " + print_node(while_installing, style))
    pc_current = _get(peer_conflict, "current")
    if isinstance(current, Mapping):
        out.append("Found: " + explain_node(current, depth, style))
    elif isinstance(pc_current, Mapping):
        out.append("Found: " + explain_node(pc_current, depth, style))
    elif isinstance(current_edge, Mapping):
        out.append("Found: " + explain_edge(current_edge, depth, style))
    elif isinstance(edge, Mapping):
        out.append("Found: " + explain_edge(edge, depth, style))
    out.append(
        "\nCould not resolve dependency:\n"
        + explain_edge(edge if isinstance(edge, Mapping) else {}, depth, style)
    )
    peer = _get(peer_conflict, "peer")
    if isinstance(peer_conflict, Mapping):
        if not isinstance(peer, Mapping):
            # npm's printNode(undefined) throws here (a conflicted peer's peerConflict is a node)
            raise TypeError("Cannot read properties of undefined (reading 'extraneous')")
        out.append("\nConflicting peer dependency: " + explain_node(peer, depth, style))
    return "\n".join(out)


def eresolve_warning(message: str, expl: Explanation, style: Style = _plain) -> list[str]:
    """The lines npm's display writes for `log.warn('ERESOLVE', message, expl)`: the heading and
    the explanation at depth 2 (only the heading when npm's explanation code crashes on it)."""
    lines = [f"ERESOLVE {message}"]
    with contextlib.suppress(TypeError):
        lines.extend(explain_eresolve(expl, 2, style).split("\n"))
    return lines


def eresolve_report(expl: Explanation, style: Style = _plain) -> tuple[str, str]:
    """(terminal explanation, report file text): explain-eresolve.js `report`."""
    flags = [
        *(["--no-strict-peer-deps"] if expl.get("strictPeerDeps") else []),
        "--force",
        "--legacy-peer-deps",
    ]
    if len(flags) <= 2:
        joined = " or ".join(flags)
    else:
        joined = ", ".join(flag if i + 1 < len(flags) else f"or {flag}" for i, flag in enumerate(flags))
    fix = (
        f"Fix the upstream dependency conflict, or retry this command with {joined} "
        "to accept an incorrect (and potentially broken) dependency resolution."
    )
    return (
        f"{explain_eresolve(expl, 4, style)}\n\n{fix}",
        f"# npm resolution error report\n\n{explain_eresolve(expl, math.inf)}\n\n{fix}",
    )

"""`npm explain <name|location|path|spec>` (alias `why`): npm 11.19's lib/commands/explain.js.

Each argument names nodes: a valid package name every node of that package name; else a location
(`node_modules/a/node_modules/b`), a path to one, or `name@version-or-range`. The explanation
objects are arborist's (`Node.explain()`, cached per node), with the node's flags added in place —
as npm does, so a node explained after appearing as another's dependent shows its flags there
too (`--json`). The text is explain-dep.js at unlimited depth, explanations joined by a blank line.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence

import msgspec

from snpm import semver
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.inspect.chalk import Chalk
from snpm.spec import RegistrySpec, parse_spec
from snpm.spec.names import validate_package_name
from snpm.tree import Node, explain_node
from snpm.tree.paths import relpath

__all__ = ["ExplainResult", "explain_nodes", "find_nodes", "json_safe"]

_TRAILING_SLASHES = re.compile(r"(?<!/)/+$")


class ExplainResult(msgspec.Struct, frozen=True):
    explanations: tuple[JsonObject, ...]

    def text(self, chalk: Chalk) -> str:
        return "\n\n".join(explain_node(expl, math.inf, chalk) for expl in self.explanations)

    def json(self) -> list[JsonValue]:
        return [json_safe(expl) for expl in self.explanations]


def find_nodes(tree: Node, arg: str, prefix: str, cwd: str) -> list[Node]:
    """explain.js getNodes: the nodes `arg` names."""
    if validate_package_name(arg).valid_for_old_packages:
        return tree.inventory.query("packageName", arg)
    maybe_loc = _TRAILING_SLASHES.sub("", arg.replace("\\", "/"))
    by_loc = tree.inventory.get(maybe_loc)
    if by_loc is not None:
        return [by_loc]
    maybe_path = _TRAILING_SLASHES.sub("", relpath(prefix, os.path.join(cwd, maybe_loc)).replace("\\", "/"))
    by_path = tree.inventory.get(maybe_path)
    if by_path is not None:
        return [by_path]
    try:
        spec = parse_spec(arg, prefix)
    except SnpmError:
        return []
    if not isinstance(spec, RegistrySpec) or spec.type not in ("version", "range"):
        return []
    found: list[Node] = []
    for node in tree.inventory.values():
        version = node.package.get("version")
        try:
            if node.package.get("name") == spec.name and semver.satisfies(
                version if isinstance(version, str) else "", spec.raw_spec
            ):
                found.append(node)
        except TypeError:
            return []
    return found


def explain_nodes(
    tree: Node, args: Sequence[str], *, prefix: str, cwd: str, filter_set: dict[Node, None] | None
) -> ExplainResult:
    """The explanations for every node the args name (npm's `nodes` Set, in order)."""
    nodes: dict[Node, None] = {}
    for arg in args:
        for node in find_nodes(tree, arg, prefix, cwd):
            if not (filter_set and node not in filter_set):
                nodes[node] = None
    if not nodes:
        raise SnpmError(f"No dependencies found matching {', '.join(args)}")
    explanations: list[JsonObject] = []
    for node in nodes:
        expl = node.explain()
        if node.extraneous:
            expl["extraneous"] = True
        else:
            expl["dev"] = node.dev
            expl["optional"] = node.optional
            expl["devOptional"] = node.dev_optional
            expl["peer"] = node.peer
            expl["bundled"] = node.in_bundle
            expl["overridden"] = node.overridden
        explanations.append(expl)
    return ExplainResult(tuple(explanations))


def json_safe(value: object) -> JsonValue:
    """What JSON.stringify makes of an explanation: Error objects become `{}`."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return {}

"""The installed (or about to be installed) dependencies whose install scripts the allowScripts
policy does not cover yet (npm's lib/utils/check-allow-scripts.js over arborist's
unreviewed-scripts.js).

Takes the tree's nodes as `snpm.tree` has them and describes only the candidates to the lifecycle
engine, which owns the matching: the project root, workspaces, links, bundled and inert nodes never
run install scripts of their own, so they are skipped before any conversion. A node whose scripts
are not in its package (a lockfile-only node) is read from disk, as arborist does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from snpm.config import Config
from snpm.ops.reify_bridge import build_node
from snpm.tree.node import Node

if TYPE_CHECKING:
    from snpm.lifecycle import Policy, Unreviewed

__all__ = ["check_allow_scripts", "is_candidate"]


def is_candidate(node: Node) -> bool:
    """Whether a node can run install scripts of its own (collectUnreviewedScripts' skips)."""
    return not (node.is_project_root or node.is_workspace or node.is_link or node.in_bundle or node.inert)


def check_allow_scripts(
    nodes: Iterable[Node],
    policy: Policy | None,
    config: Config,
    *,
    include_when_ignored: bool = False,
) -> list[Unreviewed]:
    """The unreviewed nodes among `nodes` (a tree's inventory), in their order.

    Empty with --dangerously-allow-all-scripts, and with --ignore-scripts unless
    `include_when_ignored` (approve/deny still list them: that is how a project moves from a
    blanket ignore-scripts to an allowlist; listing runs nothing).
    """
    flat = config.flat
    ignore_scripts = bool(flat.get("ignoreScripts"))
    allow_all = bool(flat.get("dangerouslyAllowAllScripts"))
    if (ignore_scripts and not include_when_ignored) or allow_all:
        return []
    from snpm.lifecycle import collect_unreviewed_scripts, read_installed_package

    return collect_unreviewed_scripts(
        [build_node(node) for node in nodes if is_candidate(node)],
        policy,
        read_installed_package,
        include_when_ignored=include_when_ignored,
    )

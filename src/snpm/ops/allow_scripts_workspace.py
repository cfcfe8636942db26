"""A workspace's own `allowScripts` field is ignored (npm's lib/utils/warn-workspace-allow-scripts.js).

The RFC keeps the policy in the project root's package.json; a non-root workspace declaring one is
almost always a mistake, so every reify says so once per offending node (a workspace's link in
node_modules is a workspace too, so npm names both folders).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from snpm.tree.node import Node

__all__ = ["find_workspace_allow_scripts", "warn_workspace_allow_scripts"]

LogFn = Callable[[str, str, str], None]


def find_workspace_allow_scripts(nodes: Iterable[Node]) -> list[Node]:
    """The workspace nodes (not the root) whose package.json has an `allowScripts` key."""
    return [
        node
        for node in nodes
        if node.is_workspace and not node.is_project_root and "allowScripts" in node.package
    ]


def warn_workspace_allow_scripts(nodes: Iterable[Node], log: LogFn) -> None:
    """One `warn install-scripts` line per offender among `nodes` (a tree's inventory)."""
    for node in find_workspace_allow_scripts(nodes):
        name = node.package_name or node.name
        log(
            "warn",
            "install-scripts",
            f"allowScripts in workspace {name} ({node.path}) is ignored. "
            "Move the field to the project root package.json.",
        )

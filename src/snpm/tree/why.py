"""Why a node is in the tree: arborist's `Node#explain` data (rendered by `snpm.tree.explain`).

A node's explanation is its name, version and location plus the edges that hold it there (each with
the explanation of the node it comes from, recursively, never revisiting a node on one path). The
root is just its path; nodes of a virtual root explain as the node they stand in for, noting the
project being resolved (`whileInstalling`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue

if TYPE_CHECKING:
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = ["explain_node_data"]


def explain_node_data(node: Node, edge: Edge | None, seen: list[Node]) -> JsonObject:
    if node.is_project_root and node.source_reference is None:
        return {"location": node.path}
    why: dict[str, Any] = {
        "name": node.package_name if (node.is_project_root or node.is_top) else node.name,
        "version": node._package.get("version"),
    }
    if node.errors or not node.package_name or not node._package.get("version"):
        why["errors"] = node.errors or [SnpmError("invalid package: lacks name and/or version")]
        why["package"] = node._package
    if node.root.source_reference is not None:
        why["whileInstalling"] = {
            "name": node.root.package.get("name"),
            "version": node.root.package.get("version"),
            "path": node.root.source_reference.path,
        }
    if node.source_reference is not None:
        return node.source_reference.explain(edge, seen)
    if node in seen:
        return why
    why["location"] = node.location
    why["isWorkspace"] = node.is_workspace
    seen = [*seen, node]
    dependents: list[JsonValue] = []
    if edge is not None:
        dependents.append(edge.explain(seen))
    else:
        for edge_in in list(node.edges_in):
            source = edge_in.from_
            if not edge_in.valid and not (source is not None and source.is_project_root):
                continue
            dependents.append(edge_in.explain(seen))
    why["dependents"] = dependents
    if node.links_in:
        why["linksIn"] = [link._explain(edge, seen) for link in node.links_in]
    return why

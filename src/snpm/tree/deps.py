"""A node's dependency edges from its package (arborist Node#_loadDeps, #loadWorkspaces).

Order matters, as in arborist: peers (and optional peers, from peerDependenciesMeta), then
dependencies, optionalDependencies, and devDependencies for tops only, each later kind replacing
an earlier edge of the same name (so a name in both dependencies and devDependencies is a dev
edge); workspace edges are never replaced. `legacy-peer-deps` makes no peer edges at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.tree.edge import Edge

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["load_dependency_edges", "load_workspace_edges"]


def load_workspace_edges(node: Node) -> None:
    if not node._workspaces:
        return
    for name, path in node._workspaces.items():
        Edge(from_=node, name=name, spec=f"file:{path}", type="workspace")


def load_dependency_edges(node: Node) -> None:
    pkg = node._package
    accept = pkg.get("acceptDependencies")
    ad: Mapping[str, JsonValue] = accept if isinstance(accept, dict) else {}
    peers = pkg.get("peerDependencies")
    if isinstance(peers, dict) and not node.legacy_peer_deps:
        meta = pkg.get("peerDependenciesMeta")
        pm: Mapping[str, JsonValue] = meta if isinstance(meta, dict) else {}
        required: dict[str, JsonValue] = {}
        optional: dict[str, JsonValue] = {}
        for name, spec in peers.items():
            entry = pm.get(name)
            if isinstance(entry, dict) and entry.get("optional"):
                optional[name] = spec
            else:
                required[name] = spec
        _load_dep_type(node, required, "peer", ad)
        _load_dep_type(node, optional, "peerOptional", ad)
    _load_dep_type(node, pkg.get("dependencies"), "prod", ad)
    _load_dep_type(node, pkg.get("optionalDependencies"), "optional", ad)
    source = node.source_reference
    # `is_top and not global_top` is "no parent": a node with a parent is top only as a global top
    this_dev = node._parent is None and bool(node.path) and not node.is_in_store
    src_dev = source is None or (source._parent is None and bool(source.path))
    if this_dev and src_dev:
        _load_dep_type(node, pkg.get("devDependencies"), "dev", ad)


def _load_dep_type(node: Node, deps: JsonValue, dep_type: str, ad: Mapping[str, JsonValue]) -> None:
    if not isinstance(deps, dict):
        return
    for name, spec in deps.items():
        current = node.edges_out.get(name)
        if current is None or current.type != "workspace":
            accept = ad.get(name)
            Edge(
                from_=node,
                name=name,
                spec=_spec_string(spec),
                type=dep_type,
                accept=accept if isinstance(accept, str) else None,
            )


def _spec_string(spec: JsonValue) -> str:
    if isinstance(spec, str):
        return spec
    # npm's Edge throws on a spec that is not a string (package-json normalisation leaves a number
    # or an object in place): the install stops with "must provide string spec", nothing fetched
    raise SnpmError("must provide string spec")

"""npm's dependency tree (@npmcli/arborist): nodes and edges, trees from disk and from lockfiles,
and the ideal tree a package.json (plus lockfile) asks for.

    node, link, edge    Node / Link / Edge: the tree and its dependency graph (arborist's model)
    inventory, cimap    a root's index of its nodes; case-insensitive child maps
    dep_valid           does a node satisfy a spec
    flags               dev / optional / devOptional / peer / extraneous
    meta                the lockfile attached to a root (TreeMeta)
    load_virtual        lockfile → tree          load_actual    node_modules → tree
    lockfile_bridge     tree → lockfile model (metaFromNode / commit), lockfile text
    add_rm              specs saved to package.json after an install
    explain             `npm explain` / ERESOLVE texts
    ideal/              buildIdealTree
    workspaces_map      workspace globs → folders

Typical use (what `npm install --package-lock-only` does):

    ideal = await build_ideal_tree(project, source, IdealTreeOptions(add=("foo",)))
    for tree in apply_saved_specs(ideal):        # package.json files to update
        ...  # snpm.manifest.update_package_json(file, package_json_changes(tree))
    text = lockfile_text(ideal.root, ideal.meta, package_indent=ideal.package_indent)
"""

from __future__ import annotations

from snpm.tree.add_rm import apply_saved_specs, package_json_changes
from snpm.tree.dep_sets import gather_dep_set
from snpm.tree.edge import EDGE_TYPES, Edge
from snpm.tree.explain import eresolve_report, eresolve_warning, explain_edge, explain_eresolve, explain_node
from snpm.tree.flags import calc_dep_flags, optional_set, reset_dep_flags
from snpm.tree.ideal.build import (
    DeleteRequest,
    IdealTree,
    TarballExtractor,
    TreeWarning,
    build_ideal_tree,
    dedupe_names,
)
from snpm.tree.ideal.options import IdealTreeOptions
from snpm.tree.ideal.peers import EresolveError
from snpm.tree.link import Link
from snpm.tree.load_actual import load_actual
from snpm.tree.lockfile_bridge import (
    LockOptions,
    load_tree,
    lockfile_from_tree,
    lockfile_text,
    meta_from_node,
)
from snpm.tree.meta import TreeMeta
from snpm.tree.node import Node

__all__ = [
    "EDGE_TYPES",
    "DeleteRequest",
    "Edge",
    "EresolveError",
    "IdealTree",
    "IdealTreeOptions",
    "Link",
    "LockOptions",
    "Node",
    "TarballExtractor",
    "TreeMeta",
    "TreeWarning",
    "apply_saved_specs",
    "build_ideal_tree",
    "calc_dep_flags",
    "dedupe_names",
    "eresolve_report",
    "eresolve_warning",
    "explain_edge",
    "explain_eresolve",
    "explain_node",
    "gather_dep_set",
    "load_actual",
    "load_tree",
    "lockfile_from_tree",
    "lockfile_text",
    "meta_from_node",
    "optional_set",
    "package_json_changes",
    "reset_dep_flags",
]

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

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snpm.tree.add_rm import apply_saved_specs, package_json_changes
    from snpm.tree.dep_sets import gather_dep_set
    from snpm.tree.edge import EDGE_TYPES, Edge
    from snpm.tree.explain import (
        eresolve_report,
        eresolve_warning,
        explain_edge,
        explain_eresolve,
        explain_node,
    )
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
    from snpm.tree.lockfile_bridge import (
        LockOptions,
        load_tree,
        lockfile_from_tree,
        lockfile_text,
        meta_from_node,
    )
    from snpm.tree.meta import TreeMeta
    from snpm.tree.node import Node

# The names load with their module on first use: a command that needs one part of the tree (the
# no-op install's workspace globs, `ls`) does not import the ideal-tree builder. `load_actual` is
# imported from its module: lazily, the package attribute would be that submodule, not the function.
_MODULES = {
    "DeleteRequest": "snpm.tree.ideal.build",
    "EDGE_TYPES": "snpm.tree.edge",
    "Edge": "snpm.tree.edge",
    "EresolveError": "snpm.tree.ideal.peers",
    "IdealTree": "snpm.tree.ideal.build",
    "IdealTreeOptions": "snpm.tree.ideal.options",
    "Link": "snpm.tree.link",
    "LockOptions": "snpm.tree.lockfile_bridge",
    "Node": "snpm.tree.node",
    "TarballExtractor": "snpm.tree.ideal.build",
    "TreeMeta": "snpm.tree.meta",
    "TreeWarning": "snpm.tree.ideal.build",
    "apply_saved_specs": "snpm.tree.add_rm",
    "build_ideal_tree": "snpm.tree.ideal.build",
    "calc_dep_flags": "snpm.tree.flags",
    "dedupe_names": "snpm.tree.ideal.build",
    "eresolve_report": "snpm.tree.explain",
    "eresolve_warning": "snpm.tree.explain",
    "explain_edge": "snpm.tree.explain",
    "explain_eresolve": "snpm.tree.explain",
    "explain_node": "snpm.tree.explain",
    "gather_dep_set": "snpm.tree.dep_sets",
    "load_tree": "snpm.tree.lockfile_bridge",
    "lockfile_from_tree": "snpm.tree.lockfile_bridge",
    "lockfile_text": "snpm.tree.lockfile_bridge",
    "meta_from_node": "snpm.tree.lockfile_bridge",
    "optional_set": "snpm.tree.flags",
    "package_json_changes": "snpm.tree.add_rm",
    "reset_dep_flags": "snpm.tree.flags",
}

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
    "load_tree",
    "lockfile_from_tree",
    "lockfile_text",
    "meta_from_node",
    "optional_set",
    "package_json_changes",
    "reset_dep_flags",
]


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)

"""What `npm install <spec>`, `uninstall` and `update --save` write to package.json once the ideal
tree is built: the spec-saving half of arborist reify.js `_saveIdealTree` (adding and removing the
names themselves is `snpm.manifest.add_dependencies`/`remove_dependencies`, arborist
add-rm-pkg-deps.js, applied by the builder).

Saved specs, for each requested name:
- registry (and alias) specs: `save-prefix` + the installed version (`^1.2.0`; `1.2.0` with
  save-exact), unless a range was asked for that `^version` would widen, which is kept as typed;
  aliases as `npm:<name>@<range>`;
- hosted git: the shortcut (`github:u/r#ref`), or `git+https://…` when the URL carries auth;
- files and folders: `file:` + the path relative to the package (workspaces: `^<version>`);
- anything else: npa's saveSpec.
The spec goes to the group `save_type` names, else to every group that already lists the name
(dev first; peer/optional copies only rewritten when they no longer intersect).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm import semver
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.manifest import SAVE_TYPES, UNDEFINED, Undefined
from snpm.spec import AliasSpec, GitSpec, RegistrySpec, resolve
from snpm.tree.paths import relpath

if TYPE_CHECKING:
    from snpm.tree.ideal.build import IdealTree
    from snpm.tree.node import Node

__all__ = ["apply_saved_specs", "package_json_changes"]


def _has(pkg: JsonObject, group: str, name: str) -> bool:
    deps = pkg.get(group)
    return isinstance(deps, dict) and name in deps


def _subset(sub: str, sup: str) -> bool:
    try:
        return semver.subset(sub, sup, loose=True)
    except TypeError:
        return False


def _intersects(a: str, b: JsonValue) -> bool:
    if not isinstance(b, str):
        return False
    try:
        return semver.intersects(a, b)
    except TypeError:
        return False


def _exact_version(node: Node) -> bool:
    """True unless some dependent asks for a range the installed version is a subset of."""
    for edge in node.edges_in:
        try:
            if semver.subset(edge.spec, node.version):
                return False
        except (TypeError, ValueError):
            continue
    return True


def _new_spec(name: str, tree: Node, save_prefix: str) -> str | None:
    edge = tree.edges_out.get(name)
    if edge is None:
        return None
    child = edge.to
    if child is None or not tree.is_top:
        return None
    try:
        req = resolve(name, edge.spec, tree.realpath)
    except SnpmError:
        return None
    sub = req.sub_spec if isinstance(req, AliasSpec) else None
    spec = sub.raw_spec if sub is not None else req.raw_spec
    if isinstance(req, RegistrySpec | AliasSpec):
        version = child.version
        prefix_range = f"{save_prefix}{version}" if version else "*"
        is_range = (sub or req).type == "range"
        saved = spec
        if not is_range or spec == "*" or _subset(prefix_range, spec):
            saved = prefix_range
        pname = child.package_name
        return f"npm:{pname}@{saved}" if name != pname else saved
    if isinstance(req, GitSpec) and req.hosted is not None:
        hosted = req.hosted
        if hosted.auth:
            https = hosted.https(no_committish=False)
            if https:
                return f"git+{https}"
        return hosted.shortcut(no_committish=False)
    if req.type in ("directory", "file"):
        if edge.type == "workspace":
            version = edge.to.target.version if edge.to is not None else ""
            return f"{save_prefix}{version}" if version else "*"
        fetch = (req.fetch_spec or "").removeprefix("file:")
        return f"file:{relpath(tree.realpath or '', fetch)}"
    return req.save_spec


def _update(tree: Node, name: str, new_spec: str, save_type: str | None, is_local: bool) -> None:
    pkg = tree.package
    if save_type:
        group = pkg.setdefault(SAVE_TYPES[save_type], {})
        assert isinstance(group, dict)
        group[name] = new_spec
        optional = pkg.get("optionalDependencies")
        if save_type == "prod" and isinstance(optional, dict):
            optional.pop(name, None)
        return
    prod, dev = pkg.get("dependencies"), pkg.get("devDependencies")
    if isinstance(prod, dict) and name in prod:
        prod[name] = new_spec
    if isinstance(dev, dict) and name in dev:
        dev[name] = new_spec
        peers = pkg.get("peerDependencies")
        if isinstance(peers, dict) and name in peers and (is_local or not _intersects(new_spec, peers[name])):
            peers[name] = new_spec
        optional = pkg.get("optionalDependencies")
        if (
            isinstance(optional, dict)
            and name in optional
            and (is_local or not _intersects(new_spec, optional[name]))
        ):
            optional[name] = new_spec
    else:
        for group in ("peerDependencies", "optionalDependencies"):
            deps = pkg.get(group)
            if isinstance(deps, dict) and name in deps:
                deps[name] = new_spec


def apply_saved_specs(ideal: IdealTree) -> list[Node]:
    """Rewrite the requested specs in the trees' packages (in memory) and return the trees
    (root and/or workspaces) whose package.json npm writes. Does nothing unless saving."""
    options = ideal.options
    save = options.save
    has_updates = options.update_all or bool(options.update_names)
    if (not save and not has_updates) or options.global_ or options.dry_run:
        return []
    prefix = options.effective_save_prefix
    updated: dict[Node, None] = {}

    def update_nodes(pairs: list[tuple[str, Node]]) -> None:
        for name, tree in pairs:
            edge = tree.edges_out.get(name)
            new_spec = _new_spec(name, tree, prefix)
            if new_spec is None or edge is None:
                continue
            try:
                req = resolve(name, edge.spec, tree.realpath)
                is_local = req.type in ("directory", "file")
            except SnpmError:
                is_local = False
            _update(tree, name, new_spec, options.save_type, is_local)
            updated[tree] = None

    def updated_nodes(names: tuple[str, ...] | None) -> list[tuple[str, Node]]:
        pairs: list[tuple[str, Node]] = []
        for node in ideal.root.inventory.values():
            rp = node.resolve_parent
            if node.is_root or rp is None or not rp.is_root:
                continue
            if names is not None and node.name not in names:
                continue
            if not _exact_version(node):
                continue
            for edge in node.edges_in:
                if edge.from_ is not None:
                    pairs.append((node.name, edge.from_.target))
        return pairs

    if save:
        if options.update_all:
            update_nodes(updated_nodes(None))
        else:
            if ideal.resolved_add:
                update_nodes([(item.name, item.tree) for item in ideal.resolved_add])
            if options.update_names:
                update_nodes(updated_nodes(options.update_names))
            for request in ideal.explicit_requests:
                source = request.from_
                if source is not None:
                    updated[source] = None
        for tree in updated:
            # refresh the edges so they carry the saved specs (and the lockfile's `requires` does)
            tree.package = tree.package
    return list(updated)


def package_json_changes(tree: Node) -> dict[str, JsonValue | Undefined]:
    """The fields npm passes to `PackageJson#update` for a saved tree (missing dependency groups
    as {}, a missing bundleDependencies as undefined); apply with `snpm.manifest.update_package_json`."""
    pkg = tree.package
    changes: dict[str, JsonValue | Undefined] = {}
    for group in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        value = pkg.get(group)
        changes[group] = value if value is not None else {}
    bundled = pkg.get("bundleDependencies")
    changes["bundleDependencies"] = bundled if bundled is not None else UNDEFINED
    return changes

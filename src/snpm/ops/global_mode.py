"""Global mode: where the global space is, and which part of it a global reify may touch.

npm keeps global packages in `{prefix}/lib/node_modules` (npm.globalDir), their bins in
`{prefix}/bin` and man pages in `{prefix}/share/man`; arborist works on the folder above the
node_modules, `{prefix}/lib` (npm's `globalTop`). The global space is not a project: its root has no
package.json, no package-lock.json and no hidden lockfile are written, and a reify changes only the
top-level packages that were asked for (arborist reify.js [_loadTrees] and [_diffTrees]):

- the actual tree is loaded after the ideal one, and keeps only the global root's children that
  the ideal root depends on or that were explicitly requested (`global_actual_filter`);
- the diff is filtered to those explicit requests, in both trees (`global_filter_nodes`).

The commands' own global rules live here too: `npm i -g` alone installs `.`, `npm rm -g` alone
removes the current package, `npm i -g npm` checks engines strictly, and a global npm keeps the
builtin config (install.js, uninstall.js, reify-finish.js); `npm prefix` and `npm root`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from snpm.config import Config, npmrc
from snpm.errors import SnpmError, UsageError
from snpm.ops.local_package import local_package_name

if TYPE_CHECKING:
    # types only: `snpm prefix` and `snpm root` import this module and must start fast
    from snpm.fetch.base import ResolvedManifest
    from snpm.tree.ideal.build import IdealTree
    from snpm.tree.node import Node

__all__ = [
    "check_npm_self_install",
    "preserve_builtin_config",
    "global_actual_filter",
    "install_args",
    "npm_dir",
    "npm_prefix",
    "uninstall_names",
    "global_dir",
    "global_filter_nodes",
    "global_top",
    "require_global_top",
]


def global_top(config: Config) -> str:
    """`resolve(npm.globalDir, '..')`: `{prefix}/lib`, the folder arborist works on globally."""
    return os.path.join(str(config.global_prefix), "lib")


def global_dir(config: Config) -> str:
    """npm.globalDir: `{prefix}/lib/node_modules`."""
    return os.path.join(global_top(config), "node_modules")


def require_global_top(path: str) -> str:
    """The realpath of the global top; arborist's loadActual fails with lstat's ENOENT when the
    folder does not exist yet (`npm link <pkg>` before anything was ever installed globally)."""
    if not os.path.lexists(path):
        raise SnpmError(
            f"ENOENT: no such file or directory, lstat '{path}'",
            code="ENOENT",
            syscall="lstat",
            path=path,
            errno=-2,
        )
    return os.path.realpath(path)


def _explicit_names(built: IdealTree) -> list[str]:
    """arborist's explicitRequests: the added and removed names, and, for `update -g <names>`,
    those of the named packages that are installed (the builder put them in the root's
    dependencies; npm adds their edges to the explicit requests)."""
    names = [request.name for request in built.explicit_requests]
    edges = built.root.edges_out
    names.extend(name for name in built.options.update_names if name in edges and name not in names)
    return names


def global_actual_filter(built: IdealTree) -> Callable[[Node, str], bool]:
    """loadActual's filter in a global reify: below the root everything is kept; at the root only
    what the ideal root depends on or what was explicitly requested (the rest of the global space
    is none of this reify's business)."""
    names = set(_explicit_names(built))
    ideal_root = built.root

    def keep(node: Node, kid: str) -> bool:
        if not names or not node.is_project_root:
            return True
        return kid in ideal_root.edges_out or kid in names

    return keep


def global_filter_nodes(built: IdealTree, actual: Node) -> list[Node]:
    """[_diffTrees] in global mode: only the explicitly requested top-level children may change."""
    ideal_target = built.root.target
    actual_target = actual.target
    nodes: list[Node] = []
    for name in _explicit_names(built):
        ideal = ideal_target.children.get(name)
        if ideal is not None:
            nodes.append(ideal)
        found = actual_target.children.get(name)
        if found is not None:
            nodes.append(found)
    return nodes


def install_args(config: Config, specs: Sequence[str]) -> tuple[str, ...]:
    """lib/commands/install.js: the prefix is never installed into itself, `npm i -g` alone means
    `npm i -g .`, and an empty name in global mode is a usage error."""
    prefix = str(config.prefix)
    args = tuple(a for a in specs if os.path.abspath(a) != prefix)
    if config.is_global:
        if not args:
            args = (".",)
        if not all(args):
            raise UsageError("")
    return args


def uninstall_names(config: Config, names: Sequence[str]) -> tuple[str, ...]:
    """lib/commands/uninstall.js: a name is required, except globally, where the current
    project's own name is removed (a usage error without a package.json)."""
    if names:
        return tuple(names)
    if not config.is_global:
        raise SnpmError("Must provide a package name to remove")
    try:
        name = local_package_name(config.local_prefix)
    except SnpmError as err:
        if err.code in ("ENOENT", "ENOTDIR"):
            raise UsageError("") from None
        raise
    return (name or "",)


def npm_prefix(config: Config) -> str:
    """npm.prefix (`npm prefix`): the global prefix with -g, else the project's folder."""
    return os.path.abspath(str(config.prefix))


def npm_dir(config: Config) -> str:
    """npm.dir (`npm root`): the global node_modules with -g, else the project's node_modules."""
    if config.is_global:
        return os.path.abspath(global_dir(config))
    return os.path.abspath(os.path.join(str(config.local_prefix), "node_modules"))


class _Manifests(Protocol):
    async def manifest(self, spec: str) -> ResolvedManifest: ...


async def check_npm_self_install(
    source: _Manifests,
    args: Sequence[str],
    *,
    node_version: str | None,
    force: bool,
    log: Callable[[str, str, str], None],
) -> None:
    """install.js is very strict about engines when `npm i -g` updates npm itself: the chosen npm
    must run on this node (EBADENGINE), unless --force, which only warns."""
    arg = next((a for a in args if a.startswith("npm@") or a == "npm"), None)
    if arg is None:
        return
    from snpm.tree.ideal.checks import check_engine

    manifest = (await source.manifest(arg)).manifest
    version = manifest.get("version")
    version = version if isinstance(version, str) else None
    if "_id" not in manifest:
        manifest = {**manifest, "_id": f"{manifest.get('name')}@{version}"}
    try:
        check_engine(manifest, version, node_version)
    except SnpmError:
        if not force:
            raise
        log(
            "warn",
            "install",
            f"Forcing global npm install with incompatible version {version} into node {node_version}",
        )


def preserve_builtin_config(config: Config, tree: Node) -> None:
    """reify-finish.js: after a global reify that left npm itself as a top-level global package, the
    builtin config (the `npmrc` in npm's own folder) is written into the new npm's folder."""
    npm_node = tree.inventory.get("node_modules/npm")
    if npm_node is None or not npm_node.path:
        return
    builtin = config.layer("builtin")
    if builtin.load_error is not None or builtin.source is None:
        return
    text = npmrc.encode(builtin.raw).strip() + "\n"
    with open(os.path.join(npm_node.path, "npmrc"), "w", encoding="utf-8") as f:
        f.write(text)

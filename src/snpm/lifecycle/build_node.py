"""BuildNode: what the lifecycle engine needs to know about one installed package.

arborist runs install scripts and applies the allowScripts policy over its tree Nodes; this engine
does not depend on the tree, so the tree (or reify) describes each node it wants built with the
few Node fields arborist's rebuild.js, install-scripts.js and script-allowed.js read. A Link (a
workspace, a `file:` folder) carries its target: scripts run in the target folder with the target's
flags, while its bins are linked at the link's own location.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

import msgspec

from snpm.json_types import JsonValue

__all__ = ["DEFAULT_GYP_INSTALL_SCRIPT", "BuildNode", "is_node_gyp_package"]

# what runs as `install` in a package with a binding.gyp and no install or preinstall script (here,
# not in run_script, so that planning a build does not import the script runner)
DEFAULT_GYP_INSTALL_SCRIPT: Final = "node-gyp rebuild"


def is_node_gyp_package(path: str) -> bool:
    """@npmcli/node-gyp: the folder has a `binding.gyp` file."""
    return os.path.isfile(os.path.join(path, "binding.gyp"))


class BuildNode(msgspec.Struct, frozen=True):
    """One arborist Node as the build sees it. Paths are absolute, locations relative to the root.

    `package` is the node's normalised package.json (for a link, the target's). `edges_in` are the
    (name, spec) pairs of the dependency edges pointing at it and `links_in` the `resolved` values of
    the links pointing at it: the policy trusts those over the package's own name. `bundled` lists the
    node's in-bundle descendants (arborist walks them when `rebuildBundle` is on).
    """

    path: str
    package: Mapping[str, JsonValue]
    location: str = ""
    depth: int = 0
    name: str = ""
    is_link: bool = False
    target: BuildNode | None = None
    realpath: str = ""
    resolved: str | None = None
    integrity: str | None = None
    optional: bool = False
    dev: bool = False
    peer: bool = False
    dev_optional: bool = False
    # the lockfile's hasInstallScript flag, for packages whose scripts are not in `package` yet
    lockfile_has_install_script: bool = False
    in_bundle: bool = False
    is_top: bool = False
    global_top: bool = False
    is_project_root: bool = False
    is_workspace: bool = False
    inert: bool = False
    is_in_store: bool = False
    # a linked install's link to a store folder (arborist's IsolatedLink#isStoreLink): built with
    # the dependencies, last; a link read from disk to the same folder is a plain link
    is_store_link: bool = False
    # arborist's Node#isRegistryDependency when the tree knows it (None: derive from `resolved`)
    is_registry_dependency: bool | None = None
    edges_in: tuple[tuple[str, str], ...] = ()
    links_in: tuple[str | None, ...] = ()
    bundled: tuple[BuildNode, ...] = ()

    @property
    def real(self) -> BuildNode:
        """`node.target`: the folder node behind a link, else the node itself."""
        return self.target if self.is_link and self.target is not None else self

    @property
    def version(self) -> str:
        value = self.package.get("version")
        return value if isinstance(value, str) else ""

    @property
    def scripts(self) -> Mapping[str, JsonValue]:
        raw = self.package.get("scripts")
        return raw if isinstance(raw, dict) else {}

    @property
    def has_install_script(self) -> bool:
        """arborist Node#hasInstallScript: the lockfile flag, or an install/preinstall/postinstall."""
        if self.lockfile_has_install_script or self.package.get("hasInstallScript"):
            return True
        scripts = self.scripts
        return any(scripts.get(event) for event in ("install", "preinstall", "postinstall"))

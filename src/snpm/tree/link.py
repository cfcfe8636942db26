"""Link: a symlink in the tree pointing at a `target` Node (arborist link.js).

Workspaces and `file:` folders are Links: `node_modules/a` → `packages/a`. A link has no children
and loads no edges of its own (its target does); its `package` is its target's, and its `resolved`
is always the relative path from its folder to the target (`file:../packages/a`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from snpm.json_types import JsonValue
from snpm.tree.cimap import CIMap
from snpm.tree.ideal.overrides import OverrideSet
from snpm.tree.node import Node
from snpm.tree.paths import dirname, relpath

__all__ = ["Link"]


class Link(Node):
    is_link: ClassVar[bool] = True

    def __init__(
        self,
        *,
        target: Node | None = None,
        realpath: str | None = None,
        root: Node | None = None,
        parent: Node | None = None,
        fs_parent: Node | None = None,
        pkg: Mapping[str, JsonValue] | None = None,
        is_store_link: bool = False,
        **options: Any,
    ) -> None:
        if not realpath and not (target is not None and target.path):
            raise TypeError("must provide realpath for Link node")
        self._target: Node | None = None
        real = realpath or (target.path if target is not None else None)
        chosen_root = root or (
            parent.root
            if parent is not None
            else fs_parent.root
            if fs_parent is not None
            else target.root
            if target is not None
            else None
        )
        super().__init__(
            realpath=real, root=chosen_root, parent=parent, fs_parent=fs_parent, pkg=pkg, **options
        )
        self.is_store_link = is_store_link
        if target is not None:
            self.target = target
        elif self.realpath == self.root.path:
            self.target = self.root
        else:
            params = {**options, "pkg": pkg, "path": real, "realpath": real, "root": self.root}
            self.target = Node(**params)

    @property
    def version(self) -> str:
        if self._target is not None:
            return self._target.version
        return super().version

    @property
    def target(self) -> Node:
        # None only while a link is being set up or torn down, as in arborist
        return self._target  # type: ignore[return-value]

    @target.setter
    def target(self, target: Node | None) -> None:
        current = self._target
        if target is current:
            return
        if target is None:
            if current is not None:
                current.links_in.pop(self, None)
            if self.path:
                self._delist_from_meta()
                self._target = None
                self.package = {}
                self._refresh_location()
            else:
                self._target = None
            return
        if not self.path:
            # a temporary node, not yet in a tree
            if target.path:
                self.realpath = target.path
            else:
                target.path = target.realpath = self.realpath
            target.root = self.root
            self._target = target
            target.links_in[self] = None
            self.package = target.package
            return
        self._delist_from_meta()
        self.package = target.package
        self.realpath = target.path
        self._refresh_location()
        target.root = self.root

    @property
    def resolved(self) -> str | None:
        if self.path and self.realpath:
            return f"file:{relpath(dirname(self.path), self.realpath)}"
        return None

    @resolved.setter
    def resolved(self, value: str | None) -> None:
        pass

    @property
    def children(self) -> CIMap[Node]:
        # links have no children of their own (their targets do)
        return CIMap()

    def _load_deps(self) -> None:
        # a link's dependencies are its target's
        return

    def recalculate_out_edges_overrides(self) -> None:
        # forward the overrides only when a rule names something the target needs (npm/cli#9357)
        target = self._target
        if target is None or self.overrides is None:
            return
        if not _override_matches_subtree(self.overrides, target):
            return
        target.update_overrides_edge_in_added(self.overrides)


def _override_matches_subtree(overrides: OverrideSet, target: Node) -> bool:
    seen: set[Node] = set()
    stack = [target]
    while stack:
        node = stack.pop()
        real = node.target if node.is_link else node
        if real in seen:
            continue
        seen.add(real)
        for edge in real.edges_out.values():
            if overrides.get_edge_rule(edge).name == edge.name:
                return True
            if edge.to is not None:
                stack.append(edge.to)
    return False

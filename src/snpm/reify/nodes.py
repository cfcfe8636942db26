"""What reify reads from a tree node: a structural Protocol the tree engine's Node satisfies.

Engines are independent layers (the import contract in pyproject.toml), so reify does not import
`snpm.tree`; the operations layer hands reify the trees it built, and mypy checks that Node matches
this Protocol wherever ops passes one. Names are arborist's in snake case, as in `snpm.tree.node`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from snpm.json_types import JsonObject
from snpm.reify.bin_links import get_paths

__all__ = ["ReifyEdge", "ReifyNode", "bin_paths", "deprecation"]


class _Children(Protocol):
    def values(self) -> Iterable[ReifyNode]: ...

    def get(self, key: str) -> ReifyNode | None: ...


class _EdgesOut(Protocol):
    def values(self) -> Iterable[ReifyEdge]: ...

    def get(self, key: str) -> ReifyEdge | None: ...


class _Inventory(Protocol):
    def get(self, location: str) -> ReifyNode | None: ...

    def values(self) -> Iterable[ReifyNode]: ...

    def __len__(self) -> int: ...


class ReifyEdge(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def spec(self) -> str: ...

    @property
    def to(self) -> ReifyNode | None: ...

    @property
    def from_(self) -> ReifyNode | None: ...

    @property
    def optional(self) -> bool: ...

    @property
    def valid(self) -> bool: ...


class ReifyNode(Protocol):
    """One package at one location (arborist Node/Link)."""

    name: str
    path: str | None
    realpath: str | None
    location: str
    integrity: str | None
    has_shrinkwrap: bool
    inert: bool
    optional: bool
    dev: bool
    peer: bool
    dev_optional: bool
    extraneous: bool

    @property
    def is_link(self) -> bool: ...

    @property
    def version(self) -> str: ...

    @property
    def package_name(self) -> str | None: ...

    @property
    def resolved(self) -> str | None: ...

    @property
    def package(self) -> JsonObject: ...

    @property
    def children(self) -> _Children: ...

    @property
    def fs_children(self) -> Iterable[ReifyNode]: ...

    @property
    def edges_out(self) -> _EdgesOut: ...

    @property
    def edges_in(self) -> Iterable[ReifyEdge]: ...

    @property
    def inventory(self) -> _Inventory: ...

    @property
    def parent(self) -> ReifyNode | None: ...

    @property
    def fs_parent(self) -> ReifyNode | None: ...

    @property
    def root(self) -> ReifyNode: ...

    @property
    def target(self) -> ReifyNode: ...

    @property
    def top(self) -> ReifyNode: ...

    @property
    def fs_top(self) -> ReifyNode: ...

    @property
    def depth(self) -> int: ...

    @property
    def is_root(self) -> bool: ...

    @property
    def is_project_root(self) -> bool: ...

    @property
    def is_top(self) -> bool: ...

    @property
    def global_(self) -> bool: ...

    @property
    def global_top(self) -> bool: ...

    @property
    def in_bundle(self) -> bool: ...

    @property
    def in_dep_bundle(self) -> bool: ...

    def should_omit(self, omit: frozenset[str]) -> bool: ...


def bin_paths(node: ReifyNode) -> list[str]:
    """arborist Node#binPaths: every bin link and man page the package may own. A node without a
    parent (the root, a workspace folder) owns none; neither does a local top."""
    if node.parent is None or not node.path:
        return []
    return get_paths(node.package, node.path, global_=node.global_, top=node.global_top)


def deprecation(node: ReifyNode) -> str | None:
    """npm's `warn deprecated` line for a package just unpacked (`<_id>: <message>`), or None."""
    deprecated = node.package.get("deprecated")
    if not deprecated:
        return None
    pkg_id = node.package.get("_id")
    if not (isinstance(pkg_id, str) and pkg_id):
        pkg_id = f"{node.package_name or node.name}@{node.version}"
    text = ("true" if deprecated else "false") if isinstance(deprecated, bool) else str(deprecated)
    return f"{pkg_id}: {text}"

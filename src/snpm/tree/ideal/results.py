"""What building an ideal tree produces: the tree with its lockfile `meta`, the warnings npm would
log, and the requests the save step needs (which specs were added to which package.json)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from snpm.json_types import JsonObject
from snpm.spec import PackageSpec
from snpm.tree.ideal.options import IdealTreeOptions
from snpm.tree.meta import TreeMeta
from snpm.tree.node import Node

if TYPE_CHECKING:
    from snpm.tree.edge import Edge

__all__ = ["DeleteRequest", "IdealTree", "ResolvedAdd", "TreeLog", "TreeWarning"]

# (level, title, message): npm's log.warn/log.silly lines
TreeLog = Callable[[str, str, str], None]


class DeleteRequest(msgspec.Struct, frozen=True):
    """`npm uninstall <name>`: an explicit request that removed a dependency of `from_`."""

    from_: Node
    name: str
    action: str = "DELETE"


class TreeWarning(msgspec.Struct, frozen=True):
    """A warning npm logs while building (`ERESOLVE`, `EBADENGINE`, `idealTree`, `old lockfile`…)
    with arborist's explanation object when it has one."""

    title: str
    message: str
    explanation: JsonObject | None = None


class ResolvedAdd(msgspec.Struct):
    """An `add` spec with its name found (npm's `_resolvedAdd` entries)."""

    name: str
    raw_spec: str
    spec: PackageSpec
    tree: Node


class IdealTree(msgspec.Struct):
    """The result: the tree (with its lockfile `meta`) and what the save step needs."""

    root: Node
    meta: TreeMeta
    options: IdealTreeOptions
    explicit_requests: list[Edge | DeleteRequest] = msgspec.field(default_factory=list)
    resolved_add: list[ResolvedAdd] = msgspec.field(default_factory=list)
    warnings: list[TreeWarning] = msgspec.field(default_factory=list)
    package_indent: str | None = None
    package_newline: str | None = None
    manifest_requests: int = 0

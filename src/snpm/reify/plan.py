"""diff(actual, ideal) → ReifyPlan: what reify must add, change, remove and keep (arborist diff.js).

The plan is a tree of `Diff`s. A Diff's parent is not the parent folder of its node but the
shallowest *changed* ancestor: the root Diff's children are the shallowest changes, which is what
reify retires (moves aside) and can restore. Each Diff also carries the nodes that do not change
below it (`unchanged`, moved back out of a retired folder) and the actual nodes removed below it.

What counts as a change (getAction): no ideal node → REMOVE; no actual node → ADD (except a node
that arrives inside its bundler's tarball); a different version → CHANGE; otherwise the same bits
are required: with no integrity on either side the `resolved` values must match (or both be
absent) and every bin link must exist; else the integrities must match and the bins exist.
Omitted nodes (`--omit`) and inert ones (failed optional deps) count as absent from the ideal tree.

Nothing here changes a tree: what npm's diff mutates in passing (marking omitted nodes inert,
moving bundled children of an unchanged bundler into the ideal tree) is returned as data for the
caller to apply. The only I/O is the bins-exist check, through the `exists` function passed in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import StrEnum

import msgspec

from snpm.errors import SnpmError
from snpm.integrity import Integrity
from snpm.reify.nodes import ReifyNode, bin_paths

__all__ = ["Action", "Diff", "ReifyPlan", "diff_trees"]

Exists = Callable[[str], bool]


class Action(StrEnum):
    ADD = "ADD"
    CHANGE = "CHANGE"
    REMOVE = "REMOVE"


class Diff(msgspec.Struct, eq=False):
    """One place where the trees differ (or the root). Built once by `diff_trees`, then read-only."""

    action: Action | None
    actual: ReifyNode | None
    ideal: ReifyNode | None
    children: list[Diff] = msgspec.field(default_factory=list)
    # every leaf Diff at or below this one (a Diff without children is its own leaf)
    leaves: list[Diff] = msgspec.field(default_factory=list)
    # ideal nodes below this Diff that stay as they are
    unchanged: list[ReifyNode] = msgspec.field(default_factory=list)
    # actual nodes below this Diff that are removed
    removed: list[ReifyNode] = msgspec.field(default_factory=list)
    parent: Diff | None = None

    @property
    def node(self) -> ReifyNode:
        """The node the diff is about: the actual one for a removal, else the ideal one."""
        node = self.actual if self.action is Action.REMOVE else (self.ideal or self.actual)
        assert node is not None
        return node

    def walk(self) -> Iterator[Diff]:
        """treeverse.depth's visit order: parents first, and (it is a stack) the LAST child first."""
        stack: list[Diff] = [self]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(current.children)

    def post_order(self, keep: Callable[[Diff], bool]) -> Iterator[Diff]:
        """treeverse.depth with `leave` and `filter`: children (that pass `keep`) in order, then the
        Diff itself; the starting Diff is always included."""
        for child in self.children:
            if keep(child):
                yield from child.post_order(keep)
        yield self


class ReifyPlan(msgspec.Struct, frozen=True):
    """The whole diff, plus what the caller must apply to the ideal tree before reifying."""

    root: Diff
    # ideal nodes left out by --omit: reify marks them inert (kept in package-lock.json, not on disk)
    omitted: tuple[ReifyNode, ...] = ()
    # bundled children of an unchanged bundler: (actual child, ideal bundler) to re-parent
    bundled_moves: tuple[tuple[ReifyNode, ReifyNode], ...] = ()
    filter_set: frozenset[int] = frozenset()

    def diffs(self) -> Iterator[Diff]:
        """Every Diff with an action, in npm's visit order (the order `--dry-run` prints)."""
        for diff in self.root.walk():
            if diff.action is not None:
                yield diff

    @property
    def adds(self) -> list[Diff]:
        return [d for d in self.diffs() if d.action is Action.ADD]

    @property
    def changes(self) -> list[Diff]:
        return [d for d in self.diffs() if d.action is Action.CHANGE]

    @property
    def removes(self) -> list[Diff]:
        return [d for d in self.diffs() if d.action is Action.REMOVE]

    @property
    def is_empty(self) -> bool:
        return not self.root.children

    def by_location(self) -> dict[str, Action]:
        """location → action for every changed place (a flat view for tests and `--dry-run`)."""
        return {d.node.location: d.action for d in self.diffs() if d.action is not None}


# one hash of an algorithm node has, in SRI form: ssri parses it to exactly that hash
_ONE_HASH = re.compile(r"(?:sha512|sha384|sha256|sha1)-[A-Za-z0-9+/]+={0,2}\Z")


def _integrity_match(ideal: str, actual: str) -> bool:
    if ideal == actual and _ONE_HASH.match(ideal):
        # the same single hash on both sides (a no-op install's every node): it matches itself
        return True
    try:
        return Integrity.parse(ideal).match(actual) is not None
    except SnpmError:
        return False


def get_action(actual: ReifyNode | None, ideal: ReifyNode | None, exists: Exists) -> Action | None:
    """diff.js getAction: the action that turns `actual` into `ideal` at one location."""
    if ideal is None:
        return Action.REMOVE
    if actual is None:
        # bundled meta-deps come with their bundler's tarball
        return None if ideal.in_dep_bundle else Action.ADD
    if ideal.is_root and actual.is_root:
        return None
    if ideal.version != actual.version:
        return Action.CHANGE
    bins_exist = all(exists(p) for p in bin_paths(ideal))
    no_integrity = not ideal.integrity and not actual.integrity
    no_resolved = not ideal.resolved and not actual.resolved
    resolved_match = bool(ideal.resolved) and ideal.resolved == actual.resolved
    if no_integrity and bins_exist and (resolved_match or no_resolved):
        return None
    # an ideal node with integrity but an actual one without is a change: fetched and locked down
    if not ideal.integrity or not actual.integrity or not _integrity_match(ideal.integrity, actual.integrity):
        return Action.CHANGE
    if not bins_exist:
        return Action.CHANGE
    return None


def _all_children(node: ReifyNode | None) -> dict[str, ReifyNode]:
    """diff.js allChildren: the children of the node and of its fs children, by path."""
    if node is None:
        return {}
    if node.is_link and node.is_root:
        return _all_children(node.target)
    kids = {kid.path or "": kid for kid in node.children.values()}
    for holder in node.fs_children:
        for kid in holder.children.values():
            kids[kid.path or ""] = kid
    return kids


class _Differ:
    def __init__(
        self,
        *,
        filter_set: set[int],
        shrinkwrap_inflated: frozenset[int],
        omit: frozenset[str],
        exists: Exists,
    ) -> None:
        self.filter_set = filter_set
        self.shrinkwrap_inflated = shrinkwrap_inflated
        self.omit = omit
        self.exists = exists
        self.omitted: dict[int, ReifyNode] = {}
        self.bundled_moves: list[tuple[ReifyNode, ReifyNode]] = []

    def _is_inert(self, node: ReifyNode) -> bool:
        if node.inert:
            return True
        if node.should_omit(self.omit):
            self.omitted[id(node)] = node
            return True
        return False

    def build(self, diff: Diff) -> Diff:
        """treeverse.depth over Diffs: compute children, recurse, then `leave` bubbles lists up."""
        kids = self._children_of(diff, diff.actual, diff.ideal, diff.unchanged, diff.removed)
        for kid in kids:
            self.build(kid)
            kid.parent = diff
            diff.leaves.extend(kid.leaves)
            diff.unchanged.extend(kid.unchanged)
            diff.removed.extend(kid.removed)
        diff.children = kids
        return diff

    def _children_of(
        self,
        diff: Diff | None,
        actual: ReifyNode | None,
        ideal: ReifyNode | None,
        unchanged: list[ReifyNode],
        removed: list[ReifyNode],
        bundled: frozenset[str] = frozenset(),
    ) -> list[Diff]:
        children: list[Diff] = []
        if ideal is not None and ideal.has_shrinkwrap and id(ideal) not in self.shrinkwrap_inflated:
            # its subtree is defined by the shrinkwrap inside its tarball: a leaf until unpacked
            if diff is not None:
                diff.leaves.append(diff)
            return children
        actual_kids = _all_children(actual)
        ideal_kids = _all_children(ideal)
        for path in dict.fromkeys([*actual_kids, *ideal_kids]):
            if path in bundled:
                # an unchanged bundler keeps the bundled deps on disk: they stay as they are
                kid = actual_kids[path]
                unchanged.append(kid)
                children.extend(self._children_of(None, kid, kid, unchanged, removed))
                continue
            self._diff_node(actual_kids.get(path), ideal_kids.get(path), children, unchanged, removed)
        if diff is not None and not children:
            diff.leaves.append(diff)
        return children

    def _diff_node(
        self,
        actual: ReifyNode | None,
        ideal: ReifyNode | None,
        children: list[Diff],
        unchanged: list[ReifyNode],
        removed: list[ReifyNode],
    ) -> None:
        if self.filter_set and not (
            (ideal is not None and id(ideal) in self.filter_set)
            or (actual is not None and id(actual) in self.filter_set)
        ):
            return
        if ideal is not None and self._is_inert(ideal):
            ideal = None
        if actual is None and ideal is None:
            return
        action = get_action(actual, ideal, self.exists)
        unpacked_later = (
            ideal is not None and ideal.has_shrinkwrap and id(ideal) not in self.shrinkwrap_inflated
        )
        if action is not None or unpacked_later:
            if action is Action.REMOVE:
                assert actual is not None
                removed.append(actual)
            children.append(Diff(action=action, actual=actual, ideal=ideal))
            return
        assert ideal is not None
        unchanged.append(ideal)
        bundled: set[str] = set()
        bundle_list = ideal.package.get("bundleDependencies")
        if actual is not None and isinstance(bundle_list, list) and bundle_list:
            # bundled deps are not in the ideal tree until unpacked: an unchanged bundler keeps
            # the ones on disk (npm moves them into the ideal tree right here; the caller does)
            for child in actual.children.values():
                if child.in_bundle and (child.path or "") not in _all_children(ideal):
                    self.bundled_moves.append((child, ideal))
                    bundled.add(child.path or "")
        children.extend(self._children_of(None, actual, ideal, unchanged, removed, frozenset(bundled)))


def _filter_set(actual: ReifyNode, ideal: ReifyNode, filter_nodes: Sequence[ReifyNode]) -> set[int]:
    """The nodes a filtered reify may touch (global explicit requests, `-w` workspaces)."""
    found: dict[int, ReifyNode] = {}
    extraneous: dict[int, ReifyNode] = {}

    def add(node: ReifyNode | None) -> None:
        if node is not None:
            found[id(node)] = node

    for filter_node in filter_nodes:
        root = filter_node.root
        if root is not ideal and root is not actual:
            raise SnpmError("invalid filterNode: outside idealTree/actualTree")
        root_target = root.target
        edge = next(
            (
                e
                for e in root_target.edges_out.values()
                if e.to is not None and (e.to is filter_node or e.to.target is filter_node)
            ),
            None,
        )
        for node in (root, root_target, ideal, actual):
            add(node)
        if edge is not None and edge.to is not None:
            add(edge.to)
            add(edge.to.target)
        # treeverse.depth from the filter node: visit everything its edges reach in either tree
        seen: set[int] = set()
        stack: list[ReifyNode] = [filter_node]
        while stack:
            orig = stack.pop()
            if id(orig) in seen:
                continue
            seen.add(id(orig))
            add(orig)
            node = orig.target
            loc = node.location
            ideal_node = ideal.inventory.get(loc)
            actual_node = actual.inventory.get(loc)
            nexts: list[ReifyNode] = []
            if ideal_node is not None:
                nexts.extend(e.to for e in ideal_node.edges_out.values() if e.to is not None)
            if actual_node is not None:
                nexts.extend(e.to for e in actual_node.edges_out.values() if e.to is not None)
                for child in actual_node.children.values():
                    if child.extraneous:
                        extraneous[id(child)] = child
            if orig.is_link:
                nexts.append(node)
            stack.extend(reversed(nexts))
    found.update(extraneous)
    return set(found)


def diff_trees(
    actual: ReifyNode,
    ideal: ReifyNode,
    *,
    filter_nodes: Sequence[ReifyNode] = (),
    shrinkwrap_inflated: Iterable[ReifyNode] = (),
    omit: Iterable[str] = (),
    exists: Exists = os.path.exists,
) -> ReifyPlan:
    """Diff.calculate: the plan that turns the `actual` tree into the `ideal` one."""
    filter_set = _filter_set(actual, ideal, filter_nodes) if filter_nodes else set()
    differ = _Differ(
        filter_set=filter_set,
        shrinkwrap_inflated=frozenset(id(n) for n in shrinkwrap_inflated),
        omit=frozenset(omit),
        exists=exists,
    )
    root = Diff(action=get_action(actual, ideal, exists), actual=actual, ideal=ideal)
    differ.build(root)
    return ReifyPlan(
        root=root,
        omitted=tuple(differ.omitted.values()),
        bundled_moves=tuple(differ.bundled_moves),
        filter_set=frozenset(filter_set),
    )

"""What reify needs from its caller, as plain values: where to work (ApplyOptions) and the work it
delegates (ReifyHooks): fetching and extracting a package, building (bins and install scripts),
reading unpacked bundles into the tree, progress and logging. The operations layer provides them;
reify never imports the tree, fetch or lifecycle engines itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import msgspec

from snpm.reify.nodes import ReifyNode
from snpm.reify.plan import ReifyPlan

__all__ = ["ApplyOptions", "BundlesLoaded", "LinkStoredFn", "LogFn", "ReifyHooks"]

LogFn = Callable[[str, str, str], None]
# link_stored(nodes, enclosing, stop): see ReifyHooks
LinkStoredFn = Callable[[Sequence[ReifyNode], Sequence[int], Callable[[], bool]], Awaitable[Sequence[bool]]]


class ApplyOptions(msgspec.Struct, frozen=True):
    """`root` is the project folder; `force` skips the node_modules-is-a-symlink check; `clean_folders`
    are node_modules folders whose every entry is replaced (npm ci); `concurrency` bounds the
    packages fetched and extracted at once."""

    root: str
    force: bool = False
    clean_folders: tuple[str, ...] = ()
    concurrency: int = 32


class BundlesLoaded(msgspec.Struct, frozen=True):
    """What reading unpacked bundles changed: the new plan, the bundled children the tarballs
    lacked (unpacked on their own), and the folders of nodes the bundles shadow (deleted)."""

    plan: ReifyPlan
    missing: tuple[ReifyNode, ...] = ()
    trash: tuple[str, ...] = ()


async def _no_bundles(nodes: Sequence[ReifyNode]) -> BundlesLoaded | None:
    return None


class ReifyHooks(msgspec.Struct, frozen=True):
    """What reify delegates. `extract(node)` makes `node.path` hold the package (fetch, integrity,
    store); `build(nodes)` links bins and runs install scripts, returning the optional nodes whose
    build failed; `load_bundles(bundlers)` reads the unpacked bundles into the ideal tree and returns
    the new plan; `progress(phase, done, total)` reports; `log(level, title, message)` logs.
    `link_stored(nodes, enclosing, stop)`, when given, links in one go, in order, the nodes whose
    package the store holds and tells which it linked (`extract` does the others): `enclosing[i]`
    is the index of the node whose folder holds node i (-1 for none), and node i is not linked
    when that one was not; `stop()` turns true when the rest should be left alone.
    `stored(node)`, when given, tells without linking whether `link_stored` can link the node: the
    ones it cannot (to be fetched) start while the others are linked."""

    extract: Callable[[ReifyNode], Awaitable[None]]
    build: Callable[[Sequence[ReifyNode]], Awaitable[Sequence[ReifyNode]]]
    log: LogFn
    load_bundles: Callable[[Sequence[ReifyNode]], Awaitable[BundlesLoaded | None]] = _no_bundles
    progress: Callable[[str, int, int], None] | None = None
    link_stored: LinkStoredFn | None = None
    stored: Callable[[ReifyNode], bool] | None = None

"""`snpm install` with nothing to do, decided without the install engine.

npm's no-op install loads the actual tree, rebuilds the ideal tree from the lockfile, diffs the two,
finds nothing and rewrites both lockfiles with the bytes they already hold. For snpm most of that
time is importing the engine. So an install that ends in the state a no-op leaves records a *stamp*
(`<cache>/_snpm/noop-v1/<project digest>.json`): a digest of everything the next install's result
depends on, and what it would print. A later `snpm install` without arguments whose stamp still
matches prints that ("up to date in 9ms", the funding lines) and loads nothing else. When the
install audits (`audit`, on by default), the advisories can change with no file changing: the audit
runs again, on the lockfile's tree (the tree a no-op leaves), and only it loads the engine.

The stamp covers, compared exactly:
- the project's real path, every effective config value, node's path and version, the platform;
- the bytes of package.json, package-lock.json, npm-shrinkwrap.json and yarn.lock (present or not),
  and of the package.json of every lockfile entry outside node_modules (linked folders);
- node_modules/.package-lock.json: its bytes and mtime, and, on every check, the test npm makes
  before it trusts that file (snpm.lockfile.hidden: no folder newer, none missing, none extra). A
  package folder removed, added or touched sends the run down the full path, as it makes npm read
  node_modules. So does a reify that was killed: its journal changes node_modules' mtime.

It is written only when the run ended as a no-op would: the reify succeeded and no script runs
(a no-op runs the root's install scripts, and those of every linked folder, workspaces included:
preinstall … prepare, or node-gyp for a binding.gyp, on every install). Workspaces: their globs may find a new folder without any file above changing, so the
check maps them again (@npmcli/map-workspaces, as the build does) and compares. Warnings are the subtle part: a no-op shows those that come from the whole tree again
(EBADENGINE for each package whose engines exclude this node, the unreviewed install scripts), but
not those of a change (deprecations of added packages, a lockfile conversion, a restored
interrupted install …). So a run that warned leaves a stamp only when it was a no-op itself
(nothing reified, package.json and the lockfile unchanged) and all its warnings are of the first
kind; the stamp keeps them and the check shows them again. Everything else falls back to the
engine.

One part of a no-op does depend on the registry. An edge missing from the finished tree (other
than peerOptional: typically an optional dependency for another platform, which npm's lockfile
leaves out) or an invalid one is resolved again by every install, so npm fetches those packuments
each time and decides again. The stamp keeps, for each, the digest of the packument body this run
decided on (the build records them before it lets the packuments go); the check fetches them again
through the same client and HTTP cache and holds only if every body is the same, so the decision
would be too. An edge that is not a registry spec, or whose packument this run did not fetch,
leaves no stamp.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from snpm.lockfile.hidden import (
    HIDDEN_LOCKFILE,
    StaleHiddenLockfileError,
    check_hidden_folders,
    json_link_targets,
)
from snpm.ops.audit_policy import audit_enabled
from snpm.record import Record

if TYPE_CHECKING:
    from snpm.config import Config
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = [
    "NoopHit",
    "Refetch",
    "check_noop",
    "noop_eligible",
    "refetch_digests",
    "remove_stamp",
    "root_files_digest",
    "write_stamp",
]

# packument name → (full document?, sha256 of the body): what a rebuild would fetch again
Refetch = Mapping[str, tuple[bool, str]]
LogFn = Callable[[str, str, str], None]

_STAMP_DIR = ("_snpm", "noop-v1")
# files whose bytes decide the result (absent is recorded as absent)
_ROOT_FILES = ("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock")
# above notice the full run logs lines (http, timing …) that the stamp cannot show again
_QUIET_LEVELS = frozenset({"silent", "error", "warn", "notice"})


# warnings that every install over the same tree gives again, in the same order
_WHOLE_TREE_TITLES = frozenset({"EBADENGINE", "install-scripts"})


class NoopHit(Record):
    """A stamp that still holds: the install has nothing to do but show `alerts` (level, title,
    text) and its summary. A Record: this path imports neither msgspec nor `dataclasses`."""

    _FIELDS = ("funding", "alerts", "audit")
    __slots__ = _FIELDS

    def __init__(
        self, funding: int, alerts: tuple[tuple[str, str, str], ...] = (), audit: bool = False
    ) -> None:
        self.funding: Final = funding
        self.alerts: Final = alerts
        # the install audits (snpm.ops.audit_policy): the advisories may have changed since the
        # stamp, so the audit runs again, on the lockfile's tree (snpm.ops.install.audit_unchanged)
        self.audit: Final = audit


def noop_eligible(config: Config, args: Sequence[str]) -> bool:
    """Whether this install may be answered by a stamp (and may leave one): `install` without
    package arguments, locally, with the default output and a lockfile."""
    if args or config.is_global:
        return False
    off = ("dry-run", "json", "package-lock-only", "timing", "usage", "workspace")
    if any(config.get(key) for key in off):
        return False
    if config.get("workspaces") is not None or not config.get("package-lock"):
        return False
    return config.get("loglevel") in _QUIET_LEVELS


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp_path(config: Config, root: str) -> Path:
    return Path(str(config.get("cache")), *_STAMP_DIR, _sha(root.encode())[:40] + ".json")


def _inputs(config: Config, root: str) -> str:
    """Digest of what the result depends on besides files: config, node, platform."""
    values: dict[str, object] = {}
    for layer in config.layers:
        values.update(layer.items())
    node = str(config.exec_path)
    try:
        stat = os.stat(node)
        node_id: object = [node, stat.st_size, stat.st_mtime_ns]
    except OSError:
        node_id = node
    with contextlib.suppress(OSError):
        # the libc family is read from ldd (snpm.tree.ideal.checks)
        ldd = os.stat("/usr/bin/ldd")
        node_id = [node_id, ldd.st_size, ldd.st_mtime_ns]
    document = [root, values, node_id, sys.platform, os.uname().machine]
    return _sha(json.dumps(document, sort_keys=True, default=repr).encode())


def _file_digest(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return _sha(fh.read())
    except FileNotFoundError:
        return "-"
    except OSError as err:
        # unreadable: never equal to what a stamp recorded
        return f"! {err.errno}"


def _outside_node_modules(locations: Sequence[str]) -> list[str]:
    return [loc for loc in locations if loc and "node_modules" not in loc.split("/")]


def _files(root: str, locations: Sequence[str]) -> dict[str, str]:
    names = list(_ROOT_FILES)
    for loc in _outside_node_modules(locations):
        # a binding.gyp gives a package its default install script (node-gyp rebuild)
        names += [f"{loc}/package.json", f"{loc}/binding.gyp"]
    return {name: _file_digest(os.path.join(root, name)) for name in names}


def root_files_digest(config: Config) -> str:
    """A digest of the project's package.json and lockfiles as they are now."""
    root = os.path.realpath(config.local_prefix)
    return _sha(json.dumps(_files(root, ())).encode())


def _read_hidden(root: str) -> tuple[bytes, int] | None:
    path = os.path.join(root, HIDDEN_LOCKFILE)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
            mtime = os.fstat(fh.fileno()).st_mtime_ns
    except OSError:
        return None
    return data, mtime


def check_noop(config: Config, args: Sequence[str], *, log: LogFn | None = None) -> NoopHit | None:
    """The stamp's verdict, or None when the full install must run. `log` gets the HTTP lines of
    the packuments fetched again."""
    if not noop_eligible(config, args):
        return None
    root = os.path.realpath(config.local_prefix)
    try:
        stamp = json.loads(_stamp_path(config, root).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("root") != root:
        return None
    hidden = _read_hidden(root)
    if hidden is None:
        return None
    data, mtime = hidden
    if stamp.get("hidden") != [_sha(data), mtime] or stamp.get("inputs") != _inputs(config, root):
        return None
    locations = stamp.get("locations")
    links = stamp.get("links")
    if not isinstance(locations, list) or not isinstance(links, list):
        return None
    if stamp.get("files") != _files(root, locations):
        return None
    try:
        check_hidden_folders(root, frozenset(locations), frozenset(links), mtime)
    except StaleHiddenLockfileError:
        return None
    if not _same_workspaces(str(config.local_prefix), stamp.get("workspaces")):
        return None
    funding = stamp.get("funding")
    alerts = stamp.get("alerts")
    if not isinstance(alerts, list) or not all(
        isinstance(a, list) and len(a) == 3 and all(isinstance(p, str) for p in a) for a in alerts
    ):
        return None
    shown = tuple((a[0], a[1], a[2]) for a in alerts)
    # last: the only part that may use the network
    refetch = _refetch_of(stamp.get("refetch"))
    if refetch is None or (refetch and not _same_packuments(config, refetch, log)):
        return None
    if log is not None:
        log("silly", "noop", "the install stamp holds: nothing to do")
    return NoopHit(
        funding=funding if isinstance(funding, int) else 0, alerts=shown, audit=audit_enabled(config)
    )


def _same_workspaces(project: str, recorded: object) -> bool:
    """Whether the workspace globs still find what they found (name → folder)."""
    try:
        with open(os.path.join(project, "package.json"), "rb") as fh:
            package = json.loads(fh.read())
    except (OSError, ValueError):
        return False
    if not isinstance(package, dict) or "workspaces" not in package:
        return recorded == {}
    from snpm.errors import SnpmError
    from snpm.tree.workspaces_map import map_workspaces

    try:
        return map_workspaces(project, package) == recorded
    except (SnpmError, OSError):
        return False


def _refetch_of(value: object) -> dict[str, tuple[bool, str]] | None:
    if not isinstance(value, dict):
        return None
    refetch: dict[str, tuple[bool, str]] = {}
    for name, entry in value.items():
        if not (isinstance(entry, list) and len(entry) == 2):
            return None
        full, digest = entry
        if not isinstance(full, bool) or not isinstance(digest, str):
            return None
        refetch[name] = (full, digest)
    return refetch


def _same_packuments(config: Config, refetch: Refetch, log: LogFn | None) -> bool:
    """Fetch the packuments again (as the engine's build would) and compare their bodies."""
    import asyncio

    from snpm.errors import SnpmError
    from snpm.ops.context import registry_client
    from snpm.registry_client.packuments import fetch_packument_response

    async def same_all() -> bool:
        async with registry_client(config, "install", log=log) as client:

            async def same(name: str, full: bool, digest: str) -> bool:
                try:
                    response = await fetch_packument_response(client, name, full=full, pkgid=name)
                except SnpmError:
                    return False
                return _sha(response.body) == digest

            checks = [same(name, full, digest) for name, (full, digest) in refetch.items()]
            return all(await asyncio.gather(*checks))

    return asyncio.run(same_all())


def _resolved_again(tree: Node) -> list[Edge]:
    """The edges a rebuild of the ideal tree resolves again (arborist's problem edges)."""
    found: list[Edge] = []
    for node in tree.inventory.values():
        for edge in node.edges_out.values():
            if edge.to is None:
                if edge.type != "peerOptional":
                    found.append(edge)
            elif not edge.valid:
                found.append(edge)
    return found


def refetch_digests(
    tree: Node, settled: Callable[[str], Sequence[tuple[bool, bytes | None]]]
) -> dict[str, tuple[bool, str]] | None:
    """What a rebuild of `tree` fetches again: for each edge it resolves again, the packument
    this run fetched for it (`settled(name)`: the (full, body) pairs of that name). None when an
    edge is not a registry spec or its packument is not at hand."""
    edges = _resolved_again(tree)
    if not edges:
        return {}
    from snpm.spec import AliasSpec, resolve

    digests: dict[str, tuple[bool, str]] = {}
    for edge in edges:
        try:
            spec = resolve(edge.name, edge.spec)
        except Exception:  # noqa: BLE001 - any unreadable spec just means no stamp
            return None
        if not spec.registry:
            return None
        name = spec.sub_spec.name if isinstance(spec, AliasSpec) else spec.name
        if name is None:
            return None
        documents = [(full, body) for full, body in settled(name) if body is not None]
        if len(documents) != 1:
            return None
        full, body = documents[0]
        digests[name] = (full, _sha(body))
    return digests


def _runs_scripts(config: Config, tree: Node) -> bool:
    """Whether a no-op install of `tree` runs scripts: the root's install scripts, and every linked
    folder's (those of the root's list, or node-gyp for a binding.gyp)."""
    if config.get("ignore-scripts"):
        return False
    # the full install has loaded these already (the stamp is written at its end)
    from snpm.lifecycle.install_scripts import ROOT_INSTALL_EVENTS
    from snpm.lifecycle.run_script import is_node_gyp_package

    def has_scripts(package: object) -> bool:
        scripts = package.get("scripts") if isinstance(package, dict) else None
        return isinstance(scripts, dict) and any(scripts.get(name) for name in ROOT_INSTALL_EVENTS)

    if has_scripts(tree.package):
        return True
    links = (node.target for node in tree.inventory.values() if node.is_link)
    return any(has_scripts(t.package) or (t.path and is_node_gyp_package(t.path)) for t in links)


def remove_stamp(config: Config) -> None:
    """Forget this project's stamp (a run that cannot leave one must not leave the old one)."""
    with contextlib.suppress(OSError):
        _stamp_path(config, os.path.realpath(config.local_prefix)).unlink()


def write_stamp(
    config: Config,
    args: Sequence[str],
    tree: Node,
    *,
    funding: int,
    refetch: Refetch | None,
    alerts: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Record that `tree`, just reified, is what the next install would build (see the module
    docstring for when that holds); otherwise remove the stamp. `refetch` is what the build
    recorded (refetch_digests); `alerts` the warnings of a run that was a no-op itself. Never
    fails the install."""
    root = os.path.realpath(config.local_prefix)
    if (
        refetch is None
        # a release age counts from now: the same packument may pick another version tomorrow
        or (refetch and config.get("min-release-age") is not None)
        or any(title not in _WHOLE_TREE_TITLES for _, title, _ in alerts)
        or not noop_eligible(config, args)
        or _runs_scripts(config, tree)
    ):
        remove_stamp(config)
        return
    hidden = _read_hidden(root)
    if hidden is None:
        remove_stamp(config)
        return
    data, mtime = hidden
    try:
        packages = json.loads(data).get("packages")
    except (ValueError, AttributeError):
        packages = None
    if not isinstance(packages, dict):
        remove_stamp(config)
        return
    locations = list(packages)
    objects = [obj for obj in packages.values() if isinstance(obj, dict)]
    stamp = {
        "root": root,
        "inputs": _inputs(config, root),
        "hidden": [_sha(data), mtime],
        "files": _files(root, locations),
        "locations": locations,
        "links": sorted(json_link_targets(objects)),
        "funding": funding,
        "refetch": {name: list(entry) for name, entry in refetch.items()},
        "alerts": [list(alert) for alert in alerts],
        "workspaces": dict(tree.workspaces or {}),
    }
    path = _stamp_path(config, root)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(temp, path)

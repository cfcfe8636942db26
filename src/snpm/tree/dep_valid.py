"""Does a node satisfy a dependency spec? arborist dep-valid.js.

- range/version: `semver.satisfies(version, range, loose)`; `*` (or an empty spec) accepts
  anything, prereleases included;
- tag: any node resolved from a remote tarball (the tag is not re-checked);
- directory: a link to that folder (with install-links: not a link, except for workspaces);
- file: `resolved` is `file:<that tarball>`;
- remote: `resolved` is that URL;
- git: the same repository (hosted repos compared by their ssh form); a full commit must match, a
  `#semver:` range must be satisfied, and a named ref must equal the one the lockfile recorded;
- alias: the sub-spec; `acceptDependencies` gives a second acceptable spec.

A spec npa cannot parse makes the edge invalid and is recorded on the requesting node's errors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from snpm import semver
from snpm.errors import SnpmError
from snpm.spec import AliasSpec, GitSpec, PackageSpec, RegistrySpec, resolve
from snpm.tree.paths import relpath
from snpm.tree.specs import from_path, npa

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["dep_valid"]

_FULL_COMMIT = re.compile(r"[a-fA-F0-9]{40,64}\Z")


def _locked_git_committish(child: Node, requestor: Node) -> str | None:
    meta = requestor.root.meta
    lock = meta.packages.get(requestor.location) if meta is not None else None
    if not lock:
        return None
    spec: object = None
    for group in ("dependencies", "optionalDependencies", "devDependencies", "peerDependencies"):
        deps = lock.get(group)
        if isinstance(deps, dict) and deps.get(child.name):
            spec = deps[child.name]
            break
    if not isinstance(spec, str):
        return None
    try:
        parsed = resolve(child.name, spec, requestor.realpath)
    except SnpmError:
        return None
    return parsed.git_committish or "" if isinstance(parsed, GitSpec) else None


def _satisfies_loose(version: str, range_: str) -> bool:
    try:
        return semver.satisfies(version, range_, loose=True)
    except TypeError:
        return False


def _valid(child: Node, requested: str | PackageSpec, requestor: Node) -> bool:
    if isinstance(requested, str):
        try:
            requested = resolve(
                child.name, requested or "*", from_path(requestor, requestor.edges_out.get(child.name))
            )
        except SnpmError as err:
            err.extra = {**err.extra, "dependency": child.name, "requested": requested}
            requestor.errors.append(err)
            return False

    if isinstance(requested, RegistrySpec):
        if requested.type == "range" and requested.fetch_spec == "*":
            return True
        if requested.type in ("range", "version"):
            return _satisfies_loose(child.version, requested.fetch_spec)
        # a tag: accept anything that came from a registry tarball
        if not child.resolved:
            return False
        resolved = npa(child.resolved)
        return resolved is not None and resolved.type == "remote"
    if isinstance(requested, AliasSpec):
        return _valid(child, requested.sub_spec, requestor)
    if requested.type == "directory":
        if requestor.install_links and not child.is_workspace:
            return not child.is_link
        return child.is_link and relpath(child.realpath, requested.fetch_spec or "") == ""
    if requested.type == "file":
        if child.is_link:
            return False
        if child.resolved:
            fetch = (requested.fetch_spec or "").replace("\\", "/")
            return child.resolved.replace("\\", "/") == f"file:{fetch}"
        legacy = child.package.get("_requested")
        if isinstance(legacy, dict):
            return legacy.get("saveSpec") == requested.save_spec
        return False
    if requested.type == "remote":
        return child.resolved == requested.fetch_spec
    if isinstance(requested, GitSpec):
        return _git_valid(child, requested, requestor)
    requestor.errors.append(SnpmError("Unsupported dependency type", extra={"dependency": child.name}))
    return False


def _git_valid(child: Node, requested: GitSpec, requestor: Node) -> bool:
    res_repo = npa(child.resolved or "")
    res_host = res_repo.hosted if isinstance(res_repo, GitSpec) else None
    req_host = requested.hosted
    req_commit = bool(_FULL_COMMIT.match(requested.git_committish or ""))
    no_committish = not req_commit
    if res_host is None:
        if res_repo is None or res_repo.fetch_spec != requested.fetch_spec:
            return False
    elif req_host is None or req_host.ssh(no_committish=no_committish) != res_host.ssh(
        no_committish=no_committish
    ):
        return False
    if not requested.git_range:
        if not req_commit:
            locked = _locked_git_committish(child, requestor)
            if locked is not None and locked != (requested.git_committish or ""):
                return False
        return True
    version = child.package.get("version")
    return isinstance(version, str) and _satisfies_loose(version, requested.git_range)


def dep_valid(child: Node, requested: str, accept: str | None, requestor: Node) -> bool:
    """Whether `child` satisfies `requested` (or `accept`) as a dependency of `requestor`."""
    return _valid(child, requested, requestor) or (accept is not None and _valid(child, accept, requestor))

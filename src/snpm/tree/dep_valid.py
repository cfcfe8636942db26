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

Nine dependency specs in ten are `^1.2.3`, `~1.2.3` or `1.2.3`, met by a plain `1.2.3` version,
or `*`: those are answered by comparing numbers (`simple_satisfies`), because parsing every distinct spec
and range once is most of a no-op install's tree work in a fresh process. The answer is the one
npa and semver give (the tests compare the two on every shape).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from snpm import semver
from snpm.errors import SnpmError
from snpm.spec import AliasSpec, GitSpec, PackageSpec, RegistrySpec, resolve, validate_package_name
from snpm.tree.paths import relpath
from snpm.tree.specs import from_path, npa

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["dep_valid", "is_simple_spec", "simple_satisfies"]

_FULL_COMMIT = re.compile(r"[a-fA-F0-9]{40,64}\Z")
# at most 15 digits per number: always below Number.MAX_SAFE_INTEGER, as semver requires
_NUMBER = "(0|[1-9][0-9]{0,14})"
# a prerelease in semver's strict grammar (valid loose too): `^7.0.0-0`, `~1.2.3-beta.1`
_IDENTIFIER = "(?:0|[1-9][0-9]{0,14}|[0-9A-Za-z-]{0,30}[A-Za-z-][0-9A-Za-z-]{0,30})"
_SIMPLE_SPEC = re.compile(
    rf"([\^~]?){_NUMBER}\.{_NUMBER}\.{_NUMBER}((?:-{_IDENTIFIER}(?:\.{_IDENTIFIER}){{0,5}})?)\Z"
)
_PLAIN_VERSION = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}\Z")
# specs npa reads as the range `*`, which any version satisfies (prereleases included)
_QUICK_ANY = ("", "*")


def is_simple_spec(spec: str) -> bool:
    """`^1.2.3`, `~1.2.3` or `1.2.3`, maybe with a prerelease (npa: a registry range or version,
    or, bare, a registry package name)."""
    return _SIMPLE_SPEC.match(spec) is not None


def simple_satisfies(version: str, spec: str) -> bool | None:
    """`semver.satisfies(version, spec, loose)` when `spec` is simple and `version` a plain
    release; None for anything else. For a release, `<2.0.0-0` is `<2.0.0` and `>=1.2.3-0` is
    `>=1.2.3` (prereleases only ever restrict prerelease versions), and it never equals `1.2.3-0`."""
    match = _SIMPLE_SPEC.match(spec)
    if match is None:
        return None
    found = _PLAIN_VERSION.match(version)
    if found is None:
        return None
    op = match.group(1)
    want = (int(match.group(2)), int(match.group(3)), int(match.group(4)))
    have = (int(found.group(1)), int(found.group(2)), int(found.group(3)))
    if not op:
        return have == want and not match.group(5)
    if have < want:
        return False
    major, minor, patch = want
    if op == "~":
        return have < (major, minor + 1, 0)
    if major:
        return have < (major + 1, 0, 0)
    if minor:
        return have < (0, minor + 1, 0)
    return have < (0, 0, patch + 1)


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
        # npa resolves a simple spec to a registry range or version (a where-free answer), and
        # only an invalid name makes it throw
        quick = True if requested in _QUICK_ANY else simple_satisfies(child.version, requested)
        if quick is not None and validate_package_name(child.name).valid_for_old_packages:
            return quick
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
        return child.is_link and relpath(child.realpath or "", requested.fetch_spec or "") == ""
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

"""How lockfile conversion reads dependency specs: arborist's spec-from-lock.js, consistent-resolve.js,
version-from-tgz.js and relpath.js, on top of `snpm.spec` (npm-package-arg and hosted-git-info).

Converting a v1 lockfile into `packages` entries, and writing the v1/v2 `dependencies` section,
both ask "what kind of spec is this" (directory, tarball file, git, remote URL, alias, registry)
and need npm's normalised forms (`file:` paths relative to the project, hosted git repos as
`git+ssh://git@host/user/repo.git#commit`). Where arborist catches npa's errors these functions
catch `SnpmError` (what `snpm.spec` raises for them).
"""

from __future__ import annotations

import re

from snpm import semver
from snpm.errors import SnpmError
from snpm.spec import (
    DirectorySpec,
    FileSpec,
    GitSpec,
    PackageSpec,
    local_path,
    parse_spec,
    resolve,
    whatwg_url,
)

__all__ = [
    "consistent_resolve",
    "relpath",
    "spec_from_lock",
    "spec_or_none",
    "version_from_tgz",
]

_SCOPE_SEPARATOR = re.compile(r"/|%2f", re.IGNORECASE)


def relpath(from_dir: str, to: str) -> str:
    """arborist's relpath: node's `path.relative` with forward slashes."""
    return local_path.relative(from_dir, to).replace("\\", "/")


def spec_or_none(name: str | None, spec: str | None, where: str) -> PackageSpec | None:
    """`npa.resolve(name, spec, where)`, or None where npa throws."""
    try:
        return resolve(name or None, spec, where)
    except SnpmError:
        return None


def consistent_resolve(
    resolved: str | PackageSpec | None, from_path: str, to_path: str, rel_paths: bool = False
) -> str | None:
    """arborist's consistent-resolve: a `resolved` value in the form lockfiles store."""
    if not resolved:
        return None
    try:
        spec = parse_spec(resolved, from_path)
    except SnpmError:
        # whatever was passed in was not acceptable to npa: left 100% untouched
        return resolved if isinstance(resolved, str) else resolved.raw
    if isinstance(spec, FileSpec | DirectorySpec):
        return (
            f"file:{relpath(to_path, spec.fetch_spec)}"
            if rel_paths and to_path
            else f"file:{spec.fetch_spec}"
        )
    if isinstance(spec, GitSpec):
        hosted = spec.hosted
        if hosted is not None:
            url = hosted.https(no_committish=False) if hosted.auth else hosted.sshurl(no_committish=False)
            return f"git+{url}"
        return spec.save_spec
    return spec.raw if spec.raw_spec == "*" else spec.raw_spec


def spec_from_lock(name: str, lock: dict[str, object], where: str) -> PackageSpec | None:
    """arborist's spec-from-lock: the spec a v1 lockfile entry was installed from (None: unknown)."""
    version = lock.get("version")
    version = version if isinstance(version, str) else None
    from_ = lock.get("from")
    resolved = lock.get("resolved")
    try:
        if version:
            spec = resolve(name or None, version, where)
            if lock.get("integrity") or spec.type == "git":
                return spec
        if isinstance(from_, str) and from_:
            spec = resolve(name or None, from_, where)
            if spec.registry and version:
                return resolve(name or None, version, where)
            if not resolved:
                return spec
        if isinstance(resolved, str) and resolved:
            return resolve(name or None, resolved, where)
    except SnpmError:
        pass
    return spec_or_none(name, version, where)


def version_from_tgz(name: str | None, tgz: str | None) -> tuple[str, str] | None:
    """arborist's version-from-tgz: (name, version) read off a tarball file name or registry URL."""
    if not tgz or not name:
        return None
    base = tgz.rstrip("/").rsplit("/", 1)[-1]  # node's path.basename
    if not base.endswith(".tgz"):
        return None
    if tgz.startswith(("http:/", "https:/")):
        url = whatwg_url.parse(tgz)
        # registry URL: /foo/-/foo-1.2.3.tgz or /@foo/bar/-/bar-1.2.3.tgz, maybe below a path
        halves = url.pathname[1:].split("/-/") if url is not None else []
        if len(halves) > 1 and halves[-1] == base:
            pre = _SCOPE_SEPARATOR.split(halves[-2])
            return _from_base(base, pre[-2] if len(pre) > 1 else None, pre[-1])
    split = _SCOPE_SEPARATOR.split(name)
    return _from_base(base, split[-2] if len(split) > 1 else None, split[-1])


def _from_base(base: str, scope: str | None, project: str) -> tuple[str, str] | None:
    if not base.startswith(project + "-"):
        return None
    parsed = semver.parse(base[len(project) + 1 : -4])
    if parsed is None:
        return None
    return (f"{scope}/{project}" if scope and scope.startswith("@") else project), parsed.version

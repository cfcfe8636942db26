"""How lockfile conversion reads dependency specs: arborist's spec-from-lock.js, consistent-resolve.js
and version-from-tgz.js, over the subset of npm-package-arg and hosted-git-info they rely on.

Converting a v1 lockfile into `packages` entries, and writing the v1/v2 `dependencies` section,
both ask "what kind of spec is this" (directory, tarball file, git, remote URL, alias, registry)
and need npm's normalised forms (`file:` paths relative to the project, hosted git repos as
`git+ssh://git@host/user/repo.git#commit`). `snpm.spec` owns the full parser; layer-1 packages may
not import each other, so this module carries the part lockfiles need. Registry specs are only told
apart as exact version or not, which is all the conversions look at.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = [
    "Spec",
    "consistent_resolve",
    "hosted_git",
    "relpath",
    "resolve_spec",
    "spec_from_lock",
    "version_from_tgz",
]

_IS_URL = re.compile(r"(?:git[+])?[a-z]+:", re.IGNORECASE)
_IS_FILE_TYPE = re.compile(r"[.](?:tgz|tar\.gz|tar)\Z", re.IGNORECASE)
_IS_POSIX_FILE = re.compile(r"(?:[.]|~[/]|[/]|[a-zA-Z]:)")
_IS_PORT = re.compile(r":[0-9]+(/|$)")
_GIT_SCP = re.compile(r"git\+ssh://([^:#]+:[^#]+(?:\.git)?)(?:#(.*))?\Z", re.IGNORECASE)
_GIT_PROTOCOLS = frozenset(["git", "git+http", "git+https", "git+rsync", "git+ftp", "git+file", "git+ssh"])
# node-semver's strict FULL pattern (what `semver.parse` accepts without `loose`)
_NUM = r"(?:0|[1-9]\d*)"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)"
_STRICT_VERSION = re.compile(
    rf"v?({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\Z"
)
_LOOSE_VERSION = re.compile(
    r"[v=\s]*(?:0|[1-9]\d*|\d+)\.(?:\d+)\.(?:\d+)(?:-?[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\Z"
)


@dataclass(frozen=True, slots=True)
class Spec:
    """npm-package-arg's Result, reduced to what lockfile code reads."""

    type: str  # directory | file | git | remote | alias | version | range
    raw: str
    fetch_spec: str | None = None
    save_spec: str | None = None
    name: str | None = None
    sub_name: str | None = None  # alias: the real package name
    sub_fetch_spec: str | None = None  # alias: its version or range
    hosted: HostedGit | None = None

    @property
    def registry(self) -> bool:
        return self.type in ("version", "range", "alias")


@dataclass(frozen=True, slots=True)
class HostedGit:
    """A repository on a known git host (hosted-git-info)."""

    domain: str
    user: str | None
    project: str
    committish: str | None
    auth: str | None
    host: str

    def consistent(self) -> str:
        """consistent-resolve's form: `git+ssh` (or `git+https` when the URL carries auth)."""
        frag = f"#{self.committish}" if self.committish else ""
        if self.auth:
            return f"git+https://{self.auth}@{self.domain}/{self._path()}.git{frag}"
        return f"git+ssh://git@{self.domain}/{self._path()}.git{frag}"

    def _path(self) -> str:
        return self.project if self.host == "gist" else f"{self.user}/{self.project}"


_HOSTS = {
    "github": ("github.com", ("git", "http", "git+ssh", "git+https", "ssh", "https")),
    "bitbucket": ("bitbucket.org", ("git+ssh", "git+https", "ssh", "https")),
    "gitlab": ("gitlab.com", ("git+ssh", "git+https", "ssh", "https")),
    "gist": ("gist.github.com", ("git", "git+ssh", "git+https", "ssh", "https")),
    "sourcehut": ("git.sr.ht", ("git+ssh", "https")),
}
_BY_DOMAIN = {domain: host for host, (domain, _) in _HOSTS.items()}
_AUTH_PROTOCOLS = frozenset(["git+https", "git", "http", "https", "git+http"])


def _is_github_shorthand(arg: str) -> bool:
    hash_at = arg.find("#")
    before = arg if hash_at < 0 else arg[:hash_at]
    slash = arg.find("/")
    return (
        not re.search(r"\s", before)
        and slash > 0
        and "/" not in before[slash + 1 :]
        and "@" not in before
        and ":" not in before
        and not before.endswith("/")
        and not arg.startswith(".")
    )


def hosted_git(spec: str) -> HostedGit | None:
    """hosted-git-info's `fromUrl` for the hosts it knows, or None."""
    if not spec:
        return None
    text = f"github:{spec}" if _is_github_shorthand(spec) else spec
    base, _, fragment = text.partition("#")
    proto, colon, rest = base.partition(":")
    committish = unquote(fragment) or None
    if colon and proto in _HOSTS and not rest.startswith("//"):
        path = rest.lstrip("/")
        path = path[path.find("@") + 1 :]
        owner, _, name = path.rpartition("/")
        name = unquote(name.removesuffix(".git"))
        if not name:
            return None
        return HostedGit(_HOSTS[proto][0], unquote(owner) or None, name, committish, None, proto)
    url = base
    if "://" not in base:
        # scp-like `git@github.com:user/repo.git`
        at, colon_at = base.find("@"), base.rfind(":")
        if at < 0 or colon_at < at:
            return None
        url = "git+ssh://" + base[:colon_at] + "/" + base[colon_at + 1 :]
    try:
        parts = urlsplit(url)
        hostname = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return None
    host = _BY_DOMAIN.get(hostname)
    if host is None or parts.scheme not in _HOSTS[host][1]:
        return None
    segments = parts.path.split("/")
    user: str | None
    project: str
    if host == "gitlab":
        path = parts.path[1:]
        if "/-/" in path or "/archive.tar.gz" in path:
            return None
        user, _, project = path.rpartition("/")
    elif host == "gist":
        first, project = (segments + ["", ""])[1:3]
        if len(segments) > 3 and segments[3] == "raw":
            return None
        user = first
        if not project:
            user, project = None, first
    else:
        user, project, aux = (segments + ["", "", ""])[1:4]
        if host == "github":
            if aux and aux != "tree":
                return None
            if aux:
                committish = (segments[4] if len(segments) > 4 else "") or None
        elif aux == ("get" if host == "bitbucket" else "archive"):
            return None
    project = project.removesuffix(".git")
    if not project or (host != "gist" and not user):
        return None
    auth = None
    if parts.scheme in _AUTH_PROTOCOLS and (parts.username or parts.password):
        auth = (parts.username or "") + (f":{parts.password}" if parts.password else "")
    return HostedGit(
        _HOSTS[host][0], unquote(user) if user else None, unquote(project), committish, auth, host
    )


def relpath(from_dir: str, to: str) -> str:
    """arborist's relpath: `path.relative` with forward slashes."""
    return posixpath.relpath(to, from_dir) if to != from_dir else ""


def _resolve_file(name: str | None, spec: str, where: str, raw: str) -> Spec:
    kind = "file" if _IS_FILE_TYPE.search(spec) else "directory"
    path = spec[5:] if spec[:5].lower() == "file:" else spec
    if re.match(r"//[^/]", path):
        path = path[1:]  # file://x/y is read as file:///x/y
    if re.match(r"/{1,3}\.\.?(?:/|\Z)", path):
        path = path.lstrip("/")
    if re.match(r"/?~(?:/|\Z)", path):
        save = f"file:{path.lstrip('/')}"
        fetch = posixpath.normpath(posixpath.join(os.path.expanduser("~"), path.lstrip("/")[2:]))
        return Spec(kind, raw, fetch, save, name)
    if path.startswith("/"):
        fetch = posixpath.normpath(path)
        save = f"file:{fetch}"
    else:
        fetch = posixpath.normpath(posixpath.join(where, path))
        save = f"file:{relpath(where, fetch)}"
    return Spec(kind, raw, fetch, save, name)


def resolve_spec(name: str | None, spec: str | None, where: str) -> Spec:
    """`npa.resolve(name, spec, where)` (raises ValueError where npa throws)."""
    rest = spec or ""
    raw = f"{name}@{rest}" if name else rest
    if rest[:5].lower() == "file:" or _IS_POSIX_FILE.match(rest):
        return _resolve_file(name, rest, where, raw)
    if rest[:4].lower() == "npm:":
        sub = rest[4:]
        at = sub.find("@", 1)
        sub_name, sub_spec = (sub[:at], sub[at + 1 :] or "*") if at > 0 else (sub, "*")
        if not sub_name or "/" in sub_name.lstrip("@").partition("/")[2] or _IS_URL.match(sub):
            raise ValueError("aliases only work for registry deps")
        return Spec("alias", raw, None, None, name, sub_name, sub_spec.strip())
    hosted = hosted_git(rest)
    if hosted is not None:
        return Spec("git", raw, None, rest, name, hosted=hosted)
    if _IS_URL.match(rest):
        return _resolve_url(name, rest, raw)
    if "/" in rest or _IS_FILE_TYPE.search(rest):
        return _resolve_file(name, rest, where, raw)
    trimmed = rest.strip()
    kind = "version" if _LOOSE_VERSION.match(trimmed) else "range"
    return Spec(kind, raw, trimmed, None, name)


def _resolve_url(name: str | None, spec: str, raw: str) -> Spec:
    if spec.startswith("git+ssh:"):
        matched = _GIT_SCP.match(spec)
        if matched and not _IS_PORT.search(matched.group(1)):
            return Spec("git", raw, matched.group(1), spec, name)
    scheme = spec.partition(":")[0].lower()
    if scheme in _GIT_PROTOCOLS:
        fetch = spec.partition("#")[0]
        return Spec("git", raw, fetch.removeprefix("git+"), spec, name)
    if scheme in ("http", "https"):
        return Spec("remote", raw, spec, spec, name)
    raise ValueError(f'Unsupported URL Type "{scheme}:": {spec}')


def consistent_resolve(
    resolved: str | None, from_path: str, to_path: str, rel_paths: bool = False
) -> str | None:
    """arborist's consistent-resolve: a `resolved` value in the form lockfiles store."""
    if not resolved:
        return None
    try:
        spec = resolve_spec(None, resolved, from_path)
    except ValueError:
        return resolved
    if spec.type in ("file", "directory"):
        assert spec.fetch_spec is not None
        return (
            f"file:{relpath(to_path, spec.fetch_spec)}"
            if rel_paths and to_path
            else f"file:{spec.fetch_spec}"
        )
    if spec.hosted is not None:
        return spec.hosted.consistent()
    if spec.type == "git":
        return spec.save_spec
    return resolved.strip() if spec.type in ("version", "range") else resolved


def spec_from_lock(name: str, lock: dict[str, object], where: str) -> Spec | None:
    """arborist's spec-from-lock: the spec a v1 lockfile entry was installed from (None: unknown)."""
    version = lock.get("version")
    version = version if isinstance(version, str) else None
    from_ = lock.get("from")
    resolved = lock.get("resolved")
    try:
        if version:
            spec = resolve_spec(name, version, where)
            if lock.get("integrity") or spec.type == "git":
                return spec
        if isinstance(from_, str) and from_:
            spec = resolve_spec(name, from_, where)
            if spec.registry and version:
                return resolve_spec(name, version, where)
            if not resolved:
                return spec
        if isinstance(resolved, str) and resolved:
            return resolve_spec(name, resolved, where)
    except ValueError:
        pass
    try:
        return resolve_spec(name, version, where)
    except ValueError:
        return None


def version_from_tgz(name: str | None, tgz: str | None) -> tuple[str, str] | None:
    """arborist's version-from-tgz: (name, version) read off a tarball file name or registry URL."""
    if not tgz or not name:
        return None
    base = posixpath.basename(tgz)
    if not base.endswith(".tgz"):
        return None
    if tgz.startswith(("http:/", "https:/")):
        try:
            path = urlsplit(tgz).path
        except ValueError:
            path = ""
        halves = path[1:].split("/-/")
        if len(halves) > 1 and halves[-1] == base:
            pre = re.split(r"/|%2f", halves[-2], flags=re.IGNORECASE)
            return _from_base(base, pre[-2] if len(pre) > 1 else None, pre[-1])
    split = re.split(r"/|%2f", name, flags=re.IGNORECASE)
    return _from_base(base, split[-2] if len(split) > 1 else None, split[-1])


def _from_base(base: str, scope: str | None, project: str) -> tuple[str, str] | None:
    if not base.startswith(project + "-"):
        return None
    match = _STRICT_VERSION.match(base[len(project) + 1 : -4].strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    version = f"{int(major)}.{int(minor)}.{int(patch)}" + (f"-{pre}" if pre else "")
    return (f"{scope}/{project}" if scope and scope.startswith("@") else project), version

"""npm-package-arg 13.0.2: what a spec (`foo@^1`, `user/repo#v1`, `./dir`, `npm:bar@2`, a URL) means.

`parse_spec(arg, where)` is npa's `npa(arg, where)`; `resolve(name, spec, where)` is `npa.resolve`,
which arborist calls for every dependency edge. The rules, order and error messages are npa's,
quirks included (`foo/bar.tgz` is a github repo, `@scope/` is a directory, `foo@1.2.3.4` is a tag).
npa's warning for an unknown `#key:value` git attribute is not reported: this layer has no reporter.

Speed: results are immutable, so they are cached. Only `file:`/path specs depend on `where` (and `~`
on the home directory), so everything else is cached on the spec text alone, and the common case,
a registry range for a plain name, costs one cache lookup whatever directory it is resolved from.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Final

from snpm import semver
from snpm.ecmascript.strings import NOT_LINE_TERMINATOR, is_uri_component_safe, trim
from snpm.errors import SpecError
from snpm.spec import local_path, whatwg_url
from snpm.spec.ecmascript import decode_uri_component
from snpm.spec.git_hosts import HostedGit, from_url
from snpm.spec.kinds import (
    AliasSpec,
    DirectorySpec,
    FileSpec,
    GitSpec,
    PackageSpec,
    RegistrySpec,
    RegistrySpecType,
    RemoteSpec,
)
from snpm.spec.names import validate_package_name

_IS_URL = re.compile(r"(?:git[+])?[a-z]+:", re.IGNORECASE | re.ASCII)
_IS_GIT = re.compile(rf"[^@]+@[^:.]+\.[^:]+:{NOT_LINE_TERMINATOR}+\Z", re.IGNORECASE | re.ASCII)
_IS_FILE_TYPE = re.compile(r"[.](?:tgz|tar\.gz|tar)\Z", re.IGNORECASE | re.ASCII)
_IS_PORT_NUMBER = re.compile(r":[0-9]+(?:/|\Z)")
_IS_POSIX_FILE = re.compile(r"(?:[.]|~/|/|[a-zA-Z]:)")
# git+ssh://git@host:user/project.git#committish: scp-style, which is not a URL (npa's fromURL)
_SCP_GIT_SSH = re.compile(
    rf"git\+ssh://([^:#]+:[^#]+(?:\.git)?)(?:#({NOT_LINE_TERMINATOR}*))?\Z", re.IGNORECASE | re.ASCII
)
_FILE_DOUBLE_SLASH_HOST = re.compile(r"file://[^/]")
_LEADING_SLASHES_DOTS = re.compile(r"/{1,3}\.\.?(?:/|\Z)")
_FILE_LEADING_SLASHES = re.compile(r"file:/{1,3}")
_HOME_PATH = re.compile(r"/~(?:/|\Z)")
_GIT_PROTOCOLS = frozenset(
    {"git:", "git+http:", "git+https:", "git+rsync:", "git+ftp:", "git+file:", "git+ssh:"}
)
_WINDOWS_DRIVE_GIT_FILE = re.compile(r"git\+file://[a-z]:", re.IGNORECASE | re.ASCII)


class _NeedsWhere:
    """Marks a spec whose meaning depends on `where` (a path), so it cannot share the global cache."""


_NEEDS_WHERE: Final = _NeedsWhere()
_CACHE_SIZE = 65536


def parse_spec(arg: str | PackageSpec, where: str | None = None, *, home: str | None = None) -> PackageSpec:
    """npa(arg, where): parse `name@spec`, a bare name, a path, a URL or a git shorthand.

    `where` is the directory relative paths are resolved from (default: the current directory);
    `home` replaces the home directory for `~/` paths (default: the real one).
    Raises `SpecError` with npa's code (EINVALIDPACKAGENAME, EINVALIDTAGNAME, EUNSUPPORTEDPROTOCOL,
    ERR_INVALID_URL, or None) and message.
    """
    if not isinstance(arg, str):
        return _reparse(arg, where, home)
    result = _npa_where_free(arg)
    if result is _NEEDS_WHERE:
        return _npa_local(arg, where, home)
    assert not isinstance(result, _NeedsWhere)
    return result


def resolve(
    name: str | None, spec: str | None, where: str | None = None, *, home: str | None = None
) -> PackageSpec:
    """npa.resolve(name, spec, where): the spec of a dependency edge `name: spec`."""
    result = _resolve_where_free(name or None, spec)
    if result is _NEEDS_WHERE:
        return _local(name or None, spec, _where_or_cwd(where), None, home)
    assert not isinstance(result, _NeedsWhere)
    return result


def _reparse(arg: PackageSpec, where: str | None, home: str | None) -> PackageSpec:
    """npa given an already-parsed spec: reuse it unless it must be re-resolved elsewhere."""
    arg_where = getattr(arg, "where", None)
    if not where or where == arg_where:
        return arg
    if arg.name and arg.raw_spec:
        return resolve(arg.name, arg.raw_spec, where or arg_where, home=home)
    return parse_spec(arg.raw, where or arg_where, home=home)


def _split_arg(arg: str) -> tuple[str | None, str]:
    """npa's first step: where the name ends and the spec begins."""
    name_ends_at = arg.find("@", 1)  # skip a scope's leading @
    name_part = arg[:name_ends_at] if name_ends_at > 0 else arg
    if _IS_URL.match(arg):
        return None, arg
    if _IS_GIT.match(arg):
        return None, f"git+ssh://{arg}"
    if not name_part.startswith("@") and ("/" in name_part or _IS_FILE_TYPE.search(name_part)):
        return None, arg
    if name_ends_at > 0:
        return name_part, arg[name_ends_at + 1 :] or "*"
    if validate_package_name(arg).valid_for_old_packages:
        return arg, "*"
    return None, arg


@lru_cache(maxsize=_CACHE_SIZE)
def _npa_where_free(arg: str) -> PackageSpec | _NeedsWhere:
    name, spec = _split_arg(arg)
    return _compute(name, spec, None, arg, None)


def _npa_local(arg: str, where: str | None, home: str | None) -> PackageSpec:
    name, spec = _split_arg(arg)
    return _local(name, spec, _where_or_cwd(where), arg, home)


@lru_cache(maxsize=_CACHE_SIZE)
def _resolve_where_free(name: str | None, spec: str | None) -> PackageSpec | _NeedsWhere:
    return _compute(name, spec, None, None, None)


def _where_or_cwd(where: str | None) -> str:
    return where or os.getcwd()


def _local(name: str | None, spec: str | None, where: str, arg: str | None, home: str | None) -> PackageSpec:
    if spec is not None and "~" in spec:
        home = home or os.path.expanduser("~")
    else:
        home = None  # the home directory cannot matter, so it stays out of the cache key
    if not local_path.is_absolute(where):
        return _compute_local(name, spec, where, arg, home)  # depends on the cwd: not cached
    return _compute_local_cached(name, spec, where, arg, home)


def _compute_local(
    name: str | None, spec: str | None, where: str, arg: str | None, home: str | None
) -> PackageSpec:
    result = _compute(name, spec, where, arg, home)
    assert not isinstance(result, _NeedsWhere)
    return result


_compute_local_cached = lru_cache(maxsize=_CACHE_SIZE)(_compute_local)


def _is_file_spec(spec: str | None) -> bool:
    if not spec:
        return False
    return spec[:5].lower() == "file:" or _IS_POSIX_FILE.match(spec) is not None


def _compute(
    name: str | None, spec: str | None, where: str | None, arg: str | None, home: str | None
) -> PackageSpec | _NeedsWhere:
    """npa's resolve(); with `where` None it stops at specs that need a directory."""
    raw_spec = spec or ""
    if arg is not None:
        raw = arg
    elif name:
        raw = f"{name}@{'null' if spec is None else spec}"
    else:
        raw = raw_spec
    if name:
        validity = validate_package_name(name)
        if not validity.valid_for_old_packages:
            raise SpecError(
                f'Invalid package name "{name}" of package "{raw}": {"; ".join(validity.errors)}.',
                code="EINVALIDPACKAGENAME",
            )
    else:
        name = None

    if _is_file_spec(spec):
        return _from_file(name, raw_spec, raw, where, home)
    if spec is not None and spec[:4].lower() == "npm:":
        return _from_alias(name, raw_spec, raw, where, home)
    hosted = from_url(spec, no_git_plus=True, no_committish=True)
    if hosted is not None:
        return _from_hosted_git(name, raw_spec, raw, hosted)
    if spec and _IS_URL.match(spec):
        return _from_url(name, raw_spec, raw)
    if spec and ("/" in spec or _IS_FILE_TYPE.search(spec)):
        return _from_file(name, raw_spec, raw, where, home)
    return _from_registry(name, raw_spec, raw)


def _from_registry(name: str | None, raw_spec: str, raw: str) -> RegistrySpec:
    spec = trim(raw_spec)
    if semver.valid(spec, loose=True):
        kind: RegistrySpecType = "version"
    elif semver.valid_range(spec, loose=True):
        kind = "range"
    else:
        if not is_uri_component_safe(spec):
            raise SpecError(
                f'Invalid tag name "{spec}" of package "{raw}": '
                "Tags may not have any characters that encodeURIComponent encodes.",
                code="EINVALIDTAGNAME",
            )
        kind = "tag"
    return RegistrySpec(raw=raw, name=name, raw_spec=raw_spec, type=kind, fetch_spec=spec)


def _from_alias(
    name: str | None, raw_spec: str, raw: str, where: str | None, home: str | None
) -> AliasSpec | _NeedsWhere:
    sub_arg = raw_spec[4:]
    if where is None:
        sub_spec: PackageSpec | _NeedsWhere = _npa_where_free(sub_arg)
        if sub_spec is _NEEDS_WHERE:
            return _NEEDS_WHERE
    else:
        sub_spec = parse_spec(sub_arg, where, home=home)
    if isinstance(sub_spec, AliasSpec):
        raise SpecError("nested aliases not supported", code=None)
    if not isinstance(sub_spec, RegistrySpec):
        raise SpecError("aliases only work for registry deps", code=None)
    if not sub_spec.name:
        raise SpecError("aliases must have a name", code=None)
    return AliasSpec(raw=raw, name=name, raw_spec=raw_spec, sub_spec=sub_spec)


def _git_attributes(committish: str | None) -> tuple[str | None, str | None, str | None]:
    """npa's setGitAttrs: `#a::semver:^1::path:sub` → (git_range, git_committish, git_subdir)."""
    if not committish:
        return None, None, None
    git_range: str | None = None
    git_committish: str | None = None
    git_subdir: str | None = None
    for part in committish.split("::"):
        if ":" not in part:
            if git_range:
                raise SpecError("cannot override existing semver range with a committish", code=None)
            if git_committish:
                raise SpecError("cannot override existing committish with a second committish", code=None)
            git_committish = part
            continue
        key, value = part.split(":")[:2]
        if key == "semver":
            if git_committish:
                raise SpecError("cannot override existing committish with a semver range", code=None)
            if git_range:
                raise SpecError("cannot override existing semver range with a second semver range", code=None)
            git_range = decode_uri_component(value)
        elif key == "path":
            if git_subdir:
                raise SpecError("cannot override existing path with a second path", code=None)
            git_subdir = f"/{value}"
        # other keys are ignored (npa logs a warning)
    return git_range, git_committish, git_subdir


def _from_hosted_git(name: str | None, raw_spec: str, raw: str, hosted: HostedGit) -> GitSpec:
    save_spec = hosted.to_string(no_git_plus=False, no_committish=False)
    fetch_spec = None if hosted.default == "shortcut" else hosted.to_string()
    git_range, git_committish, git_subdir = _git_attributes(hosted.committish)
    return GitSpec(
        raw=raw,
        name=name,
        raw_spec=raw_spec,
        save_spec=save_spec or "",
        fetch_spec=fetch_spec,
        hosted=hosted,
        git_range=git_range,
        git_committish=git_committish,
        git_subdir=git_subdir,
    )


def _from_url(name: str | None, raw_spec: str, raw: str) -> GitSpec | RemoteSpec:
    url_text = raw_spec
    if url_text.startswith("git+ssh:"):
        # scp-style git+ssh specs are not URLs; an all-digit "user/path" after the colon is a port
        matched = _SCP_GIT_SSH.match(url_text)
        if matched and not _IS_PORT_NUMBER.search(matched.group(1)):
            git_range, git_committish, git_subdir = _git_attributes(matched.group(2))
            return GitSpec(
                raw=raw,
                name=name,
                raw_spec=raw_spec,
                save_spec=raw_spec,
                fetch_spec=matched.group(1),
                git_range=git_range,
                git_committish=git_committish,
                git_subdir=git_subdir,
            )
    elif url_text.startswith("git+file://"):
        url_text = url_text.replace("\\", "/")  # URL can't handle windows paths
    parsed = whatwg_url.parse(url_text)
    if parsed is None:
        raise SpecError("Invalid URL", code="ERR_INVALID_URL")
    protocol = parsed.protocol
    if protocol in _GIT_PROTOCOLS:
        git_range, git_committish, git_subdir = _git_attributes(parsed.hash[1:])
        if protocol == "git+file:" and _WINDOWS_DRIVE_GIT_FILE.match(url_text):
            fetch_spec = f"git+file://{parsed.host_and_port.lower()}:{parsed.pathname}"
        else:
            fetch_spec = parsed.without_fragment().href
        if fetch_spec.startswith("git+"):
            fetch_spec = fetch_spec[4:]
        return GitSpec(
            raw=raw,
            name=name,
            raw_spec=raw_spec,
            save_spec=raw_spec,
            fetch_spec=fetch_spec,
            git_range=git_range,
            git_committish=git_committish,
            git_subdir=git_subdir,
        )
    if protocol in ("http:", "https:"):
        return RemoteSpec(raw=raw, name=name, raw_spec=raw_spec, save_spec=raw_spec, fetch_spec=raw_spec)
    raise SpecError(f'Unsupported URL Type "{protocol}": {url_text}', code="EUNSUPPORTEDPROTOCOL")


def _from_file(
    name: str | None, raw_spec: str, raw: str, where: str | None, home: str | None
) -> FileSpec | DirectorySpec | _NeedsWhere:
    if where is None:
        return _NEEDS_WHERE
    file_url = local_path.path_to_file_url(raw_spec)
    if file_url.startswith("file:/"):
        # npa's backwards compatibility with non-RFC 8089 forms: file://path is file:/path, and
        # file:/../path (one or three slashes) is the relative file:../path
        if _FILE_DOUBLE_SLASH_HOST.match(file_url):
            file_url = f"file:/{file_url[5:]}"
        if _LEADING_SLASHES_DOTS.match(file_url[5:]):
            file_url = _FILE_LEADING_SLASHES.sub("file:", file_url, count=1)
    # always end `where` with "/", or file:foo from /path/to/bar would be /path/to/foo
    resolved_url = whatwg_url.parse(file_url, f"{local_path.path_to_file_url(local_path.resolve(where))}/")
    spec_url = whatwg_url.parse(file_url)
    if resolved_url is None or spec_url is None:
        raise SpecError("Invalid file: URL, must comply with RFC 8089", code=None)
    spec_path = decode_uri_component(spec_url.pathname)
    resolved_path = decode_uri_component(resolved_url.pathname)
    if _HOME_PATH.match(spec_path):
        # ~ is kept in the saveSpec and expanded for the fetchSpec
        save_spec = f"file:{spec_path[1:]}"
        resolved_path = local_path.resolve(home or os.path.expanduser("~"), spec_path[3:])
    elif not local_path.is_absolute(file_url[5:]):
        save_spec = f"file:{local_path.relative(where, resolved_path)}"
    else:
        save_spec = f"file:{local_path.resolve(resolved_path)}"
    fetch_spec = local_path.resolve(where, resolved_path)
    save_spec = save_spec.replace("\\", "/")
    if save_spec.startswith("file://"):
        save_spec = f"file:/{save_spec[7:]}"
    kind = FileSpec if _IS_FILE_TYPE.search(raw_spec) else DirectorySpec
    return kind(
        raw=raw, name=name, raw_spec=raw_spec, save_spec=save_spec, fetch_spec=fetch_spec, where=where
    )

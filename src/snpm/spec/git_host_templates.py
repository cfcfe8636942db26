"""The known git hosts and their URL templates (hosted-git-info 9.0.3 lib/hosts.js).

Each host says which protocols reach it, how to find user/project/committish in its URLs (`extract`)
and how to render every representation (ssh, sshurl, https, git, shortcut, path, browse, docs, bugs,
file, edit, tarball). Templates print a missing user as `null`, exactly like upstream's template
literals, and a missing template (gitlab has no `git://`) means the host does not offer it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import msgspec

from snpm.spec.ecmascript import encode_uri_component
from snpm.spec.whatwg_url import WhatwgUrl


class TemplateContext(msgspec.Struct, frozen=True):
    """The values a URL template sees (hosted-git-info's merged `options`)."""

    type: str
    domain: str
    user: str | None
    project: str
    committish: str | None
    auth: str | None
    treepath: str | None
    blobpath: str | None
    editpath: str | None
    path: str
    fragment: str | None
    hashformat: Callable[[str], str]


Template = Callable[[TemplateContext], "str | None"]


def _js(value: str | None) -> str:
    """A value as JavaScript's template literal prints it (`${null}` is "null")."""
    return "null" if value is None else value


def _maybe_join(*parts: str | None) -> str:
    return "".join(part for part in parts if part) if all(parts) else ""


def _maybe_encode(value: str | None) -> str:
    return encode_uri_component(value) if value else ""


_LEADING_NON_WORD = re.compile(r"\A\W+", re.ASCII)
_TRAILING_NON_WORD = re.compile(r"(?<!\W)\W+\Z", re.ASCII)
_NON_WORD = re.compile(r"\W+", re.ASCII)


def format_hash_fragment(fragment: str) -> str:
    """`lib/index.js#L10` style anchors: lower case, no slashes, non-word runs become `-`."""
    text = _LEADING_NON_WORD.sub("", fragment.lower())
    text = _TRAILING_NON_WORD.sub("", text, count=1)
    return _NON_WORD.sub("-", text.replace("/", ""))


def _gist_hash_format(fragment: str) -> str:
    return fragment and "file-" + format_hash_fragment(fragment)


def _user_project(c: TemplateContext) -> str:
    return f"https://{c.domain}/{_js(c.user)}/{c.project}"


_DEFAULT_TEMPLATES: dict[str, Template] = {
    "ssh": lambda c: f"git@{c.domain}:{_js(c.user)}/{c.project}.git{_maybe_join('#', c.committish)}",
    "sshurl": lambda c: (
        f"git+ssh://git@{c.domain}/{_js(c.user)}/{c.project}.git{_maybe_join('#', c.committish)}"
    ),
    "edit": lambda c: (
        _user_project(c)
        + _maybe_join("/", c.editpath, "/", _maybe_encode(c.committish or "HEAD"), "/", c.path)
    ),
    "browse": lambda c: _user_project(c) + _maybe_join("/", c.treepath, "/", _maybe_encode(c.committish)),
    "browsetree": lambda c: (
        f"{_user_project(c)}/{_js(c.treepath)}/{_maybe_encode(c.committish or 'HEAD')}/{c.path}"
        + _maybe_join("#", c.hashformat(c.fragment or ""))
    ),
    "browseblob": lambda c: (
        f"{_user_project(c)}/{_js(c.blobpath)}/{_maybe_encode(c.committish or 'HEAD')}/{c.path}"
        + _maybe_join("#", c.hashformat(c.fragment or ""))
    ),
    "docs": lambda c: (
        _user_project(c) + _maybe_join("/", c.treepath, "/", _maybe_encode(c.committish)) + "#readme"
    ),
    "https": lambda c: (
        f"git+https://{_maybe_join(c.auth, '@')}{c.domain}/{_js(c.user)}/{c.project}.git"
        + _maybe_join("#", c.committish)
    ),
    "file": lambda c: f"{_user_project(c)}/raw/{_maybe_encode(c.committish or 'HEAD')}/{c.path}",
    "shortcut": lambda c: f"{c.type}:{_js(c.user)}/{c.project}{_maybe_join('#', c.committish)}",
    "path": lambda c: f"{_js(c.user)}/{c.project}{_maybe_join('#', c.committish)}",
    "bugs": lambda c: f"{_user_project(c)}/issues",
}


class Segments(msgspec.Struct, frozen=True):
    """What a host's `extract` finds in a URL; `committish` None is JavaScript's `undefined`."""

    user: str | None
    project: str
    committish: str | None


def _split(pathname: str, limit: int) -> list[str | None]:
    """JS `pathname.split('/', limit)` read by destructuring: missing entries are undefined."""
    parts: list[str | None] = list(pathname.split("/")[:limit])
    return parts + [None] * (limit - len(parts))


def strip_git(project: str) -> str:
    return project[:-4] if project.endswith(".git") else project


def _extract_github(url: WhatwgUrl) -> Segments | None:
    _, user, project, kind, committish = _split(url.pathname, 5)
    if kind and kind != "tree":
        return None
    if not kind:
        committish = url.hash[1:]
    if not user or not project:
        return None
    return Segments(user, strip_git(project), committish)


def _extract_bitbucket(url: WhatwgUrl) -> Segments | None:
    _, user, project, aux = _split(url.pathname, 4)
    if aux == "get" or not user or not project:
        return None
    return Segments(user, strip_git(project), url.hash[1:])


def _extract_gitlab(url: WhatwgUrl) -> Segments | None:
    path = url.pathname[1:]
    if "/-/" in path or "/archive.tar.gz" in path:
        return None
    segments = path.split("/")
    project = strip_git(segments.pop())
    user = "/".join(segments)
    if not user or not project:
        return None
    return Segments(user, project, url.hash[1:])


def _extract_gist(url: WhatwgUrl) -> Segments | None:
    _, user, project, aux = _split(url.pathname, 4)
    if aux == "raw":
        return None
    if not project:
        if not user:
            return None
        project, user = user, None
    return Segments(user, strip_git(project), url.hash[1:])


def _extract_sourcehut(url: WhatwgUrl) -> Segments | None:
    _, user, project, aux = _split(url.pathname, 4)
    if aux == "archive" or not user or not project:
        return None
    return Segments(user, strip_git(project), url.hash[1:])


class GitHostDefinition(msgspec.Struct, frozen=True):
    """One known host: its domain, the protocols it is reached by, its path words and URL templates."""

    name: str
    domain: str
    protocols: frozenset[str]
    treepath: str | None
    blobpath: str | None
    editpath: str | None
    extract: Callable[[WhatwgUrl], Segments | None]
    templates: Mapping[str, Template]
    hashformat: Callable[[str], str] = format_hash_fragment


def _host(
    name: str,
    domain: str,
    protocols: tuple[str, ...],
    paths: tuple[str | None, str | None, str | None],
    extract: Callable[[WhatwgUrl], Segments | None],
    templates: Mapping[str, Template],
    hashformat: Callable[[str], str] = format_hash_fragment,
) -> GitHostDefinition:
    treepath, blobpath, editpath = paths
    return GitHostDefinition(
        name,
        domain,
        frozenset(protocols),
        treepath,
        blobpath,
        editpath,
        extract,
        {**_DEFAULT_TEMPLATES, **templates},
        hashformat,
    )


GIT_HOSTS: dict[str, GitHostDefinition] = {
    "github": _host(
        "github",
        "github.com",
        # git: and http: are insecure but still accepted, as upstream does
        ("git:", "http:", "git+ssh:", "git+https:", "ssh:", "https:"),
        ("tree", "blob", "edit"),
        _extract_github,
        {
            "file": lambda c: (
                f"https://{_maybe_join(c.auth, '@')}raw.githubusercontent.com/{_js(c.user)}/{c.project}/"
                f"{_maybe_encode(c.committish or 'HEAD')}/{c.path}"
            ),
            "git": lambda c: (
                f"git://{_maybe_join(c.auth, '@')}{c.domain}/{_js(c.user)}/{c.project}.git"
                + _maybe_join("#", c.committish)
            ),
            "tarball": lambda c: (
                f"https://codeload.{c.domain}/{_js(c.user)}/{c.project}/tar.gz/"
                + _maybe_encode(c.committish or "HEAD")
            ),
        },
    ),
    "bitbucket": _host(
        "bitbucket",
        "bitbucket.org",
        ("git+ssh:", "git+https:", "ssh:", "https:"),
        ("src", "src", "?mode=edit"),
        _extract_bitbucket,
        {
            "edit": lambda c: (
                _user_project(c)
                + _maybe_join(
                    "/", c.treepath, "/", _maybe_encode(c.committish or "HEAD"), "/", c.path, c.editpath
                )
            ),
            "tarball": lambda c: f"{_user_project(c)}/get/{_maybe_encode(c.committish or 'HEAD')}.tar.gz",
        },
    ),
    "gitlab": _host(
        "gitlab",
        "gitlab.com",
        ("git+ssh:", "git+https:", "ssh:", "https:"),
        ("tree", "tree", "-/edit"),
        _extract_gitlab,
        {
            "tarball": lambda c: (
                f"https://{c.domain}/api/v4/projects/{_maybe_encode(_js(c.user) + '/' + c.project)}"
                f"/repository/archive.tar.gz?sha={_maybe_encode(c.committish or 'HEAD')}"
            ),
        },
    ),
    "gist": _host(
        "gist",
        "gist.github.com",
        ("git:", "git+ssh:", "git+https:", "ssh:", "https:"),
        (None, None, "edit"),
        _extract_gist,
        {
            "ssh": lambda c: f"git@{c.domain}:{c.project}.git{_maybe_join('#', c.committish)}",
            "sshurl": lambda c: f"git+ssh://git@{c.domain}/{c.project}.git{_maybe_join('#', c.committish)}",
            "edit": lambda c: (
                f"{_user_project(c)}{_maybe_join('/', _maybe_encode(c.committish))}/{_js(c.editpath)}"
            ),
            "browse": lambda c: (
                f"https://{c.domain}/{c.project}{_maybe_join('/', _maybe_encode(c.committish))}"
            ),
            "browsetree": lambda c: (
                f"https://{c.domain}/{c.project}{_maybe_join('/', _maybe_encode(c.committish))}"
                + _maybe_join("#", c.hashformat(c.path))
            ),
            "browseblob": lambda c: (
                f"https://{c.domain}/{c.project}{_maybe_join('/', _maybe_encode(c.committish))}"
                + _maybe_join("#", c.hashformat(c.path))
            ),
            "docs": lambda c: (
                f"https://{c.domain}/{c.project}{_maybe_join('/', _maybe_encode(c.committish))}"
            ),
            "https": lambda c: f"git+https://{c.domain}/{c.project}.git{_maybe_join('#', c.committish)}",
            "file": lambda c: (
                f"https://gist.githubusercontent.com/{_js(c.user)}/{c.project}/raw"
                f"{_maybe_join('/', _maybe_encode(c.committish))}/{c.path}"
            ),
            "shortcut": lambda c: f"{c.type}:{c.project}{_maybe_join('#', c.committish)}",
            "path": lambda c: f"{c.project}{_maybe_join('#', c.committish)}",
            "bugs": lambda c: f"https://{c.domain}/{c.project}",
            "git": lambda c: f"git://{c.domain}/{c.project}.git{_maybe_join('#', c.committish)}",
            "tarball": lambda c: (
                f"https://codeload.github.com/gist/{c.project}/tar.gz/{_maybe_encode(c.committish or 'HEAD')}"
            ),
        },
        _gist_hash_format,
    ),
    "sourcehut": _host(
        "sourcehut",
        "git.sr.ht",
        ("git+ssh:", "https:"),
        ("tree", "tree", None),
        _extract_sourcehut,
        {
            "file": lambda c: f"{_user_project(c)}/blob/{_maybe_encode(c.committish) or 'HEAD'}/{c.path}",
            "https": lambda c: f"{_user_project(c)}{_maybe_join('#', c.committish)}",
            "tarball": lambda c: f"{_user_project(c)}/archive/{_maybe_encode(c.committish) or 'HEAD'}.tar.gz",
            "bugs": lambda c: None,
        },
    ),
}

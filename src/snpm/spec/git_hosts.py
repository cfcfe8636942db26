"""Hosted git repositories (hosted-git-info 9.0.3): github, gitlab, bitbucket, gist and sourcehut.

`from_url` recognises a repository on a known host in any of its spellings (`github:u/r`, `u/r`,
`git@github.com:u/r.git`, `https://github.com/u/r/tree/main`, ...) and `HostedGit` renders it back as
each kind of URL (ssh, sshurl, https, git, shortcut, browse, tarball, ...) from per-host templates.
The templates keep hosted-git-info's quirks on purpose: a missing user renders as `null`
(`gist:abc` edits at `https://gist.github.com/null/abc/edit`), `https://github.com/u/r/tree` has the
committish `undefined`, and an empty committish (`""`) differs from none. The host table and its
templates live in `snpm.spec.git_host_templates`, which is imported only once a spec parses as a
URL: npa asks `from_url` about every spec, and most are registry ranges that never get that far.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING, Final

import msgspec

from snpm.ecmascript.strings import URIError, decode_uri_component
from snpm.errors import SpecError
from snpm.json_types import JsonValue
from snpm.spec import whatwg_url
from snpm.spec.git_url import is_github_shorthand, parse_git_url
from snpm.spec.whatwg_url import WhatwgUrl

if TYPE_CHECKING:
    from snpm.spec.git_host_templates import GitHostDefinition

# hosted-git-info's protocol table: what each protocol's default representation is called, and
# whether credentials in the URL are kept as `auth`. Host shortcuts (`github:`) are protocols too.
_PROTOCOL_NAMES: dict[str, str | None] = {
    "git+ssh:": "sshurl",
    "ssh:": "sshurl",
    "git+https:": "https",
    "git:": None,
    "http:": None,
    "https:": None,
    "git+http:": None,
}
_PROTOCOLS_WITH_AUTH = frozenset({"git+https:", "git:", "http:", "https:", "git+http:"})


# The names of `git_host_templates.GIT_HOSTS` (a unit test keeps the two equal), each also a shortcut
# protocol (`github:`), spelled here so the protocol table needs no templates.
HOST_NAMES: Final = ("github", "bitbucket", "gitlab", "gist", "sourcehut")
_SHORTCUTS = frozenset(f"{name}:" for name in HOST_NAMES)
# correctProtocol leaves a string alone when it starts with one of these
_KNOWN_PROTOCOLS = frozenset(_PROTOCOL_NAMES) | _SHORTCUTS


@cache
def _hosts() -> dict[str, GitHostDefinition]:
    from snpm.spec.git_host_templates import GIT_HOSTS

    return GIT_HOSTS


@cache
def _by_domain() -> dict[str, str]:
    return {host.domain: name for name, host in _hosts().items()}


class HostedGit(msgspec.Struct, frozen=True):
    """A repository on a known host (hosted-git-info's GitHost).

    `default` names the representation the input used (`shortcut`, `sshurl`, `https`, `git`, or
    `http`, which has no renderer and so prints as sshurl). `no_committish`/`no_git_plus` are the
    options given to `from_url`; each renderer can override them per call.
    """

    type: str
    user: str | None
    auth: str | None
    project: str
    committish: str | None
    default: str
    no_committish: bool = False
    no_git_plus: bool = False

    @property
    def host(self) -> GitHostDefinition:
        return _hosts()[self.type]

    def _fill(
        self,
        template_name: str,
        *,
        no_committish: bool | None = None,
        no_git_plus: bool | None = None,
        path: str | None = None,
        fragment: str | None = None,
    ) -> str | None:
        from snpm.spec.git_host_templates import TemplateContext

        host = _hosts()[self.type]
        template = host.templates.get(template_name)
        if template is None:
            return None
        path = path or ""
        if path.startswith("/"):
            path = path[1:]  # the templates put in their own leading slash
        skip_committish = self.no_committish if no_committish is None else no_committish
        context = TemplateContext(
            type=self.type,
            domain=host.domain,
            user=self.user,
            project=self.project,
            committish=None if skip_committish else self.committish,
            auth=self.auth,
            treepath=host.treepath,
            blobpath=host.blobpath,
            editpath=host.editpath,
            path=path,
            fragment=fragment,
            hashformat=host.hashformat,
        )
        result = template(context)
        strip_git_plus = self.no_git_plus if no_git_plus is None else no_git_plus
        # upstream would throw calling startsWith on sourcehut's null bugs URL; None is kept here
        if strip_git_plus and result is not None and result.startswith("git+"):
            return result[4:]
        return result

    def hash(self) -> str:
        return f"#{self.committish}" if self.committish else ""

    def ssh(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        return self._fill("ssh", no_committish=no_committish, no_git_plus=no_git_plus)

    def sshurl(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        return self._fill("sshurl", no_committish=no_committish, no_git_plus=no_git_plus)

    def browse(
        self,
        path: str | None = None,
        fragment: str | None = None,
        *,
        no_committish: bool | None = None,
        no_git_plus: bool | None = None,
    ) -> str | None:
        """The web page of the repository, or of `path` in it (`fragment` is an anchor such as `L10`)."""
        if path is None:
            return self._fill("browse", no_committish=no_committish, no_git_plus=no_git_plus)
        return self._fill(
            "browsetree", no_committish=no_committish, no_git_plus=no_git_plus, path=path, fragment=fragment
        )

    def browse_file(
        self,
        path: str,
        fragment: str | None = None,
        *,
        no_committish: bool | None = None,
        no_git_plus: bool | None = None,
    ) -> str | None:
        """Like `browse(path)` for a known file: github's `/blob/` URL does not redirect from HEAD."""
        return self._fill(
            "browseblob", no_committish=no_committish, no_git_plus=no_git_plus, path=path, fragment=fragment
        )

    def docs(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        return self._fill("docs", no_committish=no_committish, no_git_plus=no_git_plus)

    def bugs(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        return self._fill("bugs", no_committish=no_committish, no_git_plus=no_git_plus)

    def https(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        return self._fill("https", no_committish=no_committish, no_git_plus=no_git_plus)

    def git(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        return self._fill("git", no_committish=no_committish, no_git_plus=no_git_plus)

    def shortcut(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        return self._fill("shortcut", no_committish=no_committish, no_git_plus=no_git_plus)

    def path(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        return self._fill("path", no_committish=no_committish, no_git_plus=no_git_plus)

    def tarball(self, *, no_git_plus: bool | None = None) -> str | None:
        """The tarball download URL; always at the committish (HEAD when there is none)."""
        return self._fill("tarball", no_committish=False, no_git_plus=no_git_plus)

    def file(
        self, path: str = "", *, no_committish: bool | None = None, no_git_plus: bool | None = None
    ) -> str | None:
        """The raw content URL of `path`."""
        return self._fill("file", no_committish=no_committish, no_git_plus=no_git_plus, path=path)

    def edit(
        self, path: str = "", *, no_committish: bool | None = None, no_git_plus: bool | None = None
    ) -> str | None:
        return self._fill("edit", no_committish=no_committish, no_git_plus=no_git_plus, path=path)

    def to_string(self, *, no_committish: bool | None = None, no_git_plus: bool | None = None) -> str | None:
        """The URL in the representation it was given in (`default`), sshurl when that has no renderer."""
        kind = self.default if self.default in _RENDERERS else "sshurl"
        return self._fill(kind, no_committish=no_committish, no_git_plus=no_git_plus)

    def __str__(self) -> str:
        return self.to_string() or ""


# the representations `toString()` can dispatch to by `default` (hosted-git-info's methods)
_RENDERERS = frozenset({"ssh", "sshurl", "https", "git", "shortcut", "path", "docs", "bugs", "browse"})


def from_url(url: str | None, *, no_committish: bool = False, no_git_plus: bool = False) -> HostedGit | None:
    """hosted-git-info's `fromUrl`: the hosted repository `url` points at, or None."""
    if not url:
        return None
    return _from_url(url, no_committish, no_git_plus)


@lru_cache(maxsize=4096)
def _from_url(giturl: str, no_committish: bool, no_git_plus: bool) -> HostedGit | None:
    corrected = f"github:{giturl}" if is_github_shorthand(giturl) else giturl
    parsed = parse_git_url(corrected, _KNOWN_PROTOCOLS)
    if parsed is None:
        return None
    protocol = parsed.protocol
    shortcut_host = protocol[:-1] if protocol in _SHORTCUTS else None
    hostname = parsed.hostname
    # upstream looks domains up in a plain object, so `constructor` and friends crash it; not here
    domain_host = _by_domain().get(hostname[4:] if hostname.startswith("www.") else hostname)
    host_name = shortcut_host or domain_host
    if host_name is None:
        return None
    from snpm.spec.git_host_templates import strip_git

    host = _hosts()[host_name]
    auth: str | None = None
    if parsed.protocol in _PROTOCOLS_WITH_AUTH and (parsed.username or parsed.password):
        auth = parsed.username + (f":{parsed.password}" if parsed.password else "")

    user: str | None = None
    committish: str | None = None
    try:
        if shortcut_host:
            pathname = parsed.pathname
            if pathname.startswith("/"):
                pathname = pathname[1:]
            first_at = pathname.find("@")
            if first_at > -1:
                pathname = pathname[first_at + 1 :]  # auth is ignored in shortcuts
            last_slash = pathname.rfind("/")
            if last_slash > -1:
                user = decode_uri_component(pathname[:last_slash]) or None
                project = decode_uri_component(pathname[last_slash + 1 :])
            else:
                project = decode_uri_component(pathname)
            project = strip_git(project)
            if parsed.hash:
                committish = decode_uri_component(parsed.hash[1:])
            default = "shortcut"
        else:
            if parsed.protocol not in host.protocols:
                return None
            segments = host.extract(parsed)
            if segments is None:
                return None
            user = decode_uri_component(segments.user) if segments.user else segments.user
            project = decode_uri_component(segments.project)
            # decodeURIComponent(undefined) is the string "undefined"
            committish = decode_uri_component(
                "undefined" if segments.committish is None else segments.committish
            )
            default = _PROTOCOL_NAMES.get(parsed.protocol) or parsed.protocol[:-1]
    except URIError:
        return None  # a URIError from decodeURIComponent: not a URL hosted-git-info understands
    return HostedGit(host_name, user, auth, project, committish, default, no_committish, no_git_plus)


def parse_url(url: str) -> WhatwgUrl | None:
    """hosted-git-info's `parseUrl(url)`: WHATWG parsing with its scp-style repair, no protocol table."""
    return parse_git_url(url)


def _unknown_hosted_url(url: str) -> str | None:
    from snpm.spec.git_host_templates import strip_git

    parsed = whatwg_url.parse(url)
    if parsed is None or not parsed.hostname:
        return None
    # upstream's /(?:git\+)http:$/ needs the "git+": plain http: becomes https:
    protocol = "http:" if parsed.protocol.endswith("git+http:") else "https:"
    return f"{protocol}//{parsed.hostname}{strip_git(parsed.pathname)}"


def from_manifest(
    manifest: JsonValue, *, no_committish: bool = False, no_git_plus: bool = False
) -> HostedGit | str | None:
    """hosted-git-info's `fromManifest`: the hosted repository of a package.json's `repository`.

    A repository on an unknown host comes back as a plain https (or http) browse URL. Raises
    `SpecError("no repository")` when the manifest has no usable `repository`.
    """
    if not manifest or not isinstance(manifest, dict | list):
        return None
    repository = manifest.get("repository") if isinstance(manifest, dict) else None
    if isinstance(repository, str):
        url = repository
    elif isinstance(repository, dict) and isinstance(repository.get("url"), str):
        url = str(repository["url"])
    else:
        url = ""
    if not url:
        raise SpecError("no repository", code=None)
    info = from_url(
        url[4:] if url.startswith("git+") else url, no_committish=no_committish, no_git_plus=no_git_plus
    )
    if info is not None:
        return info
    unknown = _unknown_hosted_url(url)
    return from_url(unknown, no_committish=no_committish, no_git_plus=no_git_plus) or unknown

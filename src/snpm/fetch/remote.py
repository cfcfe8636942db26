"""Tarball URLs: pacote's RemoteFetcher, plus the replace-registry-host rules.

A remote tarball is downloaded through the registry client (so make-fetch-happen's HTTP cache keeps
it, keyed by URL; pacote adds no `pacote:tarball:` entry for remote specs), its integrity computed
while it arrives (or checked, when one is expected), and its manifest is the package.json inside,
decorated `_integrity` (the download's sha512), `_resolved` (the URL actually used) and `_from`.

replace-registry-host (`npmjs` by default, `never`, `always`, or a host): a tarball URL on that
host is fetched from the configured registry instead, keeping only its path (pacote:
`new URL(pathname, registry)`, so a registry path prefix is dropped and a query string too).
Arborist rewrites lockfile `resolved` values with a slightly different rule before extracting
(`registry_resolved`), which keeps a registry path prefix.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from snpm.fetch.base import ResolvedManifest
from snpm.fetch.context import FetchContext
from snpm.fetch.options import public_registry_host
from snpm.fetch.tarballs import Tarball, fetch_url, tarball_stream
from snpm.fetch.unpack import UnpackedTarball, tarball_manifest, unpack

__all__ = ["RemoteFetcher", "read_tarball_manifest", "registry_resolved", "replace_registry_host"]


def _host(url: str) -> str:
    """WHATWG `url.host`: hostname (lower case) and a non-default port."""
    parts = urlsplit(url)
    hostname = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{hostname}:{port}" if port is not None and port != default else hostname


def replace_registry_host(url: str, registry: str, replace_host: str) -> str:
    """pacote RemoteFetcher: move a tarball URL onto `registry` when its host is `replace_host`
    (already expanded from `npmjs`), always with `always`, never with `never`."""
    if replace_host == "never":
        return url
    if replace_host != "always" and _host(url) != replace_host:
        return url
    path = urlsplit(url).path or "/"
    return urljoin(registry.rstrip("/") + "/", path) if path.startswith("/") else url


def _has_prefix(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(f"{prefix}/")


def registry_resolved(resolved: str, registry: str, replace_registry_host: str) -> str:
    """arborist reify #registryResolved: the URL a lockfile's `resolved` is extracted from.

    `replace_registry_host` is the raw setting (`npmjs`, `never`, `always`, a host or a URL). A URL
    also restricts the match to its path prefix, which is swapped for the registry's path; a host
    match puts the registry's path in front unless the path already starts with it. Only http(s)
    URLs are rewritten: npm's `always` would also move git and file URLs onto the registry host."""
    setting = public_registry_host() if replace_registry_host in ("", "npmjs") else replace_registry_host
    parts, reg = urlsplit(resolved), urlsplit(registry)
    if parts.scheme not in ("http", "https") or not parts.netloc or not reg.netloc:
        return resolved
    registry_path = reg.path[:-1] if reg.path.endswith("/") else reg.path
    match = urlsplit(setting) if "://" in setting else None
    match_host = (match.hostname or "") if match is not None else setting
    match_path = (match.path[:-1] if match.path.endswith("/") else match.path) if match is not None else ""
    host_ok = setting == "always" or match_host == (parts.hostname or "")
    if not host_ok or (match_path and not _has_prefix(parts.path, match_path)):
        return resolved
    path = parts.path
    if match_path:
        path = registry_path + path[len(match_path) :]
    elif registry_path and not _has_prefix(path, registry_path):
        path = registry_path + path
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{reg.netloc.rpartition('@')[2]}" if userinfo else reg.netloc.rpartition("@")[2]
    return urlunsplit((reg.scheme, netloc, path, parts.query, parts.fragment))


def read_tarball_manifest(
    ctx: FetchContext, tarball: Tarball, *, allow_gitignore: bool = False
) -> UnpackedTarball:
    """Parse a tarball (in the pool) and add its files to the store under its integrity."""
    return unpack(
        tarball.data,
        umask=ctx.options.umask,
        process_umask=ctx.options.process_umask,
        cache_dir=ctx.cache_dir,
        integrity=tarball.integrity,
        allow_gitignore=allow_gitignore,
    )


class RemoteFetcher:
    """A tarball URL. `from_spec` is pacote's `_from` (the spec's saveSpec: the URL as written)."""

    cache_fetches = False
    may_prepare = False

    def __init__(
        self,
        ctx: FetchContext,
        url: str,
        *,
        name: str | None = None,
        from_spec: str | None = None,
        integrity: str | None = None,
        pkgid: str | None = None,
        label: str | None = None,
    ) -> None:
        self.ctx = ctx
        options = ctx.options
        self.resolved = replace_registry_host(url, options.registry_base, options.replace_host)
        self.integrity = integrity or None
        self.from_spec = from_spec or url
        self.pkgid = pkgid or f"remote:{f'{name}@' if name else ''}{self.resolved}"
        self.label = label or (f"{name}@{url}" if name else url)
        self._tarball: Tarball | None = None
        self.unpacked: UnpackedTarball | None = None
        self._manifest: ResolvedManifest | None = None

    async def download(self, expected: str | None) -> tuple[bytes, str | None]:
        return await fetch_url(
            self.ctx.client, self.resolved, integrity=expected, pkgid=self.pkgid, label=self.label
        )

    async def tarball(self) -> Tarball:
        if self._tarball is None:
            self._tarball = await tarball_stream(
                self.ctx,
                label=self.label,
                from_spec=self.from_spec,
                integrity=self.integrity,
                resolved=self.resolved,
                from_resolved=self.download,
                cache_fetches=self.cache_fetches,
            )
            self.integrity = self._tarball.integrity
        return self._tarball

    async def manifest(self) -> ResolvedManifest:
        if self._manifest is None:
            tarball = await self.tarball()
            self.unpacked = await self.ctx.cpu(read_tarball_manifest, self.ctx, tarball)
            mani = tarball_manifest(self.unpacked)
            mani.update(_integrity=tarball.integrity, _resolved=self.resolved, _from=self.from_spec)
            self._manifest = ResolvedManifest(mani, self.resolved, tarball.integrity, self.from_spec)
        return self._manifest

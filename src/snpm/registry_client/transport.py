"""The connections of a RegistryClient: our own HTTP/1.1 pool (snpm.registry_client.http1) for
GETs, one aiohttp session for the rest; DNS caches, TLS and proxies.

What @npmcli/agent gives npm, and how it maps onto aiohttp:
- keep-alive with at most `maxsockets` connections per origin (TCPConnector `limit_per_host`; npm's
  `maxTotalSockets` is unlimited, so the total limit is off);
- node's DNS cache (5 minutes) → aiohttp's `ttl_dns_cache=300`. aiohttp also folds concurrent
  lookups of one host into one, which matters here: this machine's resolver stalls ~5 s when a burst
  of lookups arrives at once;
- TLS: `strict-ssl=false` turns verification off; `ca`/`cafile` *replace* the trusted roots (node's
  `ca` option); `cert`/`key` or a registry's `certfile`/`keyfile` add a client certificate. Contexts
  are built lazily (loading the system store costs tens of milliseconds) and cached per client
  certificate; without any of those settings aiohttp's own default context is used;
- proxies: npm-registry-fetch passes `https-proxy || proxy` for every URL; without one the agent reads
  the environment (`https_proxy` for https URLs, `https_proxy || http_proxy || proxy` for http ones).
  `noproxy` (else `no_proxy`) lists domain suffixes matched segment by segment from the right.
  socks proxies are not supported by aiohttp and fail with EINVALIDPROXY;
- the fetch timeout: npm's timer runs from socket assignment until the response headers, and the agent
  drops a socket idle for that long, so both connect and each read get the same limit.
An injected session (tests) is used as is and never closed by the transport.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from snpm.errors import NetworkError
from snpm.registry_client.settings import ClientSettings

if TYPE_CHECKING:
    import aiohttp

    from snpm.registry_client.http1 import Http1Pool

__all__ = ["Transport", "is_no_proxy", "proxy_for"]

# Node's DNS cache lifetime in @npmcli/agent (dns.js), in seconds.
DNS_TTL_SECONDS = 300
_SOCKS_SCHEMES = frozenset({"socks", "socks4", "socks4a", "socks5", "socks5h"})


def is_no_proxy(hostname: str, no_proxy: str) -> bool:
    """@npmcli/agent isNoProxy: does any comma-separated entry match the host's rightmost labels?"""
    entries = [p.strip() for p in no_proxy.split(",") if p.strip()]
    if not entries:
        return False
    host_segments = hostname.split(".")[::-1]
    for entry in entries:
        segments = [s for s in entry.split(".") if s][::-1]
        if not segments:
            continue
        if all(i < len(host_segments) and host_segments[i] == seg for i, seg in enumerate(segments)):
            return True
    return False


def proxy_for(url: str, settings: ClientSettings) -> str | None:
    """The proxy URL for a request, or None to connect directly."""
    proxy = settings.https_proxy or settings.proxy
    env = settings.proxy_env
    if not proxy:
        if urlsplit(url).scheme == "https":
            proxy = env.get("https_proxy")
        else:
            proxy = env.get("https_proxy") or env.get("http_proxy") or env.get("proxy")
    no_proxy = settings.noproxy or env.get("no_proxy", "")
    if not proxy or is_no_proxy(urlsplit(url).hostname or "", no_proxy):
        return None
    return proxy


def _split_proxy(proxy: str) -> tuple[str, dict[str, str]]:
    """Proxy URL without its userinfo, plus the Proxy-Authorization header it implies."""
    parts = urlsplit(proxy)
    scheme = parts.scheme.lower()
    if scheme in _SOCKS_SCHEMES or scheme not in ("http", "https"):
        raise NetworkError(
            f"Invalid protocol `{scheme}:` connecting to proxy `{parts.netloc.rpartition('@')[2]}`",
            code="EINVALIDPROXY",
        )
    headers: dict[str, str] = {}
    if parts.username is not None:
        creds = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(creds.encode()).decode("ascii")
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), headers


def _load_client_cert(ctx: ssl.SSLContext, cert: str, key: str) -> None:
    # ssl can only load a certificate chain from files: write both to a private temporary folder.
    with tempfile.TemporaryDirectory(prefix="snpm-cert-") as folder:
        cert_path = os.path.join(folder, "cert.pem")
        key_path = os.path.join(folder, "key.pem")
        for path, text in ((cert_path, cert), (key_path, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        ctx.load_cert_chain(cert_path, key_path)


class Transport:
    """Owns (or borrows) the aiohttp session and picks TLS/proxy settings per request."""

    def __init__(self, settings: ClientSettings, session: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._session = session
        self._owns_session = session is None
        self._ssl_contexts: dict[tuple[str, str], ssl.SSLContext] = {}
        # True: verifying (CAs loaded on demand), False: not verifying, None: verifying, every CA
        self._plain_contexts: dict[bool | None, ssl.SSLContext] = {}
        self._lazy_trust = False
        self._cas: tuple[str, ...] | None = None
        self._cas_loaded = False
        self._http1: Http1Pool | None = None

    def uses_http1(self, method: str) -> bool:
        """Whether a request (without a proxy or a body) goes through our own HTTP/1.1 client:
        GETs and HEADs, unless a session was injected (tests), which then carries everything."""
        return self._owns_session and method in ("GET", "HEAD")

    @property
    def http1(self) -> Http1Pool:
        if self._http1 is None:
            from snpm.registry_client.http1 import Http1Pool

            settings = self._settings
            self._http1 = Http1Pool(
                limit_per_host=settings.maxsockets, local_address=settings.local_address or None
            )
        return self._http1

    def ssl_context_for(
        self, url: str, cert: str | None = None, key: str | None = None
    ) -> ssl.SSLContext | None:
        """`ssl_for` as a context for the http1 client: None for plain http, and the default
        contexts (verifying or not) made here rather than taken from aiohttp."""
        setting = self.ssl_for(url, cert, key)
        if not isinstance(setting, bool):
            return setting
        if urlsplit(url).scheme != "https":
            return None
        ctx = self._plain_contexts.get(setting)
        if ctx is None:
            if setting:
                lazy = self._lazy_default_context()
                self._lazy_trust = lazy is not None
                ctx = lazy or ssl.create_default_context()
            else:
                # no verification: no CA bundle to load either
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            self._plain_contexts[setting] = ctx
        return ctx

    def _lazy_default_context(self) -> ssl.SSLContext | None:
        """A verifying context over the system's CA *folder* only (hashed names): OpenSSL reads the
        one issuer it needs at the handshake, where the default context parses the whole bundle
        file up front (~25 ms of CPU per process). It trusts a subset of what the default context
        trusts, so `ssl_fallback` (the default context) is tried whenever it cannot verify: the
        outcome is always the default context's."""
        capath = ssl.get_default_verify_paths().capath
        if not capath or not os.path.isdir(capath):
            return None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.load_verify_locations(capath=capath)
        except (OSError, ssl.SSLError):
            return None
        return ctx

    def ssl_fallback(
        self, url: str, cert: str | None = None, key: str | None = None
    ) -> Callable[[], ssl.SSLContext] | None:
        """What makes the context to retry with when `ssl_context_for`'s cannot verify a
        certificate: only for its on-demand default context (a configured `ca` is final)."""
        if not self._lazy_trust or self.ssl_for(url, cert, key) is not True:
            return None

        def full() -> ssl.SSLContext:
            ctx = self._plain_contexts.get(None)
            if ctx is None:
                ctx = self._plain_contexts[None] = ssl.create_default_context()
                ctx.set_alpn_protocols(["http/1.1"])
            return ctx

        return full

    def timeout_seconds(self, timeout_ms: int | None = None) -> float:
        # npm-registry-fetch: `timeout: opts.timeout || 30 * 1000`, so 0 means 30 s, not "none".
        ms = timeout_ms if timeout_ms is not None else self._settings.fetch_timeout
        return (ms or 30_000) / 1000

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session, created on first use (it must be created inside the running event loop)."""
        if self._session is None:
            self._session = self._create_session()
        return self._session

    def _create_session(self) -> aiohttp.ClientSession:
        import aiohttp

        settings = self._settings
        connector = aiohttp.TCPConnector(
            limit=0,
            limit_per_host=max(1, settings.maxsockets),
            use_dns_cache=True,
            ttl_dns_cache=DNS_TTL_SECONDS,
            local_addr=(settings.local_address, 0) if settings.local_address else None,
        )
        return aiohttp.ClientSession(
            connector=connector,
            auto_decompress=True,
            # Headers are exactly what the client sets (no aiohttp User-Agent).
            skip_auto_headers=("User-Agent",),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )

    async def close(self) -> None:
        if self._http1 is not None:
            await self._http1.close()
            self._http1 = None
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def ssl_for(self, url: str, cert: str | None = None, key: str | None = None) -> ssl.SSLContext | bool:
        """The TLS setting for one request: False (no verification), True (aiohttp's own verifying
        context over the system's trusted roots), or a context of our own."""
        if urlsplit(url).scheme != "https":
            return True
        settings = self._settings
        cert = cert or settings.cert
        key = key or settings.key
        if not settings.strict_ssl and not (cert and key):
            return False
        if not self._cas_loaded:  # cafile is read once per client, not per request
            self._cas, self._cas_loaded = settings.trusted_cas(), True
        cas = self._cas
        if not cas and not (cert and key):
            # aiohttp builds its default context when imported; a second one would load the
            # system's CA bundle again (~30 ms of CPU)
            return True
        cache_key = (cert or "", key or "")
        ctx = self._ssl_contexts.get(cache_key)
        if ctx is None:
            if cas:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.load_verify_locations(cadata="\n".join(cas))
            else:
                ctx = ssl.create_default_context()
            if not settings.strict_ssl:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            if cert and key:
                _load_client_cert(ctx, cert, key)
            self._ssl_contexts[cache_key] = ctx
        return ctx

    def proxy_options(self, url: str) -> tuple[str | None, Mapping[str, str] | None]:
        proxy = proxy_for(url, self._settings)
        if proxy is None:
            return None, None
        bare, headers = _split_proxy(proxy)
        return bare, headers or None

    def timeout(self, timeout_ms: int | None = None) -> aiohttp.ClientTimeout:
        import aiohttp

        seconds = self.timeout_seconds(timeout_ms)
        return aiohttp.ClientTimeout(total=None, connect=None, sock_connect=seconds, sock_read=seconds)

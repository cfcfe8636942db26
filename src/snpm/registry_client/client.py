"""RegistryClient: every request snpm makes to a registry (npm-registry-fetch over make-fetch-happen).

One client per process, used inside the CLI's single `asyncio.run`:

    async with RegistryClient(settings, cache=HttpCache(settings.cache)) as client:
        doc = await client.get_json("/-/whoami", auth_required=True)

A request goes: resolve the path against the package's registry → pick credentials (auth.py) → build
npm's headers → the HTTP cache for GETs (when one is given) or straight to the wire, redirects
followed hop by hop (exchange.py) → retries (wire.py) → status check (responses.py). An EOTP answer calls the `otp_prompt` callback when the
terminal is interactive and retries once with `npm-otp`; otherwise the EOTP error is raised for the
CLI to print ("pass --otp=<code>").

The HTTP cache lives in `snpm.cache.http_cache`, a sibling package this one may not import; the
caller passes an instance, which this module only knows through the `HttpCacheLike` protocol.

Logging goes through an optional `log(level, prefix, message)` callback with npm's levels and texts
(`http fetch GET 200 <url> 12ms (cache miss)`, `notice` for `npm-notice` headers, the `warn` about
scoped-registry credentials). Tokens never reach it: URLs are redacted and headers are never logged.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypedDict, Unpack
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec

from snpm.errors import HttpError, SnpmError
from snpm.integrity import Integrity
from snpm.json_types import JsonValue
from snpm.redact import redact
from snpm.registry_client.auth import Auth, get_auth, pick_registry
from snpm.registry_client.exchange import Answer, CachedAnswer, Exchange, HttpCacheLike
from snpm.registry_client.responses import http_error
from snpm.registry_client.settings import CacheMode, ClientSettings
from snpm.registry_client.transport import Transport
from snpm.registry_client.wire import LogFn, retry_delays

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "CachedAnswer",
    "HttpCacheLike",
    "LogFn",
    "OtpPrompt",
    "RegistryClient",
    "RegistryResponse",
    "RequestOptions",
]

# Called with the EOTP error (its `body` may carry `authUrl`/`doneUrl` for web OTP); returns the
# one-time password, or None to give up (the EOTP error is then raised).
OtpPrompt = Callable[[HttpError], Awaitable[str | None]]

_ABSOLUTE_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class RequestOptions(TypedDict, total=False):
    """Per-call options shared by every request method."""

    headers: Mapping[str, str]  # extra request headers (override npm's defaults, like opts.headers)
    query: Mapping[str, str | None]  # set on the URL's query string (None values are skipped)
    registry: str  # the package's registry: resolves relative paths, same-host credential fallback
    pkgid: str  # `pkgid` for errors (npm: spec.toString()); default: from the URL
    auth_required: bool  # raise ENEEDAUTH before sending when no credentials match
    otp: str  # send `npm-otp` (overrides the `otp` setting)
    otp_prompt: OtpPrompt | None  # overrides the client's prompt; None disables prompting
    cache_mode: CacheMode  # overrides the mode from offline/prefer-offline/prefer-online
    force_auth: Mapping[str, str]  # npm's forceAuth (login flows): use these credentials only
    timeout_ms: int  # overrides fetch-timeout
    integrity: str  # expected SRI of the body (tarballs): checked while it downloads
    algorithms: Sequence[str]  # hash algorithms for the body's computed integrity and the cache


class RegistryResponse(msgspec.Struct, frozen=True):
    """A successful answer (status < 400), body fully read.

    `headers` have lower-case names (repeated ones joined with ", "); `cache_status` is
    make-fetch-happen's x-local-cache-status (hit, stale, miss, revalidated, updated, skip) or None when
    the cache was not involved; `integrity` is the body's SRI when it was computed or known (tarballs).
    """

    status: int
    url: str
    headers: Mapping[str, str]
    body: bytes
    cache_status: str | None = None
    integrity: str | None = None
    attempts: int = 1

    def json(self) -> JsonValue:
        """The body as JSON; an invalid body raises FETCH_ERROR like minipass-fetch's res.json()."""
        import msgspec

        try:
            value: JsonValue = msgspec.json.decode(self.body)
        except (msgspec.DecodeError, UnicodeDecodeError):
            # V8's wording of the syntax error, as minipass-fetch reports it (or the value if valid after all)
            from snpm.registry_client.responses import parse_json_body

            return parse_json_body(self.url, self.body)
        return value

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _apply_query(url: str, query: Mapping[str, str | None] | None) -> str:
    if not query:
        return url
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    for key, value in query.items():
        if value is None:
            continue
        pairs = [(k, v) for k, v in pairs if k != key]
        pairs.append((key, str(value)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), parts.fragment))


class RegistryClient:
    """The async registry client. Use as `async with RegistryClient(settings) as client:`."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        cache: HttpCacheLike | None = None,
        log: LogFn | None = None,
        otp_prompt: OtpPrompt | None = None,
        interactive: bool | None = None,
    ) -> None:
        """`session` is borrowed (tests); `cache` enables the HTTP cache; `interactive` defaults to
        "stdin and stdout are TTYs" (npm's condition for prompting for an OTP)."""
        self.settings = settings
        self.cache = cache
        self._transport = Transport(settings, session)
        self._log = log
        self._otp_prompt = otp_prompt
        self._interactive = interactive
        delays = retry_delays(
            settings.fetch_retries,
            settings.fetch_retry_factor,
            settings.fetch_retry_mintimeout,
            max(settings.fetch_retry_maxtimeout, settings.fetch_retry_mintimeout),
        )
        self._exchange = Exchange(self._transport, cache, delays, log)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        # the HTTP cache writes behind its answers: they are on disk before the client is done
        flush = getattr(self.cache, "flush", None)
        try:
            if callable(flush):
                await flush()
        finally:
            await self._transport.close()

    # ── URLs and credentials ──

    def registry_for(self, name: str | None = None) -> str:
        """The registry of a package name (its scope's, else the `scope` config's, else `registry`)."""
        return pick_registry(self.settings, name)

    def resolve_url(self, path_or_url: str, *, registry: str | None = None) -> str:
        """An absolute URL as-is; a path joined onto the registry (one slash between them)."""
        if _ABSOLUTE_URL_RE.match(path_or_url.strip()):
            return path_or_url.strip()
        base = (registry or self.settings.registry).strip()
        base = base[:-1] if base.endswith("/") else base
        path = path_or_url.strip()
        return f"{base}/{path[1:] if path.startswith('/') else path}"

    def auth_for(self, url: str, *, registry: str | None = None) -> Auth:
        return get_auth(url, self.settings, registry=registry)

    # ── public request methods ──

    async def get_json(self, path_or_url: str, **options: Unpack[RequestOptions]) -> JsonValue:
        return (await self.request("GET", path_or_url, **options)).json()

    async def get_bytes(self, url: str, **options: Unpack[RequestOptions]) -> RegistryResponse:
        """GET a body as bytes (tarballs). With `integrity`, the body is hashed as it arrives and a
        mismatch raises EINTEGRITY (ssri's message); `integrity` on the result is always set."""
        return await self.request("GET", url, compute_integrity=True, **options)

    async def put(
        self,
        path_or_url: str,
        json: JsonValue = None,
        *,
        body: bytes | None = None,
        **options: Unpack[RequestOptions],
    ) -> RegistryResponse:
        return await self.request("PUT", path_or_url, json=json, body=body, **options)

    async def post(
        self,
        path_or_url: str,
        json: JsonValue = None,
        *,
        body: bytes | None = None,
        gzip: bool = False,
        **options: Unpack[RequestOptions],
    ) -> RegistryResponse:
        return await self.request("POST", path_or_url, json=json, body=body, gzip=gzip, **options)

    async def delete(self, path_or_url: str, **options: Unpack[RequestOptions]) -> RegistryResponse:
        return await self.request("DELETE", path_or_url, **options)

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        json: JsonValue = None,
        body: bytes | None = None,
        gzip: bool = False,
        compute_integrity: bool = False,
        **options: Unpack[RequestOptions],
    ) -> RegistryResponse:
        """Send one request (following redirects and retrying); raise on any status >= 400."""
        method = method.upper()
        registry = options.get("registry")
        url = _apply_query(self.resolve_url(path_or_url, registry=registry), options.get("query"))
        mode: CacheMode = options.get("cache_mode") or self.settings.cache_mode
        if method == "GET" and ("write", "true") in parse_qsl(urlsplit(url).query):
            # The GET of a document about to be written: always revalidate (npm-registry-fetch).
            mode = "no-cache"
        auth = get_auth(url, self.settings, registry=registry, force_auth=options.get("force_auth"))
        if options.get("auth_required") and not auth.has_credentials:
            raise SnpmError(
                f"This command requires you to be logged in to {redact(registry or self.settings.registry)}",
                code="ENEEDAUTH",
            )
        otp = options.get("otp") or self.settings.otp
        headers = self._headers(auth, options.get("headers"), otp)
        payload = body
        if payload is None and json is not None:
            import msgspec

            payload = msgspec.json.encode(json)
            headers.setdefault("content-type", "application/json")
        elif payload is not None:
            headers.setdefault("content-type", "application/octet-stream")
        if gzip and payload is not None:
            import zlib

            compressor = zlib.compressobj(wbits=31)
            payload = compressor.compress(payload) + compressor.flush()
            headers["content-encoding"] = "gzip"
        integrity = options.get("integrity")
        algorithms = tuple(options.get("algorithms") or ())
        if not algorithms:
            picked = Integrity.parse(integrity).pick_algorithm() if integrity else None
            algorithms = (picked,) if picked else ("sha512",)
        started = time.monotonic()
        answer = await self._exchange.run(
            method,
            url,
            headers=headers,
            body=payload,
            mode=mode,
            auth=auth,
            integrity=integrity,
            algorithms=algorithms,
            compute_integrity=compute_integrity,
            timeout_ms=options.get("timeout_ms"),
        )
        self._log_answer(method, answer, started)
        if answer.status >= 400:
            error = self._error(method, answer, auth, options.get("pkgid"))
            prompt = options.get("otp_prompt", self._otp_prompt)
            if error.code == "EOTP" and prompt is not None and self._is_interactive():
                try:
                    new_otp = await prompt(error)
                except Exception:  # npm ignores a failed prompt and reports the EOTP error
                    new_otp = None
                if new_otp:
                    retry_options: RequestOptions = {**options, "otp": new_otp, "otp_prompt": None}
                    return await self.request(
                        method,
                        path_or_url,
                        json=json,
                        body=body,
                        gzip=gzip,
                        compute_integrity=compute_integrity,
                        **retry_options,
                    )
            raise error
        return RegistryResponse(
            status=answer.status,
            url=answer.url,
            headers=answer.headers,
            body=answer.body,
            cache_status=answer.cache_status,
            integrity=answer.integrity,
            attempts=answer.attempts,
        )

    # ── internals ──

    def _is_interactive(self) -> bool:
        if self._interactive is None:
            self._interactive = sys.stdin.isatty() and sys.stdout.isatty()
        return self._interactive

    def _headers(self, auth: Auth, extra: Mapping[str, str] | None, otp: str | None) -> dict[str, str]:
        """npm-registry-fetch getHeaders(), lower-case names."""
        settings = self.settings
        headers: dict[str, str] = {}
        if settings.user_agent:
            headers["user-agent"] = settings.user_agent
        for name, value in (extra or {}).items():
            headers[name.lower()] = value
        if settings.effective_auth_type:
            headers["npm-auth-type"] = settings.effective_auth_type
        if settings.scope:
            headers["npm-scope"] = settings.scope
        if settings.npm_command:
            headers["npm-command"] = settings.npm_command
        authorization = auth.authorization
        if authorization:
            headers["authorization"] = authorization
        if otp:
            headers["npm-otp"] = otp
        return headers

    def _error(self, method: str, answer: Answer, auth: Auth, pkgid: str | None) -> HttpError:
        if auth.scope_auth_key and not auth.token and not auth.auth and self._log is not None:
            self._log(
                "warn",
                "registry",
                "No auth for URI, but auth present for scoped registry.\n\n"
                f"URI: {redact(answer.url)}\n"
                f"Scoped Registry Key: {auth.scope_auth_key}\n\n"
                "More info here: https://github.com/npm/cli/wiki/No-auth-for-URI,-but-auth-present-for-scoped-registry",
            )
        return http_error(
            method=method,
            url=answer.url,
            status=answer.status,
            reason=answer.reason,
            headers=answer.raw_headers,
            body=answer.body,
            pkgid=pkgid,
        )

    def _log_answer(self, method: str, answer: Answer, started: float) -> None:
        if self._log is None:
            return
        if "npm-notice" in answer.headers and "x-local-cache" not in answer.headers:
            self._log("notice", "", answer.headers["npm-notice"])
        elapsed = round((time.monotonic() - started) * 1000)
        attempt = f" attempt #{answer.attempts}" if answer.attempts > 1 else ""
        cache = f" (cache {answer.cache_status})" if answer.cache_status else ""
        if answer.cache_status == "hit":
            self._log("http", "cache", f"{redact(answer.url)} {elapsed}ms{attempt}{cache}")
        else:
            self._log(
                "http", "fetch", f"{method} {answer.status} {redact(answer.url)} {elapsed}ms{attempt}{cache}"
            )

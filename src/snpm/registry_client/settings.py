"""Everything the registry client reads, as one frozen value (npm's flatOptions slice for npm-registry-fetch).

Field names are npm's config keys in snake case. `snpm.config` is not imported: the CLI maps its
settings onto this value, which keeps the client usable (and testable) without a config stack.

npm couplings that live here rather than in the caller:
- `otp` set in config turns `auth-type` into `legacy` (the `otp` definition's flatten does this), so
  `effective_auth_type` reports `legacy` whenever `otp` is set;
- the cache mode npm-registry-fetch derives from offline/prefer-offline/prefer-online, in that order
  of precedence (`getCacheMode`);
- `cafile` replaces `ca` with the certificates read from the file (the `cafile` flatten), split on
  `-----END CERTIFICATE-----` exactly as npm does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec

__all__ = ["CacheMode", "ClientSettings", "proxy_env_from", "split_pem_bundle"]

# make-fetch-happen's cache modes (the subset of fetch()'s `cache` option npm uses).
CacheMode = Literal["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"]

_PROXY_ENV_KEYS = frozenset({"https_proxy", "http_proxy", "proxy", "no_proxy"})
_PEM_END = "-----END CERTIFICATE-----"


def proxy_env_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The proxy variables @npmcli/agent reads from the environment, keys lower-cased.

    Like the agent, any casing counts (`HTTPS_PROXY`, `https_proxy`, …) and a later variable in the
    environment's order wins over an earlier one of the same name.
    """
    found: dict[str, str] = {}
    for key, value in environ.items():
        lowered = key.lower()
        if lowered in _PROXY_ENV_KEYS:
            found[lowered] = value
    return found


def split_pem_bundle(raw: str) -> tuple[str, ...]:
    """Split a PEM bundle into certificates like npm's `cafile` flatten (keeps npm's quirks)."""
    text = raw.replace("\r\n", "\n")
    return tuple(section.lstrip() + _PEM_END for section in text.split(_PEM_END) if section.strip())


class ClientSettings(msgspec.Struct, frozen=True):
    """The registry-facing settings. Times are milliseconds, as in npm's config."""

    registry: str
    # "@scope" → registry URL (npm's `@scope:registry` keys).
    scoped_registries: Mapping[str, str] = msgspec.field(default_factory=dict)
    # The raw nerf-darted credential keys, e.g. "//host/path/:_authToken" → token; also ":_auth",
    # ":username" + ":_password" (base64), ":certfile" + ":keyfile".
    credentials: Mapping[str, str] = msgspec.field(default_factory=dict)
    proxy: str | None = None
    https_proxy: str | None = None
    # Comma-separated domain suffixes (npm joins an array value with ",").
    noproxy: str = ""
    # https_proxy / http_proxy / proxy / no_proxy from the environment: see `proxy_env_from`.
    proxy_env: Mapping[str, str] = msgspec.field(default_factory=dict)
    strict_ssl: bool = True
    # PEM certificates that replace the default trust store when set.
    ca: tuple[str, ...] | None = None
    cafile: Path | None = None
    # Inline PEM client certificate and key (deprecated in npm, still honoured).
    cert: str | None = None
    key: str | None = None
    local_address: str | None = None
    maxsockets: int = 15
    fetch_retries: int = 2
    fetch_retry_factor: float = 10
    fetch_retry_mintimeout: int = 10_000
    fetch_retry_maxtimeout: int = 60_000
    fetch_timeout: int = 5 * 60 * 1000
    user_agent: str = ""
    npm_command: str = ""
    auth_type: str = "web"
    otp: str | None = None
    # npm's `scope` config ("@demo"): sent as `npm-scope`, and a fallback for picking a registry.
    scope: str = ""
    prefer_offline: bool = False
    prefer_online: bool = False
    offline: bool = False
    # The `cache` setting (e.g. ~/.npm); cacache lives in <cache>/_cacache. None disables caching.
    cache: Path | None = None

    @property
    def cache_mode(self) -> CacheMode:
        """npm-registry-fetch's getCacheMode: offline wins, then prefer-offline, then prefer-online."""
        if self.offline:
            return "only-if-cached"
        if self.prefer_offline:
            return "force-cache"
        if self.prefer_online:
            return "no-cache"
        return "default"

    @property
    def effective_auth_type(self) -> str:
        return "legacy" if self.otp else self.auth_type

    def trusted_cas(self) -> tuple[str, ...] | None:
        """The CA certificates to trust: `cafile`'s content when readable, else `ca`."""
        if self.cafile is not None:
            try:
                raw = self.cafile.read_text(encoding="utf-8")
            except FileNotFoundError:
                raw = ""
            if raw:
                return split_pem_bundle(raw)
        return self.ca

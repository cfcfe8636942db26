"""Settings slices for the lower layers, built from the loaded config (npm's flatOptions).

The registry client and the cache never read config themselves: what they need is mapped here, once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from snpm.config import Config
from snpm.registry_client import ClientSettings, RegistryClient
from snpm.registry_client.settings import proxy_env_from


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object, default: int) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def client_settings(config: Config, command: str, env: Mapping[str, str] | None = None) -> ClientSettings:
    """npm-registry-fetch's options from npm's flatOptions."""
    flat = config.flat
    retry = flat.get("retry")
    retry_map = retry if isinstance(retry, dict) else {}
    ca = flat.get("ca")
    scoped = {
        k.split(":", 1)[0]: str(v) for k, v in flat.items() if k.startswith("@") and k.endswith(":registry")
    }
    credentials = {k: str(v) for k, v in flat.items() if k.startswith("//")}
    cache = config.get("cache")
    no_proxy = flat.get("noProxy")
    return ClientSettings(
        registry=str(flat.get("registry")),
        scoped_registries=scoped,
        credentials=credentials,
        proxy=_str(flat.get("proxy")),
        https_proxy=_str(flat.get("httpsProxy")),
        noproxy=",".join(no_proxy) if isinstance(no_proxy, list) else str(no_proxy or ""),
        proxy_env=proxy_env_from(os.environ if env is None else env),
        strict_ssl=bool(flat.get("strictSSL", True)),
        ca=tuple(str(c) for c in ca)
        if isinstance(ca, list)
        else (str(ca),)
        if isinstance(ca, str) and ca
        else None,
        cert=_str(flat.get("cert")),
        key=_str(flat.get("key")),
        local_address=_str(flat.get("localAddress")),
        maxsockets=_int(flat.get("maxSockets"), 15),
        fetch_retries=_int(retry_map.get("retries"), 2),
        fetch_retry_factor=_int(retry_map.get("factor"), 10),
        fetch_retry_mintimeout=_int(retry_map.get("minTimeout"), 10_000),
        fetch_retry_maxtimeout=_int(retry_map.get("maxTimeout"), 60_000),
        fetch_timeout=_int(flat.get("timeout"), 300_000),
        user_agent=str(flat.get("userAgent") or ""),
        npm_command=command,
        auth_type=str(flat.get("authType") or "web"),
        otp=_str(flat.get("otp")),
        scope=str(flat.get("scope") or ""),
        prefer_offline=bool(flat.get("preferOffline")),
        prefer_online=bool(flat.get("preferOnline")),
        offline=bool(flat.get("offline")),
        cache=Path(str(cache)) if cache else None,
    )


def registry_client(
    config: Config, command: str, *, log: Callable[[str, str, str], None] | None = None
) -> RegistryClient:
    """One client per process, with npm's HTTP cache in the `cache` folder."""
    from snpm.cache.http_cache import HttpCache

    settings = client_settings(config, command)
    cache = HttpCache(settings.cache) if settings.cache is not None else None
    return RegistryClient(settings, cache=cache, log=log)

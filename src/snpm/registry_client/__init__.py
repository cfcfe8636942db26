"""The registry client: every HTTP request snpm makes to an npm registry.

Modules: `settings` (ClientSettings), `auth` (credentials per URL), `transport` (the aiohttp session),
`wire` (one exchange on the wire + retries), `exchange` (cache or wire, then redirects), `responses`
(HTTP and network errors), `client` (RegistryClient), `packuments` (pacote's packument fetch).
Importing this package does not import aiohttp; the first request does.
"""

from __future__ import annotations

from snpm.registry_client.client import (
    HttpCacheLike,
    OtpPrompt,
    RegistryClient,
    RegistryResponse,
    RequestOptions,
)
from snpm.registry_client.packuments import fetch_packument
from snpm.registry_client.settings import CacheMode, ClientSettings

__all__ = [
    "CacheMode",
    "ClientSettings",
    "HttpCacheLike",
    "OtpPrompt",
    "RegistryClient",
    "RegistryResponse",
    "RequestOptions",
    "fetch_packument",
]

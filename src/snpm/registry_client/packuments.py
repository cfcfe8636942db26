"""Fetch a packument the way pacote's RegistryFetcher does.

- URL: `<registry without trailing slash>/<escapedName>`; a scoped name's first `/` becomes `%2f`
  (`@scope%2fname`, `@` left alone) and the scope picks the registry (`@scope:registry`).
- `accept`: the abbreviated ("corgi") document is asked for with
  `application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*`, the full one with
  `application/json`. The two are separate cache entries of the same URL.
- A 404 for the corgi document is retried once as a full request (some registries only serve the
  full document under its own Accept).
- pacote's informational headers `pacote-req-type: packument` and `pacote-pkg-id: registry:<name>`.
- `_contentLength` is set from the response's content-length, as pacote does.
"""

from __future__ import annotations

from typing import Unpack

from snpm.errors import HttpError, NetworkError
from snpm.json_types import JsonObject, JsonValue
from snpm.redact import redact
from snpm.registry_client.client import RegistryClient, RegistryResponse, RequestOptions

__all__ = [
    "CORGI_ACCEPT",
    "FULL_ACCEPT",
    "content_length",
    "escaped_name",
    "fetch_packument",
    "fetch_packument_response",
    "not_a_packument",
    "packument_url",
]

CORGI_ACCEPT = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
FULL_ACCEPT = "application/json"


def escaped_name(name: str) -> str:
    """npm-package-arg's escapedName: `@scope/name` → `@scope%2fname`; others unchanged."""
    return name.replace("/", "%2f", 1) if name.startswith("@") else name


def packument_url(registry: str, name: str) -> str:
    return f"{registry.rstrip('/')}/{escaped_name(name)}"


async def fetch_packument_response(
    client: RegistryClient,
    name: str,
    *,
    full: bool = False,
    **options: Unpack[RequestOptions],
) -> RegistryResponse:
    """The answer carrying the packument of `name`, body undecoded (callers that decode only the
    fields they need, like snpm.fetch's lazy packuments). Same request, retry and errors as
    `fetch_packument`."""
    registry = options.get("registry") or client.registry_for(name)
    url = packument_url(registry, name)
    extra = dict(options.get("headers") or {})
    headers = {
        **extra,
        "pacote-req-type": "packument",
        "pacote-pkg-id": f"registry:{name}",
        "accept": FULL_ACCEPT if full else CORGI_ACCEPT,
    }
    call: RequestOptions = {**options, "registry": registry, "headers": headers}
    try:
        return await client.request("GET", url, **call)
    except HttpError as err:
        if err.code != "E404" or full:
            raise
        retry: RequestOptions = {**options, "registry": registry, "headers": extra}
        return await fetch_packument_response(client, name, full=True, **retry)


def not_a_packument(url: str) -> NetworkError:
    """The error for a body that is JSON but not an object."""
    return NetworkError(
        f"invalid json response body at {redact(url)} reason: not a packument",
        code="FETCH_ERROR",
        extra={"type": "invalid-json", "errno": "FETCH_ERROR"},
    )


def packument_object(document: JsonValue, url: str) -> JsonObject:
    """A parsed packument body as pacote uses it: an object; an array, whose fields JS reads as
    undefined, is one with nothing in it (npm-pick-manifest's ENOVERSIONS for "undefined"); any
    other value is refused."""
    if isinstance(document, list):
        return {}
    if not isinstance(document, dict):
        raise not_a_packument(url)
    return document


def content_length(response: RegistryResponse) -> int | None:
    """pacote's `_contentLength`: the response's content-length, when it is a number."""
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


async def fetch_packument(
    client: RegistryClient,
    name: str,
    *,
    full: bool = False,
    **options: Unpack[RequestOptions],
) -> JsonObject:
    """The packument of `name` (abbreviated unless `full`), through the client's HTTP cache.

    `options` are the client's per-call options (e.g. `cache_mode`, `pkgid`); `registry` defaults to
    the one the name's scope selects.
    """
    response = await fetch_packument_response(client, name, full=full, **options)
    document = packument_object(response.json(), response.url)
    length = content_length(response)
    if length is not None:
        document["_contentLength"] = length
    return document

"""JSON answers and errors in the shape npm's registry sends: `{"error": "<message>"}` with a status.

npm prints `<status> <statusText> - <METHOD> <url> - <body.error>`, so every failure, including
aiohttp's own (413 for a body over the limit, 405, a malformed request), leaves as JSON with an
`error` field. Unexpected exceptions become a 500 without internals (the traceback goes to the log).
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from snpm.json_types import JsonObject, JsonValue
from snpm.registry_server.api.access_log import redacted_path
from snpm.registry_server.services.errors import RegistryError

__all__ = ["error_middleware", "error_response", "json_response", "read_json", "read_json_object"]

_encoder = msgspec.json.Encoder()
_log = logging.getLogger("snpm.registry_server")
_DECODE_IN_THREAD = 1024 * 1024


def json_response(
    data: JsonValue,
    status: int = 200,
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> web.Response:
    return web.Response(body=_encoder.encode(data), status=status, content_type=content_type, headers=headers)


def error_response(error: RegistryError) -> web.Response:
    headers: dict[str, str] = {}
    if error.challenge:
        headers["WWW-Authenticate"] = error.challenge
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    body: JsonObject = {"error": error.message, **error.details}
    return json_response(body, error.status, headers=headers)


async def read_json(request: web.Request) -> JsonValue:
    """The request body as JSON (400 when it is not); the app's size limit applies (413)."""
    data = await request.read()
    try:
        if len(data) > _DECODE_IN_THREAD:  # a publish body: keep the event loop free while decoding
            value: JsonValue = await asyncio.to_thread(msgspec.json.decode, data)
        else:
            value = msgspec.json.decode(data)
    except msgspec.DecodeError as err:
        raise RegistryError(400, f"The request body is not valid JSON: {err}") from err
    return value


async def read_json_object(request: web.Request) -> JsonObject:
    value = await read_json(request)
    if not isinstance(value, dict):
        raise RegistryError(400, "The request body must be a JSON object")
    return value


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RegistryError as err:
        return error_response(err)
    except web.HTTPRequestEntityTooLarge:
        return json_response({"error": "The request body is larger than this registry accepts."}, 413)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        return json_response({"error": err.reason}, err.status)
    except Exception:
        _log.exception(
            "internal error handling %s %s", request.method, redacted_path(request.rel_url.raw_path)
        )
        return json_response({"error": "Internal server error"}, 500)

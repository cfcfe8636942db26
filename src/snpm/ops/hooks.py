"""`npm hook add|ls|rm|update`: npm 10's lib/commands/hook.js over libnpmhook (npm 11 removed the
command; registries that offer hooks still answer it, snpm-registry among them).

libnpmhook's requests: `POST /-/npm/v1/hooks/hook` `{type, name, endpoint, secret}` with the type
read off the name (`@scope` is a scope hook, `~user` an owner hook named `user`, anything else a
package), `GET /-/npm/v1/hooks?package=` (the answer's `objects`), `PUT /-/npm/v1/hooks/hook/<id>`
`{endpoint, secret}` and `DELETE /-/npm/v1/hooks/hook/<id>`, where a 404 means "nothing to remove"
(None) rather than an error. Arguments are checked as aproba checks them (a missing one is
EINVALIDTYPE, by position). Like npm, the whole command runs under otplease.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from snpm.config import Config
from snpm.errors import HttpError, SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.auth_flow import otplease, with_otp
from snpm.ops.context import registry_client
from snpm.ops.interaction import Interaction
from snpm.registry_client import RegistryClient
from snpm.spec.ecmascript import encode_uri_component

__all__ = ["add_hook", "hook_target", "list_hooks", "remove_hook", "update_hook"]

T = TypeVar("T")
_SCOPE_NAME = re.compile(r"^@[^/]+$")


def _require_strings(*values: str | None) -> None:
    """aproba's 'S' checks: a missing argument is reported by position."""
    for index, value in enumerate(values, start=1):
        if value is None:
            raise SnpmError(f"Argument #{index}: Expected string but got null", code="EINVALIDTYPE")


def hook_target(name: str) -> tuple[str, str]:
    """libnpmhook's (type, name) for what was typed: `@scope`, `~user` or a package name."""
    if name.startswith("~"):
        return "owner", name[1:]
    if _SCOPE_NAME.match(name):
        return "scope", name
    return "package", name


async def _with_client(
    config: Config, io: Interaction, work: Callable[[RegistryClient, str | None], Awaitable[T]]
) -> T:
    async with registry_client(config, "hook", log=io.log) as client:
        return await otplease(io, client, lambda otp: work(client, otp))


def _hook_path(hook_id: str) -> str:
    return f"/-/npm/v1/hooks/hook/{encode_uri_component(hook_id)}"


async def add_hook(
    config: Config, io: Interaction, name: str | None, endpoint: str | None, secret: str | None
) -> JsonValue:
    """`hook add <pkg> <url> <secret>`: the hook the registry created."""

    async def work(client: RegistryClient, otp: str | None) -> JsonValue:
        _require_strings(name, endpoint, secret)
        assert name is not None
        kind, watched = hook_target(name)
        body: JsonObject = {"type": kind, "name": watched, "endpoint": endpoint, "secret": secret}
        response = await client.post("/-/npm/v1/hooks/hook", json=body, **with_otp(otp))
        return response.json()

    return await _with_client(config, io, work)


async def list_hooks(config: Config, io: Interaction, package: str | None) -> list[JsonValue]:
    """`hook ls [pkg]`: the caller's hooks (the answer's `objects`; nothing else is read)."""

    async def work(client: RegistryClient, otp: str | None) -> list[JsonValue]:
        found = await client.get_json("/-/npm/v1/hooks", **with_otp(otp, query={"package": package}))
        objects = found.get("objects") if isinstance(found, dict) else None
        return list(objects) if isinstance(objects, list) else []

    return await _with_client(config, io, work)


async def remove_hook(config: Config, io: Interaction, hook_id: str | None) -> JsonValue:
    """`hook rm <id>`: the removed hook, or None when the registry has no such hook (a 404)."""

    async def work(client: RegistryClient, otp: str | None) -> JsonValue:
        _require_strings(hook_id)
        assert hook_id is not None
        try:
            response = await client.delete(_hook_path(hook_id), **with_otp(otp))
        except HttpError as err:
            if err.code == "E404":
                return None
            raise
        return response.json()

    return await _with_client(config, io, work)


async def update_hook(
    config: Config, io: Interaction, hook_id: str | None, endpoint: str | None, secret: str | None
) -> JsonValue:
    """`hook update <id> <url> <secret>`: the hook as changed."""

    async def work(client: RegistryClient, otp: str | None) -> JsonValue:
        _require_strings(hook_id, endpoint, secret)
        assert hook_id is not None
        body: JsonObject = {"endpoint": endpoint, "secret": secret}
        response = await client.put(_hook_path(hook_id), json=body, **with_otp(otp))
        return response.json()

    return await _with_client(config, io, work)

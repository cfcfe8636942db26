"""Organisations and their teams: `npm org` (lib/commands/org.js over libnpmorg) and `npm team`
(lib/commands/team.js over libnpmteam).

Each sub-command is one request (org rm is two: the DELETE, then the roster for the new count),
wrapped in otplease as npm wraps them. Argument checks that libnpmteam/libnpmorg do with `aproba`
keep aproba's messages ("Argument #1: Expected string but got null").
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from snpm.config import Config
from snpm.ecmascript.strings import encode_uri_component
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.auth_flow import otplease, with_otp
from snpm.ops.context import registry_client
from snpm.ops.interaction import Interaction
from snpm.registry_client import RegistryClient, RequestOptions

__all__ = [
    "org_ls",
    "org_rm",
    "org_set",
    "split_entity",
    "team_add",
    "team_create",
    "team_destroy",
    "team_ls_teams",
    "team_ls_users",
    "team_rm",
]

T = TypeVar("T")
_ENTITY = re.compile(r"^@?([^:]+):(.*)$", re.DOTALL)


def _require_strings(*values: str | None) -> None:
    """aproba's 'S' checks: a missing argument is reported by position."""
    for index, value in enumerate(values, start=1):
        if value is None:
            raise SnpmError(f"Argument #{index}: Expected string but got null", code="EINVALIDTYPE")


async def _with_client(
    config: Config, io: Interaction, command: str, work: Callable[[RegistryClient, str | None], Awaitable[T]]
) -> T:
    async with registry_client(config, command, log=io.log) as client:
        return await otplease(io, client, lambda otp: work(client, otp))


# ── team ──


def split_entity(entity: str) -> tuple[str | None, str | None]:
    """libnpmteam splitEntity: `[@]scope:team` → (scope, team); anything else → (None, None)."""
    match = _ENTITY.match(entity)
    return (match.group(1), match.group(2)) if match else (None, None)


def _team_options(scope: str, otp: str | None) -> RequestOptions:
    # libnpmteam passes `scope`, which npm-registry-fetch sends as npm-scope
    return with_otp(otp, headers={"npm-scope": scope})


async def team_create(config: Config, io: Interaction, entity: str) -> None:
    async def work(client: RegistryClient, otp: str | None) -> None:
        scope, team = split_entity(entity)
        _require_strings(scope, team)
        assert scope is not None and team is not None
        body: JsonObject = {"name": team}
        await client.put(f"/-/org/{encode_uri_component(scope)}/team", json=body, **_team_options(scope, otp))

    await _with_client(config, io, "team", work)


async def team_destroy(config: Config, io: Interaction, entity: str) -> None:
    async def work(client: RegistryClient, otp: str | None) -> None:
        scope, team = split_entity(entity)
        _require_strings(scope, team)
        assert scope is not None and team is not None
        uri = f"/-/team/{encode_uri_component(scope)}/{encode_uri_component(team)}"
        await client.delete(uri, **_team_options(scope, otp))

    await _with_client(config, io, "team", work)


async def _team_user(config: Config, io: Interaction, method: str, entity: str, user: str) -> None:
    async def work(client: RegistryClient, otp: str | None) -> None:
        scope, team = split_entity(entity)
        _require_strings(scope, team)
        assert scope is not None and team is not None
        uri = f"/-/team/{encode_uri_component(scope)}/{encode_uri_component(team)}/user"
        body: JsonObject = {"user": user}
        await client.request(method, uri, json=body, **_team_options(scope, otp))

    await _with_client(config, io, "team", work)


async def team_add(config: Config, io: Interaction, entity: str, user: str) -> None:
    await _team_user(config, io, "PUT", entity, user)


async def team_rm(config: Config, io: Interaction, entity: str, user: str) -> None:
    await _team_user(config, io, "DELETE", entity, user)


def _streamed_values(result: JsonValue) -> list[str]:
    """JSONStream's '.*': the array's items (or an object's values), as npm prints them."""
    items = result if isinstance(result, list) else list(result.values()) if isinstance(result, dict) else []
    return [item if isinstance(item, str) else str(item) for item in items]


async def team_ls_teams(config: Config, io: Interaction, scope: str) -> list[str]:
    async def work(client: RegistryClient, otp: str | None) -> list[str]:
        uri = f"/-/org/{encode_uri_component(scope)}/team"
        result = await client.get_json(uri, **with_otp(otp, query={"format": "cli"}))
        return sorted(_streamed_values(result))

    return await _with_client(config, io, "team", work)


async def team_ls_users(config: Config, io: Interaction, entity: str) -> list[str]:
    async def work(client: RegistryClient, otp: str | None) -> list[str]:
        scope, team = split_entity(entity)
        _require_strings(scope, team)
        assert scope is not None and team is not None
        uri = f"/-/team/{encode_uri_component(scope)}/{encode_uri_component(team)}/user"
        result = await client.get_json(uri, **with_otp(otp, query={"format": "cli"}))
        return sorted(_streamed_values(result))

    return await _with_client(config, io, "team", work)


# ── org ──


def _strip_sigil(name: str) -> str:
    return re.sub(r"^[~@]?", "", name, count=1)


async def org_set(config: Config, io: Interaction, org: str, user: str, role: str) -> JsonObject:
    """PUT /-/org/<org>/user: the membership details (`{org: {name, size}, user, role}`)."""

    async def work(client: RegistryClient, otp: str | None) -> JsonObject:
        name = re.sub(r"^@?", "", org, count=1)
        body: JsonObject = {"user": re.sub(r"^@?", "", user, count=1), "role": role}
        result = (
            await client.put(f"/-/org/{encode_uri_component(name)}/user", json=body, **with_otp(otp))
        ).json()
        return result if isinstance(result, dict) else {}

    return await _with_client(config, io, "org", work)


async def _roster(client: RegistryClient, org: str, otp: str | None) -> JsonObject:
    name = re.sub(r"^@?", "", org, count=1)
    result = await client.get_json(f"/-/org/{encode_uri_component(name)}/user", **with_otp(otp))
    return result if isinstance(result, dict) else {}


async def org_rm(config: Config, io: Interaction, org: str, user: str) -> tuple[str, str, int]:
    """DELETE the membership, then count the roster: (user, org, members left)."""

    async def work(client: RegistryClient, otp: str | None) -> tuple[str, str, int]:
        name = re.sub(r"^@?", "", org, count=1)
        body: JsonObject = {"user": re.sub(r"^@?", "", user, count=1)}
        await client.request(
            "DELETE", f"/-/org/{encode_uri_component(name)}/user", json=body, **with_otp(otp)
        )
        roster = await _roster(client, org, otp)
        return _strip_sigil(user), _strip_sigil(org), len(roster)

    return await _with_client(config, io, "org", work)


async def org_ls(config: Config, io: Interaction, org: str, user: str | None) -> JsonObject:
    async def work(client: RegistryClient, otp: str | None) -> JsonObject:
        roster = await _roster(client, org, otp)
        if user:
            return {user: roster[user]} if roster.get(user) else {}
        return roster

    return await _with_client(config, io, "org", work)

"""Who may do what with a package: `npm owner` (lib/commands/owner.js) and `npm access`
(lib/commands/access.js over libnpmaccess).

Owners live in the packument's `maintainers`: adding or removing one is a `PUT /<pkg>/-rev/<rev>`
of `{_id, _rev, maintainers}` after checking the user exists. Access settings, team grants and
collaborator lists are the `/-/package/<pkg>/…`, `/-/org/…` and `/-/team/…` endpoints.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from snpm.config import Config
from snpm.ecmascript.json import stringify
from snpm.ecmascript.strings import encode_uri_component
from snpm.ecmascript.values import to_string
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.account import get_identity
from snpm.ops.auth_flow import otplease, with_otp
from snpm.ops.context import registry_client
from snpm.ops.interaction import Interaction
from snpm.redact import redact
from snpm.registry_client import RegistryClient, fetch_packument
from snpm.spec import PackageSpec, parse_spec

__all__ = [
    "OwnerChange",
    "access_list_collaborators",
    "access_list_packages",
    "access_set_mfa",
    "access_set_status",
    "access_status",
    "access_team_grant",
    "access_team_revoke",
    "change_owner",
    "list_owners",
]


def _spec(pkg: str, config: Config) -> PackageSpec:
    return parse_spec(pkg, str(config.local_prefix))


def _registry_for(client: RegistryClient, spec: PackageSpec) -> str:
    return client.registry_for(spec.name)


async def list_owners(config: Config, io: Interaction, pkg: str) -> list[JsonObject]:
    """`owner ls`: the packument's maintainers (fetched fresh)."""
    spec = _spec(pkg, config)
    try:
        async with registry_client(config, "owner", log=io.log) as client:
            packument = await fetch_packument(
                client, spec.name or "", full=True, cache_mode="no-cache", pkgid=str(spec)
            )
    except SnpmError:
        io.log("error", "owner ls", f"Couldn't get owner data {redact(pkg)}")
        raise
    maintainers = packument.get("maintainers")
    return [m for m in maintainers if isinstance(m, dict)] if isinstance(maintainers, list) else []


class OwnerChange(msgspec.Struct, frozen=True):
    """What `owner add|rm` did: `changed` is False when there was nothing to do."""

    user: str
    package: str
    changed: bool


async def change_owner(
    config: Config, io: Interaction, user: str, pkg: str, action: Literal["add", "rm"]
) -> OwnerChange:
    io.log("verbose", f"owner {action}", f"{user} to {pkg}")
    spec = _spec(pkg, config)
    name = spec.name or ""
    async with registry_client(config, "owner", log=io.log) as client:
        registry = _registry_for(client, spec)
        try:
            found = await client.get_json(
                f"/-/user/org.couchdb.user:{encode_uri_component(user)}", registry=registry, pkgid=str(spec)
            )
        except SnpmError:
            io.log("error", "owner mutate", f"Error getting user data for {user}")
            raise
        person = found if isinstance(found, dict) else {}
        entry: JsonObject = {}
        if "name" in person:
            entry["name"] = person["name"]
        if "email" in person:
            entry["email"] = person["email"]
        data = await fetch_packument(client, name, full=True, cache_mode="no-cache", pkgid=str(spec))
        raw_owners = data.get("maintainers")
        owners = [o for o in raw_owners if isinstance(o, dict)] if isinstance(raw_owners, list) else []
        if action == "add":
            existing = next((o for o in owners if o.get("name") == entry.get("name")), None)
            if existing is not None:
                io.log(
                    "info",
                    "owner add",
                    f"Already a package owner: {_prop(existing, 'name')} <{_prop(existing, 'email')}>",
                )
                return OwnerChange(user, name, False)
            maintainers: list[JsonValue] = [*owners, entry]
        else:
            maintainers = [o for o in owners if o.get("name") != entry.get("name")]
            if len(maintainers) == len(owners):
                io.log("info", "owner rm", f"Not a package owner: {_prop(entry, 'name')}")
                return OwnerChange(user, name, False)
            if not maintainers:
                raise SnpmError(
                    "Cannot remove all owners of a package. Add someone else first.", code="EOWNERRM"
                )
        # JSON.stringify drops an undefined _id/_rev; encodeURIComponent(undefined) is "undefined"
        body: JsonObject = {key: data[key] for key in ("_id", "_rev") if key in data}
        body["maintainers"] = maintainers
        rev = to_string(data["_rev"]) if "_rev" in data else "undefined"
        path = f"/{spec.escaped_name}/-rev/{encode_uri_component(rev)}"
        try:
            await otplease(
                io,
                client,
                lambda otp: _put_json(client, path, body, registry=registry, pkgid=str(spec), otp=otp),
            )
        except SnpmError as err:
            raise SnpmError(
                f"Failed to update package: {_json_string(err.message)}", code="EOWNERMUTATE"
            ) from err
    return OwnerChange(user, name, True)


async def _put_json(
    client: RegistryClient, path: str, body: JsonObject, *, registry: str, pkgid: str, otp: str | None
) -> JsonValue:
    response = await client.put(path, json=body, **with_otp(otp, registry=registry, pkgid=pkgid))
    return response.json()


def _prop(obj: JsonObject, key: str) -> str:
    """`${obj.key}` in a template string: a missing key reads "undefined"."""
    return to_string(obj[key]) if key in obj else "undefined"


def _json_string(text: str) -> str:
    return stringify(text, indent=0)


# ── access ──


def _parse_team(scope_team: str) -> tuple[str, str | None]:
    """libnpmaccess parseTeam: `@scope:team` → (scope, team), both encodeURIComponent'ed."""
    text = scope_team[1:] if scope_team.startswith("@") else scope_team
    parts = text.split(":")
    scope = encode_uri_component(parts[0])
    team = encode_uri_component(parts[1]) if len(parts) > 1 else None
    return scope, team


def _registry_spec(pkg: str, config: Config) -> PackageSpec:
    """libnpmaccess npar: a registry spec, or "must use package name only"."""
    spec = _spec(pkg, config)
    if not spec.registry:
        raise SnpmError("must use package name only")
    return spec


async def access_list_packages(config: Config, io: Interaction, owner: str | None) -> JsonObject:
    """`access list packages [<user>|<scope>|<scope:team>]`: name → read/write."""
    async with registry_client(config, "access", log=io.log) as client:
        if not owner:
            owner = await get_identity(config, client)
        scope, team = _parse_team(owner)
        uri = f"/-/team/{scope}/{team}/package" if team else f"/-/org/{scope}/package"
        try:
            result = await client.get_json(uri)
        except SnpmError as err:
            if err.code != "E404":
                raise
            result = await client.get_json(f"/-/user/{scope}/package")
    return result if isinstance(result, dict) else {}


async def access_list_collaborators(config: Config, io: Interaction, pkg: str) -> JsonObject:
    spec = _registry_spec(pkg, config)
    async with registry_client(config, "access", log=io.log) as client:
        result = await client.get_json(f"/-/package/{spec.escaped_name}/collaborators")
    return result if isinstance(result, dict) else {}


async def access_status(config: Config, io: Interaction, pkg: str) -> str:
    """`access get status`: "public" or "private"."""
    spec = _registry_spec(pkg, config)
    async with registry_client(config, "access", log=io.log) as client:
        result = await client.get_json(f"/-/package/{spec.escaped_name}/visibility")
    return "public" if isinstance(result, dict) and result.get("public") else "private"


async def _post_access(config: Config, io: Interaction, spec: PackageSpec, body: JsonObject) -> None:
    async with registry_client(config, "access", log=io.log) as client:
        registry = _registry_for(client, spec)
        uri = f"/-/package/{spec.escaped_name}/access"
        await otplease(
            io,
            client,
            lambda otp: client.post(uri, json=body, **with_otp(otp, registry=registry, pkgid=str(spec))),
        )


async def access_set_status(config: Config, io: Interaction, pkg: str, status: str) -> None:
    """`access set status=public|private` (private is sent as `restricted`)."""
    spec = _registry_spec(pkg, config)
    await _post_access(config, io, spec, {"access": "restricted" if status == "private" else status})


async def access_set_mfa(config: Config, io: Interaction, pkg: str, level: str) -> None:
    spec = _registry_spec(pkg, config)
    if level == "none":
        body: JsonObject = {"publish_requires_tfa": False}
    elif level == "publish":
        body = {"publish_requires_tfa": True, "automation_token_overrides_tfa": False}
    elif level == "automation":
        body = {"publish_requires_tfa": True, "automation_token_overrides_tfa": True}
    else:
        raise SnpmError(f"Invalid mfa setting {level}")
    await _post_access(config, io, spec, body)


async def access_team_grant(
    config: Config, io: Interaction, permissions: str, scope_team: str, pkg: str
) -> None:
    spec = _registry_spec(pkg, config)
    scope, team = _parse_team(scope_team)
    if not scope or not team:
        raise SnpmError("team must be in format `scope:team`")
    body: JsonObject = {"package": spec.name, "permissions": permissions}
    await _team_package(config, io, "PUT", scope, team, body, spec)


async def access_team_revoke(config: Config, io: Interaction, scope_team: str, pkg: str) -> None:
    spec = _registry_spec(pkg, config)
    scope, team = _parse_team(scope_team)
    await _team_package(config, io, "DELETE", scope, team, {"package": spec.name}, spec)


async def _team_package(
    config: Config,
    io: Interaction,
    method: str,
    scope: str,
    team: str | None,
    body: JsonObject,
    spec: PackageSpec,
) -> None:
    uri = f"/-/team/{scope}/{'undefined' if team is None else team}/package"
    async with registry_client(config, "access", log=io.log) as client:
        registry = _registry_for(client, spec)
        await otplease(
            io,
            client,
            lambda otp: client.request(
                method,
                uri,
                json=body,
                **with_otp(otp, registry=registry, pkgid=str(spec), headers={"npm-scope": scope}),
            ),
        )

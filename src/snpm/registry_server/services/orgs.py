"""Orgs and teams (`npm org`, `npm team`): membership with roles, teams and their members.

npm's model: an org owns the scope of its name; its members are `owner`s (everything), `admin`s
(members other than owners, teams, package access) and `developer`s. Every org has a `developers`
team that every new member joins and that gets `read-write` on every new package of the org's
scope (publishing.py); it cannot be removed. An org always keeps at least one owner. Org and user
names share one namespace (`@name` is one scope). There is no npm command that creates an org:
`snpm-registry org create` does (npm's registry does it on its website).

Who may look: members see their org's roster and teams; everyone else gets 403 (404 when the org
does not exist, which `npm access list packages` relies on to fall back to a user).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from snpm.packument import format_time
from snpm.registry_server.services.accounts import validate_username
from snpm.registry_server.services.errors import RegistryError, bad_request, forbidden, not_found
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.storage.base import Storage
from snpm.registry_server.storage.records import DEVELOPERS_TEAM, ORG_ROLES, OrgRecord, TeamRecord

__all__ = ["OrgService", "normalize_role"]

_MANAGERS = ("owner", "admin")
# npm's docs: `team-admin` and `super-admin` are the archaic names of `admin` and `owner`
_ROLE_ALIASES = {"team-admin": "admin", "super-admin": "owner"}
_TEAM_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,49}$")


def normalize_role(role: str | None) -> str:
    value = _ROLE_ALIASES.get(role or "developer", role or "developer")
    if value not in ORG_ROLES:
        raise bad_request(f"Invalid role {role!r}: use owner, admin or developer")
    return value


def _strip(name: str) -> str:
    return name[1:] if name.startswith("@") else name


class OrgService:
    def __init__(self, storage: Storage, now: Callable[[], datetime]) -> None:
        self._storage = storage
        self._now = now

    def _stamp(self) -> str:
        return format_time(self._now())

    async def require_org(self, org: str) -> OrgRecord:
        record = await self._storage.get_org(_strip(org))
        if record is None:
            raise not_found(f"Org not found: {_strip(org)}")
        return record

    async def role_of(self, org: str, user: str) -> str | None:
        return (await self._storage.org_members(org)).get(user)

    async def require_member(self, actor: Actor, org: str) -> str:
        role = await self.role_of(org, actor.name)
        if role is None:
            raise forbidden(f"You are not a member of the {org} org.")
        return role

    async def require_manager(self, actor: Actor, org: str) -> str:
        role = await self.require_member(actor, org)
        if role not in _MANAGERS:
            raise forbidden(f"Only owners and admins of the {org} org may do that.")
        return role

    # ── orgs (administration) ──

    async def create(self, name: str, owner: str) -> OrgRecord:
        name = _strip(name)
        validate_username(name)  # the same rules: an org name is a scope, as a user name is
        if await self._storage.get_user(owner) is None:
            raise not_found(f"User not found: {owner}")
        record = OrgRecord(name, self._stamp())
        if not await self._storage.create_org(record, owner):
            raise RegistryError(409, f"The name {name} is taken (by a user or an org)")
        return record

    async def remove(self, name: str) -> bool:
        return await self._storage.remove_org(_strip(name))

    async def all_orgs(self) -> list[OrgRecord]:
        return list(await self._storage.list_orgs())

    # ── members ──

    async def members(self, actor: Actor, org: str) -> dict[str, str]:
        record = await self.require_org(org)
        await self.require_member(actor, record.name)
        return dict(await self._storage.org_members(record.name))

    async def set_member(self, actor: Actor | None, org: str, user: str, role: str | None) -> dict[str, str]:
        """`npm org set`: add a member or change their role (`actor` None: the admin command)."""
        record = await self.require_org(org)
        wanted = normalize_role(role)
        user = _strip(user)
        roster = dict(await self._storage.org_members(record.name))
        current = roster.get(user)
        if actor is not None:
            mine = await self.require_manager(actor, record.name)
            if mine != "owner" and ("owner" in (wanted, current)):
                raise forbidden("Only owners may make or change owners.")
        if await self._storage.get_user(user) is None:
            raise not_found(f"User not found: {user}")
        if current == "owner" and wanted != "owner" and list(roster.values()).count("owner") == 1:
            raise bad_request(f"{user} is the last owner of {record.name}: make someone else an owner first.")
        await self._storage.set_org_member(record.name, user, wanted, self._stamp())
        roster[user] = wanted
        return roster

    async def remove_member(self, actor: Actor, org: str, user: str) -> dict[str, str]:
        """`npm org rm`: managers remove members (admins not owners); anyone may leave."""
        record = await self.require_org(org)
        user = _strip(user)
        roster = dict(await self._storage.org_members(record.name))
        mine = roster.get(actor.name)
        if mine is None:
            raise forbidden(f"You are not a member of the {record.name} org.")
        current = roster.get(user)
        if current is None:
            raise not_found(f"{user} is not a member of {record.name}")
        if user != actor.name:
            if mine not in _MANAGERS:
                raise forbidden(f"Only owners and admins of the {record.name} org may do that.")
            if current == "owner" and mine != "owner":
                raise forbidden("Only owners may remove owners.")
        if current == "owner" and list(roster.values()).count("owner") == 1:
            raise bad_request(f"{user} is the last owner of {record.name}: make someone else an owner first.")
        await self._storage.remove_org_member(record.name, user)
        del roster[user]
        return roster

    # ── teams ──

    async def teams(self, actor: Actor, org: str) -> list[TeamRecord]:
        record = await self.require_org(org)
        await self.require_member(actor, record.name)
        return list(await self._storage.list_teams(record.name))

    async def require_team(self, org: str, team: str) -> TeamRecord:
        record = await self._storage.get_team(_strip(org), team)
        if record is None:
            raise not_found(f"Team not found: @{_strip(org)}:{team}")
        return record

    async def create_team(self, actor: Actor, org: str, name: str, description: str) -> TeamRecord:
        record = await self.require_org(org)
        await self.require_manager(actor, record.name)
        if not _TEAM_NAME.match(name):
            raise bad_request(
                f"Invalid team name {name!r}: lowercase letters, digits, '.', '_' and '-', at most 50 characters"
            )
        team = TeamRecord(record.name, name, description[:1024], self._stamp())
        if not await self._storage.create_team(team):
            raise RegistryError(409, f"Team @{record.name}:{name} already exists")
        return team

    async def remove_team(self, actor: Actor, org: str, team: str) -> None:
        record = await self.require_org(org)
        await self.require_manager(actor, record.name)
        await self.require_team(record.name, team)
        if team == DEVELOPERS_TEAM:
            raise forbidden("The developers team cannot be removed.")
        await self._storage.remove_team(record.name, team)

    async def team_members(self, actor: Actor, org: str, team: str) -> list[str]:
        record = await self.require_org(org)
        await self.require_member(actor, record.name)
        await self.require_team(record.name, team)
        return list(await self._storage.team_members(record.name, team))

    async def add_team_member(self, actor: Actor, org: str, team: str, user: str) -> None:
        record = await self.require_org(org)
        await self.require_manager(actor, record.name)
        await self.require_team(record.name, team)
        user = _strip(user)
        if await self.role_of(record.name, user) is None:
            if await self._storage.get_user(user) is None:
                raise not_found(f"User not found: {user}")
            raise bad_request(f"{user} is not a member of the {record.name} org: `npm org set` them first.")
        await self._storage.add_team_member(record.name, team, user)

    async def remove_team_member(self, actor: Actor, org: str, team: str, user: str) -> None:
        record = await self.require_org(org)
        await self.require_manager(actor, record.name)
        await self.require_team(record.name, team)
        if not await self._storage.remove_team_member(record.name, team, _strip(user)):
            raise not_found(f"{_strip(user)} is not on @{record.name}:{team}")

"""Who can see and change which packages (`npm access`), and the listings built on it.

- collaborators of a package: its maintainers, the owner of its user scope and the owners/admins
  of its org (`write`), and every member of a team with a grant on it (`read`/`write`);
- visibility: `{"public": bool}`; the package's 2FA policy (`npm access set mfa=…`); changing
  either (and team grants) needs `Action.ADMIN`;
- team grants: an org's owners and admins grant their teams `read-only`/`read-write` on packages
  they may administer;
- listings of an org's, a team's or a user's packages, and of a user's stars: restricted packages
  the asking actor may not read are left out (they do not exist for them).

Listings answer `read`/`write`, the registry's words, which npm prints as read-only/read-write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from snpm.json_types import JsonValue
from snpm.packument import maintainers
from snpm.registry_server.services.errors import bad_request, not_found
from snpm.registry_server.services.orgs import OrgService
from snpm.registry_server.services.packages import PackageService
from snpm.registry_server.services.permissions import Action, Actor, require
from snpm.registry_server.storage.base import Storage
from snpm.registry_server.storage.records import TEAM_PERMISSIONS, TeamGrant

__all__ = ["PackageAccessService", "short_permission"]

_SHORT = {"read-only": "read", "read-write": "write"}
_RANK = {"read": 1, "write": 2}


def short_permission(permission: str) -> str:
    return _SHORT.get(permission, permission)


def _policy_json(access: str, mfa: str) -> dict[str, JsonValue]:
    return {
        "access": access,
        "publish_requires_tfa": mfa != "none",
        "automation_token_overrides_tfa": mfa == "automation",
    }


def _merge(into: dict[str, str], name: str, permission: str) -> None:
    if _RANK.get(permission, 0) > _RANK.get(into.get(name, ""), 0):
        into[name] = permission


class PackageAccessService:
    def __init__(self, storage: Storage, packages: PackageService, orgs: OrgService) -> None:
        self._storage = storage
        self._packages = packages
        self._orgs = orgs

    async def _visible(self, actor: Actor | None, entries: Iterable[tuple[str, str]]) -> set[str]:
        """The names among (name, access) pairs the actor may read."""
        out: set[str] = set()
        for name, access in entries:
            if access != "restricted":
                out.add(name)
                continue
            package = await self._storage.read_package(name)
            if package is not None and await self._packages.may_read(actor, package):
                out.add(name)
        return out

    # ── one package ──

    async def visibility(self, actor: Actor | None, name: str) -> bool:
        """True when public; 404 for a package the actor may not see."""
        return not (await self._packages.readable(actor, name)).restricted

    async def collaborators(self, actor: Actor | None, name: str) -> dict[str, str]:
        package = await self._packages.readable(actor, name)
        out: dict[str, str] = {}
        for person in maintainers(package.document):
            _merge(out, person.name, "write")
        grants = await self._packages.grants(None, name)
        if grants.scope is not None and grants.scope_owner == "user":
            _merge(out, grants.scope, "write")
        elif grants.scope is not None and grants.scope_owner == "org":
            for user, role in (await self._storage.org_members(grants.scope)).items():
                if role in ("owner", "admin"):
                    _merge(out, user, "write")
        for user, permission in (await self._storage.team_members_with_access(name)).items():
            _merge(out, user, short_permission(permission))
        return dict(sorted(out.items()))

    async def policy(self, actor: Actor | None, name: str) -> dict[str, JsonValue]:
        """`{access, publish_requires_tfa, automation_token_overrides_tfa}` of a readable package."""
        package = await self._packages.readable(actor, name)
        return _policy_json(package.access, package.mfa)

    async def set_mfa(self, actor: Actor | None, name: str, mfa: str) -> dict[str, JsonValue]:
        """`npm access set mfa=none|publish|automation`."""
        package = await self._packages.set_access(actor, name, mfa=mfa)
        return _policy_json(package.access, package.mfa)

    async def set_status(self, actor: Actor | None, name: str, status: str) -> bool:
        """`npm access set status=public|private`; returns the new visibility (True = public)."""
        access = "restricted" if status in ("private", "restricted") else status
        package = await self._packages.set_access(actor, name, access=access)
        return not package.restricted

    # ── team grants ──

    async def grant(self, actor: Actor, org: str, team: str, name: str, permission: str) -> None:
        if permission not in TEAM_PERMISSIONS:
            raise bad_request(f"permissions must be read-only or read-write, not {permission!r}")
        record = await self._orgs.require_org(org)
        await self._orgs.require_manager(actor, record.name)
        await self._orgs.require_team(record.name, team)
        package = await self._packages.readable(actor, name)
        require(actor, Action.ADMIN, await self._packages.facts(actor, package))
        await self._storage.grant_team(TeamGrant(record.name, team, name, permission))

    async def revoke(self, actor: Actor, org: str, team: str, name: str) -> None:
        record = await self._orgs.require_org(org)
        await self._orgs.require_manager(actor, record.name)
        await self._orgs.require_team(record.name, team)
        package = await self._packages.readable(actor, name)
        require(actor, Action.ADMIN, await self._packages.facts(actor, package))
        if not await self._storage.revoke_team(record.name, team, name):
            raise not_found(f"@{record.name}:{team} has no access to {name}")

    # ── listings ──

    async def org_packages(self, actor: Actor | None, org: str) -> dict[str, str]:
        """Every package of the org's scope (the org may write them all); 404 for no such org."""
        record = await self._orgs.require_org(org)
        entries = await self._storage.scope_packages(record.name)
        visible = await self._visible(actor, entries)
        return {name: "write" for name, _ in entries if name in visible}

    async def team_packages(self, actor: Actor | None, org: str, team: str) -> dict[str, str]:
        record = await self._orgs.require_org(org)
        await self._orgs.require_team(record.name, team)
        grants = await self._storage.team_packages(record.name, team)
        heads = []
        for grant in grants:
            head = await self._storage.read_head(grant.package)
            if head is not None:
                heads.append((grant.package, head.access))
        visible = await self._visible(actor, heads)
        return {g.package: short_permission(g.permission) for g in grants if g.package in visible}

    async def user_packages(self, actor: Actor | None, user: str) -> dict[str, str]:
        """What `user` may write or read: maintained packages, their own scope, their orgs' scopes
        (as owner/admin), and their teams' grants."""
        user = user.removeprefix("@")
        if await self._storage.get_user(user) is None:
            raise not_found(f"User not found: {user}")
        found: dict[str, str] = {}
        access: dict[str, str] = {}
        for name, level in await self._storage.maintained_by(user):
            _merge(found, name, "write")
            access[name] = level
        for name, level in await self._storage.scope_packages(user):
            _merge(found, name, "write")
            access[name] = level
        for org, role in (await self._storage.orgs_of(user)).items():
            if role in ("owner", "admin"):
                for name, level in await self._storage.scope_packages(org):
                    _merge(found, name, "write")
                    access[name] = level
        for name, permission in (await self._storage.team_grants_of(user)).items():
            if name not in access:
                head = await self._storage.read_head(name)
                if head is None:
                    continue
                access[name] = head.access
            _merge(found, name, short_permission(permission))
        visible = await self._visible(actor, access.items())
        return {name: found[name] for name in sorted(found) if name in visible}

    async def starred_by(self, actor: Actor | None, user: str) -> list[str]:
        entries = await self._storage.starred_by(user.removeprefix("@"))
        visible = await self._visible(actor, entries)
        return [name for name, _ in entries if name in visible]

    async def readable_names(self, actor: Actor | None, restricted: Mapping[str, bool]) -> set[str]:
        """The names (name → restricted?) the actor may read (for search results)."""
        return await self._visible(
            actor, ((n, "restricted" if r else "public") for n, r in restricted.items())
        )

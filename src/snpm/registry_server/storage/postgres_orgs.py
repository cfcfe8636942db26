"""SQL for orgs, teams, team grants and the package listings built on them (PostgreSQL backend), the
same statements as `sqlite_orgs`. Memberships cascade: deleting an org deletes its teams, members and
grants; deleting a team deletes its members and grants.
"""

from __future__ import annotations

from snpm.registry_server.storage.postgres_connection import PgConnection, affected
from snpm.registry_server.storage.records import DEVELOPERS_TEAM, Grants, OrgRecord, TeamGrant, TeamRecord

__all__ = [
    "add_team_member",
    "create_org",
    "create_team",
    "get_org",
    "get_team",
    "grant_team",
    "grants",
    "list_orgs",
    "list_teams",
    "maintained_by",
    "org_members",
    "orgs_of",
    "package_teams",
    "remove_org",
    "remove_org_member",
    "remove_team",
    "remove_team_member",
    "revoke_team",
    "scope_packages",
    "set_org_member",
    "team_grants_of",
    "team_members",
    "team_members_with_access",
    "team_packages",
]

_RANK = {"read-only": 1, "read-write": 2}
_TEAM_GRANTS = "FROM team_packages p JOIN team_members m ON m.org = p.org AND m.team = p.team"


def _scope(name: str) -> str | None:
    if name.startswith("@") and "/" in name:
        return name[1 : name.index("/")]
    return None


def _best(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, permission in pairs:
        if _RANK.get(permission, 0) > _RANK.get(out.get(key, ""), 0):
            out[key] = permission
    return dict(sorted(out.items()))


async def grants(conn: PgConnection, user: str | None, name: str) -> Grants:
    scope = _scope(name)
    owner = "none"
    role: str | None = None
    best: str | None = None
    if scope is not None:
        if await conn.fetchrow("SELECT 1 FROM orgs WHERE name = $1", scope):
            owner = "org"
            if user is not None:
                found = await conn.fetchval(
                    'SELECT role FROM org_members WHERE org = $1 AND "user" = $2', scope, user
                )
                role = str(found) if found is not None else None
        elif await conn.fetchrow("SELECT 1 FROM users WHERE name = $1", scope):
            owner = "user"
    if user is not None:
        for row in await conn.fetch(
            f'SELECT p.permission {_TEAM_GRANTS} WHERE p.package = $1 AND m."user" = $2', name, user
        ):
            permission = str(row[0])
            if best is None or _RANK.get(permission, 0) > _RANK.get(best, 0):
                best = permission
    if owner == "org":
        return Grants(scope, "org", role, best)
    return Grants(scope, "user" if owner == "user" else "none", role, best)


async def scope_packages(conn: PgConnection, scope: str) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT name, access FROM packages WHERE starts_with(name, $1) ORDER BY name", f"@{scope}/"
    )
    return [(str(r[0]), str(r[1])) for r in rows]


async def maintained_by(conn: PgConnection, user: str) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT p.name, p.access FROM package_maintainers m JOIN packages p ON p.name = m.name "
        'WHERE m."user" = $1 ORDER BY p.name',
        user,
    )
    return [(str(r[0]), str(r[1])) for r in rows]


async def package_teams(conn: PgConnection, name: str) -> list[TeamGrant]:
    rows = await conn.fetch(
        "SELECT org, team, package, permission FROM team_packages WHERE package = $1 ORDER BY org, team", name
    )
    return [TeamGrant(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


async def team_grants_of(conn: PgConnection, user: str) -> dict[str, str]:
    rows = await conn.fetch(f'SELECT p.package, p.permission {_TEAM_GRANTS} WHERE m."user" = $1', user)
    return _best([(str(r[0]), str(r[1])) for r in rows])


async def team_members_with_access(conn: PgConnection, name: str) -> dict[str, str]:
    rows = await conn.fetch(f'SELECT m."user", p.permission {_TEAM_GRANTS} WHERE p.package = $1', name)
    return _best([(str(r[0]), str(r[1])) for r in rows])


# ── orgs ──


async def get_org(conn: PgConnection, name: str) -> OrgRecord | None:
    row = await conn.fetchrow("SELECT name, created FROM orgs WHERE name = $1", name)
    return OrgRecord(str(row[0]), str(row[1])) if row else None


async def list_orgs(conn: PgConnection) -> list[OrgRecord]:
    return [
        OrgRecord(str(r[0]), str(r[1]))
        for r in await conn.fetch("SELECT name, created FROM orgs ORDER BY name")
    ]


async def create_org(conn: PgConnection, record: OrgRecord, owner: str) -> bool:
    if await conn.fetchrow("SELECT 1 FROM users WHERE name = $1", record.name):
        return False  # users and orgs share one namespace: `@name` is one scope
    status = await conn.execute(
        "INSERT INTO orgs (name, created) VALUES ($1, $2) ON CONFLICT DO NOTHING", record.name, record.created
    )
    if affected(status) != 1:
        return False
    await conn.execute(
        "INSERT INTO teams (org, name, description, created) VALUES ($1, $2, '', $3)",
        record.name,
        DEVELOPERS_TEAM,
        record.created,
    )
    await set_org_member(conn, record.name, owner, "owner", record.created)
    return True


async def remove_org(conn: PgConnection, name: str) -> bool:
    # the foreign keys cascade to members, teams, team members and grants
    return affected(await conn.execute("DELETE FROM orgs WHERE name = $1", name)) == 1


async def org_members(conn: PgConnection, org: str) -> dict[str, str]:
    rows = await conn.fetch('SELECT "user", role FROM org_members WHERE org = $1 ORDER BY "user"', org)
    return {str(r[0]): str(r[1]) for r in rows}


async def orgs_of(conn: PgConnection, user: str) -> dict[str, str]:
    rows = await conn.fetch('SELECT org, role FROM org_members WHERE "user" = $1 ORDER BY org', user)
    return {str(r[0]): str(r[1]) for r in rows}


async def set_org_member(conn: PgConnection, org: str, user: str, role: str, now: str) -> bool:
    if await conn.fetchrow('SELECT 1 FROM org_members WHERE org = $1 AND "user" = $2', org, user):
        await conn.execute('UPDATE org_members SET role = $1 WHERE org = $2 AND "user" = $3', role, org, user)
        return False
    await conn.execute(
        'INSERT INTO org_members (org, "user", role, created) VALUES ($1, $2, $3, $4)', org, user, role, now
    )
    if await conn.fetchrow("SELECT 1 FROM teams WHERE org = $1 AND name = $2", org, DEVELOPERS_TEAM):
        await add_team_member(conn, org, DEVELOPERS_TEAM, user)
    return True


async def remove_org_member(conn: PgConnection, org: str, user: str) -> bool:
    await conn.execute('DELETE FROM team_members WHERE org = $1 AND "user" = $2', org, user)
    status = await conn.execute('DELETE FROM org_members WHERE org = $1 AND "user" = $2', org, user)
    return affected(status) == 1


# ── teams ──


async def list_teams(conn: PgConnection, org: str) -> list[TeamRecord]:
    rows = await conn.fetch(
        "SELECT org, name, description, created FROM teams WHERE org = $1 ORDER BY name", org
    )
    return [TeamRecord(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


async def get_team(conn: PgConnection, org: str, team: str) -> TeamRecord | None:
    row = await conn.fetchrow(
        "SELECT org, name, description, created FROM teams WHERE org = $1 AND name = $2", org, team
    )
    return TeamRecord(str(row[0]), str(row[1]), str(row[2]), str(row[3])) if row else None


async def create_team(conn: PgConnection, record: TeamRecord) -> bool:
    status = await conn.execute(
        "INSERT INTO teams (org, name, description, created) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        record.org,
        record.name,
        record.description,
        record.created,
    )
    return affected(status) == 1


async def remove_team(conn: PgConnection, org: str, team: str) -> bool:
    return affected(await conn.execute("DELETE FROM teams WHERE org = $1 AND name = $2", org, team)) == 1


async def team_members(conn: PgConnection, org: str, team: str) -> list[str]:
    rows = await conn.fetch(
        'SELECT "user" FROM team_members WHERE org = $1 AND team = $2 ORDER BY "user"', org, team
    )
    return [str(r[0]) for r in rows]


async def add_team_member(conn: PgConnection, org: str, team: str, user: str) -> bool:
    status = await conn.execute(
        'INSERT INTO team_members (org, team, "user") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        org,
        team,
        user,
    )
    return affected(status) == 1


async def remove_team_member(conn: PgConnection, org: str, team: str, user: str) -> bool:
    status = await conn.execute(
        'DELETE FROM team_members WHERE org = $1 AND team = $2 AND "user" = $3', org, team, user
    )
    return affected(status) == 1


async def team_packages(conn: PgConnection, org: str, team: str) -> list[TeamGrant]:
    rows = await conn.fetch(
        "SELECT org, team, package, permission FROM team_packages WHERE org = $1 AND team = $2 ORDER BY package",
        org,
        team,
    )
    return [TeamGrant(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


async def grant_team(conn: PgConnection, grant: TeamGrant) -> None:
    """Grant (or re-grant); nothing happens when the team does not exist."""
    await conn.execute(
        "INSERT INTO team_packages (org, team, package, permission) "
        "SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM teams WHERE org = $1 AND name = $2) "
        "ON CONFLICT (org, team, package) DO UPDATE SET permission = excluded.permission",
        grant.org,
        grant.team,
        grant.package,
        grant.permission,
    )


async def revoke_team(conn: PgConnection, org: str, team: str, package: str) -> bool:
    status = await conn.execute(
        "DELETE FROM team_packages WHERE org = $1 AND team = $2 AND package = $3", org, team, package
    )
    return affected(status) == 1

"""SQL for orgs, teams, team grants and the package listings built on them (SQLite backend).

Plain functions over a connection; `SqliteStorage` runs each in its reader pool or, for writes,
inside a `BEGIN IMMEDIATE` transaction on its writer thread. Memberships cascade: deleting an org
deletes its teams, members and grants; deleting a team deletes its members and grants.
"""

from __future__ import annotations

import sqlite3

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
    "team_members",
    "team_grants_of",
    "team_members_with_access",
    "team_packages",
]

_RANK = {"read-only": 1, "read-write": 2}


def _scope(name: str) -> str | None:
    if name.startswith("@") and "/" in name:
        return name[1 : name.index("/")]
    return None


def grants(conn: sqlite3.Connection, user: str | None, name: str) -> Grants:
    scope = _scope(name)
    owner: str = "none"
    role: str | None = None
    best: str | None = None
    if scope is not None:
        if conn.execute("SELECT 1 FROM orgs WHERE name = ?", (scope,)).fetchone():
            owner = "org"
            if user is not None:
                row = conn.execute(
                    "SELECT role FROM org_members WHERE org = ? AND user = ?", (scope, user)
                ).fetchone()
                role = str(row[0]) if row else None
        elif conn.execute("SELECT 1 FROM users WHERE name = ?", (scope,)).fetchone():
            owner = "user"
    if user is not None:
        for (permission,) in conn.execute(
            "SELECT p.permission FROM team_packages p JOIN team_members m "
            "ON m.org = p.org AND m.team = p.team WHERE p.package = ? AND m.user = ?",
            (name, user),
        ):
            if best is None or _RANK.get(permission, 0) > _RANK.get(best, 0):
                best = str(permission)
    if owner == "org":
        return Grants(scope, "org", role, best)
    return Grants(scope, "user" if owner == "user" else "none", role, best)


def scope_packages(conn: sqlite3.Connection, scope: str) -> list[tuple[str, str]]:
    prefix = f"@{scope}/"
    rows = conn.execute(
        "SELECT name, access FROM packages WHERE name >= ? AND name < ? ORDER BY name",
        (prefix, prefix[:-1] + "0"),  # "0" sorts right after "/"
    )
    return [(str(n), str(a)) for n, a in rows]


def maintained_by(conn: sqlite3.Connection, user: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT p.name, p.access FROM package_maintainers m JOIN packages p ON p.name = m.name "
        "WHERE m.user = ? ORDER BY p.name",
        (user,),
    )
    return [(str(n), str(a)) for n, a in rows]


def package_teams(conn: sqlite3.Connection, name: str) -> list[TeamGrant]:
    rows = conn.execute(
        "SELECT org, team, package, permission FROM team_packages WHERE package = ? ORDER BY org, team",
        (name,),
    )
    return [TeamGrant(*row) for row in rows]


def team_grants_of(conn: sqlite3.Connection, user: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for package, permission in conn.execute(
        "SELECT p.package, p.permission FROM team_packages p JOIN team_members m "
        "ON m.org = p.org AND m.team = p.team WHERE m.user = ?",
        (user,),
    ):
        if _RANK.get(permission, 0) > _RANK.get(out.get(package, ""), 0):
            out[str(package)] = str(permission)
    return dict(sorted(out.items()))


def team_members_with_access(conn: sqlite3.Connection, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for user, permission in conn.execute(
        "SELECT m.user, p.permission FROM team_packages p JOIN team_members m "
        "ON m.org = p.org AND m.team = p.team WHERE p.package = ?",
        (name,),
    ):
        if _RANK.get(permission, 0) > _RANK.get(out.get(user, ""), 0):
            out[str(user)] = str(permission)
    return dict(sorted(out.items()))


# ── orgs ──


def get_org(conn: sqlite3.Connection, name: str) -> OrgRecord | None:
    row = conn.execute("SELECT name, created FROM orgs WHERE name = ?", (name,)).fetchone()
    return OrgRecord(*row) if row else None


def list_orgs(conn: sqlite3.Connection) -> list[OrgRecord]:
    return [OrgRecord(*row) for row in conn.execute("SELECT name, created FROM orgs ORDER BY name")]


def create_org(conn: sqlite3.Connection, record: OrgRecord, owner: str) -> bool:
    if conn.execute("SELECT 1 FROM users WHERE name = ?", (record.name,)).fetchone():
        return False  # users and orgs share one namespace: `@name` is one scope
    inserted = conn.execute(
        "INSERT OR IGNORE INTO orgs (name, created) VALUES (?, ?)", (record.name, record.created)
    )
    if inserted.rowcount != 1:
        return False
    conn.execute(
        "INSERT INTO teams (org, name, description, created) VALUES (?, ?, ?, ?)",
        (record.name, DEVELOPERS_TEAM, "", record.created),
    )
    set_org_member(conn, record.name, owner, "owner", record.created)
    return True


def remove_org(conn: sqlite3.Connection, name: str) -> bool:
    # the foreign keys cascade to members, teams, team members and grants
    return conn.execute("DELETE FROM orgs WHERE name = ?", (name,)).rowcount == 1


def org_members(conn: sqlite3.Connection, org: str) -> dict[str, str]:
    rows = conn.execute("SELECT user, role FROM org_members WHERE org = ? ORDER BY user", (org,))
    return {str(u): str(r) for u, r in rows}


def orgs_of(conn: sqlite3.Connection, user: str) -> dict[str, str]:
    rows = conn.execute("SELECT org, role FROM org_members WHERE user = ? ORDER BY org", (user,))
    return {str(o): str(r) for o, r in rows}


def set_org_member(conn: sqlite3.Connection, org: str, user: str, role: str, now: str) -> bool:
    existing = conn.execute("SELECT role FROM org_members WHERE org = ? AND user = ?", (org, user)).fetchone()
    if existing is not None:
        conn.execute("UPDATE org_members SET role = ? WHERE org = ? AND user = ?", (role, org, user))
        return False
    conn.execute(
        "INSERT INTO org_members (org, user, role, created) VALUES (?, ?, ?, ?)", (org, user, role, now)
    )
    if conn.execute("SELECT 1 FROM teams WHERE org = ? AND name = ?", (org, DEVELOPERS_TEAM)).fetchone():
        add_team_member(conn, org, DEVELOPERS_TEAM, user)
    return True


def remove_org_member(conn: sqlite3.Connection, org: str, user: str) -> bool:
    conn.execute("DELETE FROM team_members WHERE org = ? AND user = ?", (org, user))
    return conn.execute("DELETE FROM org_members WHERE org = ? AND user = ?", (org, user)).rowcount == 1


# ── teams ──


def list_teams(conn: sqlite3.Connection, org: str) -> list[TeamRecord]:
    rows = conn.execute(
        "SELECT org, name, description, created FROM teams WHERE org = ? ORDER BY name", (org,)
    )
    return [TeamRecord(*row) for row in rows]


def get_team(conn: sqlite3.Connection, org: str, team: str) -> TeamRecord | None:
    row = conn.execute(
        "SELECT org, name, description, created FROM teams WHERE org = ? AND name = ?", (org, team)
    ).fetchone()
    return TeamRecord(*row) if row else None


def create_team(conn: sqlite3.Connection, record: TeamRecord) -> bool:
    cursor = conn.execute(
        "INSERT OR IGNORE INTO teams (org, name, description, created) VALUES (?, ?, ?, ?)",
        (record.org, record.name, record.description, record.created),
    )
    return cursor.rowcount == 1


def remove_team(conn: sqlite3.Connection, org: str, team: str) -> bool:
    return conn.execute("DELETE FROM teams WHERE org = ? AND name = ?", (org, team)).rowcount == 1


def team_members(conn: sqlite3.Connection, org: str, team: str) -> list[str]:
    rows = conn.execute("SELECT user FROM team_members WHERE org = ? AND team = ? ORDER BY user", (org, team))
    return [str(r[0]) for r in rows]


def add_team_member(conn: sqlite3.Connection, org: str, team: str, user: str) -> bool:
    cursor = conn.execute(
        "INSERT OR IGNORE INTO team_members (org, team, user) VALUES (?, ?, ?)", (org, team, user)
    )
    return cursor.rowcount == 1


def remove_team_member(conn: sqlite3.Connection, org: str, team: str, user: str) -> bool:
    cursor = conn.execute(
        "DELETE FROM team_members WHERE org = ? AND team = ? AND user = ?", (org, team, user)
    )
    return cursor.rowcount == 1


def team_packages(conn: sqlite3.Connection, org: str, team: str) -> list[TeamGrant]:
    rows = conn.execute(
        "SELECT org, team, package, permission FROM team_packages WHERE org = ? AND team = ? ORDER BY package",
        (org, team),
    )
    return [TeamGrant(*row) for row in rows]


def grant_team(conn: sqlite3.Connection, grant: TeamGrant) -> None:
    """Grant (or re-grant); nothing happens when the team does not exist."""
    conn.execute(
        "INSERT INTO team_packages (org, team, package, permission) "
        "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM teams WHERE org = ? AND name = ?) "
        "ON CONFLICT (org, team, package) DO UPDATE SET permission = excluded.permission",
        (grant.org, grant.team, grant.package, grant.permission, grant.org, grant.team),
    )


def revoke_team(conn: sqlite3.Connection, org: str, team: str, package: str) -> bool:
    cursor = conn.execute(
        "DELETE FROM team_packages WHERE org = ? AND team = ? AND package = ?", (org, team, package)
    )
    return cursor.rowcount == 1

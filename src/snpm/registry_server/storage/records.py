"""Records every storage backend stores besides packages, users and tokens: orgs and teams, what one
user holds over one package's scope, two-factor state, web-login sessions, advisories, search
entries, and the uplink cache (packuments fetched from the uplink). Values only (frozen, slotted);
the `Storage` protocol in `base.py` moves them.

Vocabulary is npm's: org roles are `owner`, `admin`, `developer`; team grants are `read-only` and
`read-write` (npm's listings shorten them to `read`/`write`); package access is `public` or
`restricted`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

from snpm.json_types import JsonObject

__all__ = [
    "ACCESS_LEVELS",
    "DEVELOPERS_TEAM",
    "ORG_ROLES",
    "TEAM_PERMISSIONS",
    "AdvisoryRecord",
    "CachedHead",
    "CachedPackument",
    "Grants",
    "OrgRecord",
    "PackageAccess",
    "ScopeOwner",
    "SearchEntry",
    "TeamGrant",
    "TeamRecord",
    "TwoFactorState",
    "WebLoginRecord",
]

OrgRole = Literal["owner", "admin", "developer"]
TeamPermission = Literal["read-only", "read-write"]
PackageAccess = Literal["public", "restricted"]
# who a scope (`@name`) belongs to: the user of that name, the org of that name, or nobody yet
ScopeOwner = Literal["user", "org", "none"]

ORG_ROLES: tuple[str, ...] = ("owner", "admin", "developer")
# Every org has this team (npm's docs): every new member joins it, and it may write every new
# package of the org's scope; it cannot be removed.
DEVELOPERS_TEAM = "developers"
TEAM_PERMISSIONS: tuple[str, ...] = ("read-only", "read-write")
ACCESS_LEVELS: tuple[str, ...] = ("public", "restricted")


class OrgRecord(msgspec.Struct, frozen=True):
    name: str
    created: str


class TeamRecord(msgspec.Struct, frozen=True):
    org: str
    name: str
    description: str
    created: str


class TeamGrant(msgspec.Struct, frozen=True):
    """A team's permission on one package."""

    org: str
    team: str
    package: str
    permission: str


class Grants(msgspec.Struct, frozen=True):
    """What one user holds over one package, beyond its maintainer list: who owns the package's
    scope, the user's role in the scope's org (if it is an org), and the best permission any of the
    user's teams has on the package."""

    scope: str | None
    scope_owner: ScopeOwner
    org_role: str | None = None
    team_permission: str | None = None


class TwoFactorState(msgspec.Struct, frozen=True):
    """A user's TOTP enrolment. `pending` until the first code confirms it; `last_counter` is the
    newest TOTP time step accepted (an older code is refused once a newer one was used)."""

    mode: str  # "auth-only" | "auth-and-writes"
    secret: str  # base32
    pending: bool
    last_counter: int = 0


class WebLoginRecord(msgspec.Struct, frozen=True):
    """A `npm login --auth-type=web` session. Only hashes of the two secrets are kept: the login id
    (in the browser's URL) and the done id (npm polls it); `user` is set once the browser step
    succeeded."""

    login_hash: str
    done_hash: str
    create: bool
    created: str
    expires: str
    user: str | None = None


class AdvisoryRecord(msgspec.Struct, frozen=True):
    """A security advisory for one package, in the bulk audit endpoint's vocabulary."""

    id: int | None
    name: str
    vulnerable_versions: str
    severity: str
    title: str
    url: str
    cwe: tuple[str, ...]
    cvss_score: float | None
    cvss_vector: str | None
    created: str
    updated: str

    def to_json(self) -> JsonObject:
        """The advisory as npm's bulk endpoint answers it."""
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "severity": self.severity,
            "vulnerable_versions": self.vulnerable_versions,
            "cwe": list(self.cwe),
            "cvss": {"score": self.cvss_score or 0.0, "vectorString": self.cvss_vector},
        }


class SearchEntry(msgspec.Struct, frozen=True):
    """One package as the search index holds it: `summary` is built by `package_index.summarize`."""

    name: str
    restricted: bool
    summary: JsonObject


class CachedHead(msgspec.Struct, frozen=True):
    """What the uplink cache knows about one packument without its document: the revision of the
    stored form (a digest of its content), the uplink's ETag and when the uplink last confirmed it
    (a Unix time; a 304 moves it too)."""

    name: str
    form: str  # "full" | "corgi": which representation the uplink sent
    rev: str
    etag: str | None
    fetched: float


class CachedPackument(msgspec.Struct, frozen=True):
    """A packument as fetched from the uplink, with `dist.tarball` rewritten to this registry's
    relative path; `origins` keeps each tarball file's uplink URL (where it is fetched from)."""

    head: CachedHead
    document: JsonObject
    origins: Mapping[str, str] = msgspec.field(default_factory=dict)

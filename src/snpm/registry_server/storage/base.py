"""The Storage protocol every backend implements, and the records it stores.

Packages change only through `update_package(name, transform)`: the backend runs the transform on
the current state under its per-package lock/transaction and applies the returned `PackageChange`
atomically (tarball files are moved into place before the database commit, so a crash between the
two leaves the package exactly as it was). Tarball bytes reach the backend in two steps: the
service stages the upload first (outside any lock), the transform then names the staged file.

Besides the packument, a package has an access level (`public` or `restricted`, changed through a
`PackageChange`) and rows derived from its document that a backend keeps in step with every write
(`package_index`: search entry, maintainers, stars), plus team grants. Orgs, teams, two-factor
state, web-login sessions and advisories have their own records (`records.py`); registry hooks and
the deliveries a package change queues for them (in the change's own transaction) theirs (`hooks.py`).

The uplink cache lives beside the packages and never mixes with them: cached packuments and the
tarballs fetched for them have their own rows and their own folder, so a local package of the same
name shadows them and a local unpublish cannot delete them.

Backends: `storage.sqlite.SqliteStorage` (the embedded default) and `storage.postgres.PostgresStorage`
(metadata in PostgreSQL; tarballs on a folder every worker shares).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import msgspec

from snpm.json_types import JsonObject
from snpm.registry_server.storage.hooks import HookDelivery, HookPage, HookRecord
from snpm.registry_server.storage.records import (
    AdvisoryRecord,
    CachedHead,
    CachedPackument,
    Grants,
    OrgRecord,
    SearchEntry,
    TeamGrant,
    TeamRecord,
    TwoFactorState,
    WebLoginRecord,
)

__all__ = [
    "PROFILE_FIELDS",
    "next_revision",
    "NewTarball",
    "PackageHead",
    "PackageChange",
    "PackageState",
    "PackageTransform",
    "StagedTarball",
    "Storage",
    "StoredPackage",
    "TarballRecord",
    "TokenPage",
    "TokenRecord",
    "UserRecord",
]

# The profile fields `npm profile set` may change besides the e-mail and the password.
PROFILE_FIELDS: tuple[str, ...] = ("fullname", "homepage", "freenode", "twitter", "github")


def next_revision(previous: str | None, body: bytes) -> str:
    """couch-style `<serial>-<digest>`: the serial counts updates, the digest names the content."""
    serial = 0
    if previous:
        head = previous.split("-", 1)[0]
        serial = int(head) if head.isdigit() else 0
    return f"{serial + 1}-{hashlib.sha256(body).hexdigest()[:32]}"


class StoredPackage(msgspec.Struct, frozen=True):
    """A package's full packument as stored: `dist.tarball` holds the path below the registry URL,
    and `_id`/`_rev` are not part of `document` (the revision lives beside it)."""

    name: str
    rev: str
    document: JsonObject
    access: str = "public"
    # npm access set mfa=none|publish|automation: writes need a one-time password (automation:
    # unless the token was created with --bypass-2fa)
    mfa: str = "none"

    @property
    def restricted(self) -> bool:
        return self.access == "restricted"


class PackageHead(msgspec.Struct, frozen=True):
    """A package's revision and policies, without its document (cheap to read)."""

    rev: str
    access: str
    mfa: str = "none"


class PackageState(msgspec.Struct, frozen=True):
    """What a transform sees: the current package (None for an unused name) and every version
    number ever published under the name, unpublished ones included (versions are immutable)."""

    current: StoredPackage | None
    published_versions: frozenset[str]


class StagedTarball(msgspec.Struct, frozen=True):
    """An uploaded tarball written (and fsynced) to the backend's staging area."""

    path: Path
    size: int
    integrity: str
    shasum: str


class NewTarball(msgspec.Struct, frozen=True):
    filename: str
    version: str
    staged: StagedTarball


class PackageChange(msgspec.Struct, frozen=True):
    """The outcome of a transform. `document` None deletes the package (and all its tarballs).

    `changed` False means "nothing to write": the backend commits nothing and keeps the revision.
    Returning the current document object itself (with tarball removals, an access change or team
    grants) keeps the revision too. `access` None keeps the current level (`public` for a new
    package); `team_grants` are added in the same transaction (a new org package's developers).
    """

    document: JsonObject | None
    add_tarballs: tuple[NewTarball, ...] = ()
    remove_tarballs: tuple[str, ...] = ()
    record_versions: tuple[str, ...] = ()
    changed: bool = True
    access: str | None = None
    team_grants: tuple[TeamGrant, ...] = ()
    mfa: str | None = None


PackageTransform = Callable[[PackageState], PackageChange]


class TarballRecord(msgspec.Struct, frozen=True):
    name: str
    filename: str
    version: str
    size: int
    integrity: str
    shasum: str
    # a local file the server can sendfile(); None for backends that only stream bytes
    path: Path | None
    # the package's access level is `restricted` (only readers with access may download)
    restricted: bool = False


class UserRecord(msgspec.Struct, frozen=True):
    name: str
    email: str
    password_hash: str
    created: str
    updated: str
    fullname: str = ""
    homepage: str = ""
    freenode: str = ""
    twitter: str = ""
    github: str = ""
    two_factor: TwoFactorState | None = None

    @property
    def tfa_mode(self) -> str | None:
        """The enforced 2FA mode (None while off or still pending confirmation)."""
        tfa = self.two_factor
        return tfa.mode if tfa is not None and not tfa.pending else None


class TokenRecord(msgspec.Struct, frozen=True):
    """A token as stored: never the token itself, only its sha512 hex and a short listing prefix."""

    key: str
    token_hash: str
    user: str
    prefix: str
    name: str
    description: str
    readonly: bool
    cidr_whitelist: tuple[str, ...]
    created: str
    updated: str
    expires: str | None
    # npm 11's `--bypass-2fa`: writes with this token skip the auth-and-writes OTP
    bypass_2fa: bool = False


class TokenPage(msgspec.Struct, frozen=True):
    tokens: tuple[TokenRecord, ...]
    total: int


class Storage(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    # ── packages ──
    async def read_package(self, name: str) -> StoredPackage | None: ...

    async def read_revision(self, name: str) -> str | None:
        """The current revision alone (cheap; for conditional GETs)."""
        ...

    async def read_head(self, name: str) -> PackageHead | None:
        """Revision and policies alone (cheap; for conditional GETs of maybe restricted packages)."""
        ...

    async def update_package(self, name: str, transform: PackageTransform) -> StoredPackage | None:
        """Apply `transform` atomically under the package's lock; return the package afterwards."""
        ...

    async def package_names(self) -> Sequence[str]: ...

    # ── tarballs ──
    async def stage_tarball(self, data: bytes, integrity: str, shasum: str) -> StagedTarball: ...

    async def discard_staged(self, staged: StagedTarball) -> None: ...

    async def tarball(self, name: str, filename: str) -> TarballRecord | None: ...

    async def read_tarball(self, record: TarballRecord) -> bytes: ...

    # ── the uplink cache ──
    async def cached_heads(self, name: str) -> Sequence[CachedHead]:
        """Every cached form of `name` (without documents: cheap, for freshness checks)."""
        ...

    async def read_cached(self, name: str, form: str) -> CachedPackument | None: ...

    async def store_cached(self, entry: CachedPackument) -> None:
        """Insert or replace the cached packument of (name, form)."""
        ...

    async def touch_cached(self, name: str, form: str, fetched: float, etag: str | None) -> None:
        """The uplink confirmed the cached form (a 304): move its fetch time (and ETag)."""
        ...

    async def forget_cached(self, name: str) -> None:
        """Drop every cached form of `name` (the uplink no longer has it); its tarballs stay."""
        ...

    async def cached_tarball(self, name: str, filename: str) -> TarballRecord | None: ...

    async def store_cached_tarball(
        self, name: str, filename: str, version: str, data: bytes, integrity: str, shasum: str
    ) -> TarballRecord:
        """Write a verified uplink tarball (atomically) and record it; kept for good."""
        ...

    # ── users ──
    async def get_user(self, name: str) -> UserRecord | None: ...

    async def create_user(self, record: UserRecord) -> bool:
        """Insert a user; False when the name is taken (by a user, an org, or packages' scope)."""
        ...

    async def set_password(self, name: str, password_hash: str, updated: str) -> bool: ...

    async def remove_user(self, name: str) -> bool:
        """Delete a user and every token of theirs."""
        ...

    async def list_users(self) -> Sequence[UserRecord]: ...

    # ── tokens ──
    async def add_token(self, record: TokenRecord) -> None: ...

    async def token_by_hash(self, token_hash: str) -> TokenRecord | None: ...

    async def list_tokens(self, user: str | None, offset: int = 0, limit: int | None = None) -> TokenPage: ...

    async def remove_token(self, key: str) -> bool: ...

    # ── package access and the derived index ──
    async def grants(self, user: str | None, name: str) -> Grants:
        """What `user` holds over package `name` (its scope's owner, org role, best team grant)."""
        ...

    async def scope_packages(self, scope: str) -> Sequence[tuple[str, str]]:
        """(name, access) of every package in `@scope`, by name."""
        ...

    async def maintained_by(self, user: str) -> Sequence[tuple[str, str]]:
        """(name, access) of every package `user` maintains, by name."""
        ...

    async def package_teams(self, name: str) -> Sequence[TeamGrant]:
        """Every team grant on package `name`."""
        ...

    async def team_grants_of(self, user: str) -> Mapping[str, str]:
        """package → the best permission `user`'s teams have on it."""
        ...

    async def team_members_with_access(self, name: str) -> Mapping[str, str]:
        """user → best team permission on package `name` (for its collaborators)."""
        ...

    async def starred_by(self, user: str) -> Sequence[tuple[str, str]]:
        """(name, access) of every package `user` starred, by name."""
        ...

    async def search(self, terms: Sequence[str], scope: str | None) -> Sequence[SearchEntry]:
        """Search entries matching every term (in name, keywords, description or people) and the
        scope if given; all entries (of the scope) when there are no terms. Unranked."""
        ...

    # ── orgs and teams ──
    async def get_org(self, name: str) -> OrgRecord | None: ...

    async def list_orgs(self) -> Sequence[OrgRecord]: ...

    async def create_org(self, record: OrgRecord, owner: str) -> bool:
        """Create an org with its `developers` team, `owner` as owner and developer; False when the
        name is taken by an org or a user."""
        ...

    async def remove_org(self, name: str) -> bool:
        """Delete an org, its memberships, teams and grants (its packages stay)."""
        ...

    async def org_members(self, org: str) -> Mapping[str, str]:
        """user → role, by user name."""
        ...

    async def orgs_of(self, user: str) -> Mapping[str, str]:
        """org → the user's role there."""
        ...

    async def set_org_member(self, org: str, user: str, role: str, now: str) -> bool:
        """Add or re-role a member; a new member also joins the `developers` team. True when new."""
        ...

    async def remove_org_member(self, org: str, user: str) -> bool:
        """Remove a member from the org and from all of its teams."""
        ...

    async def list_teams(self, org: str) -> Sequence[TeamRecord]: ...

    async def get_team(self, org: str, team: str) -> TeamRecord | None: ...

    async def create_team(self, record: TeamRecord) -> bool:
        """False when the org already has a team of that name."""
        ...

    async def remove_team(self, org: str, team: str) -> bool: ...

    async def team_members(self, org: str, team: str) -> Sequence[str]: ...

    async def add_team_member(self, org: str, team: str, user: str) -> bool: ...

    async def remove_team_member(self, org: str, team: str, user: str) -> bool: ...

    async def team_packages(self, org: str, team: str) -> Sequence[TeamGrant]: ...

    async def grant_team(self, grant: TeamGrant) -> None:
        """Give a team a permission on a package (replacing any earlier one)."""
        ...

    async def revoke_team(self, org: str, team: str, package: str) -> bool: ...

    # ── profiles and two-factor authentication ──
    async def update_profile(self, name: str, changes: Mapping[str, str], updated: str) -> bool:
        """Set `email` and/or any of PROFILE_FIELDS."""
        ...

    async def set_two_factor(
        self, name: str, state: TwoFactorState | None, recovery_hashes: Sequence[str] | None, updated: str
    ) -> bool:
        """Replace the user's 2FA state (None turns it off); `recovery_hashes` replaces their
        recovery codes when given (None keeps them; turning 2FA off always drops them)."""
        ...

    async def advance_otp_counter(self, name: str, counter: int) -> bool:
        """Record an accepted TOTP step; False when a newer step was accepted already."""
        ...

    async def use_recovery_code(self, name: str, code_hash: str) -> bool:
        """Consume one recovery code (each works once); False when there is no such code."""
        ...

    # ── web login sessions ──
    async def add_web_login(self, record: WebLoginRecord) -> None: ...

    async def web_login(self, login_hash: str) -> WebLoginRecord | None: ...

    async def approve_web_login(self, login_hash: str, user: str) -> bool: ...

    async def take_web_login(self, done_hash: str) -> WebLoginRecord | None:
        """The session npm polls; an approved session is deleted as it is returned (one token)."""
        ...

    async def purge_web_logins(self, before: str) -> int:
        """Delete sessions that expired before `before` (an ISO time)."""
        ...

    # ── advisories ──
    async def add_advisory(self, record: AdvisoryRecord) -> AdvisoryRecord:
        """Insert (an id of None gets the next free one) or replace by id."""
        ...

    async def advisories_for(self, names: Sequence[str]) -> Sequence[AdvisoryRecord]: ...

    async def list_advisories(self) -> Sequence[AdvisoryRecord]: ...

    async def remove_advisory(self, advisory_id: int) -> bool: ...

    # ── hooks (see `hooks`; a package change queues its deliveries in its own transaction) ──
    async def add_hook(self, record: HookRecord, limit: int) -> str:
        """ "added"; "limit" when the owner has `limit` hooks already; "taken" when the id is used."""
        ...

    async def get_hook(self, hook_id: str) -> HookRecord | None: ...

    async def list_hooks(self, owner: str, package: str | None, offset: int, limit: int | None) -> HookPage:
        """`owner`'s hooks in creation order; `package` keeps those watching that name (`~user` for
        an owner hook)."""
        ...

    async def update_hook(
        self, hook_id: str, owner: str, endpoint: str, secret: str, updated: str
    ) -> HookRecord | None:
        """Change the hook's endpoint and secret; None when `owner` has no such hook."""
        ...

    async def remove_hook(self, hook_id: str, owner: str) -> HookRecord | None:
        """Delete the hook and its pending deliveries; None when `owner` has no such hook."""
        ...

    async def claim_hook_deliveries(self, now: float, lease: float, limit: int) -> Sequence[HookDelivery]:
        """Due deliveries (oldest first), each claimed by this caller for `lease` seconds."""
        ...

    async def finish_hook_delivery(
        self, delivery_id: int, hook_id: str, attempted: str | None, status: int, retry_at: float | None
    ) -> None:
        """Record an attempt on the hook (`attempted` None: nothing was sent) and retry the delivery
        at `retry_at`, or drop it (None)."""
        ...

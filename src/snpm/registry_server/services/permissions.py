"""Who is asking, and what they may do: the actor of a request and the package-level rules.

The rules Verdaccio gets wrong are the point of this module: a package belongs to its maintainers
(set on first publish, changed only by `npm owner add/rm`), and only they may publish a new version
or change the package; a read-only token may read but never write.

Scopes and orgs (npm's model): the user `alice` owns the scope `@alice`; the org `acme` owns
`@acme`, where its owners and admins may do anything, any member may create a new package, and
teams get `read-only` or `read-write` grants on packages. A scope nobody owns yet is open: anyone
may create packages there, which then belong to their maintainers like unscoped ones. A
`restricted` package is invisible (404) to whoever may not read it.

`can(actor, action, package)` is pure: the caller fetches the facts first (`PackageFacts`, with the
actor's `Grants` from storage), so the same check runs inside a storage transform.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import msgspec

from snpm.json_types import JsonValue
from snpm.packument import maintainers
from snpm.registry_server.services.errors import forbidden, not_found, unauthorized
from snpm.registry_server.storage.records import Grants

__all__ = [
    "Action",
    "Actor",
    "PackageFacts",
    "can",
    "require",
    "require_user",
    "require_writer",
]

_ORG_MANAGERS = ("owner", "admin")


class Actor(msgspec.Struct, frozen=True):
    """An authenticated user. `token_key` is None for Basic (user:password) credentials.

    `tfa_mode` is the account's enforced two-factor mode (None when off); `bypass_2fa` marks a
    token created with npm 11's `--bypass-2fa`, whose writes skip the auth-and-writes OTP;
    `web_login` a token from `npm login --auth-type=web` (its OTPs may be confirmed in the browser)."""

    name: str
    email: str
    token_key: str | None = None
    read_only: bool = False
    tfa_mode: str | None = None
    bypass_2fa: bool = False
    web_login: bool = False


class Action(enum.Enum):
    # see the packument, versions and tarballs (only restricted packages limit it)
    READ = "read"
    # publish a version, change tags, deprecate, unpublish, change owners
    WRITE = "write"
    # create a package under a name nobody uses
    CREATE = "create"
    # change who may see or write it: access level, team grants, 2FA policy
    ADMIN = "admin"


class PackageFacts(msgspec.Struct, frozen=True):
    """What the rules need to know about a package (`exists` False for a name not yet used)."""

    name: str
    maintainers: frozenset[str]
    restricted: bool
    exists: bool
    grants: Grants

    @classmethod
    def of(
        cls, name: str, document: Mapping[str, JsonValue] | None, access: str, grants: Grants
    ) -> PackageFacts:
        people = frozenset(p.name for p in maintainers(document)) if document is not None else frozenset()
        return cls(name, people, access == "restricted", document is not None, grants)


def _owns_scope(actor: Actor, grants: Grants) -> bool:
    if grants.scope is None:
        return False
    if grants.scope_owner == "user":
        return grants.scope == actor.name
    return grants.scope_owner == "org" and grants.org_role in _ORG_MANAGERS


def can(actor: Actor | None, action: Action, package: PackageFacts) -> bool:
    """Whether `actor` (None: anonymous) may do `action` to `package`. Read-only tokens are the
    caller's business (`require_writer`): this answers for the person."""
    grants = package.grants
    if action is Action.READ:
        if not package.restricted:
            return True
        if actor is None:
            return False
        return (
            _owns_scope(actor, grants)
            or actor.name in package.maintainers
            or grants.team_permission is not None
        )
    if actor is None:
        return False
    if action is Action.CREATE:
        if package.exists:
            return False
        if grants.scope is None or grants.scope_owner == "none":
            return True
        if grants.scope_owner == "user":
            return grants.scope == actor.name
        return grants.org_role is not None
    if action is Action.WRITE:
        return (
            _owns_scope(actor, grants)
            or actor.name in package.maintainers
            or grants.team_permission == "read-write"
        )
    # ADMIN: an org's packages are its owners' and admins'; other packages their maintainers'
    if grants.scope_owner == "org":
        return _owns_scope(actor, grants)
    return _owns_scope(actor, grants) or actor.name in package.maintainers


def require(actor: Actor | None, action: Action, package: PackageFacts, *, publishing: bool = False) -> None:
    """Raise the answer npm's registry gives when `can` says no: 404 for a package the actor may not
    even see, 401 for an anonymous write, else 403 in npmjs's words."""
    if can(actor, action, package):
        return
    if package.exists and not can(actor, Action.READ, package):
        raise not_found()
    if actor is None:
        raise unauthorized("You must be logged in to do that.")
    name = package.name
    if action is Action.CREATE or publishing:
        # npmjs's wording, which npm prints as `403 Forbidden - PUT <url> - <this>`
        raise forbidden(
            f'You do not have permission to publish "{name}". Are you logged in as the correct user?'
        )
    if action is Action.ADMIN:
        raise forbidden(f'You do not have permission to change who may access "{name}".')
    raise forbidden(f'You do not have permission to modify "{name}". Are you a maintainer of it?')


def require_user(actor: Actor | None, message: str = "You must be logged in to do that.") -> Actor:
    if actor is None:
        raise unauthorized(message)
    return actor


def require_writer(actor: Actor | None, message: str = "You must be logged in to do that.") -> Actor:
    """A logged-in actor whose credential may change the registry (not a read-only token)."""
    user = require_user(actor, message)
    if user.read_only:
        raise forbidden("This token is read-only and cannot be used to change the registry.")
    return user

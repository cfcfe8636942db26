"""Who is asking, and what they may do: the actor of a request and the package-level rules.

The rules Verdaccio gets wrong are the point of this module: a package belongs to its maintainers
(set on first publish, changed only by `npm owner add/rm`), and only they may publish a new version
or change the package; a read-only token may read but never write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from snpm.json_types import JsonValue
from snpm.packument import maintainers
from snpm.registry_server.services.errors import forbidden, unauthorized

__all__ = ["Actor", "is_maintainer", "require_maintainer", "require_user", "require_writer"]


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated user. `token_key` is None for Basic (user:password) credentials."""

    name: str
    email: str
    token_key: str | None = None
    read_only: bool = False


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


def is_maintainer(actor: Actor, packument: Mapping[str, JsonValue]) -> bool:
    return any(person.name == actor.name for person in maintainers(packument))


def require_maintainer(
    actor: Actor, name: str, packument: Mapping[str, JsonValue], *, publishing: bool = False
) -> None:
    if is_maintainer(actor, packument):
        return
    if publishing:
        # npmjs's wording, which npm prints as `403 Forbidden - PUT <url> - <this>`
        raise forbidden(
            f'You do not have permission to publish "{name}". Are you logged in as the correct user?'
        )
    raise forbidden(f'You do not have permission to modify "{name}". Are you a maintainer of it?')

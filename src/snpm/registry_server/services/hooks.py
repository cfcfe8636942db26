"""Registry hooks (npm 10's `npm hook`, libnpmhook's endpoints): who may add, list, change and remove them.

A hook watches a package (`type: package`, the package's name), a scope (`scope`, `@scope`) or every
package a user maintains (`owner`, the user's name); libnpmhook picks the type from the name (`@x`
is a scope, `~x` an owner, anything else a package). As on the npm registry, any logged-in user may
watch any name, a user has at most 100 hooks, and each user sees and changes only their own (someone
else's hook is a 404, like a missing one). What a hook may see is checked when it fires: a
restricted package reaches only hooks whose owner may read it (`hook_delivery`).

A hook is shown as the registry showed it (libnpmhook's README): `id` (8 characters), `username`,
`name`, `endpoint`, `secret`, `type`, `created`, `updated`, `deleted`, `delivered`, `last_delivery`,
`response_code`, `status`.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from snpm.json_types import JsonObject, JsonValue
from snpm.packument import format_time
from snpm.registry_server.services.errors import RegistryError, bad_request, forbidden, not_found
from snpm.registry_server.services.permissions import Actor, require_user, require_writer
from snpm.registry_server.storage.base import Storage
from snpm.registry_server.storage.hooks import HOOK_TYPES, HookPage, HookRecord
from snpm.spec.names import validate_package_name

__all__ = ["HOOK_LIMIT", "HookService", "hook_json"]

# the npm registry's allowance ("You can have 100 hooks total")
HOOK_LIMIT = 100
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 8
_MAX_ENDPOINT = 2048
_MAX_SECRET = 1024
# a scope or user name: what npm allows between `@` and `/`
_SCOPE = re.compile(r"^[a-z0-9][a-z0-9._~-]*$", re.IGNORECASE)


def hook_json(hook: HookRecord, *, deleted: bool = False) -> JsonObject:
    return {
        "id": hook.id,
        "username": hook.owner,
        "name": hook.name,
        "endpoint": hook.endpoint,
        "secret": hook.secret,
        "type": hook.type,
        "created": hook.created,
        "updated": hook.updated,
        "deleted": deleted,
        "delivered": hook.last_delivery is not None,
        "last_delivery": hook.last_delivery,
        "response_code": hook.response_code,
        "status": "active",
    }


def _text(body: JsonObject, key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def _endpoint(value: JsonValue) -> str:
    if isinstance(value, str) and len(value) <= _MAX_ENDPOINT:
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is not None and parts.scheme in ("http", "https") and parts.hostname:
            return value
    raise bad_request("The hook endpoint must be an http:// or https:// URL.")


def _secret(value: JsonValue) -> str:
    if isinstance(value, str) and 0 < len(value) <= _MAX_SECRET:
        return value
    raise bad_request(f"The hook secret must be a string of 1 to {_MAX_SECRET} characters.")


def _new_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


class HookService:
    def __init__(self, storage: Storage, now: Callable[[], datetime], *, limit: int = HOOK_LIMIT) -> None:
        self._storage = storage
        self._now = now
        self.limit = limit

    def _stamp(self) -> str:
        return format_time(self._now())

    async def _target(self, body: JsonObject) -> tuple[str, str]:
        """The watched (type, name) of an add request, as the registry stores it."""
        kind = body.get("type")
        if kind not in HOOK_TYPES:
            raise bad_request(f"The hook type must be one of {', '.join(HOOK_TYPES)}.")
        name = _text(body, "name")
        if name is None:
            raise bad_request("The hook needs the name of the package, @scope or user to watch.")
        if kind == "package":
            if not validate_package_name(name).valid_for_old_packages:
                raise bad_request(f"Invalid package name: {name!r}")
            return "package", name
        bare = name[1:] if name.startswith("@" if kind == "scope" else "~") else name
        if not _SCOPE.match(bare):
            raise bad_request(f"Invalid {kind} name: {name!r}")
        if kind == "scope":
            return "scope", f"@{bare}"
        if await self._storage.get_user(bare) is None:
            raise not_found(f"No user named {bare!r}")
        return "owner", bare

    async def add(self, actor: Actor | None, body: JsonObject) -> HookRecord:
        owner = require_writer(actor)
        kind, name = await self._target(body)
        endpoint = _endpoint(body.get("endpoint"))
        secret = _secret(body.get("secret"))
        stamp = self._stamp()
        for _ in range(8):  # a clash of random ids is rare; try another
            record = HookRecord(_new_id(), owner.name, kind, name, endpoint, secret, stamp, stamp)
            outcome = await self._storage.add_hook(record, self.limit)
            if outcome == "added":
                return record
            if outcome == "limit":
                raise forbidden(f"You can have at most {self.limit} hooks; remove one to add another.")
        raise RegistryError(500, "Could not find a free hook id; try again.")

    async def page(
        self, actor: Actor | None, package: str | None, offset: int = 0, limit: int | None = None
    ) -> HookPage:
        owner = require_user(actor)
        return await self._storage.list_hooks(owner.name, package or None, offset, limit)

    async def get(self, actor: Actor | None, hook_id: str) -> HookRecord:
        owner = require_user(actor)
        found = await self._storage.get_hook(hook_id)
        if found is None or found.owner != owner.name:
            raise not_found("Hook not found")
        return found

    async def update(self, actor: Actor | None, hook_id: str, body: JsonObject) -> HookRecord:
        owner = require_writer(actor)
        endpoint = _endpoint(body.get("endpoint"))
        secret = _secret(body.get("secret"))
        found = await self._storage.update_hook(hook_id, owner.name, endpoint, secret, self._stamp())
        if found is None:
            raise not_found("Hook not found")
        return found

    async def remove(self, actor: Actor | None, hook_id: str) -> HookRecord:
        owner = require_writer(actor)
        found = await self._storage.remove_hook(hook_id, owner.name)
        if found is None:
            raise not_found("Hook not found")
        return found

"""The package service: reading packuments and tarballs, publishing, and every other package change.

Each write is one `Storage.update_package` call whose transform (from `publishing` or
`document_edits`) decides under the package's lock; slow work (checking an upload, staging its
tarball) happens before the lock is taken, and so does fetching what the actor holds over the
package (`Storage.grants`), which the transform's permission checks then use. No aiohttp here:
routes call these methods, unit tests call them directly.

Reads come in two kinds: `get`/`require`/`tarball` see everything (admin tools, internal use), the
`visible_*`/`readable` methods apply `Action.READ`, so a restricted package is a 404 to whoever may
not read it (as on npmjs, the client cannot tell it from a missing one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from snpm.json_types import JsonObject
from snpm.packument import Person, dist_tags, format_time, maintainers, version_from_tarball_filename
from snpm.registry_server.services.accounts import AccountService
from snpm.registry_server.services.document_edits import (
    access_change,
    document_change,
    remove_tag_change,
    remove_tarball_change,
    set_tag_change,
    unpublish_change,
)
from snpm.registry_server.services.errors import bad_request, not_found
from snpm.registry_server.services.permissions import Action, Actor, PackageFacts, can, require_writer
from snpm.registry_server.services.publishing import publish_change
from snpm.registry_server.services.uploads import UploadLimits, check_tag, read_upload
from snpm.registry_server.storage.base import PackageHead, Storage, StoredPackage, TarballRecord
from snpm.registry_server.storage.records import Grants

__all__ = ["PackageService"]

_PUBLISH_LOGIN = "You must be logged in to publish packages."


class PackageService:
    def __init__(
        self,
        storage: Storage,
        accounts: AccountService,
        limits: UploadLimits,
        now: Callable[[], datetime],
    ) -> None:
        self._storage = storage
        self._accounts = accounts
        self.limits = limits
        self._now = now

    def _stamp(self) -> str:
        return format_time(self._now())

    # ── reading ──

    async def get(self, name: str) -> StoredPackage | None:
        return await self._storage.read_package(name)

    async def revision(self, name: str) -> str | None:
        return await self._storage.read_revision(name)

    async def head(self, name: str) -> PackageHead | None:
        """Revision and policies of a local package; None when the registry does not hold it
        (whether or not the caller may read it: a local package shadows the uplink either way)."""
        return await self._storage.read_head(name)

    async def require(self, name: str) -> StoredPackage:
        package = await self._storage.read_package(name)
        if package is None:
            raise not_found()
        return package

    async def tarball(self, name: str, filename: str) -> TarballRecord | None:
        return await self._storage.tarball(name, filename)

    async def tarball_bytes(self, record: TarballRecord) -> bytes:
        return await self._storage.read_tarball(record)

    async def tags(self, name: str) -> dict[str, str]:
        return dist_tags((await self.require(name)).document)

    # ── reading, as the actor may ──

    async def grants(self, actor: Actor | None, name: str) -> Grants:
        return await self._storage.grants(actor.name if actor else None, name)

    async def facts(self, actor: Actor | None, package: StoredPackage) -> PackageFacts:
        return PackageFacts.of(
            package.name, package.document, package.access, await self.grants(actor, package.name)
        )

    async def may_read(self, actor: Actor | None, package: StoredPackage) -> bool:
        if not package.restricted:
            return True
        return can(actor, Action.READ, await self.facts(actor, package))

    async def readable(self, actor: Actor | None, name: str) -> StoredPackage:
        """The package, or 404 when it is missing or the actor may not read it."""
        package = await self._storage.read_package(name)
        if package is None or not await self.may_read(actor, package):
            raise not_found()
        return package

    async def visible_revision(self, actor: Actor | None, name: str) -> str | None:
        """The revision for a conditional GET; None when missing or not readable by the actor."""
        head = await self._storage.read_head(name)
        if head is None:
            return None
        if head.access == "restricted":
            package = await self._storage.read_package(name)
            if package is None or not await self.may_read(actor, package):
                return None
        return head.rev

    async def mfa_policy(self, name: str) -> str:
        """The package's 2FA policy for writes (`none` for a name not in use)."""
        head = await self._storage.read_head(name)
        return head.mfa if head is not None else "none"

    async def visible_tarball(self, actor: Actor | None, name: str, filename: str) -> TarballRecord | None:
        record = await self._storage.tarball(name, filename)
        if record is None or not record.restricted:
            return record
        package = await self._storage.read_package(name)
        if package is None or not await self.may_read(actor, package):
            return None
        return record

    async def visible_tags(self, actor: Actor | None, name: str) -> dict[str, str]:
        return dist_tags((await self.readable(actor, name)).document)

    # ── writing ──

    async def publish(self, actor: Actor | None, name: str, body: JsonObject) -> StoredPackage:
        publisher = require_writer(actor, _PUBLISH_LOGIN)
        upload = await asyncio.to_thread(read_upload, name, body, self.limits)
        grants = await self.grants(publisher, name)
        staged = await self._storage.stage_tarball(upload.tarball, upload.integrity, upload.shasum)
        stamp = self._stamp()
        try:
            result = await self._storage.update_package(
                name, lambda state: publish_change(state, upload, staged, publisher, stamp, grants)
            )
        finally:
            await self._storage.discard_staged(staged)  # moved into place on success; gone either way
        if result is None:  # pragma: no cover - a publish never deletes
            raise not_found()
        return result

    async def change(
        self, actor: Actor | None, name: str, body: JsonObject, rev: str | None
    ) -> StoredPackage | None:
        """A document PUT: deprecate, unpublish versions, owners, stars (see document_edits)."""
        editor = require_writer(actor)
        emails = await self._maintainer_emails(body)
        grants = await self.grants(editor, name)
        stamp = self._stamp()
        return await self._storage.update_package(
            name,
            lambda state: document_change(
                state, body, editor, rev=rev, users=emails, now=stamp, grants=grants
            ),
        )

    async def _maintainer_emails(self, body: JsonObject) -> dict[str, str]:
        raw = body.get("maintainers")
        if not isinstance(raw, list):
            return {}
        emails: dict[str, str] = {}
        for item in raw:
            person = Person.from_json(item)
            if person is None or person.name in emails:
                continue
            user = await self._accounts.get_user(person.name)
            if user is not None:
                emails[user.name] = user.email
        return emails

    async def unpublish(self, actor: Actor | None, name: str, rev: str | None) -> None:
        editor = require_writer(actor)
        grants = await self.grants(editor, name)
        await self._storage.update_package(name, lambda state: unpublish_change(state, editor, rev, grants))

    async def remove_tarball(self, actor: Actor | None, name: str, filename: str, rev: str | None) -> None:
        editor = require_writer(actor)
        version = version_from_tarball_filename(name, filename)
        grants = await self.grants(editor, name)
        await self._storage.update_package(
            name, lambda state: remove_tarball_change(state, editor, filename, version, rev, grants)
        )

    async def set_tag(self, actor: Actor | None, name: str, tag: str, version: str) -> dict[str, str]:
        editor = require_writer(actor)
        check_tag(tag)
        grants = await self.grants(editor, name)
        stamp = self._stamp()
        result = await self._storage.update_package(
            name, lambda state: set_tag_change(state, editor, tag, version, stamp, grants)
        )
        return dist_tags(result.document) if result else {}

    async def remove_tag(self, actor: Actor | None, name: str, tag: str) -> dict[str, str]:
        editor = require_writer(actor)
        grants = await self.grants(editor, name)
        stamp = self._stamp()
        result = await self._storage.update_package(
            name, lambda state: remove_tag_change(state, editor, tag, stamp, grants)
        )
        return dist_tags(result.document) if result else {}

    async def owners(self, name: str) -> list[Person]:
        return maintainers((await self.require(name)).document)

    async def set_access(
        self, actor: Actor | None, name: str, access: str | None = None, mfa: str | None = None
    ) -> StoredPackage:
        """`npm access set status=…` (`public` or `restricted`, scoped packages only) and
        `npm access set mfa=…` (`none`, `publish` or `automation`)."""
        editor = require_writer(actor)
        if access is not None and access not in ("public", "restricted"):
            raise bad_request(f"access must be public or restricted, not {access!r}")
        if mfa is not None and mfa not in ("none", "publish", "automation"):
            raise bad_request(f"mfa must be none, publish or automation, not {mfa!r}")
        grants = await self.grants(editor, name)
        result = await self._storage.update_package(
            name, lambda state: access_change(state, editor, grants, access=access, mfa=mfa)
        )
        if result is None:  # pragma: no cover - an access change never deletes
            raise not_found()
        return result

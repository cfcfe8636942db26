"""Transforms for every change to a package other than publishing a version.

npm changes a package by sending the document back (`PUT /{pkg}` or `PUT /{pkg}/-rev/{rev}`); the
body's shape tells what it wants (registry-api.md §3.3). Only the deltas the caller may make are
applied, everything else in the body is ignored:
- `versions[*].deprecated` (deprecate / undeprecate; "" clears) — maintainers;
- versions missing from the body (unpublish one version; its dist-tags go, `latest` falls back to
  the highest remaining version) — maintainers; the version number stays used forever;
- `maintainers` (npm owner add/rm; every name must be a user) — maintainers;
- `users[<caller>]` (star/unstar) — any logged-in user who may read the package, for their own
  entry only.
A PUT never adds versions. A stale `_rev` is a 409, as in CouchDB. "Maintainers" above means
whoever `permissions.can` lets write the package (team grants and scope owners included).
"""

from __future__ import annotations

from collections.abc import Mapping

from snpm import semver
from snpm.json_types import JsonObject, JsonValue
from snpm.packument import Person, dist_tags, maintainers, object_field, registry_tarball_filename
from snpm.registry_server.services.errors import bad_request, conflict, forbidden, not_found
from snpm.registry_server.services.permissions import Action, Actor, PackageFacts, require
from snpm.registry_server.services.publishing import copy_document, refresh_hoisted_fields
from snpm.registry_server.storage.base import PackageChange, PackageState, StoredPackage
from snpm.registry_server.storage.records import Grants

__all__ = [
    "access_change",
    "document_change",
    "is_star_change",
    "remove_tag_change",
    "remove_tarball_change",
    "set_tag_change",
    "unpublish_change",
]


def _existing(state: PackageState) -> StoredPackage:
    if state.current is None:
        raise not_found()
    return state.current


def _facts(current: StoredPackage, grants: Grants) -> PackageFacts:
    return PackageFacts.of(current.name, current.document, current.access, grants)


def is_star_change(body: JsonObject) -> bool:
    """Only `users` (npm star/unstar): exempt from the auth-and-writes OTP, like on npmjs."""
    return isinstance(body.get("users"), dict) and not any(
        key in body for key in ("versions", "maintainers", "dist-tags")
    )


def _check_rev(current: StoredPackage, rev: object) -> None:
    if isinstance(rev, str) and rev and rev != current.rev:
        raise conflict()


def _deprecation(value: JsonValue) -> str | None:
    return value if isinstance(value, str) and value else None


def _highest(versions: Mapping[str, JsonValue]) -> str | None:
    ordered = sorted(versions, key=_SortKey)
    return ordered[-1] if ordered else None


class _SortKey:
    """semver.compareLoose as a sort key (npm picks the new `latest` this way after an unpublish)."""

    __slots__ = ("version",)

    def __init__(self, version: str) -> None:
        self.version = version

    def __lt__(self, other: _SortKey) -> bool:
        try:
            return semver.compare_loose(self.version, other.version) < 0
        except TypeError:
            return self.version < other.version


def document_change(
    state: PackageState,
    body: JsonObject,
    actor: Actor,
    *,
    rev: str | None,
    users: Mapping[str, str],
    now: str,
    grants: Grants,
) -> PackageChange:
    """Apply a document PUT. `users` maps the names in the body's `maintainers` to their e-mails."""
    current = _existing(state)
    facts = _facts(current, grants)
    require(actor, Action.READ, facts)
    _check_rev(current, rev if rev is not None else body.get("_rev"))
    document = copy_document(current.document)
    versions = object_field(document, "versions")
    needs_maintainer = False
    changed = False
    removed: list[str] = []

    body_versions = body.get("versions")
    if isinstance(body_versions, dict):
        removed = [v for v in versions if v not in body_versions]
        for version, sent in body_versions.items():
            stored = versions.get(version)
            if not isinstance(stored, dict) or not isinstance(sent, dict):
                continue  # a PUT never adds versions
            wanted = _deprecation(sent.get("deprecated"))
            if wanted != _deprecation(stored.get("deprecated")):
                if wanted is None:
                    stored.pop("deprecated", None)
                else:
                    stored["deprecated"] = wanted
                needs_maintainer = changed = True
    if removed:
        needs_maintainer = changed = True

    body_maintainers = body.get("maintainers")
    if isinstance(body_maintainers, list):
        wanted_people = _maintainers_from(body_maintainers, users, maintainers(document))
        if [p.name for p in wanted_people] != [p.name for p in maintainers(document)]:
            document["maintainers"] = [p.to_json() for p in wanted_people]
            needs_maintainer = changed = True

    body_users = body.get("users")
    if isinstance(body_users, dict):
        stars = document.setdefault("users", {})
        if not isinstance(stars, dict):
            stars = document["users"] = {}
        wants_star = bool(body_users.get(actor.name))
        if wants_star != bool(stars.get(actor.name)):
            if wants_star:
                stars[actor.name] = True
            else:
                stars.pop(actor.name, None)
            changed = True

    if needs_maintainer:
        require(actor, Action.WRITE, facts)
    if not changed:
        return PackageChange(current.document, changed=False)
    if removed and len(removed) == len(versions):
        return PackageChange(None)
    return _finish(document, removed, body, now)


def _maintainers_from(raw: list[JsonValue], users: Mapping[str, str], current: list[Person]) -> list[Person]:
    """The wanted owner list: e-mails from the user store; a current owner the store no longer
    knows may stay, but nobody unknown may be added."""
    known = {p.name: p for p in current}
    people: list[Person] = []
    for item in raw:
        person = Person.from_json(item)
        if person is None:
            raise bad_request("maintainers must be a list of {name, email} objects")
        if any(p.name == person.name for p in people):
            continue
        if person.name in users:
            people.append(Person(person.name, users[person.name]))
        elif person.name in known:
            people.append(known[person.name])
        else:
            raise bad_request(f"Unknown user: {person.name}")
    if not people:
        raise bad_request("Cannot remove all owners of a package. Add someone else first.")
    return people


def _finish(document: JsonObject, removed: list[str], body: JsonObject, now: str) -> PackageChange:
    versions = object_field(document, "versions")
    tags = object_field(document, "dist-tags")
    for version in removed:
        versions.pop(version, None)
    for tag, target in list(tags.items()):
        if target not in versions:
            del tags[tag]
    if "latest" not in tags:
        proposed = dist_tags(body).get("latest")
        latest = proposed if proposed in versions else _highest(versions)
        if latest is not None:
            tags["latest"] = latest
    object_field(document, "time")["modified"] = now
    refresh_hoisted_fields(document)
    name = str(document.get("name", ""))
    return PackageChange(document, remove_tarballs=tuple(registry_tarball_filename(name, v) for v in removed))


def unpublish_change(state: PackageState, actor: Actor, rev: str | None, grants: Grants) -> PackageChange:
    """`DELETE /{pkg}/-rev/{rev}`: the whole package goes; its version numbers stay used."""
    current = _existing(state)
    require(actor, Action.WRITE, _facts(current, grants))
    _check_rev(current, rev)
    return PackageChange(None)


def remove_tarball_change(
    state: PackageState, actor: Actor, filename: str, version: str | None, rev: str | None, grants: Grants
) -> PackageChange:
    """`DELETE /{pkg}/-/{file}/-rev/{rev}` (after a version unpublish): drop a tarball no version uses."""
    current = _existing(state)
    require(actor, Action.WRITE, _facts(current, grants))
    _check_rev(current, rev)
    if version is not None and version in object_field(current.document, "versions"):
        raise forbidden(
            f"{filename} belongs to the published version {version}; unpublish that version first."
        )
    return PackageChange(current.document, remove_tarballs=(filename,))


def set_tag_change(
    state: PackageState, actor: Actor, tag: str, version: str, now: str, grants: Grants
) -> PackageChange:
    current = _existing(state)
    require(actor, Action.WRITE, _facts(current, grants))
    if version not in object_field(current.document, "versions"):
        raise not_found(f"version not found: {current.name}@{version}")
    if dist_tags(current.document).get(tag) == version:
        return PackageChange(current.document, changed=False)
    document = copy_document(current.document)
    object_field(document, "dist-tags")[tag] = version
    object_field(document, "time")["modified"] = now
    if tag == "latest":
        refresh_hoisted_fields(document)
    return PackageChange(document)


def remove_tag_change(state: PackageState, actor: Actor, tag: str, now: str, grants: Grants) -> PackageChange:
    current = _existing(state)
    require(actor, Action.WRITE, _facts(current, grants))
    if tag == "latest":
        raise bad_request("The latest dist-tag cannot be removed; point it at another version instead.")
    if tag not in dist_tags(current.document):
        raise not_found(f"dist-tag not found: {tag}")
    document = copy_document(current.document)
    del object_field(document, "dist-tags")[tag]
    object_field(document, "time")["modified"] = now
    return PackageChange(document)


def access_change(
    state: PackageState, actor: Actor, grants: Grants, *, access: str | None, mfa: str | None
) -> PackageChange:
    """`npm access set status=public|private` (only scoped packages can be restricted) and
    `npm access set mfa=none|publish|automation`."""
    current = _existing(state)
    require(actor, Action.ADMIN, _facts(current, grants))
    if access == "restricted" and grants.scope is None:
        raise bad_request(f"{current.name} is not scoped: only scoped packages can be private (restricted).")
    if (access or current.access, mfa or current.mfa) == (current.access, current.mfa):
        return PackageChange(current.document, changed=False)
    return PackageChange(current.document, access=access, mfa=mfa)

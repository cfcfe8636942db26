"""The publish transform: merge one checked upload into a package's document.

Runs under the storage's per-package lock, so its checks see the latest state: the name must be
valid for a new package when it creates one and the publisher may create it in its scope (see
`permissions`); otherwise the publisher must be allowed to write it; and the
version must never have been published before (versions are immutable, unpublished ones included;
npm's registry answers 403 with the text used here). The server, not the client, sets
`maintainers`, `_npmUser`, `time`, `dist` (with its own tarball path), and moves the `latest` tag's
description, readme and friends to the top level. A first publish always gets a `latest` tag.

Access (`--access`): a new package is `public` unless the body asks for `restricted`; in an org's
scope the org's `developers` team gets `read-write` on it (npm's default). An existing package
keeps its level unless the body names another one and the publisher may administer it.
"""

from __future__ import annotations

from snpm.json_types import JsonObject, JsonValue
from snpm.packument import (
    HOISTED_FIELDS,
    Dist,
    Person,
    latest_version,
    maintainers,
    object_field,
    tarball_path,
)
from snpm.registry_server.services.errors import bad_request, forbidden
from snpm.registry_server.services.permissions import Action, Actor, PackageFacts, require
from snpm.registry_server.services.uploads import Upload
from snpm.registry_server.storage.base import NewTarball, PackageChange, PackageState, StagedTarball
from snpm.registry_server.storage.records import DEVELOPERS_TEAM, Grants, TeamGrant
from snpm.spec import validate_package_name

__all__ = ["copy_document", "publish_change", "refresh_hoisted_fields"]


def copy_document(document: JsonObject) -> JsonObject:
    """A copy deep enough to edit `versions`, `dist-tags`, `time` and `users` without touching the original."""
    out: JsonObject = dict(document)
    for key in ("versions", "dist-tags", "time", "users"):
        if key in document or key != "users":
            out[key] = dict(object_field(document, key))
    versions = object_field(out, "versions")
    for version, doc in list(versions.items()):
        if isinstance(doc, dict):
            versions[version] = dict(doc)
    return out


def refresh_hoisted_fields(document: JsonObject) -> None:
    """Copy the `latest` version's description, keywords, license, … to the top level (npmjs does)."""
    latest = latest_version(document)
    if latest is None:
        return
    source = object_field(object_field(document, "versions"), latest)
    for key in HOISTED_FIELDS:
        if key in source:
            document[key] = source[key]
        else:
            document.pop(key, None)


def publish_change(
    state: PackageState, upload: Upload, staged: StagedTarball, actor: Actor, now: str, grants: Grants
) -> PackageChange:
    name, version = upload.name, upload.version
    publisher = Person(actor.name, actor.email).to_json()
    current = state.current
    facts = PackageFacts.of(
        name, current.document if current else None, current.access if current else "public", grants
    )
    access: str | None = None
    team_grants: tuple[TeamGrant, ...] = ()
    if upload.access == "restricted" and grants.scope is None:
        raise bad_request(f"{name} is not scoped: only scoped packages can be private (restricted).")
    if state.current is None:
        if not upload.name_valid_for_new_packages:
            validity = validate_package_name(name)
            problems = "; ".join((*validity.errors, *validity.warnings))
            raise bad_request(f"Invalid package name {name!r}: {problems}")
        require(actor, Action.CREATE, facts)
        access = upload.access or "public"
        if grants.scope is not None and grants.scope_owner == "org":
            team_grants = (TeamGrant(grants.scope, DEVELOPERS_TEAM, name, "read-write"),)
        document: JsonObject = {
            "name": name,
            "dist-tags": {},
            "versions": {},
            "time": {"created": now},
            "maintainers": [publisher],
        }
    else:
        require(actor, Action.WRITE, facts, publishing=True)
        if upload.access is not None and upload.access != state.current.access:
            require(actor, Action.ADMIN, facts)
            access = upload.access
        document = copy_document(state.current.document)
    versions = object_field(document, "versions")
    if version in state.published_versions or version in versions:
        raise forbidden(f"You cannot publish over the previously published versions: {version}.")

    version_document: JsonObject = dict(upload.version_document)
    version_document["maintainers"] = [p.to_json() for p in maintainers(document)] or [publisher]
    version_document["_npmUser"] = publisher
    version_document["dist"] = Dist(
        tarball=tarball_path(name, version),
        integrity=upload.integrity,
        shasum=upload.shasum,
        file_count=upload.file_count,
        unpacked_size=upload.unpacked_size,
    ).to_json()
    versions[version] = version_document

    tags = object_field(document, "dist-tags")
    for tag in upload.tags:
        tags[tag] = version
    if not isinstance(tags.get("latest"), str) or tags.get("latest") not in versions:
        tags["latest"] = version
    times = object_field(document, "time")
    times[version] = now
    times["modified"] = now

    if tags.get("latest") == version or "readme" not in document:
        _set_readme(document, upload)
    refresh_hoisted_fields(document)
    return PackageChange(
        document,
        add_tarballs=(NewTarball(upload.filename, version, staged),),
        record_versions=(version,),
        access=access,
        team_grants=team_grants,
    )


def _set_readme(document: JsonObject, upload: Upload) -> None:
    readme: JsonValue = upload.readme if upload.readme is not None else ""
    document["readme"] = readme
    if upload.readme_filename:
        document["readmeFilename"] = upload.readme_filename
    else:
        document.pop("readmeFilename", None)

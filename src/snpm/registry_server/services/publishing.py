"""The publish transform: merge one checked upload into a package's document.

Runs under the storage's per-package lock, so its checks see the latest state: the name must be
valid for a new package when it creates one; otherwise the publisher must be a maintainer; and the
version must never have been published before (versions are immutable, unpublished ones included;
npm's registry answers 403 with the text used here). The server, not the client, sets
`maintainers`, `_npmUser`, `time`, `dist` (with its own tarball path), and moves the `latest` tag's
description, readme and friends to the top level. A first publish always gets a `latest` tag.
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
from snpm.registry_server.services.permissions import Actor, require_maintainer
from snpm.registry_server.services.uploads import Upload
from snpm.registry_server.storage.base import NewTarball, PackageChange, PackageState, StagedTarball
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
    state: PackageState, upload: Upload, staged: StagedTarball, actor: Actor, now: str
) -> PackageChange:
    name, version = upload.name, upload.version
    publisher = Person(actor.name, actor.email).to_json()
    if state.current is None:
        if not upload.name_valid_for_new_packages:
            validity = validate_package_name(name)
            problems = "; ".join((*validity.errors, *validity.warnings))
            raise bad_request(f"Invalid package name {name!r}: {problems}")
        document: JsonObject = {
            "name": name,
            "dist-tags": {},
            "versions": {},
            "time": {"created": now},
            "maintainers": [publisher],
        }
    else:
        require_maintainer(actor, name, state.current.document, publishing=True)
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
    )


def _set_readme(document: JsonObject, upload: Upload) -> None:
    readme: JsonValue = upload.readme if upload.readme is not None else ""
    document["readme"] = readme
    if upload.readme_filename:
        document["readmeFilename"] = upload.readme_filename
    else:
        document.pop("readmeFilename", None)

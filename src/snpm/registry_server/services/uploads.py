"""Reading and checking a publish body (`PUT /{pkg}` with `_attachments`) before anything is stored.

Pure and CPU-bound (base64, hashing, gunzip, tar walk): the service runs it in a worker thread.
Everything the client claims is checked against the bytes it sent: exactly one version and one
tarball; the version is valid semver in its clean form; the tarball matches `dist.integrity` and
`dist.shasum` (and the attachment's `length`); the tarball's own package.json names the same
package and version; no entry climbs out of the package (`..`, absolute paths, links pointing out);
the upload stays within the size limits. The server then computes what npm's registry computes
(`dist.fileCount`, `dist.unpackedSize`, `_hasShrinkwrap`, `hasInstallScript`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib

import msgspec

from snpm import integrity as sri
from snpm import semver
from snpm.errors import IntegrityError, TarballError
from snpm.json_types import JsonObject, JsonValue
from snpm.packument import has_install_script, registry_tarball_filename
from snpm.registry_server.services.errors import RegistryError, bad_request
from snpm.spec import validate_package_name
from snpm.spec.ecmascript import is_uri_component_safe
from snpm.tarball import TarWarning, iter_members

__all__ = ["SERVER_FIELDS", "Upload", "UploadLimits", "check_tag", "read_upload"]

# Fields of a version document only the registry may set; a client's values are dropped.
SERVER_FIELDS = frozenset(
    {"_npmUser", "maintainers", "_hasShrinkwrap", "hasInstallScript", "_rev", "_attachments", "deprecated"}
)
_GZIP_MAGIC = b"\x1f\x8b"
_DRIVE = re.compile(r"^[A-Za-z]:")


class UploadLimits(msgspec.Struct, frozen=True):
    max_tarball_size: int
    max_unpacked_size: int


class Upload(msgspec.Struct, frozen=True):
    """A checked publish: the version document to store (without `dist.tarball`) and its tarball."""

    name: str
    version: str
    tags: tuple[str, ...]
    version_document: JsonObject
    tarball: bytes
    filename: str
    integrity: str  # sha512 SRI of `tarball`
    shasum: str  # sha1 hex of `tarball`
    file_count: int
    unpacked_size: int
    readme: str | None
    readme_filename: str | None
    name_valid_for_new_packages: bool
    # `--access`: None (npm sends null without the flag), "public" or "restricted"
    access: str | None = None


def check_tag(tag: str) -> None:
    """A dist-tag must be URL-safe and must not read as a version range (npm's own rule)."""
    if not tag or not is_uri_component_safe(tag) or tag.strip() != tag:
        raise bad_request(f"Invalid tag name: {tag!r}")
    if semver.valid_range(tag) is not None:
        raise bad_request(f"Tag name must not be a valid SemVer range: {tag}")


def _object(value: JsonValue, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be an object")
    return value


def _single_version(body: JsonObject, name: str) -> tuple[str, JsonObject]:
    versions = _object(body.get("versions"), "versions")
    if len(versions) != 1:
        raise bad_request("A publish must contain exactly one version")
    ((version, document),) = versions.items()
    document = _object(document, f"versions[{version!r}]")
    if semver.valid(version) != version:
        raise bad_request(f"Invalid version: {version!r}")
    if document.get("name") != name:
        raise bad_request(f"The version document names {document.get('name')!r}, not {name!r}")
    if document.get("version") != version:
        raise bad_request(f"The version document is for {document.get('version')!r}, not {version!r}")
    return version, document


def _tags(body: JsonObject, version: str) -> tuple[str, ...]:
    raw = body.get("dist-tags", {})
    tags = _object(raw if raw is not None else {}, "dist-tags")
    chosen = tuple(tag for tag, target in tags.items() if target == version)
    for tag in chosen:
        check_tag(tag)
    return chosen


def _attachment(body: JsonObject, limits: UploadLimits) -> bytes:
    attachments = _object(body.get("_attachments"), "_attachments")
    # a provenance bundle (`<name>-<version>.sigstore`) may come along; only the tarball is stored
    tarballs = [(key, value) for key, value in attachments.items() if key.endswith(".tgz")]
    if len(tarballs) != 1:
        raise bad_request("A publish must contain exactly one tarball attachment")
    key, raw = tarballs[0]
    attachment = _object(raw, f"_attachments[{key!r}]")
    data = attachment.get("data")
    if not isinstance(data, str):
        raise bad_request("The tarball attachment has no data")
    if len(data) > (limits.max_tarball_size * 4) // 3 + 4:
        raise RegistryError(413, "The tarball is larger than this registry accepts")
    try:
        tarball = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:
        raise bad_request("The tarball attachment is not valid base64") from err
    if len(tarball) > limits.max_tarball_size:
        raise RegistryError(413, "The tarball is larger than this registry accepts")
    length = attachment.get("length")
    if isinstance(length, int) and not isinstance(length, bool) and length != len(tarball):
        raise bad_request(f"The tarball is {len(tarball)} bytes, but the attachment says {length}")
    if not tarball:
        raise bad_request("The tarball attachment is empty")
    return tarball


def _check_declared_hashes(document: JsonObject, tarball: bytes) -> tuple[str, str]:
    dist = document.get("dist")
    dist = dist if isinstance(dist, dict) else {}
    declared = dist.get("integrity")
    if declared is not None:
        if not isinstance(declared, str) or sri.Integrity.parse(declared).is_empty():
            raise bad_request(f"Invalid dist.integrity: {declared!r}")
        try:
            sri.verify(tarball, declared)
        except IntegrityError as err:
            raise bad_request(f"The tarball does not match dist.integrity: {err}") from err
    shasum = hashlib.sha1(tarball).hexdigest()
    declared_sha = dist.get("shasum")
    if declared_sha is not None and (not isinstance(declared_sha, str) or declared_sha.lower() != shasum):
        raise bad_request(f"The tarball does not match dist.shasum: wanted {declared_sha} but got {shasum}")
    return str(sri.compute(tarball, ("sha512",))), shasum


def _gunzip(tarball: bytes, limit: int) -> bytes:
    if not tarball.startswith(_GZIP_MAGIC):
        if len(tarball) > limit:
            raise RegistryError(413, "The unpacked tarball is larger than this registry accepts")
        return tarball
    inflater = zlib.decompressobj(wbits=31)
    try:
        tar = inflater.decompress(tarball, limit + 1)
    except zlib.error as err:
        raise bad_request(f"The tarball is not valid gzip: {err}") from err
    if len(tar) > limit or inflater.unconsumed_tail:
        raise RegistryError(413, "The unpacked tarball is larger than this registry accepts")
    if not inflater.eof:
        raise bad_request("The tarball is truncated (unexpected end of gzip data)")
    return tar


def _is_unsafe(path: str) -> bool:
    if not path:
        return False
    if path.startswith(("/", "\\")) or _DRIVE.match(path):
        return True
    return ".." in path.replace("\\", "/").split("/")


class _TarballFacts(msgspec.Struct, frozen=True):
    manifest: JsonObject
    file_count: int
    unpacked_size: int
    has_shrinkwrap: bool
    has_binding_gyp: bool


def _inspect_tarball(tar: bytes) -> _TarballFacts:
    warnings: list[TarWarning] = []
    manifest_bytes: bytes | None = None
    file_count = unpacked = 0
    root_files: set[str] = set()
    try:
        for member in iter_members(tar, warnings=warnings):
            if _is_unsafe(member.path) or (member.linkname and _is_unsafe(member.linkname)):
                raise bad_request(f"The tarball contains an unsafe entry: {member.path!r}")
            if member.type not in ("File", "OldFile", "ContiguousFile"):
                continue
            # pacote strips the first path component, whatever its name (npm writes `package/`)
            relative = member.path.split("/", 1)[1] if "/" in member.path else ""
            if not relative:
                continue
            file_count += 1
            unpacked += member.size
            if "/" not in relative:
                root_files.add(relative)
                if relative == "package.json":
                    manifest_bytes = member.data  # the last one wins, as on extraction
    except TarballError as err:
        raise bad_request(f"The tarball is not a valid tar archive: {err}") from err
    invalid = [w for w in warnings if w.code == "TAR_ENTRY_INVALID"]
    if invalid:
        raise bad_request(f"The tarball is damaged: {invalid[0].message}")
    if manifest_bytes is None:
        raise bad_request("The tarball has no package.json in its package folder")
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise bad_request(f"The tarball's package.json is not valid JSON: {err}") from err
    if not isinstance(manifest, dict):
        raise bad_request("The tarball's package.json is not a JSON object")
    return _TarballFacts(
        manifest, file_count, unpacked, "npm-shrinkwrap.json" in root_files, "binding.gyp" in root_files
    )


def _check_manifest(manifest: JsonObject, name: str, version: str) -> None:
    inner_name = manifest.get("name")
    inner_version = manifest.get("version")
    if not isinstance(inner_name, str) or inner_name.strip() != name:
        raise bad_request(f"The tarball's package.json names {inner_name!r}, but the upload is for {name!r}")
    cleaned = semver.clean(inner_version) if isinstance(inner_version, str) else None
    if cleaned != version:
        raise bad_request(
            f"The tarball's package.json has version {inner_version!r}, but the upload is for {version!r}"
        )


def _access(body: JsonObject) -> str | None:
    value = body.get("access")
    if value is None:
        return None
    if value == "private":  # npm maps it to restricted itself; other clients may not
        return "restricted"
    if value not in ("public", "restricted"):
        raise bad_request(f"access must be public or restricted, not {value!r}")
    return str(value)


def read_upload(name: str, body: JsonObject, limits: UploadLimits) -> Upload:
    """Check a publish body for `name`; raise RegistryError (400/413) on the first problem."""
    if body.get("name", name) != name or body.get("_id", name) != name:
        raise bad_request(f"The package name in the body does not match the URL ({name!r})")
    validity = validate_package_name(name)
    if not validity.valid_for_old_packages:
        raise bad_request(f"Invalid package name {name!r}: " + "; ".join(validity.errors))
    version, document = _single_version(body, name)
    tags = _tags(body, version)
    tarball = _attachment(body, limits)
    integrity, shasum = _check_declared_hashes(document, tarball)
    facts = _inspect_tarball(_gunzip(tarball, limits.max_unpacked_size))
    _check_manifest(facts.manifest, name, version)

    stored: JsonObject = {k: v for k, v in document.items() if k not in SERVER_FIELDS}
    readme = stored.pop("readme", None)
    readme_filename = stored.pop("readmeFilename", None)
    stored["_id"] = f"{name}@{version}"
    stored["_hasShrinkwrap"] = facts.has_shrinkwrap
    if has_install_script(document, has_binding_gyp=facts.has_binding_gyp):
        stored["hasInstallScript"] = True
    return Upload(
        name=name,
        version=version,
        tags=tags,
        version_document=stored,
        tarball=tarball,
        filename=registry_tarball_filename(name, version),
        integrity=integrity,
        shasum=shasum,
        file_count=facts.file_count,
        unpacked_size=facts.unpacked_size,
        readme=readme if isinstance(readme, str) else None,
        readme_filename=readme_filename if isinstance(readme_filename, str) else None,
        name_valid_for_new_packages=validity.valid_for_new_packages,
        access=_access(body),
    )

"""Registry documents: full and abbreviated ("corgi") packuments, version documents, dist-tags, time
and dist. Shared by the registry server (which builds them) and the client (which reads them).

Pure: works on decoded JSON (`JsonObject`) only; no I/O. The field sets are the ones npm's registry
serves and pacote/npm-pick-manifest read (registry-api.md §2.1):
- a corgi packument keeps `name`, `modified`, `dist-tags` and `versions` at the top level, and per
  version only what installing needs (`ABBREVIATED_VERSION_FIELDS`); `libc` is kept too because npm
  11 checks it during installs (whether npmjs includes it is unconfirmed, keeping it is harmless);
- `dist.tarball` is always an absolute URL in what a registry serves (pacote does `new URL()`);
- times are JavaScript's `Date#toISOString()` form: UTC, milliseconds, `Z`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from snpm.json_types import JsonObject, JsonValue

__all__ = [
    "ABBREVIATED_ACCEPT",
    "ABBREVIATED_MEDIA_TYPE",
    "ABBREVIATED_TOP_FIELDS",
    "ABBREVIATED_VERSION_FIELDS",
    "FULL_ACCEPT",
    "HOISTED_FIELDS",
    "INSTALL_SCRIPTS",
    "Dist",
    "Person",
    "abbreviate",
    "abbreviate_version",
    "dist_tags",
    "format_time",
    "has_install_script",
    "latest_version",
    "maintainers",
    "object_field",
    "parse_time",
    "registry_tarball_filename",
    "tarball_path",
    "tarball_url",
    "time_map",
    "version_from_tarball_filename",
    "versions",
    "wants_abbreviated",
]

ABBREVIATED_MEDIA_TYPE = "application/vnd.npm.install-v1+json"
# What pacote sends for a corgi request, and for a full one (registry-api.md §1.3).
ABBREVIATED_ACCEPT = f"{ABBREVIATED_MEDIA_TYPE}; q=1.0, application/json; q=0.8, */*"
FULL_ACCEPT = "application/json"

ABBREVIATED_TOP_FIELDS: tuple[str, ...] = ("name", "modified", "dist-tags", "versions")
ABBREVIATED_VERSION_FIELDS: frozenset[str] = frozenset(
    {
        "name",
        "version",
        "dist",
        "deprecated",
        "dependencies",
        "optionalDependencies",
        "devDependencies",
        "bundleDependencies",
        "peerDependencies",
        "peerDependenciesMeta",
        "acceptDependencies",
        "bin",
        "directories",
        "engines",
        "_hasShrinkwrap",
        "hasInstallScript",
        "funding",
        "cpu",
        "os",
        "libc",
    }
)
# Top-level fields the registry copies from the `latest` version (npmjs does this on publish).
HOISTED_FIELDS: tuple[str, ...] = (
    "description",
    "homepage",
    "keywords",
    "repository",
    "author",
    "bugs",
    "license",
    "contributors",
)
# The scripts that make npm report `hasInstallScript` (arborist runs them on install).
INSTALL_SCRIPTS: tuple[str, ...] = ("preinstall", "install", "postinstall")


class Person(msgspec.Struct, frozen=True):
    """A maintainer or publisher as the registry lists it: `{name, email}`."""

    name: str
    email: str = ""

    @classmethod
    def from_json(cls, value: JsonValue) -> Person | None:
        if isinstance(value, dict):
            name = value.get("name")
            email = value.get("email")
            if isinstance(name, str) and name:
                return cls(name, email if isinstance(email, str) else "")
        return None

    def to_json(self) -> JsonObject:
        return {"name": self.name, "email": self.email}


class Dist(msgspec.Struct, frozen=True):
    """A version's `dist`: where its tarball is and what it hashes to."""

    tarball: str
    integrity: str = ""
    shasum: str = ""
    file_count: int | None = None
    unpacked_size: int | None = None
    signatures: tuple[JsonObject, ...] = ()

    @classmethod
    def from_json(cls, value: JsonValue) -> Dist:
        raw = value if isinstance(value, dict) else {}
        tarball = raw.get("tarball")
        integrity = raw.get("integrity")
        shasum = raw.get("shasum")
        file_count = raw.get("fileCount")
        unpacked = raw.get("unpackedSize")
        sigs = raw.get("signatures")
        return cls(
            tarball=tarball if isinstance(tarball, str) else "",
            integrity=integrity if isinstance(integrity, str) else "",
            shasum=shasum if isinstance(shasum, str) else "",
            file_count=file_count
            if isinstance(file_count, int) and not isinstance(file_count, bool)
            else None,
            unpacked_size=unpacked if isinstance(unpacked, int) and not isinstance(unpacked, bool) else None,
            signatures=tuple(s for s in sigs if isinstance(s, dict)) if isinstance(sigs, list) else (),
        )

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        if self.integrity:
            out["integrity"] = self.integrity
        if self.shasum:
            out["shasum"] = self.shasum
        out["tarball"] = self.tarball
        if self.file_count is not None:
            out["fileCount"] = self.file_count
        if self.unpacked_size is not None:
            out["unpackedSize"] = self.unpacked_size
        if self.signatures:
            out["signatures"] = list(self.signatures)
        return out


def object_field(document: Mapping[str, JsonValue], key: str) -> JsonObject:
    """`document[key]` when it is a JSON object, else an empty one (registries send odd shapes)."""
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def versions(packument: Mapping[str, JsonValue]) -> dict[str, JsonObject]:
    """The version documents by version, skipping entries that are not objects."""
    return {v: doc for v, doc in object_field(packument, "versions").items() if isinstance(doc, dict)}


def dist_tags(packument: Mapping[str, JsonValue]) -> dict[str, str]:
    """`dist-tags` as tag → version (non-string values dropped)."""
    return {t: v for t, v in object_field(packument, "dist-tags").items() if isinstance(v, str)}


def time_map(packument: Mapping[str, JsonValue]) -> dict[str, str]:
    """`time` as key → ISO string; `time.unpublished` (an object) is left out."""
    return {k: v for k, v in object_field(packument, "time").items() if isinstance(v, str)}


def maintainers(packument: Mapping[str, JsonValue]) -> list[Person]:
    raw = packument.get("maintainers")
    people = [Person.from_json(item) for item in raw] if isinstance(raw, list) else []
    return [p for p in people if p is not None]


def latest_version(packument: Mapping[str, JsonValue]) -> str | None:
    latest = dist_tags(packument).get("latest")
    return latest if latest is not None and latest in object_field(packument, "versions") else None


def has_install_script(manifest: Mapping[str, JsonValue], *, has_binding_gyp: bool = False) -> bool:
    """npm's `hasInstallScript`: an install-time script, or a `binding.gyp` that implies `node-gyp rebuild`."""
    scripts = object_field(manifest, "scripts")
    if any(isinstance(scripts.get(name), str) and scripts.get(name) for name in INSTALL_SCRIPTS):
        return True
    return has_binding_gyp and manifest.get("gypfile") is not False


def abbreviate_version(document: Mapping[str, JsonValue]) -> JsonObject:
    """The corgi form of one version document."""
    return {k: v for k, v in document.items() if k in ABBREVIATED_VERSION_FIELDS}


def abbreviate(packument: Mapping[str, JsonValue]) -> JsonObject:
    """The corgi packument npm's registry serves for `Accept: application/vnd.npm.install-v1+json`."""
    out: JsonObject = {"name": packument.get("name")}
    modified = time_map(packument).get("modified") or packument.get("modified")
    if isinstance(modified, str):
        out["modified"] = modified
    out["dist-tags"] = dict(object_field(packument, "dist-tags"))
    out["versions"] = {v: abbreviate_version(doc) for v, doc in versions(packument).items()}
    return out


def wants_abbreviated(accept: str | None) -> bool:
    """Does this Accept header prefer the corgi form (its q at least that of application/json)?"""
    if not accept or ABBREVIATED_MEDIA_TYPE not in accept:
        return False
    corgi = json_q = 0.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media == ABBREVIATED_MEDIA_TYPE:
            corgi = max(corgi, q)
        elif media == "application/json":
            json_q = max(json_q, q)
    return corgi > 0 and corgi >= json_q


def registry_tarball_filename(name: str, version: str) -> str:
    """The registry's tarball file name: the unscoped part, then the version (`@s/n` → `n-1.0.0.tgz`).

    Not `npm pack`'s file name, which keeps the scope (`s-n-1.0.0.tgz`).
    """
    return f"{name.rsplit('/', 1)[-1]}-{version}.tgz"


def version_from_tarball_filename(name: str, filename: str) -> str | None:
    """The version a registry tarball file name stands for, or None when it is not one of `name`'s."""
    prefix = f"{name.rsplit('/', 1)[-1]}-"
    if not filename.startswith(prefix) or not filename.endswith(".tgz"):
        return None
    version = filename[len(prefix) : -len(".tgz")]
    return version or None


def tarball_path(name: str, version: str) -> str:
    """The tarball's path below the registry URL, with the scope's slash literal (`@s/n/-/n-1.0.0.tgz`)."""
    return f"{name}/-/{registry_tarball_filename(name, version)}"


def tarball_url(registry: str, name: str, version: str) -> str:
    """The absolute tarball URL on `registry` (a base URL with or without its trailing slash)."""
    return f"{registry.rstrip('/')}/{tarball_path(name, version)}"


def format_time(moment: datetime) -> str:
    """JavaScript's `toISOString()`: `2024-01-02T03:04:05.678Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime | None:
    """An ISO-8601 time from a packument (`Z` or an offset), as an aware datetime; None if unreadable."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

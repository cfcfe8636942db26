"""Scenario packages on a FakeRegistry: real gzip tarballs, full packuments, and a ManifestSource
for snpm's ideal-tree builder over the same registry.

    registry = ScenarioRegistry(fake_registry)
    registry.publish("a", "1.0.0", dependencies={"b": "^1"})
    registry.publish("b", "1.1.0", deprecated="use 2", engines={"node": ">=99"})
    registry.tag("b", "next", "2.0.0-rc.1")
    async with ScenarioSource(registry.url) as source:
        tree = await build_ideal_tree(project, source, options)

Every version gets a tarball packed with snpm.tarball (a package.json plus any `files`), so its
integrity is real; `time` entries are synthetic and increase with publish order, unless given.
`ScenarioSource` resolves registry specs with npm-pick-manifest (`snpm.fetch.pick_manifest`) over
packuments fetched by `snpm.registry_client`, tarball URLs and `file:` tarballs by reading the
tarball, and folders by reading their package.json — a stand-in until `snpm.fetch.source` is used.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import msgspec

from snpm import semver
from snpm.errors import SnpmError
from snpm.fetch.base import ResolvedManifest
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.json_types import JsonObject
from snpm.registry_client import RegistryClient, fetch_packument
from snpm.registry_client.packuments import packument_url
from snpm.spec import AliasSpec, DirectorySpec, FileSpec, GitSpec, PackageSpec, RegistrySpec, RemoteSpec
from snpm.tarball import PackFile, extract, pack
from support.fake_registry import FakeRegistry, settings_for

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def sri(data: bytes, algorithm: str = "sha512") -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def make_tarball(manifest: dict[str, Any], files: dict[str, str | bytes] | None = None) -> bytes:
    """A package tarball (`package/…` entries) with `manifest` as its package.json."""
    entries = [PackFile("package.json", json.dumps(manifest, indent=2).encode())]
    for path, content in (files or {}).items():
        data = content.encode() if isinstance(content, str) else content
        entries.append(PackFile(path, data))
    return pack(entries)


def manifest_from_tarball(data: bytes) -> JsonObject:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as archive:
        for member in archive.getmembers():
            parts = member.name.split("/", 1)
            if len(parts) == 2 and parts[1] == "package.json":
                handle = archive.extractfile(member)
                assert handle is not None
                loaded = json.loads(handle.read())
                assert isinstance(loaded, dict)
                return loaded
    raise SnpmError("no package.json in tarball", code="ENOENT")


class ScenarioRegistry:
    """Publishes scenario packages to a FakeRegistry."""

    def __init__(self, fake: FakeRegistry) -> None:
        self.fake = fake
        self._clock = 0

    @property
    def url(self) -> str:
        return self.fake.url

    def _doc(self, name: str) -> dict[str, Any]:
        doc = self.fake.packuments.get(name)
        if doc is None:
            doc = {
                "_id": name,
                "name": name,
                "dist-tags": {},
                "versions": {},
                "time": {"created": _EPOCH.isoformat().replace("+00:00", "Z")},
            }
        return doc

    def publish(
        self,
        name: str,
        version: str,
        *,
        tag: str | None = "latest",
        time: str | None = None,
        files: dict[str, str | bytes] | None = None,
        bundled: dict[str, dict[str, Any]] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Publish `name@version` with extra package.json `fields` (dependencies=…, bin=…, os=…).

        `bundled` maps bundled dependency names to the package.json they have inside the tarball
        (`node_modules/<name>/package.json`). `deprecated` is written to the packument only, as the
        registry does. `tag` moves that dist-tag (default: latest) unless None.
        """
        deprecated = fields.pop("deprecated", None)
        manifest: dict[str, Any] = {"name": name, "version": version, **fields}
        tar_files = dict(files or {})
        for dep_name, dep_manifest in (bundled or {}).items():
            tar_files[f"node_modules/{dep_name}/package.json"] = json.dumps(dep_manifest)
        data = make_tarball(manifest, tar_files)
        basename = name.rsplit("/", 1)[-1]
        path = f"/{name}/-/{basename}-{version}.tgz"
        self.fake.tarballs[path] = data
        doc = self._doc(name)
        entry = {
            **manifest,
            "_id": f"{name}@{version}",
            "dist": {
                "tarball": f"{self.url.rstrip('/')}{path}",
                "shasum": hashlib.sha1(data).hexdigest(),
                "integrity": sri(data),
            },
        }
        if deprecated:
            entry["deprecated"] = deprecated
        doc["versions"][version] = entry
        self._clock += 1
        when = time or (_EPOCH + timedelta(days=self._clock)).isoformat().replace("+00:00", "Z")
        doc["time"][version] = when
        doc["time"]["modified"] = when
        if tag:
            doc["dist-tags"][tag] = version
        self.fake.add_packument(name, doc)
        return entry

    def tag(self, name: str, tag: str, version: str) -> None:
        doc = self._doc(name)
        doc["dist-tags"][tag] = version
        self.fake.add_packument(name, doc)

    def tarball_url(self, name: str, version: str) -> str:
        basename = name.rsplit("/", 1)[-1]
        return f"{self.url.rstrip('/')}/{name}/-/{basename}-{version}.tgz"

    def tarball(self, name: str, version: str) -> bytes:
        basename = name.rsplit("/", 1)[-1]
        return self.fake.tarballs[f"/{name}/-/{basename}-{version}.tgz"]


def _ms(before: str | None) -> float | None:
    if not before:
        return None
    text = before.replace("Z", "+00:00")
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp() * 1000


class _Packument(msgspec.Struct):
    """A packument with its versions left undecoded: most are never looked at."""

    name: str = ""
    dist_tags: dict[str, str] = msgspec.field(default_factory=dict, name="dist-tags")
    time: dict[str, Any] = msgspec.field(default_factory=dict)
    versions: dict[str, msgspec.Raw] = msgspec.field(default_factory=dict)


class _PickFields(msgspec.Struct):
    """The fields npm-pick-manifest reads from a candidate version (decoded without the rest)."""

    deprecated: Any = None
    engines: Any = None


class _Lazy:
    """A packument whose version manifests are decoded on demand."""

    def __init__(self, doc: _Packument) -> None:
        self.doc = doc
        self.decoded: dict[str, JsonObject] = {}
        self.placeholders: dict[str, JsonObject] | None = None

    def manifest(self, version: str) -> JsonObject:
        found = self.decoded.get(version)
        if found is None:
            value = msgspec.json.decode(self.doc.versions[version])
            found = value if isinstance(value, dict) else {}
            self.decoded[version] = found
        return found

    def pick_fields(self, version: str) -> JsonObject:
        found = self.decoded.get(version)
        if found is not None:
            return found
        fields = msgspec.json.decode(self.doc.versions[version], type=_PickFields)
        out: JsonObject = {"version": version}
        if fields.deprecated is not None:
            out["deprecated"] = fields.deprecated
        if fields.engines is not None:
            out["engines"] = fields.engines
        return out

    def for_spec(self, wanted: str, default_tag: str) -> JsonObject:
        """A packument for npm-pick-manifest holding every version key, with the manifests the
        spec can possibly pick decoded (others are `{}`, which the picker never reads)."""
        doc = self.doc
        needed: set[str] = set()
        tag_version = doc.dist_tags.get(wanted)
        if tag_version is not None:
            needed.add(tag_version)
            wanted = f"<={tag_version}"
        default = doc.dist_tags.get(default_tag)
        if default is not None:
            needed.add(default)
        exact = semver.clean(wanted, loose=True) if wanted else None
        if exact is not None:
            needed.add(exact)
        else:
            try:
                wanted_range = semver.Range(wanted or "*", loose=True)
            except TypeError:
                wanted_range = None
            if wanted_range is not None:
                needed.update(v for v in doc.versions if wanted_range.test(v))
        if self.placeholders is None:
            self.placeholders = dict.fromkeys(doc.versions, {})
        versions: JsonObject = dict(self.placeholders)  # type: ignore[arg-type]
        for version in needed:
            if version in doc.versions:
                versions[version] = self.pick_fields(version)
        return {
            "name": doc.name,
            "dist-tags": dict(doc.dist_tags),
            "time": dict(doc.time),
            "versions": versions,
        }


@dataclass(frozen=True, slots=True)
class SourceOptions:
    default_tag: str = "latest"
    before: str | None = None
    node_version: str | None = None
    npm_version: str | None = None


class ScenarioSource:
    """A ManifestSource (and tarball extractor) over a registry URL, for tests."""

    def __init__(self, registry_url: str, options: SourceOptions | None = None) -> None:
        self.registry_url = registry_url
        self.options = options or SourceOptions()
        self._client = RegistryClient(settings_for(registry_url))
        self._packuments: dict[str, asyncio.Task[JsonObject]] = {}
        self._lazy: dict[str, asyncio.Task[_Lazy]] = {}
        self.packument_requests = 0

    async def __aenter__(self) -> Self:
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        tasks: list[asyncio.Task[Any]] = [*self._packuments.values(), *self._lazy.values()]
        pending = [task for task in tasks if not task.done()]
        for task in pending:
            task.cancel()
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()
        await asyncio.gather(*pending, return_exceptions=True)
        await self._client.__aexit__(exc_type, exc, tb)

    async def packument(self, name: str, *, full: bool = False) -> JsonObject:
        task = self._packuments.get(name)
        if task is None:
            self.packument_requests += 1
            task = asyncio.ensure_future(fetch_packument(self._client, name, full=True, pkgid=name))
            self._packuments[name] = task
        return await asyncio.shield(task)

    async def _lazy_packument(self, name: str) -> _Lazy:
        task = self._lazy.get(name)
        if task is None:

            async def load() -> _Lazy:
                url = packument_url(self.registry_url, name)
                response = await self._client.get_bytes(
                    url, headers={"accept": "application/json", "pacote-req-type": "packument"}, pkgid=name
                )
                return _Lazy(msgspec.json.decode(response.body, type=_Packument))

            self.packument_requests += 1
            task = asyncio.ensure_future(load())
            self._lazy[name] = task
        return await asyncio.shield(task)

    async def manifest(self, spec: PackageSpec, *, where: Path) -> ResolvedManifest:
        if isinstance(spec, AliasSpec | RegistrySpec):
            registry_spec = spec.sub_spec if isinstance(spec, AliasSpec) else spec
            name = registry_spec.name or ""
            lazy = await self._lazy_packument(name)
            packument = lazy.for_spec(registry_spec.fetch_spec, self.options.default_tag)
            opts = PickOptions(
                default_tag=self.options.default_tag,
                before_ms=_ms(self.options.before),
                node_version=self.options.node_version,
                npm_version=self.options.npm_version,
            )
            chosen = pick_manifest(packument, registry_spec.fetch_spec, opts).manifest
            picked = lazy.manifest(str(chosen["version"]))
            dist = picked.get("dist")
            dist = dist if isinstance(dist, dict) else {}
            tarball = dist.get("tarball")
            integrity = dist.get("integrity")
            if not isinstance(integrity, str):
                shasum = dist.get("shasum")
                integrity = (
                    "sha1-" + base64.b64encode(bytes.fromhex(shasum)).decode()
                    if isinstance(shasum, str)
                    else None
                )
            return ResolvedManifest(
                dict(picked),
                tarball if isinstance(tarball, str) else None,
                integrity,
                f"{spec.name}@{spec.raw_spec}",
            )
        if isinstance(spec, FileSpec):
            try:
                data = Path(spec.fetch_spec).read_bytes()
            except OSError as err:
                raise SnpmError(str(err), code="ENOENT") from None
            return ResolvedManifest(manifest_from_tarball(data), spec.fetch_spec, sri(data), spec.save_spec)
        if isinstance(spec, RemoteSpec):
            response = await self._client.get_bytes(spec.fetch_spec)
            data = response.body
            return ResolvedManifest(manifest_from_tarball(data), spec.fetch_spec, sri(data), spec.save_spec)
        if isinstance(spec, DirectorySpec):
            try:
                text = (Path(spec.fetch_spec) / "package.json").read_text()
            except OSError as err:
                raise SnpmError(str(err), code="ENOENT") from None
            loaded = json.loads(text)
            return ResolvedManifest(loaded, f"file:{spec.fetch_spec}", None, spec.save_spec)
        assert isinstance(spec, GitSpec)
        raise SnpmError("git is not available in tests", code="ENOGIT")

    async def extract(
        self, spec: str, dest: Path, *, integrity: str | None = None, resolved: str | None = None
    ) -> object:
        url = resolved or spec
        if url.startswith("file:"):
            data = Path(url[5:]).read_bytes()
        else:
            data = (await self._client.get_bytes(url)).body
        extract(data, dest)
        return None

"""`npm pack`: lib/commands/pack.js and libnpmpack, plus the pacote calls they make.

`PackageSource` is pacote's `manifest()`/`tarball()` for the specs pack and publish accept: a folder
(read with npm's normalisation, packed with npm-packlist after its `prepare` script), a local
tarball, a registry spec or a tarball URL. Git specs need the fetch engine's clone-and-prepare and
are refused with ENOTSUP here.

`pack_specs` follows pack.js: every manifest is read first (so a bad one fails before any tarball
is made), then each spec is packed in turn (`prepack`, the tarball with `prepare`, the file written
unless --dry-run, `postpack` with npm_package_from/resolved/integrity), and the reports come last.
Nothing is printed here: the caller renders `TarballContents` (see `snpm.ops.tarball_report`).
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from snpm.ecmascript.json import JSONParseError, parse_json
from snpm.errors import SnpmError, from_os_error
from snpm.integrity import compute
from snpm.json_types import JsonObject
from snpm.manifest import normalize, read_package_json
from snpm.manifest.pack_manifest import normalize_bins
from snpm.manifest.packlist import packlist
from snpm.ops.package_scripts import ScriptRunner, run_lifecycle
from snpm.ops.tarball_report import TarballContents, tarball_contents
from snpm.spec import DirectorySpec, FileSpec, PackageSpec, RegistrySpec, RemoteSpec, parse_spec
from snpm.tarball import PackFile, extract, gzip_tar, is_package_bin, iter_entries, pack_tar

if TYPE_CHECKING:
    from snpm.registry_client import RegistryClient

__all__ = [
    "PackOptions",
    "PackageSource",
    "Packed",
    "pack_folder",
    "pack_specs",
    "read_folder_manifest",
]

LogFn = Callable[..., None]


def read_folder_manifest(folder: Path) -> JsonObject:
    """pacote's DirFetcher.manifest(): package.json normalised, plus `_resolved` and `_from`."""
    content = normalize(read_package_json(folder).content, path=folder)
    content["_resolved"] = str(folder)
    content["_from"] = f"file:{folder}"
    return content


def pack_folder(
    folder: Path, *, prefix: Path | None = None, workspaces: Sequence[Path] = (), log: LogFn | None = None
) -> bytes:
    """The gzipped tarball of a package folder (pacote DirFetcher + npm-packlist + node-tar).

    Like `snpm.tarball.pack_directory`, with npm's `prefix`/`workspaces` options passed to the
    packlist (a workspace packed from its root also honours the ignore files above it)."""
    manifest = read_package_json(folder).content
    warnings: list[str] = []
    names = packlist(folder, manifest, prefix=prefix, workspaces=list(workspaces) or None, warnings=warnings)
    if log is not None:
        for warning in warnings:
            title, _, message = warning.partition(" ")
            log("warn", title, message)
    bins = set(normalize_bins(manifest, folder).values())
    seen_inodes: dict[tuple[int, int], str] = {}
    files: list[PackFile] = []
    for rel in names:
        full = folder / rel
        try:
            st = os.lstat(full)
        except OSError as err:
            raise from_os_error(err, "lstat") from err
        mode = st.st_mode & 0o7777
        if is_package_bin(bins, rel):
            mode |= 0o111
        link_to: str | None = None
        if st.st_nlink > 1:  # node-tar writes a second path to one inode as a hard link
            key = (st.st_dev, st.st_ino)
            link_to = seen_inodes.get(key)
            if link_to is None:
                seen_inodes[key] = rel.removeprefix("./")
        files.append(PackFile(rel, full, mode, link_to))
    tar, _entries = pack_tar(files)
    return gzip_tar(tar)


def _tarball_package_json(tarball: bytes) -> JsonObject:
    for entry in iter_entries(tarball):
        if entry.path == "package.json" and entry.type in ("File", "OldFile", "ContiguousFile"):
            try:
                parsed = parse_json(entry.data.decode("utf-8", "replace"), what="package.json")
            except JSONParseError as err:
                raise SnpmError(f"Invalid package.json: {err}", code="EJSONPARSE") from None
            if isinstance(parsed.value, dict):
                return parsed.value
    raise SnpmError("Invalid package, must have name and version")


class PackageSource:
    """pacote.manifest / pacote.tarball for one command run. `client` is made on first use."""

    def __init__(
        self,
        *,
        where: Path,
        make_client: Callable[[], RegistryClient],
        default_tag: str = "latest",
        node: str = "node",
    ) -> None:
        """`default_tag` and `node` (the node binary, for engine checks) pick registry versions."""
        self.where = where
        self._make_client = make_client
        self._client: RegistryClient | None = None
        self._default_tag = default_tag
        self._node = node
        self._tarballs: dict[str, bytes] = {}

    @property
    def client(self) -> RegistryClient:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    def parse(self, arg: str) -> PackageSpec:
        return parse_spec(arg, str(self.where))

    async def manifest(self, spec: PackageSpec, *, full: bool = False) -> JsonObject:
        """The manifest pacote gives; `full` is publish's fullMetadata + fullReadJson (tarballs are
        then read with the `prepare` steps, readme included)."""
        if isinstance(spec, DirectorySpec):
            return read_folder_manifest(Path(spec.fetch_spec or "."))
        if isinstance(spec, FileSpec):
            data = await self._file_bytes(spec)
            mani = await asyncio.to_thread(_read_tarball_manifest, data, full)
            mani.update(
                _integrity=str(compute(data)), _resolved=spec.fetch_spec or "", _from=spec.save_spec or ""
            )
            return mani
        if isinstance(spec, RemoteSpec):
            data = await self._remote_bytes(spec)
            mani = await asyncio.to_thread(_read_tarball_manifest, data, full)
            url = spec.fetch_spec or ""
            mani.update(_integrity=str(compute(data)), _resolved=url, _from=spec.save_spec or url)
            return mani
        if isinstance(spec, RegistrySpec):
            from snpm import NPM_VERSION
            from snpm.config.definitions import node_version
            from snpm.fetch.pick_manifest import PickOptions, pick_manifest
            from snpm.registry_client import fetch_packument

            name = spec.name or ""
            packument = await fetch_packument(
                self.client, name, full=full, pkgid=str(spec), cache_mode="no-cache"
            )
            pick = PickOptions(
                self._default_tag, node_version=node_version(self._node), npm_version=NPM_VERSION
            )
            picked = dict(pick_manifest(packument, spec.fetch_spec, pick).manifest)
            dist = picked.get("dist")
            if isinstance(dist, dict):
                picked["_resolved"] = dist.get("tarball")
                picked["_integrity"] = dist.get("integrity")
            picked["_from"] = f"{name}@{spec.raw_spec}"
            picked.setdefault("_id", f"{picked.get('name')}@{picked.get('version')}")
            return picked
        raise SnpmError(
            f"snpm cannot pack or publish this kind of spec yet (needs the fetch engine): {spec}",
            code="ENOTSUP",
        )

    async def tarball(self, spec: PackageSpec, manifest: JsonObject) -> bytes:
        """pacote.tarball for a non-folder spec (folders are packed by `pack_specs`)."""
        if isinstance(spec, FileSpec):
            return await self._file_bytes(spec)
        if isinstance(spec, RemoteSpec):
            return await self._remote_bytes(spec)
        if isinstance(spec, RegistrySpec):
            url = manifest.get("_resolved")
            integrity = manifest.get("_integrity")
            if not isinstance(url, str):
                raise SnpmError(f"Invalid tarball URL for {spec}", code="EBADTARBALL")
            if isinstance(integrity, str):
                response = await self.client.get_bytes(url, integrity=integrity, pkgid=str(spec))
            else:
                response = await self.client.get_bytes(url, pkgid=str(spec))
            return response.body
        raise SnpmError(f"snpm cannot pack this kind of spec yet: {spec}", code="ENOTSUP")

    async def _file_bytes(self, spec: FileSpec) -> bytes:
        path = spec.fetch_spec or ""
        if path not in self._tarballs:
            try:
                self._tarballs[path] = await asyncio.to_thread(Path(path).read_bytes)
            except OSError as err:
                raise from_os_error(err, "open") from None
        return self._tarballs[path]

    async def _remote_bytes(self, spec: RemoteSpec) -> bytes:
        url = spec.fetch_spec or ""
        if url not in self._tarballs:
            self._tarballs[url] = (await self.client.get_bytes(url, pkgid=str(spec))).body
        return self._tarballs[url]


def _read_tarball_manifest(data: bytes, full: bool) -> JsonObject:
    """FileFetcher.manifest(): package.json of the tarball; with `full`, read like `prepare` does
    (from the unpacked files, so the readme and friends are filled in)."""
    if not full:
        return normalize(_tarball_package_json(data))
    from snpm.ops.publish_manifest import prepared_manifest

    with tempfile.TemporaryDirectory(prefix="snpm-manifest-") as tmp:
        extract(data, Path(tmp))
        try:
            content = read_package_json(tmp).content
        except SnpmError:
            raise SnpmError("Invalid package, must have name and version") from None
        return prepared_manifest(dict(content), Path(tmp), None)


class PackOptions(msgspec.Struct, frozen=True):
    """libnpmpack's options as pack.js and publish.js set them."""

    dry_run: bool = False
    pack_destination: Path = Path(".")
    prefix: Path | None = None  # npm.localPrefix
    workspaces: tuple[Path, ...] = ()  # the selected workspace folders (npm pack -w)
    log: LogFn | None = None


class Packed(msgspec.Struct, frozen=True):
    spec: PackageSpec
    manifest: JsonObject
    tarball: bytes
    contents: TarballContents


async def pack_spec(
    source: PackageSource, spec: PackageSpec, manifest: JsonObject, options: PackOptions, runner: ScriptRunner
) -> bytes:
    """libnpmpack: prepack, the tarball (a folder runs `prepare` first), write it, postpack."""
    folder = Path(spec.fetch_spec or ".") if isinstance(spec, DirectorySpec) else None
    if folder is not None:
        await run_lifecycle(runner, "prepack", path=str(folder), pkg=manifest, foreground=False)
        # pacote DirFetcher#prepareDir: `prepare` with the folder as npm_package_resolved
        await run_lifecycle(
            runner,
            "prepare",
            path=str(folder),
            pkg=manifest,
            foreground=False,
            extra_env={
                "npm_package_resolved": str(folder),
                "npm_package_integrity": "null",
                "npm_package_json": str(folder / "package.json"),
            },
        )
        tarball = await asyncio.to_thread(
            pack_folder, folder, prefix=options.prefix, workspaces=options.workspaces, log=options.log
        )
    else:
        tarball = await source.tarball(spec, manifest)
    if not options.dry_run:
        # libnpmpack's own file name rule: every `/` and `\` becomes `-` (getContents differs)
        filename = re.sub(
            r"[/\\]", "-", f"{manifest.get('name')}-{manifest.get('version')}.tgz".removeprefix("@")
        )
        destination = options.pack_destination / filename
        try:
            await asyncio.to_thread(destination.write_bytes, tarball)
        except OSError as err:
            raise from_os_error(err, "open") from None
    if folder is not None:
        sha512 = compute(tarball)
        await run_lifecycle(
            runner,
            "postpack",
            path=str(folder),
            pkg=manifest,
            foreground=False,
            extra_env={
                "npm_package_from": f"file:{folder}",
                "npm_package_resolved": str(folder),
                "npm_package_integrity": str(sha512),
            },
        )
    return tarball


async def pack_specs(
    source: PackageSource, args: Sequence[str], options: PackOptions, runner: ScriptRunner
) -> list[Packed]:
    """pack.js exec(): manifests first, then one tarball per spec; the reports are returned."""
    wanted: list[tuple[PackageSpec, JsonObject]] = []
    for arg in args or ["."]:
        spec = source.parse(arg)
        manifest = await source.manifest(spec)
        if not manifest.get("_id"):
            raise SnpmError("Invalid package, must have name and version")
        wanted.append((spec, manifest))
    packed: list[Packed] = []
    for spec, manifest in wanted:
        tarball = await pack_spec(source, spec, manifest, options, runner)
        packed.append(Packed(spec, manifest, tarball, tarball_contents(manifest, tarball)))
    return packed

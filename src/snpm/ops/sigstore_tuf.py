"""The Sigstore TUF client `npm audit signatures` asks for a registry's signing keys first
(@sigstore/tuf 4 over tuf-js 4, as npm 11.19.1 bundles them).

    client = TufClient(RegistryClient(tuf_client_settings(npm_settings)), cache / "_tuf")
    await client.refresh()                 # root rotations, timestamp, snapshot, targets
    text = await client.get_target("registry.npmjs.org/keys.json")   # TUF_FIND_TARGET_ERROR if absent

The trust anchor is the root npm ships (`sigstore_seeds.json`, copied from @sigstore/tuf's
seeds.json, Apache-2.0); metadata is kept where npm keeps it (`<cache>/_tuf/<mirror host>/`:
root.json, timestamp.json, snapshot.json, targets.json and targets/), so npm and snpm share it.
Each role is verified as tuf-js does: threshold signatures over the canonical JSON of `signed`,
versions that never go back, expiry against the time the run started, lengths and hashes from the
referring metadata. Sigstore signs with ECDSA P-256 keys; other key types are not verified here
(their signatures do not count towards a threshold).
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlsplit

from snpm.errors import HttpError, SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.ecdsa_p256 import load_public_key, verify
from snpm.registry_client.settings import ClientSettings

if TYPE_CHECKING:
    from snpm.registry_client import RegistryClient

__all__ = ["DEFAULT_MIRROR", "TufClient", "TufError", "canonical_json", "tuf_client_settings"]

DEFAULT_MIRROR: Final = "https://tuf-repo-cdn.sigstore.dev"
_MAX_ROOT_ROTATIONS: Final = 256
_MAX_DELEGATIONS: Final = 32
_USER_AGENT: Final = "%40sigstore%2Ftuf/4.0.1 tuf-js/4.1.0"
_ECDSA_TYPES: Final = ("ecdsa", "ecdsa-sha2-nistp256")


class TufError(SnpmError):
    """@sigstore/tuf's TUFError (code TUF_*), or a tuf-js repository error."""


def tuf_client_settings(npm: ClientSettings, mirror: str = DEFAULT_MIRROR) -> ClientSettings:
    """What tuf-js's fetcher gets: make-fetch-happen with npm's timeout and retry options and its own
    user agent, and nothing else from npm's config (no proxy or CA settings, no credentials, no
    npm-* headers, no HTTP cache); proxies in the environment still apply, as in @npmcli/agent."""
    return ClientSettings(
        registry=mirror,
        proxy_env=npm.proxy_env,
        fetch_retries=npm.fetch_retries,
        fetch_retry_factor=npm.fetch_retry_factor,
        fetch_retry_mintimeout=npm.fetch_retry_mintimeout,
        fetch_retry_maxtimeout=npm.fetch_retry_maxtimeout,
        fetch_timeout=npm.fetch_timeout,
        user_agent=_USER_AGENT,
        auth_type="",
    )


def _encode(name: str) -> str:
    return quote(name, safe="!'()*-._~")


@lru_cache(maxsize=1)
def _seeds() -> Mapping[str, JsonValue]:
    data: JsonObject = json.loads((Path(__file__).with_name("sigstore_seeds.json")).read_text("utf-8"))
    return data


def canonical_json(value: JsonValue) -> str:
    """OLPC canonical JSON (@tufjs/canonical-json): sorted keys, no spaces, only `\\` and `"`
    escaped, integers only."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise TufError(f"cannot encode {value}")
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    return "{" + ",".join(f"{canonical_json(k)}:{canonical_json(value[k])}" for k in sorted(value)) + "}"


def _obj(value: JsonValue) -> JsonObject:
    return value if isinstance(value, dict) else {}


def _int(value: JsonValue) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _expired(signed: JsonObject, now: datetime) -> bool:
    expires = signed.get("expires")
    if not isinstance(expires, str):
        return True
    try:
        when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return True
    return now >= when


def _parse(data: bytes, kind: str) -> JsonObject:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise TufError(f"invalid {kind} metadata: {err}", code="TUF_REPOSITORY_ERROR") from None
    signed = _obj(_obj(doc).get("signed"))
    if signed.get("_type") != kind:
        raise TufError(f"Expected '{kind}', got {signed.get('_type')}", code="TUF_REPOSITORY_ERROR")
    return _obj(doc)


def _key_verifies(key: JsonObject, payload: bytes, sig: str) -> bool:
    if key.get("keytype") not in _ECDSA_TYPES:
        return False
    public = _obj(key.get("keyval")).get("public")
    if not isinstance(public, str):
        return False
    try:
        return verify(load_public_key(public), payload, bytes.fromhex(sig))
    except ValueError:
        return False


def _verify_delegate(delegator: JsonObject, role_name: str, metadata: JsonObject) -> None:
    """tuf-js Metadata.verifyDelegate: `role_name`'s threshold of keys signed `metadata`."""
    signed = _obj(delegator.get("signed"))
    role: JsonObject | None = None
    if signed.get("_type") == "root":
        keys = _obj(signed.get("keys"))
        role = _obj(signed.get("roles")).get(role_name)  # type: ignore[assignment]
    else:
        delegations = _obj(signed.get("delegations"))
        keys = _obj(delegations.get("keys"))
        roles = delegations.get("roles")
        for candidate in roles if isinstance(roles, list) else []:
            if isinstance(candidate, dict) and candidate.get("name") == role_name:
                role = candidate
    if not isinstance(role, dict):
        raise TufError(f"no delegation found for {role_name}", code="TUF_VALUE_ERROR")
    signatures: dict[str, str] = {}
    listed = metadata.get("signatures")
    for entry in listed if isinstance(listed, list) else []:
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("keyid"), str)
            and isinstance(entry.get("sig"), str)
        ):
            signatures[str(entry["keyid"])] = str(entry["sig"])
    payload = canonical_json(metadata.get("signed")).encode()
    signing: set[str] = set()
    keyids = role.get("keyids")
    for keyid in keyids if isinstance(keyids, list) else []:
        key = keys.get(keyid) if isinstance(keyid, str) else None
        sig = signatures.get(keyid) if isinstance(keyid, str) else None
        if isinstance(key, dict) and sig and _key_verifies(key, payload, sig):
            signing.add(str(keyid))
    threshold = _int(role.get("threshold"))
    if len(signing) < threshold:
        raise TufError(
            f"{role_name} was signed by {len(signing)}/{threshold} keys", code="TUF_UNSIGNED_METADATA_ERROR"
        )


def _verify_file(info: JsonObject, data: bytes) -> None:
    """A MetaFile/TargetFile: the length and every hash it states."""
    length = info.get("length")
    if isinstance(length, int) and len(data) != length:
        raise TufError(f"expected length {length} but got {len(data)}", code="TUF_LENGTH_OR_HASH_MISMATCH")
    hashes = _obj(info.get("hashes"))
    for algorithm, expected in hashes.items():
        try:
            found = hashlib.new(algorithm, data).hexdigest()
        except ValueError:
            raise TufError(
                f"unsupported hash algorithm {algorithm}", code="TUF_LENGTH_OR_HASH_MISMATCH"
            ) from None
        if found != expected:
            raise TufError(f"{algorithm} hash mismatch", code="TUF_LENGTH_OR_HASH_MISMATCH")


def _in_pattern(target: str, pattern: str) -> bool:
    target_parts = target.split("/")
    pattern_parts = pattern.split("/")
    return len(target_parts) == len(pattern_parts) and all(
        fnmatch.fnmatchcase(t, p) for t, p in zip(target_parts, pattern_parts, strict=True)
    )


class TufClient:
    """One mirror's metadata, trusted step by step from the cached (or seeded) root."""

    def __init__(self, client: RegistryClient, tuf_cache: Path, *, mirror: str = DEFAULT_MIRROR) -> None:
        self.client = client
        self.mirror = mirror.rstrip("/")
        parts = urlsplit(mirror)
        self.dir = tuf_cache / _encode(parts.netloc + parts.path.rstrip("/"))
        self.targets_dir = self.dir / "targets"
        self.now = datetime.now(UTC)
        self.trusted: dict[str, JsonObject] = {}
        self._seed()
        root = _parse(self._read_local("root"), "root")
        _verify_delegate(root, "root", root)
        self.trusted["root"] = root

    # ── cache ──

    def _seed(self) -> None:
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        if (self.dir / "root.json").exists():
            return
        seed = _obj(_seeds().get(self.mirror))
        root = seed.get("root.json")
        if not isinstance(root, str):
            raise TufError(f"No root.json found for mirror: {self.mirror}", code="TUF_INIT_CACHE_ERROR")
        (self.dir / "root.json").write_bytes(base64.b64decode(root))
        for name, content in _obj(seed.get("targets")).items():
            if isinstance(content, str):
                (self.targets_dir / name).write_bytes(base64.b64decode(content))

    def _read_local(self, role: str) -> bytes:
        return (self.dir / f"{role}.json").read_bytes()

    def _persist(self, role: str, data: bytes) -> None:
        target = self.dir / f"{_encode(role)}.json"
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)

    async def _download(self, url: str) -> bytes:
        try:
            response = await self.client.request("GET", url, cache_mode="no-store", registry=self.mirror)
        except HttpError as err:
            raise TufError(
                "Failed to download", code="TUF_DOWNLOAD_HTTP_ERROR", extra={"status": err.status}
            ) from None
        return response.body

    # ── refresh ──

    async def refresh(self) -> None:
        await self._load_root()
        await self._load_timestamp()
        await self._load_snapshot()
        await self._load_targets("targets", "root")

    async def _load_root(self) -> None:
        version = _int(_obj(self.trusted["root"].get("signed")).get("version"))
        for next_version in range(version + 1, version + 1 + _MAX_ROOT_ROTATIONS):
            try:
                data = await self._download(f"{self.mirror}/{next_version}.root.json")
            except TufError as err:
                if err.extra.get("status") in (403, 404):
                    break
                raise
            new_root = _parse(data, "root")
            _verify_delegate(self.trusted["root"], "root", new_root)
            found = _int(_obj(new_root.get("signed")).get("version"))
            if found != next_version:
                raise TufError(f"Expected version {next_version}, got {found}", code="TUF_BAD_VERSION_ERROR")
            _verify_delegate(new_root, "root", new_root)
            self.trusted["root"] = new_root
            self._persist("root", data)

    def _update_timestamp(self, data: bytes) -> bool:
        """False when the new timestamp is the one already trusted."""
        if _expired(_obj(self.trusted["root"].get("signed")), self.now):
            raise TufError("Final root.json is expired", code="TUF_EXPIRED_METADATA_ERROR")
        new = _parse(data, "timestamp")
        _verify_delegate(self.trusted["root"], "timestamp", new)
        current = self.trusted.get("timestamp")
        new_signed = _obj(new.get("signed"))
        if current is not None:
            cur_signed = _obj(current.get("signed"))
            if _int(new_signed.get("version")) < _int(cur_signed.get("version")):
                raise TufError(
                    "New timestamp version is less than current version", code="TUF_BAD_VERSION_ERROR"
                )
            if _int(new_signed.get("version")) == _int(cur_signed.get("version")):
                return False
            if _int(self._snapshot_meta(new).get("version")) < _int(
                self._snapshot_meta(current).get("version")
            ):
                raise TufError(
                    "New snapshot version is less than current version", code="TUF_BAD_VERSION_ERROR"
                )
        self.trusted["timestamp"] = new
        if _expired(new_signed, self.now):
            raise TufError("Final timestamp.json is expired", code="TUF_EXPIRED_METADATA_ERROR")
        return True

    @staticmethod
    def _snapshot_meta(timestamp: JsonObject) -> JsonObject:
        return _obj(_obj(_obj(timestamp.get("signed")).get("meta")).get("snapshot.json"))

    async def _load_timestamp(self) -> None:
        with contextlib.suppress(OSError, SnpmError):
            self._update_timestamp(self._read_local("timestamp"))
        data = await self._download(f"{self.mirror}/timestamp.json")
        if self._update_timestamp(data):
            self._persist("timestamp", data)

    def _update_snapshot(self, data: bytes, *, trusted: bool) -> None:
        timestamp = self.trusted.get("timestamp")
        if timestamp is None:
            raise TufError("Cannot update snapshot before timestamp", code="TUF_RUNTIME_ERROR")
        meta = self._snapshot_meta(timestamp)
        if not trusted:
            _verify_file(meta, data)
        new = _parse(data, "snapshot")
        _verify_delegate(self.trusted["root"], "snapshot", new)
        current = self.trusted.get("snapshot")
        if current is not None:
            new_meta = _obj(_obj(new.get("signed")).get("meta"))
            for name, info in _obj(_obj(current.get("signed")).get("meta")).items():
                if name not in new_meta:
                    raise TufError(f"Missing file {name} in new snapshot", code="TUF_REPOSITORY_ERROR")
                if _int(_obj(new_meta[name]).get("version")) < _int(_obj(info).get("version")):
                    raise TufError(
                        f"New version of {name} is less than current", code="TUF_BAD_VERSION_ERROR"
                    )
        signed = _obj(new.get("signed"))
        if _expired(signed, self.now):
            raise TufError("snapshot.json is expired", code="TUF_EXPIRED_METADATA_ERROR")
        if _int(signed.get("version")) != _int(meta.get("version")):
            raise TufError("Snapshot version doesn't match timestamp", code="TUF_BAD_VERSION_ERROR")
        self.trusted["snapshot"] = new

    @property
    def _consistent(self) -> bool:
        return bool(_obj(self.trusted["root"].get("signed")).get("consistent_snapshot"))

    async def _load_snapshot(self) -> None:
        try:
            self._update_snapshot(self._read_local("snapshot"), trusted=True)
            return
        except (OSError, SnpmError):
            pass
        meta = self._snapshot_meta(self.trusted["timestamp"])
        name = f"{_int(meta.get('version'))}.snapshot.json" if self._consistent else "snapshot.json"
        try:
            data = await self._download(f"{self.mirror}/{name}")
            self._update_snapshot(data, trusted=False)
        except SnpmError as err:
            raise TufError(
                f"Unable to load snapshot metadata error {err}", code="TUF_RUNTIME_ERROR"
            ) from None
        self._persist("snapshot", data)

    def _update_targets(self, data: bytes, role: str, delegator_name: str) -> None:
        snapshot = self.trusted.get("snapshot")
        if snapshot is None:
            raise TufError("Cannot update delegated targets before snapshot", code="TUF_RUNTIME_ERROR")
        delegator = self.trusted.get(delegator_name)
        if delegator is None:
            raise TufError(f"No trusted {delegator_name} metadata", code="TUF_RUNTIME_ERROR")
        meta = _obj(_obj(_obj(snapshot.get("signed")).get("meta")).get(f"{role}.json"))
        if not meta:
            raise TufError(f"Missing {role}.json in snapshot", code="TUF_REPOSITORY_ERROR")
        _verify_file(meta, data)
        new = _parse(data, "targets")
        _verify_delegate(delegator, role, new)
        signed = _obj(new.get("signed"))
        if _int(signed.get("version")) != _int(meta.get("version")):
            raise TufError(f"Version of {role} does not match snapshot version", code="TUF_BAD_VERSION_ERROR")
        if _expired(signed, self.now):
            raise TufError(f"{role}.json is expired", code="TUF_EXPIRED_METADATA_ERROR")
        self.trusted[role] = new

    async def _load_targets(self, role: str, parent: str) -> JsonObject:
        known = self.trusted.get(role)
        if known is not None:
            return known
        try:
            self._update_targets(self._read_local(_encode(role)), role, parent)
        except (OSError, SnpmError):
            snapshot = self.trusted["snapshot"]
            meta = _obj(_obj(_obj(snapshot.get("signed")).get("meta")).get(f"{role}.json"))
            name = (
                f"{_int(meta.get('version'))}.{_encode(role)}.json"
                if self._consistent
                else f"{_encode(role)}.json"
            )
            try:
                data = await self._download(f"{self.mirror}/{name}")
                self._update_targets(data, role, parent)
            except SnpmError as err:
                raise TufError(f"Unable to load targets error {err}", code="TUF_RUNTIME_ERROR") from None
            self._persist(role, data)
        return self.trusted[role]

    # ── targets ──

    async def _target_info(self, path: str) -> JsonObject | None:
        """tuf-js preorderDepthFirstWalk through the delegations."""
        to_visit: list[tuple[str, str]] = [("targets", "root")]
        visited: set[str] = set()
        while len(visited) <= _MAX_DELEGATIONS and to_visit:
            role, parent = to_visit.pop()
            if role in visited:
                continue
            signed = _obj((await self._load_targets(role, parent)).get("signed"))
            found = _obj(signed.get("targets")).get(path)
            if isinstance(found, dict):
                return found
            visited.add(role)
            roles = _obj(signed.get("delegations")).get("roles")
            children: list[tuple[str, str]] = []
            for candidate in roles if isinstance(roles, list) else []:
                if not isinstance(candidate, dict) or not isinstance(candidate.get("name"), str):
                    continue
                paths = candidate.get("paths")
                prefixes = candidate.get("path_hash_prefixes")
                if isinstance(paths, list):
                    matches = any(isinstance(p, str) and _in_pattern(path, p) for p in paths)
                elif isinstance(prefixes, list):
                    digest = hashlib.sha256(path.encode()).hexdigest()
                    matches = any(isinstance(p, str) and digest.startswith(p) for p in prefixes)
                else:
                    matches = False
                if matches:
                    children.append((str(candidate["name"]), role))
                    if candidate.get("terminating"):
                        to_visit.clear()
                        break
            to_visit.extend(reversed(children))
        return None

    async def get_target(self, path: str) -> str:
        """@sigstore/tuf readTarget: the target's text, from the cache or downloaded and verified."""
        if "targets" not in self.trusted:
            try:
                await self.refresh()
            except SnpmError as err:
                raise TufError("error refreshing TUF metadata", code="TUF_REFRESH_METADATA_ERROR") from err
        info = await self._target_info(path)
        if info is None:
            raise TufError(f"target {path} not found", code="TUF_FIND_TARGET_ERROR")
        local = self.targets_dir / _encode(path)
        try:
            data = local.read_bytes()
            _verify_file(info, data)
        except (OSError, SnpmError):
            hashes = list(_obj(info.get("hashes")).values())
            folder, _, base = path.rpartition("/")
            name = f"{hashes[0]}.{base}" if self._consistent and hashes else base
            url = f"{self.mirror}/targets/{folder + '/' if folder else ''}{name}"
            try:
                data = await self._download(url)
                _verify_file(info, data)
            except SnpmError as err:
                raise TufError(f"error downloading target {local}", code="TUF_DOWNLOAD_TARGET_ERROR") from err
            local.write_bytes(data)
        return data.decode("utf-8")

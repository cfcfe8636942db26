"""snpm.ops.sigstore_tuf against a small TUF repository served by a FakeRegistry: root rotation,
timestamp/snapshot/targets verification, finding and caching a target, and the refusals (bad
signature, expired metadata, unknown target). The repository is signed with test-only P-256 keys."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web

from snpm.ops.sigstore_tuf import TufClient, TufError, canonical_json
from snpm.registry_client import RegistryClient
from support.ecdsa_signer import SigningKey
from support.fake_registry import FakeRegistry, settings_for

FUTURE = "2099-01-01T00:00:00Z"
PAST = "2001-01-01T00:00:00Z"


def _key_json(key: SigningKey) -> dict[str, Any]:
    return {"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": key.pem}}


def _sign(signed: dict[str, Any], *keys: tuple[str, SigningKey]) -> bytes:
    payload = canonical_json(signed).encode()
    signatures = [{"keyid": keyid, "sig": key.sign(payload).hex()} for keyid, key in keys]
    return json.dumps({"signatures": signatures, "signed": signed}, indent=1).encode()


@dataclass
class Repo:
    fake: FakeRegistry
    root_key: SigningKey = field(default_factory=SigningKey.generate)
    online_key: SigningKey = field(default_factory=SigningKey.generate)
    files: dict[str, bytes] = field(default_factory=dict)

    root_keyid: str = "root"

    def root(self, version: int, root_key: SigningKey | None = None, keyid: str = "root") -> dict[str, Any]:
        key = root_key or self.root_key
        return {
            "_type": "root",
            "spec_version": "1.0",
            "version": version,
            "expires": FUTURE,
            "consistent_snapshot": True,
            "keys": {keyid: _key_json(key), "online": _key_json(self.online_key)},
            "roles": {
                "root": {"keyids": [keyid], "threshold": 1},
                "targets": {"keyids": [keyid], "threshold": 1},
                "snapshot": {"keyids": ["online"], "threshold": 1},
                "timestamp": {"keyids": ["online"], "threshold": 1},
            },
        }

    def publish(
        self, targets: dict[str, bytes], *, timestamp_expires: str = FUTURE, bad_timestamp: bool = False
    ) -> None:
        listed = {
            name: {"length": len(data), "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}
            for name, data in targets.items()
        }
        for name, data in targets.items():
            folder, _, base = name.rpartition("/")
            digest = hashlib.sha256(data).hexdigest()
            self.files[f"/targets/{folder}/{digest}.{base}"] = data
        self.files["/1.targets.json"] = _sign(
            {"_type": "targets", "spec_version": "1.0", "version": 1, "expires": FUTURE, "targets": listed},
            (self.root_keyid, self.root_key),
        )
        self.files["/1.snapshot.json"] = _sign(
            {
                "_type": "snapshot",
                "spec_version": "1.0",
                "version": 1,
                "expires": FUTURE,
                "meta": {"targets.json": {"version": 1}},
            },
            ("online", self.online_key),
        )
        signer = SigningKey.generate() if bad_timestamp else self.online_key
        self.files["/timestamp.json"] = _sign(
            {
                "_type": "timestamp",
                "spec_version": "1.0",
                "version": 1,
                "expires": timestamp_expires,
                "meta": {"snapshot.json": {"version": 1}},
            },
            ("online", signer),
        )
        for path in self.files:
            self.fake.on("GET", path, self._serve)

    async def _serve(self, request: web.Request, body: bytes) -> web.StreamResponse:
        return web.Response(body=self.files[request.path])


@pytest.fixture
def repo() -> Iterator[Repo]:
    fake = FakeRegistry()
    fake.start_in_thread()
    try:
        yield Repo(fake)
    finally:
        fake.stop_thread()


def _client(repo: Repo, cache: Path) -> TufClient:
    folder = cache / quote(repo.fake.url.rstrip("/").split("://", 1)[1], safe="")
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "root.json").exists():
        (folder / "root.json").write_bytes(_sign(repo.root(1), ("root", repo.root_key)))
    return TufClient(RegistryClient(settings_for(repo.fake)), cache, mirror=repo.fake.url.rstrip("/"))


def _run(client: TufClient, target: str) -> str:
    async def main() -> str:
        try:
            return await client.get_target(target)
        finally:
            await client.client.close()

    return asyncio.run(main())


KEYS = json.dumps(
    {"keys": [{"keyId": "SHA256:x", "publicKey": {"rawBytes": "AAAA", "validFor": {"start": "2020"}}}]}
).encode()


def test_finds_verifies_and_caches_a_target(repo: Repo, tmp_path: Path) -> None:
    repo.publish({"registry.test/keys.json": KEYS})
    assert json.loads(_run(_client(repo, tmp_path), "registry.test/keys.json")) == json.loads(KEYS)
    folder = next(tmp_path.iterdir())
    assert sorted(p.name for p in folder.iterdir()) == [
        "root.json",
        "snapshot.json",
        "targets",
        "targets.json",
        "timestamp.json",
    ]
    assert (folder / "targets" / "registry.test%2Fkeys.json").read_bytes() == KEYS
    # the second time the target comes from the cache
    del repo.files[next(p for p in repo.files if p.endswith(".keys.json"))]
    assert _run(_client(repo, tmp_path), "registry.test/keys.json") == KEYS.decode()


def test_an_unknown_target_is_tuf_find_target_error(repo: Repo, tmp_path: Path) -> None:
    repo.publish({"registry.test/keys.json": KEYS})
    with pytest.raises(TufError) as caught:
        _run(_client(repo, tmp_path), "127.0.0.1:9/keys.json")
    assert caught.value.code == "TUF_FIND_TARGET_ERROR"


def test_root_rotation(repo: Repo, tmp_path: Path) -> None:
    repo.publish({"registry.test/keys.json": KEYS})
    client = _client(repo, tmp_path)
    new_key = SigningKey.generate()
    rotated = repo.root(2, new_key, "root2")
    repo.files["/2.root.json"] = _sign(rotated, ("root", repo.root_key), ("root2", new_key))
    repo.fake.on("GET", "/2.root.json", repo._serve)
    # targets are signed by the new root's key from now on
    repo.root_key, repo.root_keyid = new_key, "root2"
    repo.publish({"registry.test/keys.json": KEYS})
    assert _run(client, "registry.test/keys.json") == KEYS.decode()
    stored = json.loads(next(tmp_path.iterdir()).joinpath("root.json").read_text())
    assert stored["signed"]["version"] == 2


def test_refuses_a_badly_signed_timestamp(repo: Repo, tmp_path: Path) -> None:
    repo.publish({"registry.test/keys.json": KEYS}, bad_timestamp=True)
    with pytest.raises(TufError) as caught:
        _run(_client(repo, tmp_path), "registry.test/keys.json")
    assert caught.value.code == "TUF_REFRESH_METADATA_ERROR"
    assert isinstance(caught.value.__cause__, TufError)
    assert caught.value.__cause__.code == "TUF_UNSIGNED_METADATA_ERROR"


def test_refuses_an_expired_timestamp(repo: Repo, tmp_path: Path) -> None:
    repo.publish({"registry.test/keys.json": KEYS}, timestamp_expires=PAST)
    with pytest.raises(TufError) as caught:
        _run(_client(repo, tmp_path), "registry.test/keys.json")
    assert isinstance(caught.value.__cause__, TufError)
    assert caught.value.__cause__.code == "TUF_EXPIRED_METADATA_ERROR"


def test_canonical_json() -> None:
    assert (
        canonical_json({"b": [1, 'x"\\'], "a": None, "c": True}) == '{"a":null,"b":[1,"x\\"\\\\"],"c":true}'
    )

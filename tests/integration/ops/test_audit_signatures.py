"""snpm.ops.audit_signatures end to end on a FakeRegistry that also serves a TUF repository: keys from
TUF or from `/-/npm/v1/keys` (with npm's warning), verified, missing and invalid signatures, and the
failures npm reports (no keys anywhere, nothing installed). Signed with test-only P-256 keys; the
tree is installed by snpm's own install."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from snpm.config import load_config
from snpm.errors import SnpmError
from snpm.ops import install as install_ops
from snpm.ops.audit_signatures import SignaturesResult, result_json, result_lines, verify_signatures
from snpm.ops.inspect.chalk import Chalk
from snpm.ops.reify_session import ReifyIO
from snpm.ops.sigstore_tuf import canonical_json
from support.ecdsa_signer import SigningKey
from support.fake_registry import FakeRegistry
from support.scenario_registry import ScenarioRegistry

FUTURE = "2099-01-01T00:00:00Z"


class World:
    def __init__(self, tmp_path: Path, fake: FakeRegistry) -> None:
        self.tmp = tmp_path
        self.fake = fake
        self.scenario = ScenarioRegistry(fake)
        self.registry_key = SigningKey.generate()
        self.tuf_key = SigningKey.generate()
        self.logs: list[tuple[str, str, str]] = []
        self.files: dict[str, bytes] = {}

    @property
    def mirror(self) -> str:
        return self.fake.url.rstrip("/") + "/tuf"

    def publish(self, name: str, *, sign: str = "good") -> None:
        entry = self.scenario.publish(name, "1.0.0")
        integrity = entry["dist"]["integrity"]
        message = f"{name}@1.0.0:{integrity}".encode()
        if sign == "good":
            sig = self.registry_key.sign(message)
        elif sign == "bad":
            sig = self.registry_key.sign(message + b"!")
        else:
            return
        entry["dist"]["signatures"] = [{"keyid": "SHA256:test", "sig": base64.b64encode(sig).decode()}]
        self.fake.add_packument(name, self.scenario._doc(name))

    def serve_registry_keys(self, status: int = 200, keys: list[dict[str, Any]] | None = None) -> None:
        default = [
            {
                "expires": None,
                "keyid": "SHA256:test",
                "keytype": "ecdsa-sha2-nistp256",
                "scheme": "ecdsa-sha2-nistp256",
                "key": self.registry_key.spki_base64,
            }
        ]

        async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
            if status != 200:
                return web.json_response({"error": "nope"}, status=status)
            return web.json_response({"keys": default if keys is None else keys})

        self.fake.on("GET", "/-/npm/v1/keys", handler)

    def serve_tuf(self, targets: dict[str, bytes]) -> None:
        def signed(meta: dict[str, Any]) -> bytes:
            payload = canonical_json(meta).encode()
            return json.dumps(
                {"signatures": [{"keyid": "k", "sig": self.tuf_key.sign(payload).hex()}], "signed": meta}
            ).encode()

        key = {"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": self.tuf_key.pem}}
        roles = {r: {"keyids": ["k"], "threshold": 1} for r in ("root", "targets", "snapshot", "timestamp")}
        root = {
            "_type": "root",
            "version": 1,
            "expires": FUTURE,
            "consistent_snapshot": True,
            "keys": {"k": key},
            "roles": roles,
        }
        listed = {
            n: {"length": len(d), "hashes": {"sha256": hashlib.sha256(d).hexdigest()}}
            for n, d in targets.items()
        }
        self.files = {
            "/tuf/timestamp.json": signed(
                {
                    "_type": "timestamp",
                    "version": 1,
                    "expires": FUTURE,
                    "meta": {"snapshot.json": {"version": 1}},
                }
            ),
            "/tuf/1.snapshot.json": signed(
                {
                    "_type": "snapshot",
                    "version": 1,
                    "expires": FUTURE,
                    "meta": {"targets.json": {"version": 1}},
                }
            ),
            "/tuf/1.targets.json": signed(
                {"_type": "targets", "version": 1, "expires": FUTURE, "targets": listed}
            ),
        }
        for name, data in targets.items():
            folder, _, base = name.rpartition("/")
            self.files[f"/tuf/targets/{folder}/{hashlib.sha256(data).hexdigest()}.{base}"] = data

        async def serve(request: web.Request, body: bytes) -> web.StreamResponse:
            return web.Response(body=self.files[request.path])

        for path in self.files:
            self.fake.on("GET", path, serve)
        host = self.mirror.split("://", 1)[1].replace(":", "%3A").replace("/", "%2F")
        folder = self.tmp / "home" / ".npm" / "_tuf" / host
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "root.json").write_bytes(signed(root))

    def context(self) -> install_ops.InstallContext:
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        (home / ".npmrc").write_text(f"registry={self.scenario.url}\naudit=false\nfund=false\n")
        env = {
            "HOME": str(home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "npm_config_userconfig": str(home / ".npmrc"),
            "npm_config_globalconfig": str(self.tmp / "globalnpmrc"),
            "npm_config_cache": str(home / ".npm"),
            "npm_config_prefix": str(self.tmp / "prefix"),
        }
        project = self.tmp / "project"
        project.mkdir(exist_ok=True)
        config = load_config(["audit", "signatures"], env=env, cwd=project)
        return install_ops.InstallContext(
            config=config, env=env, io=ReifyIO(log=lambda *a: self.logs.append(a)), command="audit"
        )

    def install(self, deps: dict[str, str]) -> None:
        project = self.tmp / "project"
        project.mkdir(exist_ok=True)
        (project / "package.json").write_text(
            json.dumps({"name": "p", "version": "1.0.0", "dependencies": deps})
        )
        asyncio.run(install_ops.install(self.context(), []))

    def verify(self) -> SignaturesResult:
        return asyncio.run(verify_signatures(self.context(), tuf_mirror=self.mirror))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fake = FakeRegistry()
    fake.start_in_thread()
    try:
        yield World(tmp_path, fake)
    finally:
        fake.stop_thread()


def test_registry_keys_verified_missing_and_invalid(world: World) -> None:
    world.publish("good-a")
    world.publish("plain-b", sign="none")
    world.publish("evil-c", sign="bad")
    world.install({"good-a": "^1.0.0", "plain-b": "^1.0.0", "evil-c": "^1.0.0"})
    world.serve_tuf({})
    world.serve_registry_keys()
    result = world.verify()
    registry = world.scenario.url
    assert (
        "warn",
        "",
        f"Fetching verification keys using TUF failed.  Fetching directly from {registry}.",
    ) in world.logs
    assert result.audited_with_keys == 3 and result.verified_signatures == 1
    assert [m["name"] for m in result.missing] == ["plain-b"]
    assert [i["name"] for i in result.invalid] == ["evil-c"]
    invalid = result.invalid[0]
    assert invalid["code"] == "EINTEGRITYSIGNATURE" and invalid["keyid"] == "SHA256:test"
    assert str(invalid["message"]).startswith(
        "evil-c@1.0.0 has an invalid registry signature with keyid: SHA256:test"
    )
    lines = result_lines(result, Chalk(False))
    assert lines[0].startswith("audited 3 packages in ")
    assert lines[1:] == [
        "",
        "1 package has a verified registry signature",
        "",
        "1 package has a missing registry signature but the registry is providing signing keys:",
        "",
        f"plain-b@1.0.0 ({registry})",
        "",
        "1 package has an invalid registry signature:",
        "",
        f"evil-c@1.0.0 ({registry})",
        "",
        "Someone might have tampered with this package since it was published on the registry!",
        "",
    ]
    assert list(result_json(result)) == ["invalid", "missing"]


def test_keys_from_tuf_need_no_warning(world: World) -> None:
    world.publish("good-a")
    world.install({"good-a": "^1.0.0"})
    host = world.scenario.url.split("://", 1)[1].rstrip("/")
    keys = {
        "keys": [
            {
                "keyId": "SHA256:test",
                "keyUsage": "npm:signatures",
                "publicKey": {
                    "rawBytes": world.registry_key.spki_base64,
                    "validFor": {"start": "1999-01-01T00:00:00.000Z"},
                },
            }
        ]
    }
    world.serve_tuf({f"{host}/keys.json": json.dumps(keys).encode()})
    result = world.verify()
    assert not [log for log in world.logs if log[0] == "warn"]
    assert result.audited_with_keys == 1 and result.verified_signatures == 1
    assert result_lines(result, Chalk(False))[1:] == ["", "1 package has a verified registry signature", ""]


@pytest.mark.parametrize("answer", ["404", "empty"])
def test_a_registry_without_keys(world: World, answer: str) -> None:
    """Unsigned packages from a registry without keys: nothing to audit (a signed one would fail
    with EMISSINGSIGNATUREKEY, as in pacote)."""
    world.publish("plain-a", sign="none")
    world.install({"plain-a": "^1.0.0"})
    world.serve_tuf({})
    if answer == "404":
        world.serve_registry_keys(status=404)
    else:
        world.serve_registry_keys(keys=[])
    with pytest.raises(
        SnpmError, match="found no dependencies to audit that were installed from a supported registry"
    ):
        world.verify()


def test_nothing_installed_and_no_dependencies(world: World) -> None:
    project = world.tmp / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "p", "version": "1.0.0"}')
    with pytest.raises(SnpmError, match="found no installed dependencies to audit"):
        world.verify()


def test_an_expired_key(world: World) -> None:
    world.publish("good-a")
    world.install({"good-a": "^1.0.0"})
    world.serve_tuf({})
    world.serve_registry_keys(
        keys=[
            {
                "expires": "2000-01-01T00:00:00.000Z",
                "keyid": "SHA256:test",
                "key": world.registry_key.spki_base64,
            }
        ]
    )
    with pytest.raises(SnpmError) as caught:
        world.verify()
    assert caught.value.code == "EEXPIREDSIGNATUREKEY"

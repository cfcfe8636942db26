"""The HTTP cache is shared with the real npm 11: what one caches, the other reads with
--prefer-offline without a request (same cacache keys, same make-fetch-happen metadata)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from snpm.cache.http_cache import HttpCache
from snpm.registry_client import RegistryClient, fetch_packument
from support.fake_registry import FakeRegistry, settings_for
from support.node import NPM

pytestmark = pytest.mark.e2e


def npm_view(registry: FakeRegistry, sandbox: Path, cache: Path, *extra: str) -> Any:
    if NPM is None:
        pytest.skip("npm is not installed")
    home = sandbox / "home"
    home.mkdir(exist_ok=True)
    (sandbox / "npmrc").touch()
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
    env.update({"HOME": str(home), "npm_config_update_notifier": "false", "NO_UPDATE_NOTIFIER": "1"})
    command = [
        NPM, "view", "demo", "--json",
        "--registry", registry.url,
        "--cache", str(cache),
        "--userconfig", str(sandbox / "npmrc"),
        "--globalconfig", str(sandbox / "globalnpmrc"),
        "--prefix", str(sandbox / "prefix"),
        "--fetch-retries", "0",
        *extra,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=sandbox)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def snpm_view(registry: FakeRegistry, cache: Path, **flags: bool) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        settings = settings_for(registry, cache=cache, npm_command="view", **flags)
        async with RegistryClient(settings, cache=HttpCache(cache)) as client:
            return await fetch_packument(client, "demo", full=True)

    return asyncio.run(main())


def test_snpm_reads_what_npm_cached(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("demo", versions=["1.0.0", "1.1.0"])
    cache = tmp_path / "cache"
    shown = npm_view(fake_registry, tmp_path, cache)
    assert shown["version"] == "1.1.0"
    seen = len(fake_registry.requests)
    assert seen == 1 and fake_registry.requests[0].path == "/demo"

    doc = snpm_view(fake_registry, cache, prefer_offline=True)
    assert len(fake_registry.requests) == seen  # answered from npm's cache entry
    assert doc["dist-tags"] == {"latest": "1.1.0"} and sorted(doc["versions"]) == ["1.0.0", "1.1.0"]
    # and in the default mode the stale entry is revalidated with npm's stored ETag
    snpm_view(fake_registry, cache)
    assert fake_registry.requests[-1].headers["if-none-match"] == fake_registry.etags["demo"]


def test_npm_reads_what_snpm_cached(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("demo", versions=["2.0.0"])
    cache = tmp_path / "cache"
    snpm_view(fake_registry, cache)
    assert len(fake_registry.requests) == 1

    shown = npm_view(fake_registry, tmp_path, cache, "--prefer-offline")
    assert len(fake_registry.requests) == 1  # npm made no request: snpm's entry was a hit
    assert shown["version"] == "2.0.0" and shown["name"] == "demo"
    # npm --offline also accepts it
    assert npm_view(fake_registry, tmp_path, cache, "--offline")["version"] == "2.0.0"
    assert len(fake_registry.requests) == 1

"""Real package tarballs for fetch tests: build them in memory and publish them on a FakeRegistry.

    publish(registry, "pb", ["1.0.0", "1.1.0"], tags={"latest": "1.0.0"})
    publish(registry, "tool", ["1.0.0"], manifest={"bin": {"tool": "cli.js"}},
            files={"cli.js": b"#!/usr/bin/env node\\n"})

Each version's tarball is packed like `npm pack` (package/ prefix, gzip) from a package.json made of
name, version and `manifest`, plus `files`; the packument lists it with `dist.tarball`, `shasum`
and `integrity`, and `time` entries (`times` overrides them per version).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from snpm.tarball import PackFile, pack
from support.fake_registry import FakeRegistry


def sri(data: bytes, algorithm: str = "sha512") -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def make_tarball(
    name: str,
    version: str,
    manifest: Mapping[str, Any] | None = None,
    files: Mapping[str, bytes] | None = None,
    modes: Mapping[str, int] | None = None,
) -> bytes:
    package_json = {"name": name, "version": version, **(manifest or {})}
    entries = [PackFile("package.json", json.dumps(package_json, indent=2).encode())]
    for path, data in (files or {"index.js": b"module.exports = 1\n"}).items():
        entries.append(PackFile(path, data, (modes or {}).get(path, 0o644)))
    return pack(entries)


def publish(
    registry: FakeRegistry,
    name: str,
    versions: list[str],
    *,
    tags: Mapping[str, str] | None = None,
    manifest: Mapping[str, Any] | None = None,
    per_version: Mapping[str, Mapping[str, Any]] | None = None,
    files: Mapping[str, bytes] | None = None,
    modes: Mapping[str, int] | None = None,
    times: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Serve `name` with real tarballs for `versions`; returns the packument."""
    basename = name.rsplit("/", 1)[-1]
    doc: dict[str, Any] = {
        "_id": name,
        "name": name,
        "dist-tags": {"latest": versions[-1], **(tags or {})},
        "versions": {},
        "time": {"created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"},
    }
    for version in versions:
        extra = {**(manifest or {}), **((per_version or {}).get(version, {}))}
        data = make_tarball(name, version, extra, files, modes)
        path = f"/{name}/-/{basename}-{version}.tgz"
        url = registry.add_tarball(path, data)
        doc["versions"][version] = {
            "name": name,
            "version": version,
            **extra,
            "dist": {"tarball": url, "shasum": hashlib.sha1(data).hexdigest(), "integrity": sri(data)},
        }
        doc["time"][version] = (times or {}).get(version, "2020-01-01T00:00:00.000Z")
    registry.add_packument(name, doc)
    return doc


def tarball_path(name: str, version: str) -> str:
    return f"/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"

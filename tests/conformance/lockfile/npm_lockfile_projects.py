"""Helpers for lockfile tests that run the real npm: an isolated npm and local-only projects.

Every project here depends only on folders, local tarballs and workspaces, so npm runs with
`--offline` and never needs a registry. npm gets its own HOME, user/global config, cache and prefix.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from support.node import NPM

JsonDict = dict[str, object]


class Npm:
    """The real npm, isolated in a temporary folder."""

    def __init__(self, base: Path) -> None:
        self.base = base
        (base / "home").mkdir()
        (base / "cache").mkdir()
        (base / "prefix").mkdir()
        self.userconfig = base / "npmrc"
        self.userconfig.write_text("update-notifier=false\naudit=false\nfund=false\n")
        self.globalconfig = base / "global-npmrc"
        self.globalconfig.write_text("")

    def run(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        assert NPM is not None
        env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_")}
        env.update(
            HOME=str(self.base / "home"),
            npm_config_userconfig=str(self.userconfig),
            npm_config_globalconfig=str(self.globalconfig),
            npm_config_cache=str(self.base / "cache"),
            npm_config_prefix=str(self.base / "prefix"),
            npm_config_update_notifier="false",
        )
        done = subprocess.run([NPM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise AssertionError(f"npm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def lock_only(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(cwd, "install", "--package-lock-only", "--offline", "--ignore-scripts", *args)


def isolated_npm(tmp_path: Path) -> Npm:
    """An isolated npm in `tmp_path/npm`; skips the test when npm is not installed."""
    if NPM is None:
        pytest.skip("npm is not installed")
    base = tmp_path / "npm"
    base.mkdir()
    return Npm(base)


def write_json(path: Path, data: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def pack(dest: Path, manifest: Mapping[str, object], files: Mapping[str, str] | None = None) -> Path:
    """A package tarball (`package/…` entries) built from a manifest and extra files."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    entries = {"package.json": json.dumps(manifest, indent=2) + "\n", **(files or {})}
    with tarfile.open(dest, "w:gz") as tar:
        for name, text in entries.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            info.mtime = 1_600_000_000
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return dest


def links_project(root: Path) -> Path:
    """Workspaces (one peer-only), file: folders nested in each other, a local tarball, an
    install script, bin/engines/funding/os/cpu metadata."""
    proj = root / "links"
    write_json(
        proj / "local-lib/package.json",
        {
            "name": "local-lib",
            "version": "0.1.0",
            "license": "MIT",
            "dependencies": {"d1": "file:../deep/d1"},
            "bin": "cli.js",
            "engines": {"node": ">=10"},
            "funding": "https://example.com/fund",
            "os": ["linux"],
            "cpu": ["x64"],
        },
    )
    (proj / "local-lib/cli.js").write_text("")
    write_json(
        proj / "deep/d1/package.json",
        {"name": "d1", "version": "1.2.3", "license": "ISC", "scripts": {"install": "echo hi"}},
    )
    write_json(
        proj / "packages/a/package.json",
        {
            "name": "a",
            "version": "1.2.0",
            "dependencies": {"b": "^2.0.0"},
            "devDependencies": {"local-lib": "file:../../local-lib"},
        },
    )
    write_json(
        proj / "packages/b/package.json",
        {
            "name": "b",
            "version": "2.0.0",
            "bin": {"bee": "cli.js"},
            "peerDependencies": {"a": "*"},
            "peerDependenciesMeta": {"a": {"optional": True}},
        },
    )
    (proj / "packages/b/cli.js").write_text("")
    pack(
        proj / "src/s1-1.0.0.tgz",
        {
            "name": "s1",
            "version": "1.0.0",
            "license": "MIT",
            "optionalDependencies": {"d1": "file:../deep/d1"},
        },
    )
    write_json(
        proj / "package.json",
        {
            "name": "links",
            "version": "1.0.0",
            "workspaces": ["packages/*"],
            "dependencies": {"local-lib": "file:./local-lib", "s1": "file:src/s1-1.0.0.tgz"},
            "devDependencies": {"d1": "file:deep/d1"},
            "optionalDependencies": {"b": "^2.0.0"},
        },
    )
    return proj


def flags_project(root: Path) -> Path:
    """Tarball dependencies that get dev, optional, devOptional and peer flags, a bundle
    (inBundle), install scripts, and manifest fields npm copies into entries. Dependencies of
    dependencies use absolute `file:` paths (a relative one would be read from inside node_modules)."""
    proj = root / "flags"
    tgz = proj / "tgz"

    def dep(name: str, files: Mapping[str, str] | None = None, **fields: object) -> str:
        path = pack(tgz / f"{name}-1.0.0.tgz", {"name": name, "version": "1.0.0", **fields}, files)
        return f"file:{path}"

    shared = dep("t-shared", license="ISC")
    devopt = dep("t-devopt", license="MIT")
    peer = dep("t-peer", license="MIT", engines={"node": ">=14", "npm": ">=7"})
    devonly = dep("t-devonly")
    inner = json.dumps({"name": "t-inner", "version": "1.0.0", "license": "0BSD"})
    dep(
        "t-bund",
        {"node_modules/t-inner/package.json": inner},
        license="MIT",
        dependencies={"t-inner": "^1.0.0", "t-shared": shared},
        bundleDependencies=["t-inner"],
    )
    dep(
        "t-prod",
        license={"type": "Apache-2.0"},
        dependencies={"t-shared": shared},
        peerDependencies={"t-peer": peer},
        funding=[{"type": "github", "url": "https://github.com/sponsors/x"}, "https://example.com/f"],
        bin={"tp": "./bin/tp.js", "tq": "bin/tq.js"},
        os=["linux", "!win32"],
        cpu=["x64", "arm64"],
        libc=["glibc"],
        scripts={"postinstall": "node x.js", "prepare": "node p.js"},
    )
    dep("t-dev", dependencies={"t-devonly": devonly, "t-devopt": devopt})
    dep("t-opt", dependencies={"t-devopt": devopt}, scripts={"install": "node-gyp rebuild"})
    write_json(
        proj / "package.json",
        {
            "name": "flags",
            "version": "0.0.1",
            "license": "UNLICENSED",
            "scripts": {"preinstall": "echo root"},
            "dependencies": {
                "t-prod": "file:tgz/t-prod-1.0.0.tgz",
                "t-bund": "file:tgz/t-bund-1.0.0.tgz",
                "my-shared": "file:tgz/t-shared-1.0.0.tgz",
            },
            "devDependencies": {"t-dev": "file:tgz/t-dev-1.0.0.tgz"},
            "optionalDependencies": {"t-opt": "file:tgz/t-opt-1.0.0.tgz"},
            "engines": {"node": ">=18"},
            "bin": {"flags": "cli.js"},
        },
    )
    (proj / "cli.js").write_text("")
    return proj


PROJECTS: dict[str, Callable[[Path], Path]] = {"links": links_project, "flags": flags_project}

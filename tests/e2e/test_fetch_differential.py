"""snpm.fetch against npm's own pacote (and @npmcli/git), on the same fake registry, files and repos.

1. Manifests: for every kind of spec, the whole manifest pacote.manifest returns (with `_resolved`,
   `_integrity`, `_from`, in pacote's key order) equals FetchSource.manifest's; errors match by code
   and message.
2. One cache for both: what snpm fetched into a cache folder, pacote reads back with `offline: true`
   (tarballs and packuments), extracting the same files.
3. git refs: lines-to-revs on real `git ls-remote` output.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from snpm.cache.http_cache import HttpCache
from snpm.errors import SnpmError
from snpm.fetch.options import FetchOptions
from snpm.fetch.source import FetchSource
from snpm.git import Git, lines_to_revs
from snpm.registry_client import RegistryClient
from snpm.spec import parse_spec
from support.fake_registry import FakeRegistry, fake_registry, settings_for  # noqa: F401 - fixture
from support.git_repos import Repo, make_repo
from support.node import NODE, node_json
from support.packages import make_tarball, publish

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NODE is None, reason="node is not installed")]

MANIFESTS = """
const pacote = require(NPM + '/node_modules/pacote');
(async () => {
  const out = [];
  for (const spec of input.specs) {
    try {
      const m = await pacote.manifest(spec, { ...input.opts });
      out.push({ keys: Object.keys(m), manifest: m });
    } catch (e) { out.push({ error: e.code, message: e.message }); }
  }
  console.log(JSON.stringify(out));
})();
"""

OFFLINE = """
const pacote = require(NPM + '/node_modules/pacote');
const fs = require('fs');
const path = require('path');
const walk = (d, p = '') => fs.readdirSync(d).sort().flatMap(n => {
  const f = path.join(d, n); const r = p ? p + '/' + n : n;
  return fs.statSync(f).isDirectory() ? walk(f, r) : [[r, (fs.statSync(f).mode & 0o777).toString(8)]];
});
(async () => {
  const out = [];
  for (const [spec, dest, extra] of input.items) {
    try {
      const opts = { ...input.opts, ...extra, offline: true };
      const res = await pacote.extract(spec, dest, opts);
      const m = await pacote.manifest(spec, opts);
      out.push({ integrity: res.integrity, version: m.version, files: walk(dest) });
    } catch (e) { out.push({ error: e.code, message: e.message }); }
  }
  console.log(JSON.stringify(out));
})();
"""


def _publish(registry: FakeRegistry) -> None:
    publish(registry, "pb", ["1.0.0", "1.1.0", "1.2.0"], tags={"latest": "1.1.0"})
    publish(registry, "pd", ["1.0.0", "2.0.0-rc.1"], tags={"latest": "1.0.0", "next": "2.0.0-rc.1"})
    publish(registry, "pc", ["1.0.0", "1.1.0"], per_version={"1.1.0": {"deprecated": "old"}})
    publish(registry, "pe", ["1.0.0", "1.1.0"], per_version={"1.1.0": {"engines": {"node": ">=99"}}})
    publish(
        registry,
        "@sc/tool",
        ["0.1.0"],
        manifest={"bin": "./bin/cli.js", "scripts": {"test": "x"}, "funding": "https://f.test"},
        files={"bin/cli.js": b"#!/usr/bin/env node\n", "lib/a.js": b"a", ".gitignore": b"x"},
    )
    publish(
        registry,
        "dated",
        ["1.0.0", "2.0.0"],
        times={"1.0.0": "2019-01-01T00:00:00.000Z", "2.0.0": "2021-01-01T00:00:00.000Z"},
    )


@pytest.fixture
def world(fake_registry: FakeRegistry, tmp_path: Path) -> dict[str, Any]:  # noqa: F811
    _publish(fake_registry)
    project = tmp_path / "project"
    (project / "dir1").mkdir(parents=True)
    (project / "dir1" / "package.json").write_text(
        json.dumps({"name": "dir1", "version": "1.0.0", "bin": "cli.js", "_secret": 1})
    )
    (project / "loose-3.0.0.tgz").write_bytes(make_tarball("loose", "3.0.0", {"bin": {"l": "l.js"}}))
    remote = fake_registry.add_tarball("/files/remote-1.0.0.tgz", make_tarball("remote", "1.0.0"))
    repo = make_repo(tmp_path / "repos")
    return {"registry": fake_registry, "project": project, "remote": remote, "repo": repo, "tmp": tmp_path}


def _specs(world: dict[str, Any]) -> list[str]:
    repo: Repo = world["repo"]
    return [
        "pb@^1", "pb", "pb@", "pb@latest", "pb@1.2.0", "pb@~1.0.0", "pb@>=1.1.0 <2", "pd@next", "pd",
        "pc@^1", "pe@^1", "@sc/tool", "my@npm:pb@1.2.0", "alias@npm:@sc/tool@latest", "dated@*",
        "pb@9", "nope", "pd@nope-tag", "my@npm:nope@1",
        world["remote"], f"named@{world['remote']}",
        "./loose-3.0.0.tgz", "file:loose-3.0.0.tgz", "./missing.tgz",
        "file:dir1", "./dir1", "x@file:dir1", "./nope",
        repo.url, f"{repo.url}#v1.0.0", f"{repo.url}#v1.1.0", f"{repo.url}#semver:^1",
        f"{repo.url}#{repo.shas['feature']}", f"{repo.url}#feature", f"{repo.url}#HEAD~1",
        f"x@{repo.url}#semver:^5", f"{repo.url}#nosuch", f"sub@{repo.url}#main::path:packages/sub",
    ]  # fmt: skip


def _snpm_manifests(world: dict[str, Any], specs: list[str], cache: Path) -> list[dict[str, Any]]:
    registry: FakeRegistry = world["registry"]
    project: Path = world["project"]

    async def main() -> list[dict[str, Any]]:
        client = RegistryClient(settings_for(registry, cache=cache), cache=HttpCache(cache))
        options = FetchOptions(registry=registry.url, node_version="v20.20.2")
        async with client, FetchSource(client, cache_dir=cache, options=options) as source:
            source.ctx.git_client = Git(env=world["repo"].env)
            out: list[dict[str, Any]] = []
            for spec in specs:
                try:
                    got = await source.manifest(parse_spec(spec, str(project)), where=project)
                    out.append({"keys": list(got.manifest), "manifest": got.manifest})
                except SnpmError as err:
                    out.append({"error": err.code, "message": err.message})
            return out

    return asyncio.run(main())


def _node_env_opts(world: dict[str, Any], cache: Path) -> dict[str, Any]:
    return {
        "registry": world["registry"].url,
        "cache": str(cache / "_cacache"),
        "where": str(world["project"]),
        "fullMetadata": True,
        "nodeVersion": "v20.20.2",
    }


def test_manifests_match_pacote(world: dict[str, Any], tmp_path: Path) -> None:
    specs = _specs(world)
    expected = node_json(MANIFESTS, {"specs": specs, "opts": _node_env_opts(world, tmp_path / "npm-cache")})
    got = _snpm_manifests(world, specs, tmp_path / "snpm-cache")
    assert isinstance(expected, list)
    failures = [
        (spec, mine, theirs)
        for spec, mine, theirs in zip(specs, got, expected, strict=True)
        if mine != theirs
    ]
    assert not failures, json.dumps(failures[:3], indent=1)
    print(f"fetch manifests: {len(specs)} specs compared with pacote")


def test_before_matches_pacote(world: dict[str, Any], tmp_path: Path) -> None:
    specs = ["dated@*", "dated@2.0.0", "dated@latest", "pb@^1"]
    opts = {**_node_env_opts(world, tmp_path / "npm-cache"), "before": "2020-06-01T00:00:00.000Z"}
    script = MANIFESTS.replace("{ ...input.opts }", "{ ...input.opts, before: new Date(input.opts.before) }")
    expected = node_json(script, {"specs": specs, "opts": opts})
    registry: FakeRegistry = world["registry"]

    async def main() -> list[dict[str, Any]]:
        client = RegistryClient(settings_for(registry, cache=tmp_path / "c"), cache=HttpCache(tmp_path / "c"))
        options = FetchOptions(registry=registry.url, node_version="v20.20.2", before_ms=1590969600000.0)
        out: list[dict[str, Any]] = []
        async with client, FetchSource(client, cache_dir=tmp_path / "c", options=options) as source:
            for spec in specs:
                try:
                    got = await source.manifest(parse_spec(spec), where=tmp_path)
                    out.append({"keys": list(got.manifest), "manifest": got.manifest})
                except SnpmError as err:
                    out.append({"error": err.code, "message": err.message})
        return out

    assert asyncio.run(main()) == expected
    print(f"fetch manifests with before: {len(specs)} specs compared with pacote")


def test_pacote_reads_offline_what_snpm_cached(world: dict[str, Any], tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    registry: FakeRegistry = world["registry"]
    project: Path = world["project"]
    repo: Repo = world["repo"]
    specs = ["pb@^1", "@sc/tool", "my@npm:pd@next", world["remote"], "./loose-3.0.0.tgz"]

    async def fetch() -> list[tuple[str | None, list[tuple[str, str]], str | None]]:
        client = RegistryClient(settings_for(registry, cache=cache), cache=HttpCache(cache))
        options = FetchOptions(registry=registry.url, node_version="v20.20.2")
        out = []
        async with client, FetchSource(client, cache_dir=cache, options=options) as source:
            source.ctx.git_client = Git(env=repo.env)
            for number, spec in enumerate(specs):
                resolved = await source.manifest(parse_spec(spec, str(project)), where=project)
                dest = tmp_path / "snpm-out" / str(number)
                result = await source.extract(spec, dest, where=project)
                files = sorted(
                    (str(p.relative_to(dest)), oct(p.stat().st_mode & 0o777)[2:])
                    for p in dest.rglob("*")
                    if p.is_file()
                )
                out.append((result.integrity, files, resolved.manifest.get("version")))  # type: ignore[arg-type]
        return out

    mine = asyncio.run(fetch())
    registry.stop_thread()  # offline for real: pacote may only use the cache
    items = [[spec, str(tmp_path / "npm-out" / str(i)), {}] for i, spec in enumerate(specs)]
    theirs = node_json(OFFLINE, {"items": items, "opts": _node_env_opts(world, cache)})
    assert isinstance(theirs, list)
    for spec, (integrity, files, version), answer in zip(specs, mine, theirs, strict=True):
        assert "error" not in answer, (spec, answer)
        assert (answer["integrity"], answer["version"]) == (integrity, version), spec
        assert [tuple(f) for f in answer["files"]] == files, spec
    print(f"offline pacote over snpm's cache: {len(specs)} packages")


def test_lines_to_revs_matches_npmcli_git(world: dict[str, Any]) -> None:
    repo: Repo = world["repo"]
    listing = subprocess.run(
        ["git", "ls-remote", str(repo.bare)], env=repo.env, capture_output=True, text=True, check=True
    ).stdout
    samples = [
        listing.strip().split("\n"),
        ["a" * 40 + "\tHEAD", "b" * 40 + "\trefs/heads/latest", "b" * 40 + "\trefs/tags/release-1.2.3",
         "c" * 40 + "\trefs/tags/v2.0.0", "c" * 40 + "\trefs/tags/v2.0.0^{}", "d" * 40 + "\trefs/pull/1/head",
         "e" * 40 + "\trefs/tags/1.0.0-beta+build", "junk"],
    ]  # fmt: skip
    script = """
const linesToRevs = require(NPM + '/node_modules/@npmcli/git/lib/lines-to-revs.js');
console.log(JSON.stringify(input.map(lines => linesToRevs(lines))));
"""
    expected = node_json(script, samples)
    assert isinstance(expected, list)
    for lines, want in zip(samples, expected, strict=True):
        revs = lines_to_revs(lines)

        def doc(d: Any) -> dict[str, str]:
            return {"sha": d.sha, "ref": d.ref, "rawRef": d.raw_ref, "type": d.type}

        got = {
            "versions": {v: doc(d) for v, d in revs.versions.items()},
            "dist-tags": dict(revs.dist_tags),
            "refs": {r: doc(d) for r, d in revs.refs.items()},
            "shas": {s: list(n) for s, n in revs.shas.items()},
        }
        assert got == want
    print(f"git lines-to-revs: {len(samples)} listings compared")

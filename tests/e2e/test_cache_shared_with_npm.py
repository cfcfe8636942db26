"""npm and snpm share one cache: what one writes, the other reads, verifies and lists.

Runs node with npm's own bundled cacache and the real `npm cache verify|ls`, in an isolated HOME,
userconfig, globalconfig, prefix and cache, with the registry pointed at a closed local port (no
network is used).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from snpm.cache import content, index, maintenance
from snpm.json_types import JsonValue

pytestmark = pytest.mark.e2e

MFH = "make-fetch-happen:request-cache:"
REG = "http://127.0.0.1:9"  # nothing listens there: any fetch would fail loudly


def _npm_root() -> Path | None:
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        return None
    root = Path(npm).resolve().parents[1]
    return root if (root / "node_modules" / "cacache").is_dir() else None


NPM_ROOT = _npm_root()
if NPM_ROOT is None:
    pytest.skip("node and npm (with its bundled cacache) are needed", allow_module_level=True)
CACACHE = str(NPM_ROOT / "node_modules" / "cacache")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "npmrc").write_text("")
    (tmp_path / "globalnpmrc").write_text("")
    base = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_")}
    base.update(
        HOME=str(home),
        npm_config_userconfig=str(tmp_path / "npmrc"),
        npm_config_globalconfig=str(tmp_path / "globalnpmrc"),
        npm_config_prefix=str(tmp_path / "prefix"),
        npm_config_cache=str(tmp_path / "cache"),
        npm_config_registry=f"{REG}/",
        npm_config_update_notifier="false",
        npm_config_audit="false",
        npm_config_fund="false",
        npm_config_loglevel="warn",
    )
    return base


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def node(env: dict[str, str], script: str, *args: object) -> JsonValue:
    """Run `script` (an async function body with `cacache` and `args` in scope); return its JSON result."""
    program = (
        f"const cacache = require({json.dumps(CACACHE)});\n"
        "const args = JSON.parse(process.argv[1]);\n"
        f"(async () => {{ {script} }})().then(r => process.stdout.write(JSON.stringify(r === undefined ? null : r)),"
        " e => { console.error(e); process.exit(1) })"
    )
    done = subprocess.run(
        ["node", "-e", program, json.dumps(list(args))],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: JsonValue = json.loads(done.stdout)
    return result


def npm(env: dict[str, str], cache: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npm", *argv, "--cache", str(cache)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# (d) ── the same paths ───────────────────────────────────────────────────────────────────────────

KEYS = [
    f"{MFH}{REG}/foo/-/foo-1.0.0.tgz",
    f"{MFH}{REG}/@scope%2fpkg",
    "pacote:tarball:file:/tmp/x.tgz",
    "é😀 key with spaces\tand tab",
    "",
]
DATAS = [b"", b"hello", bytes(range(256)) * 10]


def test_paths_match_cacache(env: dict[str, str], cache: Path) -> None:
    integrities = [content.write(cache, d, algorithms=("sha512", "sha256", "sha1")) for d in DATAS]
    singles = [h for sri in integrities for h in sri.split()]
    expected = node(
        env,
        "const ei = require(args[0] + '/lib/entry-index.js');"
        "const cp = require(args[0] + '/lib/content/path.js');"
        "return {buckets: args[2].map(k => ei.bucketPath(args[1], k)),"
        " contents: args[3].map(i => cp(args[1], i))}",
        CACACHE,
        str(cache / "_cacache"),
        KEYS,
        integrities + singles,
    )
    assert expected == {
        "buckets": [str(index.bucket_path(cache, k)) for k in KEYS],
        "contents": [str(content.content_path(cache, i)) for i in integrities + singles],
    }


# (a) ── snpm writes, cacache reads ───────────────────────────────────────────────────────────────


def test_cacache_reads_what_snpm_wrote(env: dict[str, str], cache: Path) -> None:
    written: dict[str, object] = {}
    for n, key in enumerate(KEYS):
        data = DATAS[n % len(DATAS)] + key.encode()
        algorithms = ("sha512", "sha1") if n % 2 else ("sha512",)
        sri = content.write(cache, data, algorithms=algorithms)
        meta: JsonValue = {"url": key, "n": n, "unicode": "é😀", "nested": [1, None, {"x": True}]}
        index.insert(cache, key, sri, size=len(data), metadata=meta)
        written[key] = {"data": data.hex(), "integrity": sri, "size": len(data), "metadata": meta}
    index.insert(cache, "deleted", content.write(cache, b"x"), size=1)
    index.delete(cache, "deleted")

    got = node(
        env,
        "const out = {};"
        "for (const k of args[1]) { const r = await cacache.get(args[0], k);"
        " out[k] = {data: r.data.toString('hex'), integrity: r.integrity, size: r.size, metadata: r.metadata} }"
        "const ls = await cacache.ls(args[0]);"
        "let deleted = 'found'; try { await cacache.get(args[0], 'deleted') } catch (e) { deleted = e.code }"
        "return {out, keys: Object.keys(ls).sort(), deleted}",
        str(cache / "_cacache"),
        KEYS,
    )
    assert got == {"out": written, "keys": sorted(KEYS), "deleted": "ENOENT"}


# (b) ── cacache writes, snpm reads ───────────────────────────────────────────────────────────────


def test_snpm_reads_what_cacache_wrote(env: dict[str, str], cache: Path) -> None:
    result = node(
        env,
        "const out = {};"
        "for (const [i, k] of args[1].entries()) {"
        " const algorithms = i % 2 ? ['sha512', 'sha1'] : ['sha512'];"
        " out[k] = await cacache.put(args[0], k, Buffer.from(k + i), {algorithms, metadata: {i, k}}) }"
        "await cacache.index.insert(args[0], 'redirect', null, {metadata: {status: 301}});"
        "await cacache.put(args[0], 'gone', Buffer.from('gone'));"
        "await cacache.rm.entry(args[0], 'gone');"
        "return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toString()]))",
        str(cache / "_cacache"),
        KEYS,
    )
    assert isinstance(result, dict)
    for i, key in enumerate(KEYS):
        entry = index.find(cache, key)
        assert entry is not None
        assert entry.integrity == result[key]
        assert entry.metadata == {"i": i, "k": key}
        assert entry.size == len((key + str(i)).encode())
        assert content.read(cache, entry.integrity) == (key + str(i)).encode()
    assert index.find(cache, "gone") is None
    assert index.find(cache, "redirect") is None
    redirect = index.read_bucket(index.bucket_path(cache, "redirect"))
    assert [(e.integrity, e.metadata) for e in redirect] == [(None, {"status": 301})]
    assert sorted(index.ls(cache)) == sorted(KEYS)


# (c) ── npm cache verify accepts snpm's cache, snpm verify accepts cacache's ──────────────────────


def test_npm_cache_verify_accepts_snpm_cache(env: dict[str, str], cache: Path) -> None:
    for n, key in enumerate(KEYS):
        sri = content.write(
            cache, f"data {n}".encode(), algorithms=("sha512", "sha1") if n % 2 else ("sha512",)
        )
        index.insert(cache, key, sri, size=len(f"data {n}"), metadata={"n": n})
    done = npm(env, cache, "cache", "verify")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Cache verified and compressed ({cache / '_cacache'})"
    # sha512 blobs for all, plus a sha1 blob for every other key
    assert (
        lines[1]
        == f"Content verified: {len(KEYS) + len(KEYS) // 2} ({sum(len(f'data {n}') for n in range(len(KEYS))) + sum(len(f'data {n}') for n in range(1, len(KEYS), 2))} bytes)"
    )
    assert f"Index entries: {len(KEYS)}" in lines
    assert not any("garbage" in line or "Corrupted" in line or "Missing" in line for line in lines)
    for n, key in enumerate(KEYS):
        entry = index.find(cache, key)
        assert entry is not None
        assert content.read(cache, entry.integrity) == f"data {n}".encode()


def test_snpm_verify_accepts_cacache_cache(env: dict[str, str], cache: Path) -> None:
    node(
        env,
        "for (const [i, k] of args[1].entries()) {"
        " await cacache.put(args[0], k, Buffer.from('v' + i), {algorithms: i % 2 ? ['sha512', 'sha1'] : ['sha512'],"
        " metadata: {i}}) }",
        str(cache / "_cacache"),
        KEYS,
    )
    stats = maintenance.verify(cache)
    assert stats.bad_content_count == 0
    assert stats.reclaimed_count == 0
    assert stats.missing_content == 0
    assert stats.total_entries == len(KEYS)
    assert stats.verified_content == len(KEYS) + len(KEYS) // 2
    back = node(
        env,
        "const out = {}; for (const k of args[1]) out[k] = (await cacache.get(args[0], k)).data.toString();"
        "return out",
        str(cache / "_cacache"),
        KEYS,
    )
    assert back == {k: f"v{i}" for i, k in enumerate(KEYS)}


def _messy_cache(env: dict[str, str], cache: Path) -> None:
    """Healthy, duplicate, deleted, corrupt, missing, unreferenced and torn data, written by both sides."""
    node(
        env,
        "await cacache.put(args[0], 'dup', Buffer.from('one'), {metadata: 1});"
        "await cacache.put(args[0], 'dup', Buffer.from('two'), {metadata: 2});"
        "await cacache.put(args[0], 'deleted', Buffer.from('deleted'));"
        "await cacache.rm.entry(args[0], 'deleted');"
        "await cacache.put(args[0], 'multi', Buffer.from('multi'), {algorithms: ['sha512', 'sha1']});"
        "await cacache.index.insert(args[0], 'redirect', null, {metadata: {status: 308}});",
        str(cache / "_cacache"),
    )
    corrupt = content.write(cache, b"will be corrupted")
    index.insert(cache, "corrupt", corrupt, size=17, metadata={"c": True})
    content.content_path(cache, corrupt).write_bytes(b"corrupted!")
    missing = content.write(cache, b"will go missing")
    index.insert(cache, "missing", missing, size=15)
    content.content_path(cache, missing).unlink()
    content.write(cache, b"unreferenced blob")
    index.insert(cache, "healthy", content.write(cache, b"healthy"), size=7, metadata={"ok": "é"})
    with open(index.bucket_path(cache, "healthy"), "ab") as fh:
        fh.write(b"\n0123\t{torn")


def _snapshot(env: dict[str, str], cache: Path) -> dict[str, object]:
    files = sorted(
        str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file() and p.name != "_lastverified"
    )
    listing = node(
        env,
        "const ls = await cacache.ls(args[0]);"
        "return Object.values(ls).map(e => [e.key, e.integrity, e.size, e.time, e.metadata]).sort()",
        str(cache / "_cacache"),
    )
    return {"files": files, "ls": listing}


def test_verify_matches_cacache_verify(env: dict[str, str], tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    _messy_cache(env, ours)
    shutil.copytree(ours, theirs)
    stats = maintenance.verify(ours)
    their_stats = node(env, "return await cacache.verify(args[0])", str(theirs / "_cacache"))
    assert isinstance(their_stats, dict)
    ignore = {"startTime", "endTime", "runTime"}
    assert {k: v for k, v in stats.to_json().items() if k not in ignore} == {
        k: v for k, v in their_stats.items() if k not in ignore
    }
    assert isinstance(their_stats["runTime"], dict)
    assert set(stats.run_time) == set(their_stats["runTime"])
    assert _snapshot(env, ours) == _snapshot(env, theirs)


# ── npm cache ls over an snpm-written cache ────────────────────────────────────────────────────


def test_npm_cache_ls_matches(env: dict[str, str], cache: Path) -> None:
    versions = ("1.0.0", "1.2.0", "2.0.0-beta.1", "2.0.0")
    packument = {
        "name": "foo",
        "versions": {
            v: {"name": "foo", "version": v, "dist": {"tarball": f"{REG}/foo/-/foo-{v}.tgz"}}
            for v in versions
        },
    }
    scoped = {
        "name": "@sc/bar",
        "versions": {"3.0.0": {"dist": {"tarball": f"{REG}/@sc/bar/-/bar-3.0.0.tgz"}}},
    }
    entries: dict[str, bytes] = {
        f"{MFH}{REG}/foo": json.dumps(packument).encode(),
        f"{MFH}{REG}/@sc%2fbar": json.dumps(scoped).encode(),
        f"{MFH}{REG}/@sc/bar/-/bar-3.0.0.tgz": b"bar tarball",
        f"{MFH}http://localhost/foo/-/foo-9.0.0.tgz": b"host-like path",
        "pacote:tarball:file:/tmp/foo-1.0.0.tgz": b"local",
        f"{MFH}{REG}/Foo": b"{}",
        f"{MFH}{REG}/foo-bar": b"{}",
    }
    for v in versions:
        entries[f"{MFH}{REG}/foo/-/foo-{v}.tgz"] = f"foo {v}".encode()
    for key, data in entries.items():
        index.insert(cache, key, content.write(cache, data), size=len(data))

    cases = [
        [],
        ["foo"],
        ["foo@1"],
        ["foo@>=1.1.0"],
        ["foo@2.0.0-beta.1"],
        ["@sc/bar"],
        ["foo@^1", "@sc/bar@3"],
        ["nope"],
    ]
    for specs in cases:
        done = npm(env, cache, "cache", "ls", *specs)
        assert done.returncode == 0, (specs, done.stderr)
        assert maintenance.ls(cache, specs) == done.stdout.splitlines(), specs


def test_npm_cache_ls_tag_is_usage_error(env: dict[str, str], cache: Path) -> None:
    from snpm.errors import UsageError

    done = npm(env, cache, "cache", "ls", "foo@latest")
    assert done.returncode == 1
    assert "Cannot list cache keys for a tagged package." in done.stderr
    with pytest.raises(UsageError, match="Cannot list cache keys for a tagged package."):
        maintenance.ls(cache, ["foo@latest"])


# ── writers on both sides at once ─────────────────────────────────────────────────────────────────


def test_npm_and_snpm_append_to_one_bucket_at_once(env: dict[str, str], cache: Path) -> None:
    rounds = 150
    script = (
        f"const cacache = require({json.dumps(CACACHE)});"
        "(async () => { for (let i = 0; i < +process.argv[2]; i++)"
        " await cacache.put(process.argv[1], 'hot', Buffer.from('node ' + i), {metadata: {by: 'node', i}}) })()"
    )
    writer = subprocess.Popen(["node", "-e", script, str(cache / "_cacache"), str(rounds)], env=env)
    try:
        for i in range(rounds):
            data = f"snpm {i}".encode()
            index.insert(
                cache, "hot", content.write(cache, data), size=len(data), metadata={"by": "snpm", "i": i}
            )
    finally:
        assert writer.wait(60) == 0
    lines = index.read_bucket(index.bucket_path(cache, "hot"))
    assert len(lines) == 2 * rounds
    seen = node(
        env,
        "const ei = require(args[0] + '/lib/entry-index.js');"
        "const all = await ei.bucketEntries(ei.bucketPath(args[1], 'hot'));"
        "for (const e of all) await cacache.get.byDigest(args[1], e.integrity);"
        "return all.length",
        CACACHE,
        str(cache / "_cacache"),
    )
    assert seen == 2 * rounds
    for entry in lines:
        assert entry.integrity is not None
        assert isinstance(entry.metadata, dict)
        assert (
            content.read(cache, entry.integrity) == f"{entry.metadata['by']} {entry.metadata['i']}".encode()
        )


# ── snpm's store materialises what pacote extracts ─────────────────────────────────────────────────


def _tree(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes().hex(), p.stat().st_mode & 0o777)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_store_materialises_what_pacote_extracts(env: dict[str, str], tmp_path: Path) -> None:
    from snpm.cache import store

    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    (src / "package.json").write_text(json.dumps({"name": "t", "version": "1.0.0", "bin": {"t": "cli.js"}}))
    (src / "cli.js").write_text("#!/usr/bin/env node\n")
    (src / "lib" / "a.js").write_text("module.exports = 1\n")
    (src / "lib" / "run.sh").write_text("#!/bin/sh\n")
    (src / "lib" / "run.sh").chmod(0o775)
    packed = npm(env, tmp_path / "cache", "pack", str(src), "--pack-destination", str(tmp_path), "--json")
    assert packed.returncode == 0, packed.stderr
    info = json.loads(packed.stdout)[0]
    tgz = tmp_path / info["filename"]
    data = tgz.read_bytes()

    node(
        env,
        "const pacote = require(args[0]); await pacote.extract('file:' + args[1], args[2], {cache: args[3]})",
        str(NPM_ROOT / "node_modules" / "pacote"),
        str(tgz),
        str(tmp_path / "by-pacote"),
        str(tmp_path / "cache" / "_cacache"),
    )
    store.add_tarball(tmp_path / "cache", info["integrity"], data, bins=["cli.js"])
    store.materialize(tmp_path / "cache", info["integrity"], tmp_path / "by-snpm")
    assert _tree(tmp_path / "by-snpm") == _tree(tmp_path / "by-pacote")

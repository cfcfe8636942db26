"""`npm pack`, `npm publish` and `npm unpublish` against `snpm`, and what each leaves in a registry.

Two snpm-registry processes run for the module: npm always talks to one, snpm to the other, with
the same user and the same package names, so the registry state after each step can be compared
document to document. Every case runs in one isolated world (tests/support/npm_world.py): npm
first, then the world's files are put back and snpm runs at the same paths. Compared: exit code,
stdout, stderr, the files of the world, and the registries' packuments (versions, dist-tags, the
keys of `time`, maintainers, every manifest field) and tarballs (their uncompressed tar streams,
byte for byte).

Normalised, and only this:
- the heading word of log lines (`snpm <level>` is read as `npm <level>`) and the
  `A complete log of this run …` line (its file name carries the start time);
- each registry's address (`<REGISTRY>/`) and the times in `time` (their keys are kept);
- what depends on the gzip bytes, which differ because node's bundled zlib deflates differently
  from the system zlib CPython uses (see snpm.tarball.pack): the notice lines `package size:`,
  `shasum:`, `integrity:`, the `size`/`shasum`/`integrity` of `--json` reports, `dist.integrity`,
  `dist.shasum`, and `_rev` (a hash of the document). Tarballs are compared after gunzip. A tarball
  packed once and published by both keeps every byte, and those cases compare everything.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from snpm.tarball import extract, gunzip
from support.fake_registry import FakeRegistry, fake_registry  # noqa: F401 - the fixture
from support.npm_world import NPM, RunResult, make_world
from support.registry import RunningRegistry, start_registry
from support.verdaccio import start_verdaccio

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(NPM is None, reason="npm is not installed"),
]


@dataclass
class Registries:
    npm: RunningRegistry
    snpm: RunningRegistry
    tokens: dict[str, str]


def _signup(registry: RunningRegistry, name: str) -> str:
    status, body = registry.request(
        "PUT",
        f"/-/user/org.couchdb.user:{name}",
        body={"name": name, "password": "password-123", "email": f"{name}@example.test"},
    )
    assert status == 201, body
    return str(body["token"])


@pytest.fixture(scope="module")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registries]:
    base = tmp_path_factory.mktemp("registries")
    first = start_registry(base / "npm")
    second = start_registry(base / "snpm")
    try:
        yield Registries(
            first, second, {first.url: _signup(first, "alice"), second.url: _signup(second, "alice")}
        )
    finally:
        first.stop()
        second.stop()


class Pair:
    """One world, two programs: npm against one registry, snpm against the other."""

    def __init__(self, root: Path, regs: Registries, *, logged_in: bool = True) -> None:
        self.regs = regs
        self.world = make_world(root)
        self.count = 0
        lines = [
            f"//{r.url.split('//', 1)[1]}:_authToken={t}" for r, t in ((regs.npm, None), (regs.snpm, None))
        ]
        if logged_in:
            lines = [f"//{url.split('//', 1)[1]}:_authToken={token}" for url, token in regs.tokens.items()]
        else:
            lines = []
        self.world.userconfig.write_text("\n".join(lines) + "\n")

    @property
    def project(self) -> Path:
        return self.world.project

    def report(self, label: str) -> str:
        return f"{label}: {self.count} command lines, npm and snpm identical"

    def write(self, relative: str, content: Any) -> Path:
        text = content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
        return self.world.write(f"project/{relative}", text)

    def env(self, registry: RunningRegistry, extra: dict[str, str] | None) -> dict[str, str]:
        return {"npm_config_registry": registry.url, **(extra or {})}

    def run(
        self, args: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> tuple[RunResult, RunResult]:
        """npm, then (files restored) snpm; returns both results and checks the files written match."""
        self.count += 1
        before = self.world.snapshot()
        npm = self.world.run_npm(args, cwd=cwd, env=self.env(self.regs.npm, env))
        npm_files = self.world.snapshot()
        self.world.restore(before)
        snpm = self.world.run_snpm(args, cwd=cwd, env=self.env(self.regs.snpm, env))
        snpm_files = self.world.snapshot()
        assert _tree(snpm_files) == _tree(npm_files), args
        return npm, snpm

    def same(
        self, args: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> tuple[RunResult, RunResult]:
        npm, snpm = self.run(args, cwd=cwd, env=env)
        if "--json" in args and re.search(r"^[\[{]", npm.stdout, re.M):
            assert _json_normal(snpm.stdout) == _json_normal(npm.stdout), args
            assert normal(snpm, self.regs)[::2] == normal(npm, self.regs)[::2], args
        else:
            assert normal(snpm, self.regs) == normal(npm, self.regs), args
        return npm, snpm

    def registry_state(self, name: str, *, tarballs: bool = True) -> None:
        """The two registries hold the same package (or both lack it)."""
        assert _packument(self.regs.snpm, name) == _packument(self.regs.npm, name), name
        for version in _versions(self.regs.npm, name) if tarballs else []:
            assert _tarball_tar(self.regs.snpm, name, version) == _tarball_tar(self.regs.npm, name, version)


def _tree(files: dict[str, Any]) -> dict[str, Any]:
    # the tarballs written by `pack` are compared unpacked; logs and caches are not part of the world
    out: dict[str, Any] = {}
    for rel, state in files.items():
        if rel.endswith(".tgz"):
            out[rel] = (gunzip(state.content), state.mode)
        else:
            out[rel] = (state.content, state.mode)
    return out


_GZIP_LINES = re.compile(r"^(npm notice (?:package size|shasum|integrity): ).*$", re.MULTILINE)


def normal(result: RunResult, regs: Registries) -> tuple[int, str, str]:
    def fix(text: str) -> str:
        for registry in (regs.npm, regs.snpm):
            text = text.replace(registry.url, "<REGISTRY>/").replace(
                registry.url.split("//", 1)[1], "<HOST>/"
            )
        text = re.sub(
            r"^snpm (?=(error|warn|notice|http|info|verbose|silly|timing)\b)", "npm ", text, flags=re.M
        )
        text = "\n".join(line for line in text.split("\n") if "A complete log of this run" not in line)
        return _GZIP_LINES.sub(r"\1<gzip>", text)

    return result.code, fix(result.stdout), fix(result.stderr)


def _escaped(name: str) -> str:
    return name.replace("/", "%2f", 1) if name.startswith("@") else name


def _packument(registry: RunningRegistry, name: str) -> Any:
    status, body = registry.request("GET", "/" + _escaped(name))
    if status == 404:
        return 404
    assert status == 200, body
    text = json.dumps(body).replace(registry.url, "<REGISTRY>/")
    doc = json.loads(text)
    doc.pop("_rev", None)
    doc["time"] = {key: "<time>" for key in doc.get("time", {})}
    for manifest in doc.get("versions", {}).values():
        dist = manifest.get("dist", {})
        for key in ("integrity", "shasum"):
            if key in dist:
                dist[key] = "<gzip>"
    return doc


def _versions(registry: RunningRegistry, name: str) -> list[str]:
    status, body = registry.request("GET", "/" + _escaped(name))
    return list(body.get("versions", {})) if status == 200 else []


def _tarball_bytes(registry: RunningRegistry, name: str, version: str) -> bytes:
    status, body = registry.request("GET", "/" + _escaped(name))
    assert status == 200
    url = body["versions"][version]["dist"]["tarball"]
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def _tarball_tar(registry: RunningRegistry, name: str, version: str) -> bytes:
    return gunzip(_tarball_bytes(registry, name, version))


def _pkg(name: str, version: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "version": version, **extra}


# ── pack ───────────────────────────────────────────────────────────────────────────────────────────


def _pack_project(pair: Pair) -> None:
    pair.write(
        "package.json",
        _pkg(
            "root",
            "1.0.0",
            workspaces=["packages/*"],
            scripts={"prepack": "echo ROOT-PREPACK", "postpack": "echo ROOT-POSTPACK"},
        ),
    )
    pair.write(
        "packages/a/package.json",
        _pkg(
            "a",
            "1.0.0",
            scripts={"prepack": "echo A-PREPACK", "prepare": "echo A-PREPARE", "postpack": "echo A-POSTPACK"},
        ),
    )
    pair.write("packages/a/.gitignore", "ignored\n")
    pair.write("packages/a/ignored", "x\n")
    pair.write("packages/a/README", "A\n")
    pair.write("packages/a/Index.js", "x\n")
    pair.write(
        "packages/b/package.json",
        _pkg("@x/b", "2.0.0", files=["lib"], bundleDependencies=["dep"], dependencies={"dep": "1.0.0"}),
    )
    pair.write("packages/b/lib/i.js", "x\n")
    pair.write("packages/b/node_modules/dep/package.json", _pkg("dep", "1.0.0"))
    pair.write("out/.keep", "")


PACK_CASES = [
    ["pack"],
    ["pack", "--dry-run", "--unicode=false"],
    ["pack", "--json", "--dry-run"],
    ["pack", "--workspaces", "--pack-destination", "out"],
    ["pack", "-w", "a", "--json", "--pack-destination", "../out"],
    ["pack", "--dry-run", "--include-workspace-root", "--workspaces"],
    ["pack", "./packages/a", "./packages/b", "--dry-run"],
    ["pack", "./packages/b", "--dry-run", "-w", "a"],
    ["pack", "--ignore-scripts", "-w", "packages/a", "--dry-run"],
    ["pack", "--foreground-scripts=false", "-w", "a", "--dry-run"],
    ["pack", "--loglevel=silent", "-w", "a"],
    ["pack", "./nothing-here"],
]


def _json_normal(text: str) -> Any:
    """Script output (it still goes to stdout under --json), then the JSON with gzip values masked."""
    match = re.search(r"^[\[{]", text, re.M)
    assert match is not None, text
    # npm prints the buffered JSON when a foreground script ends, so script output may follow it
    data, end = json.JSONDecoder().raw_decode(text, match.start())
    items = data if isinstance(data, list) else list(data.values())
    for item in items:
        if isinstance(item, dict) and "shasum" in item:
            for key in ("size", "shasum", "integrity"):
                item[key] = "<gzip>"
    return text[: match.start()], data, text[end:]


def test_pack_matches_npm(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    _pack_project(pair)
    for args in PACK_CASES:
        pair.same(args)
    print(pair.report("publish differential: pack_matches_npm"))


def test_pack_tarball_and_registry_specs(tmp_path: Path, registries: Registries) -> None:
    """A .tgz is packed as it is; a registry spec is downloaded: both write npm's bytes exactly."""
    pair = Pair(tmp_path, registries)
    pair.write("src/package.json", _pkg("packed-src", "1.0.0", description="from a tarball"))
    pair.write("src/index.js", "module.exports = 1\n")
    # one tarball, made by npm, published to both registries
    made = pair.world.run_npm(["pack", "./src", "--pack-destination", "."], env={})
    assert made.code == 0, made.stderr
    for registry in (registries.npm, registries.snpm):
        done = pair.world.run_npm(
            ["publish", "./packed-src-1.0.0.tgz"], env={"npm_config_registry": registry.url}
        )
        assert done.code == 0, done.stderr
    (pair.project / "dest").mkdir()
    for args in (
        ["pack", "./packed-src-1.0.0.tgz", "--pack-destination", "dest"],
        ["pack", "packed-src@1.0.0"],
    ):
        npm, snpm = pair.run(args)
        assert normal(snpm, registries) == normal(npm, registries), args
    # same bytes in, same bytes out: here even the gzip-derived values agree
    npm, snpm = pair.run(["pack", "packed-src@latest", "--json", "--dry-run"])
    assert json.loads(snpm.stdout) == json.loads(npm.stdout)
    print(pair.report("publish differential: pack_tarball_and_registry_specs"))


# ── publish ────────────────────────────────────────────────────────────────────────────────────────


def _rich_package(pair: Pair, name: str, version: str, **extra: Any) -> None:
    pair.write(
        "package.json",
        _pkg(
            name,
            version,
            description="a package",
            repository="github:example/repo",
            author={"name": "Ann", "email": "ann@example.test"},
            bin="missing-cli.js",
            keywords="one, two",
            dependencies={"dep": "github:example/dep"},
            scripts={
                "prepublishOnly": "echo PREPUBLISHONLY",
                "prepack": "echo PREPACK",
                "prepare": "echo PREPARE",
                "postpack": "echo POSTPACK",
                "publish": "echo PUBLISH",
                "postpublish": "echo POSTPUBLISH",
            },
            **extra,
        ),
    )
    pair.write("README.md", "# readme\n\nThe description.\n")
    pair.write("index.js", "module.exports = 1\n")
    pair.write("lib/util.js", "exports.x = 1\n")


def test_publish_folder_sequence(tmp_path: Path, registries: Registries) -> None:
    """Scripts, fix-ups and warnings, the upload, then npm's local refusals and the server's."""
    pair = Pair(tmp_path, registries)
    name = "@demo/seq"
    _rich_package(pair, name, "v1.0.0 ")
    pair.same(["publish"])
    pair.registry_state(name)
    pair.same(["publish"])  # the same version again: refused before the upload
    _rich_package(pair, name, "1.1.0-beta.0")
    pair.same(["publish"])  # a prerelease needs --tag
    pair.same(["publish", "--tag", "next"])
    pair.same(["publish", "--tag", "1.x"])  # a tag must not be a range
    pair.same(["publish", "--tag", "bad tag"])
    _rich_package(pair, name, "0.9.0")
    pair.same(["publish"])  # lower than latest without --tag
    pair.same(["publish", "--tag", "old", "--json"])
    _rich_package(pair, name, "1.0.0")
    pair.same(["publish", "--force"])  # the registry refuses (403)
    pair.registry_state(name)
    print(pair.report("publish differential: publish_folder_sequence"))


def test_publish_refusals(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    pair.write("package.json", _pkg("refused-private", "1.0.0", private=True))
    pair.same(["publish"])
    pair.registry_state("refused-private")
    pair.write("package.json", _pkg("refused-unscoped", "1.0.0"))
    pair.same(["publish", "--access", "restricted"])
    pair.same(["publish", "--provenance"])
    pair.same(["publish", "--provenance", "--dry-run"])
    pair.registry_state("refused-unscoped")
    pair.write("package.json", _pkg("refused-bad", "1.0.0", scripts={"prepublishOnly": "exit 3"}))
    pair.same(["publish"])
    pair.registry_state("refused-bad")
    pair.write("package.json", {"version": "1.0.0"})
    pair.same(["publish", "--dry-run"])
    pair.same(["publish", "a", "b"])
    anonymous = Pair(tmp_path / "anonymous", registries, logged_in=False)
    anonymous.write("package.json", _pkg("refused-anon", "1.0.0"))
    anonymous.same(["publish"])  # ENEEDAUTH
    anonymous.same(["publish", "--dry-run"])  # only a warning
    pair.registry_state("refused-anon")
    print(pair.report("publish differential: publish_refusals"))
    print(anonymous.report("publish differential: publish_refusals (logged out)"))


def test_publish_config_and_json(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    pair.write(
        "package.json",
        _pkg("@demo/pc", "1.0.0", publishConfig={"tag": "next", "access": "public", "bogus": 1}),
    )
    pair.same(["publish", "--json"])
    pair.registry_state("@demo/pc")
    pair.write("package.json", _pkg("@demo/pc", "1.1.0", publishConfig={"access": "restricted"}))
    pair.same(["publish", "--access", "public", "--tag", "beta"])  # the command line wins
    pair.registry_state("@demo/pc")
    print(pair.report("publish differential: publish_config_and_json"))


def test_publish_config_registry(tmp_path: Path, registries: Registries) -> None:
    """publishConfig.registry sends the package elsewhere than the configured registry."""
    pair = Pair(tmp_path, registries)
    manifest = _pkg("pc-registry", "1.0.0", publishConfig={"registry": "<set per program>"})
    dead = {"npm_config_registry": "http://127.0.0.1:9/"}
    results = []
    for program, registry in (("npm", registries.npm), ("snpm", registries.snpm)):
        manifest["publishConfig"] = {"registry": registry.url}
        pair.write("package.json", manifest)
        run = pair.world.run_npm if program == "npm" else pair.world.run_snpm
        results.append(normal(run(["publish"], env=dead), registries))
    pair.count += 1
    assert results[1] == results[0]
    # the package.json inside each tarball names its own registry, so only the documents compare
    pair.registry_state("pc-registry", tarballs=False)
    print(pair.report("publish differential: publish_config_registry"))


def test_publish_tarball_keeps_every_byte(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    pair.write("src/package.json", _pkg("tgz-pub", "2.0.0", license="MIT"))
    pair.write("src/README.md", "# tgz\n")
    made = pair.world.run_npm(["pack", "./src"], env={})
    assert made.code == 0, made.stderr
    npm, snpm = pair.same(["publish", "./tgz-pub-2.0.0.tgz"])
    doc_npm = registries.npm.request("GET", "/tgz-pub")[1]
    doc_snpm = registries.snpm.request("GET", "/tgz-pub")[1]
    dist_npm = doc_npm["versions"]["2.0.0"]["dist"]
    dist_snpm = doc_snpm["versions"]["2.0.0"]["dist"]
    assert dist_snpm["integrity"] == dist_npm["integrity"] and dist_snpm["shasum"] == dist_npm["shasum"]
    assert _tarball_bytes(registries.snpm, "tgz-pub", "2.0.0") == _tarball_bytes(
        registries.npm, "tgz-pub", "2.0.0"
    )
    pair.registry_state("tgz-pub")
    print(pair.report("publish differential: publish_tarball_keeps_every_byte"))


def test_publish_workspaces(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    pair.write("package.json", _pkg("ws-root", "1.0.0", workspaces=["packages/*"]))
    pair.write("packages/one/package.json", _pkg("@demo/ws-one", "1.0.0", scripts={"publish": "echo ONE"}))
    pair.write("packages/two/package.json", _pkg("@demo/ws-two", "1.0.0", private=True))
    pair.write("packages/three/package.json", _pkg("@demo/ws-three", "3.0.0"))
    pair.same(["publish", "--workspaces"])
    pair.same(["publish", "-w", "@demo/ws-one"])  # already there
    for name in ("@demo/ws-one", "@demo/ws-two", "@demo/ws-three"):
        pair.registry_state(name)
    print(pair.report("publish differential: publish_workspaces"))


# ── unpublish ──────────────────────────────────────────────────────────────────────────────────────


def test_unpublish_sequence(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    name = "@demo/gone"
    for version, tag in (("1.0.0", None), ("1.0.1", "next"), ("1.0.2", None)):
        pair.write("package.json", _pkg(name, version))
        for registry in (registries.npm, registries.snpm):
            args = ["publish", *(["--tag", tag] if tag else [])]
            assert pair.world.run_npm(args, env={"npm_config_registry": registry.url}).code == 0
    pair.registry_state(name)
    steps = [
        ["unpublish", f"{name}@1.0.1"],  # a version of several: the document is rewritten
        ["unpublish", f"{name}@1.0.1"],  # already gone: nothing to do, same output
        ["unpublish", "--dry-run", f"{name}@1.0.0"],
        ["unpublish"],  # the local package.json's version (1.0.2, the latest)
        ["unpublish", name],  # the whole package needs --force
        ["unpublish", f"{name}@latest"],  # tags are refused
        ["unpublish", f"{name}@1.0.0"],  # the last version needs --force
        ["unpublish", f"{name}@1.0.0", "--force"],
        ["unpublish", "a", "b"],
        ["unpublish", "@demo/never-published@1.0.0"],
    ]
    for args in steps:
        pair.same(args)
        pair.registry_state(name)
    pair.same(["unpublish"], cwd=pair.world.root)  # no package.json: usage
    print(pair.report("publish differential: unpublish_sequence"))


def test_unpublish_whole_package_with_force(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    name = "whole-gone"
    for version in ("1.0.0", "2.0.0"):
        pair.write("package.json", _pkg(name, version))
        for registry in (registries.npm, registries.snpm):
            assert pair.world.run_npm(["publish"], env={"npm_config_registry": registry.url}).code == 0
    pair.same(["unpublish", f"{name}@*"])
    pair.same(["unpublish", f"{name}@*", "--force"])
    pair.registry_state(name)
    pair.same(["publish"])  # the registry never gives a version number back
    pair.registry_state(name)
    print(pair.report("publish differential: unpublish_whole_package_with_force"))


# ── each side reads what the other wrote ─────────────────────────────────────────────────────────


def test_snpm_published_package_installs_with_npm(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    pair.write(
        "pkg/package.json", _pkg("@demo/from-snpm", "1.2.3", bin={"hello": "bin/hello.js"}, main="lib/i.js")
    )
    pair.write("pkg/bin/hello.js", "#!/usr/bin/env node\nconsole.log('hello')\n")
    pair.write("pkg/lib/i.js", "module.exports = 42\n")
    done = pair.world.run_snpm(["publish", "./pkg"], env={"npm_config_registry": registries.snpm.url})
    assert done.code == 0, done.stderr
    pair.write("app/package.json", _pkg("app", "1.0.0"))
    app = pair.project / "app"
    installed = pair.world.run_npm(
        ["install", "@demo/from-snpm"], cwd=app, env={"npm_config_registry": registries.snpm.url}
    )
    assert installed.code == 0, installed.stderr
    target = app / "node_modules" / "@demo" / "from-snpm"
    assert (target / "lib" / "i.js").read_text() == "module.exports = 42\n"
    assert os.access(target / "bin" / "hello.js", os.X_OK)
    run = subprocess.run(
        [str(app / "node_modules" / ".bin" / "hello")], capture_output=True, text=True, env=pair.world.env()
    )
    assert run.stdout == "hello\n"
    lock = json.loads((app / "package-lock.json").read_text())
    entry = lock["packages"]["node_modules/@demo/from-snpm"]
    published = registries.snpm.request("GET", "/@demo%2ffrom-snpm")[1]["versions"]["1.2.3"]["dist"]
    assert entry["integrity"] == published["integrity"]


def test_npm_published_tarball_unpacks_identically_with_snpm(tmp_path: Path, registries: Registries) -> None:
    pair = Pair(tmp_path, registries)
    pair.write(
        "pkg/package.json", _pkg("from-npm", "0.1.0", bin="cli.js", files=["cli.js", "lib", "docs/*.md"])
    )
    pair.write("pkg/cli.js", "#!/usr/bin/env node\n")
    pair.write("pkg/lib/deep/a.js", "a\n")
    pair.write("pkg/docs/x.md", "x\n")
    pair.write("pkg/docs/skip.txt", "no\n")
    (pair.project / "pkg" / "lib" / "deep" / "a.js").chmod(0o700)
    done = pair.world.run_npm(["publish", "./pkg"], env={"npm_config_registry": registries.npm.url})
    assert done.code == 0, done.stderr
    pair.write("app/package.json", _pkg("app", "1.0.0"))
    app = pair.project / "app"
    installed = pair.world.run_npm(
        ["install", "from-npm"], cwd=app, env={"npm_config_registry": registries.npm.url}
    )
    assert installed.code == 0, installed.stderr
    ours = tmp_path / "ours"
    extract(_tarball_bytes(registries.npm, "from-npm", "0.1.0"), ours, bins=["cli.js"])
    assert _files(ours) == _files(app / "node_modules" / "from-npm")


@pytest.fixture(scope="module", params=["snpm-registry", "verdaccio"])
def exchange(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A registry both programs publish to and install from, with alice's token: snpm-registry,
    then Verdaccio 5 (skipped when it is not installed)."""
    root = tmp_path_factory.mktemp(str(request.param))
    if request.param == "snpm-registry":
        server = start_registry(root / "data")
        stop, url, token = server.stop, server.url, _signup(server, "alice")
    else:
        verdaccio = start_verdaccio(root / "verdaccio")
        stop, url, token = verdaccio.stop, verdaccio.url, verdaccio.add_user("alice", "password-123")
    try:
        yield url, token
    finally:
        stop()


def test_each_side_installs_what_the_other_published(tmp_path: Path, exchange: tuple[str, str]) -> None:
    """npm publishes one package and snpm another; then npm and snpm each install both into an app:
    the two apps' node_modules (files, modes, bins, hidden lockfile) and package-lock.json are the
    same, the bins run, and the lockfiles hold the integrity the registry has."""
    url, token = exchange
    world = make_world(tmp_path / "world")
    world.userconfig.write_text(
        f"registry={url}\n//{url.split('//', 1)[1]}:_authToken={token}\nfund=false\naudit=false\n"
        "update-notifier=false\n"
    )
    published = {"npm": "from-npm", "snpm": "@demo/from-snpm"}
    for program, name in published.items():
        folder = f"project/pkgs/{program}"
        cli = f"{name.rsplit('/', 1)[-1]}-cli"
        manifest = {
            "name": name,
            "version": "1.0.0",
            "main": "lib/index.js",
            "bin": {cli: "bin/cli.js"},
            "files": ["bin", "lib"],
        }
        world.write(f"{folder}/package.json", json.dumps(manifest, indent=2) + "\n")
        world.write(f"{folder}/bin/cli.js", f"#!/usr/bin/env node\nconsole.log('published by {program}')\n")
        world.write(f"{folder}/lib/index.js", "module.exports = require('./deep/data.json')\n")
        world.write(f"{folder}/lib/deep/data.json", '{"answer": 42}\n')
        world.write(f"{folder}/notes.txt", "not in the tarball\n")
        (world.root / folder / "lib" / "deep" / "data.json").chmod(0o600)
        run = world.run_npm if program == "npm" else world.run_snpm
        done = run(["publish", f"./pkgs/{program}"])
        assert done.code == 0, (program, done.stderr)
    apps = {}
    for installer in ("npm", "snpm"):
        app = world.project / f"app-{installer}"
        world.write(
            f"project/app-{installer}/package.json",
            json.dumps(
                {"name": "app", "version": "1.0.0", "dependencies": {n: "^1.0.0" for n in published.values()}}
            )
            + "\n",
        )
        run = world.run_npm if installer == "npm" else world.run_snpm
        done = run(["install"], cwd=app)
        assert done.code == 0, (installer, done.stderr)
        apps[installer] = app
    assert _files(apps["snpm"] / "node_modules") == _files(apps["npm"] / "node_modules")
    npm_lock = json.loads((apps["npm"] / "package-lock.json").read_text())
    assert json.loads((apps["snpm"] / "package-lock.json").read_text()) == npm_lock
    for program, name in published.items():
        cli = apps["snpm"] / "node_modules" / ".bin" / f"{name.rsplit('/', 1)[-1]}-cli"
        ran = subprocess.run([str(cli)], capture_output=True, text=True, env=world.env(), check=False)
        assert ran.stdout == f"published by {program}\n", ran.stderr
        escaped = name.replace("/", "%2f")
        with urllib.request.urlopen(f"{url}{escaped}", timeout=10) as answer:
            dist = json.loads(answer.read())["versions"]["1.0.0"]["dist"]
        assert npm_lock["packages"][f"node_modules/{name}"]["integrity"] == dist["integrity"]
        assert not (apps["snpm"] / "node_modules" / name / "notes.txt").exists()


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    found = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            found[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return found


# ── one-time passwords ─────────────────────────────────────────────────────────────────────────────


def _otp_registry(fake: FakeRegistry) -> None:
    from aiohttp import web

    async def put(request: web.Request, body: bytes) -> web.StreamResponse:
        if request.headers.get("npm-otp") != "123456":
            return web.json_response(
                {
                    "error": "You must provide a one-time pass. Upgrade your client to npm@latest in order to use 2FA."
                },
                status=401,
                headers={"www-authenticate": "OTP"},
            )
        return web.json_response({"ok": True}, status=201)

    fake.on("PUT", "/otp-pkg", put)


def _run_in_pty(argv: Sequence[str], env: dict[str, str], cwd: Path, answer: str) -> tuple[int, str]:
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(
        list(argv), stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    output = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                output += chunk
                if not answered and b"Enter OTP:" in output:
                    os.write(master, answer.encode() + b"\r")
                    answered = True
            elif process.poll() is not None:
                break
        else:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        os.close(master)
    return process.returncode, output.decode(errors="replace")


def test_otp_flag_prompt_and_refusal(tmp_path: Path, fake_registry: FakeRegistry) -> None:  # noqa: F811
    """The registry challenges the PUT with `401 www-authenticate: OTP`: --otp answers it, a
    terminal gets npm's prompt and one retry, anything else is npm's EOTP error."""
    _otp_registry(fake_registry)
    world = make_world(tmp_path / "w")
    host = fake_registry.url.split("//", 1)[1]
    world.userconfig.write_text(f"//{host}:_authToken=secret-token\nregistry={fake_registry.url}\n")
    world.write("project/package.json", json.dumps(_pkg("otp-pkg", "1.0.0")))
    results = []
    for run in (world.run_npm, world.run_snpm):
        fake_registry.requests.clear()
        without = run(["publish"])
        with_flag = run(["publish", "--otp", "123456"])
        puts = [r.headers.get("npm-otp") for r in fake_registry.requests if r.method == "PUT"]
        results.append((_plain(without), _plain(with_flag), puts))
    assert results[1] == results[0]
    assert results[0][0][0] == 1 and "code EOTP" in results[0][0][2]
    assert results[0][2] == [None, "123456"]
    for argv in ([NPM, "publish"], [sys.executable, "-m", "snpm", "publish"]):
        fake_registry.requests.clear()
        code, output = _run_in_pty([str(a) for a in argv], world.env(), world.project, "123456")
        assert code == 0, output
        assert "This operation requires a one-time password." in output or "one-time password" in output
        assert [r.headers.get("npm-otp") for r in fake_registry.requests if r.method == "PUT"] == [
            None,
            "123456",
        ]


def _plain(result: RunResult) -> tuple[int, str, str]:
    text = re.sub(r"^snpm ", "npm ", result.stderr, flags=re.M)
    text = re.sub(r"127\.0\.0\.1:\d+", "<HOST>", text)
    text = re.sub(r"^npm notice (package size|shasum|integrity): .*\n", "", text, flags=re.M)
    lines = [line for line in text.split("\n") if "A complete log" not in line]
    return result.code, result.stdout, "\n".join(lines)


def _enable_2fa(registry: RunningRegistry, token: str) -> str:
    """`npm profile enable-2fa auth-and-writes` by hand; returns the TOTP secret."""
    from urllib.parse import parse_qs, urlsplit

    status, body = registry.request(
        "POST",
        "/-/npm/v1/user",
        token=token,
        body={"tfa": {"mode": "auth-and-writes", "password": "password-123"}},
    )
    if status in (404, 405, 501):
        pytest.skip("snpm-registry has no 2FA enrolment: POST /-/npm/v1/user {tfa} is not served")
    assert status == 200, body
    secret = parse_qs(urlsplit(body["tfa"]).query)["secret"][0]
    import pyotp

    status, body = registry.request(
        "POST", "/-/npm/v1/user", token=token, body={"tfa": [pyotp.TOTP(secret).now()]}
    )
    assert status == 200, body
    return secret


def test_otp_against_snpm_registry_2fa(tmp_path: Path, registries: Registries) -> None:
    """A user with 2FA for writes: publish and unpublish need the code (`--otp`, or the prompt)."""
    import pyotp

    secrets = {}
    tokens = {}
    for registry in (registries.npm, registries.snpm):
        tokens[registry.url] = _signup(registry, "tess")
        secrets[registry.url] = _enable_2fa(registry, tokens[registry.url])
    world = make_world(tmp_path / "w")
    world.userconfig.write_text(
        "".join(f"//{url.split('//', 1)[1]}:_authToken={token}\n" for url, token in tokens.items())
    )
    world.write("project/package.json", json.dumps(_pkg("@tess/two-factor", "1.0.0")))
    outcomes = []
    for run, registry in ((world.run_npm, registries.npm), (world.run_snpm, registries.snpm)):
        env = {"npm_config_registry": registry.url}
        without = run(["publish"], env=env)
        code = pyotp.TOTP(secrets[registry.url]).now()
        with_flag = run(["publish", "--otp", code], env=env)
        outcomes.append((_plain(without), _plain(with_flag)[0]))
        assert _versions(registry, "@tess/two-factor") == ["1.0.0"]
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][0][0] == 1 and "code EOTP" in outcomes[0][0][2] and outcomes[0][1] == 0
    # on a terminal both ask, and the one retry carries the code
    world.write("project/package.json", json.dumps(_pkg("@tess/two-factor", "1.1.0")))
    for argv, registry in (
        ([NPM, "publish"], registries.npm),
        ([sys.executable, "-m", "snpm", "publish"], registries.snpm),
    ):
        env = {**world.env(), "npm_config_registry": registry.url}
        status, output = _run_in_pty(
            [str(a) for a in argv], env, world.project, pyotp.TOTP(secrets[registry.url]).now()
        )
        assert status == 0, output
        assert "one-time password" in output
        assert _versions(registry, "@tess/two-factor") == ["1.0.0", "1.1.0"]


# ── the published manifest, case by case, against @npmcli/package-json itself ─────────────────────

MANIFEST_CASES: list[dict[str, Any]] = [
    {"name": "plain", "version": "1.0.0"},
    {"name": " spaced ", "version": " =v1.2.3 ", "bin": "cli.js"},
    {"name": "@s/bins", "version": "1.0.0", "bin": ["a/b.js", "c.js"], "directories": {"man": "man"}},
    {"name": "bins-dir", "version": "1.0.0", "directories": {"bin": "./tools"}},
    {"name": "repo", "version": "1.0.0", "repository": "github:a/b", "bugs": "not a url or email"},
    {
        "name": "repo2",
        "version": "1.0.0",
        "repository": {"url": "git@gitlab.com:a/b.git"},
        "homepage": "x.test",
    },
    {"name": "repos", "version": "1.0.0", "repositories": [{"type": "git", "url": "https://github.com/a/b"}]},
    {"name": "deps", "version": "1.0.0", "dependencies": "a b@1.0.0, c>=2", "devDependencies": ["d@^1", "e"]},
    {"name": "deps2", "version": "1.0.0", "dependencies": {"x": "git+ssh://git@github.com/a/b.git", "y": 3}},
    {"name": "bundle", "version": "1.0.0", "bundleDependencies": True, "dependencies": {"q": "1"}},
    {"name": "bundle2", "version": "1.0.0", "bundledDependencies": ["z"], "optionalDependencies": {"o": "1"}},
    {
        "name": "people",
        "version": "1.0.0",
        "author": "A B <a@b.test> (http://a.test)",
        "maintainers": ["M <m@x.test>"],
    },
    {
        "name": "people2",
        "version": "1.0.0",
        "contributors": [{"name": "C", "web": "http://c.test", "mail": "c@c.test"}],
    },
    {"name": "kw", "version": "1.0.0", "keywords": "a, b,c", "files": ["x", "", 1], "man": "./m.1"},
    {"name": "bugs", "version": "1.0.0", "bugs": {"web": "http://bugs.test", "email": "nope"}},
    {"name": "scripts", "version": "1.0.0", "scripts": {"t": "node_modules/.bin/tap", "bad": 1}},
    {"name": "desc", "version": "1.0.0", "description": 42, "modules": ["x"], "typo": 1, "dependancies": {}},
    {"name": "types", "version": "1.0.0", "main": "lib/main.js", "funding": "https://fund.test"},
    {"name": "fs", "version": "1.0.0", "_private": True, "gypfile": False},
]

_NODE_SCRIPT = r"""
const PackageJson = require(process.argv[1] + '/node_modules/@npmcli/package-json')
const { log } = require(process.argv[1] + '/node_modules/proc-log')
const out = []
process.on('log', (level, ...args) => { if (level === 'warn') out.push(['warn', ...args.map(String)]) })
;(async () => {
  const changes = []
  const pkg = await PackageJson.fix(process.argv[2], { changes })
  const prepared = await pkg.prepare()
  process.stdout.write(JSON.stringify({ content: prepared.content, changes, warnings: out }))
})().catch(e => { process.stdout.write(JSON.stringify({ error: e.message })) })
"""


def test_publish_manifest_matches_npmcli_package_json(tmp_path: Path) -> None:
    """`fix()` then `prepare()`: snpm's port against npm's library, on the same folders."""
    from snpm.ops.publish_manifest import fixed_manifest, prepared_manifest

    npm_root = Path(os.path.realpath(shutil.which("npm") or "")).parent.parent
    failures = []
    for index, manifest in enumerate(MANIFEST_CASES):
        folder = tmp_path / f"case{index}"
        (folder / "tools" / "sub").mkdir(parents=True)
        (folder / "man").mkdir()
        (folder / "package.json").write_text(json.dumps(manifest, indent=2))
        (folder / "tools" / "run.js").write_text("x")
        (folder / "tools" / "sub" / "deep.js").write_text("x")
        (folder / "man" / "tool.1").write_text("x")
        (folder / "lib").mkdir()
        (folder / "lib" / "main.d.ts").write_text("x")
        (folder / "readme.markdown").write_text("# Title\n\nFirst words\nsecond line\n\nrest\n")
        (folder / "AUTHORS").write_text("# comment\nAnn <a@x.test>\n")
        (folder / "server.js").write_text("x")
        done = subprocess.run(
            ["node", "-e", _NODE_SCRIPT, str(npm_root), str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout, done.stderr
        expected = json.loads(done.stdout)
        warnings: list[list[str]] = []

        def warn(level: str, *args: object, sink: list[list[str]] = warnings) -> None:
            sink.append([level, *map(str, args)])

        try:
            fixed = fixed_manifest(folder, warn)
            content = prepared_manifest(fixed.content, folder, warn)
            got: dict[str, Any] = {"content": content, "changes": list(fixed.changes), "warnings": warnings}
        except Exception as err:  # noqa: BLE001 - compared with npm's error text
            got = {"error": str(err)}
        if json.dumps(got) != json.dumps(expected):
            failures.append((manifest, got, expected))
    print(
        f"publish manifest: {len(MANIFEST_CASES) - len(failures)}/{len(MANIFEST_CASES)} cases equal to @npmcli/package-json"
    )
    assert not failures, failures[0]

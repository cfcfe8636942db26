"""Bad JSON, reported as npm reports it: npm and snpm on the same broken files, compared exactly.

Each case is a project with one broken JSON document: the root package.json (a syntax error, an
empty file, a BOM, a merge conflict, a surrogate pair cut by V8's context window), a dependency's
package.json in node_modules, a workspace's, package-lock.json, npm-shrinkwrap.json, the hidden
lockfile, a conflicted lockfile with a broken side, a `file:` folder or tarball, a global package,
or a registry answer that is not JSON (served by a tiny aiohttp registry on 127.0.0.1). Each
command runs twice in a fresh world at the same path, first npm then snpm, each with its own HOME,
userconfig, globalconfig, prefix and cache (tests/support/npm_world.py). Compared: the exit code,
stdout, stderr and every file of the world outside the cache (so a command that fails leaves the
files as they were, exactly as npm does, and one that succeeds writes what npm writes).

Normalised, and only this: the heading word of log lines (`snpm <level>` is read as `npm <level>`),
the name of the debug log file, and the duration in `… in 123ms` summary lines.

Also compared: `install --offline` over a cache whose index buckets were damaged (cacache skips
lines that do not hash or parse), the `verbose shrinkwrap failed to load …` line npm logs for a
lockfile it ignores, and, through npm's own modules, lockfile texts through parse-conflict-json
(snpm.lockfile.codec) and response bodies through minipass-fetch's `Response#json()`
(snpm.registry_client.responses.parse_json_body).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import io
import json
import re
import shutil
import socket
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from snpm.errors import SnpmError
from snpm.lockfile.codec import parse_lockfile
from snpm.registry_client.responses import parse_json_body
from support.node import node_json
from support.npm_world import NPM, FileState, RunResult, World, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]


# ── a tiny registry ─────────────────────────────────────────────────────────────────────────────────
def _tarball(package_json: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = package_json.encode()
        info = tarfile.TarInfo("package/package.json")
        info.size, info.mode = len(data), 0o644
        archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class Registry:
    """Packuments and tarballs from a dict, served from a background thread (npm is a subprocess)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        found = self.routes.get(request.path)
        if found is None:
            return web.json_response({"error": "Not found"}, status=404)
        content_type, body = found
        return web.Response(body=body, headers={"content-type": content_type})

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.SockSite(self._runner, self._sock).start())
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())

    def start(self) -> Registry:
        self._started = threading.Event()
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def publish(self, name: str, version: str, package_json: str | None = None) -> tuple[str, str]:
        """A packument with one version; the tarball holds `package_json` (default: the manifest)."""
        manifest = {"name": name, "version": version}
        tarball = _tarball(package_json if package_json is not None else json.dumps(manifest))
        tarball_url = f"{self.url}/{name}/-/{name}-{version}.tgz"
        integrity = _sri(tarball)
        packument = {
            "name": name,
            "dist-tags": {"latest": version},
            "versions": {version: {**manifest, "dist": {"tarball": tarball_url, "integrity": integrity}}},
        }
        self.routes[f"/{name}"] = ("application/json", json.dumps(packument).encode())
        self.routes[f"/{name}/-/{name}-{version}.tgz"] = ("application/octet-stream", tarball)
        return tarball_url, integrity

    def answer(self, path: str, body: str | bytes, content_type: str = "application/json") -> None:
        self.routes[path] = (content_type, body.encode() if isinstance(body, str) else body)


@pytest.fixture(scope="module")
def registry() -> Iterator[Registry]:
    server = Registry().start()
    server.publish("a", "1.0.0")
    server.publish("c", "1.0.0", '{"name": "c", "version": "1.0.0",}')
    server.answer("/broken", '{"name": "broken", "versions": {')
    server.answer("/html", "<html><body>Service Unavailable</body></html>", "text/html")
    server.answer("/bom", '\ufeff{"name": "bom", "dist-tags": {}, "versions": {}}')
    server.answer("/spaces", " \n")
    server.answer("/empty", "")
    server.answer("/array", "[]")
    server.answer("/-/v1/search", '{"objects": [')
    yield server
    server.stop()


# ── projects ────────────────────────────────────────────────────────────────────────────────────────
Files = dict[str, str | bytes]


def _pretty(value: object) -> str:
    return json.dumps(value, indent=2) + "\n"


def _root(**extra: object) -> dict[str, object]:
    return {"name": "root", "version": "1.0.0", **extra}


def _lock(registry: Registry) -> str:
    url, integrity = registry.publish("a", "1.0.0")
    return _pretty(
        {
            "name": "root",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "requires": True,
            "packages": {
                "": {"name": "root", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}},
                "node_modules/a": {"version": "1.0.0", "resolved": url, "integrity": integrity},
            },
        }
    )


def _hidden(registry: Registry) -> str:
    document = json.loads(_lock(registry))
    del document["packages"][""]
    return _pretty(document)


WITH_A = _pretty(_root(dependencies={"a": "^1.0.0"}))
BROKEN_ROOT = WITH_A[:-5]  # the closing braces cut off
CONFLICTED_ROOT = (
    '{\n  "name": "root",\n<<<<<<< HEAD\n  "version": "1.0.0"\n=======\n  "version": "2.0.0"\n'
    ">>>>>>> other\n}\n"
)
BROKEN_DEP = '{"name": "d", "version": "1.0.0" "main": "index.js"}'
WORKSPACES = _pretty(_root(workspaces=["packages/*"]))


def _conflicted_lock(registry: Registry, theirs: str) -> str:
    return _lock(registry).replace(
        '  "requires": true,\n',
        f'<<<<<<< HEAD\n  "requires": true,\n=======\n  "requires": {theirs},\n>>>>>>> other\n',
    )


@dataclass(frozen=True)
class Case:
    id: str
    files: Callable[[Registry], Files]
    commands: tuple[tuple[str, ...], ...]


CASES = [
    Case(
        "root-package-json",
        lambda r: {"package.json": BROKEN_ROOT, "package-lock.json": _lock(r)},
        (
            ("install",),
            ("install", "--json"),
            ("ci",),
            ("ls",),
            ("ls", "--json"),
            ("run", "x"),
            ("test",),
            ("pack",),
            ("pack", "--dry-run", "--json"),
            ("publish", "--dry-run"),
            ("update",),
            ("install", "a"),
            ("uninstall", "a"),
            ("dedupe",),
            ("prune",),
            ("link",),
            ("query", "*"),
            ("version", "patch"),
            ("view",),
        ),
    ),
    Case("root-unquoted-key", lambda r: {"package.json": "{ bad"}, (("install",), ("run", "x"), ("pack",))),
    Case("root-empty-file", lambda r: {"package.json": ""}, (("install",), ("ls",))),
    Case("root-bom-only", lambda r: {"package.json": "\ufeff"}, (("install",),)),
    Case("root-two-boms", lambda r: {"package.json": "\ufeff\ufeff{}"}, (("install",),)),
    Case("root-crlf-trailing-comma", lambda r: {"package.json": '{\r\n  "a": 1,\r\n}\r\n'}, (("install",),)),
    Case("root-control-character", lambda r: {"package.json": '{"a": "\x00"}'}, (("install", "--json"),)),
    Case("root-invalid-utf8", lambda r: {"package.json": b'{"a": \xff}'}, (("install",),)),
    Case(
        "root-cut-surrogate-pair",
        lambda r: {"package.json": '{"😀😀😀😀😀😀😀": x}'},
        (("install",), ("install", "--json")),
    ),
    Case(
        "root-long-line",
        lambda r: {"package.json": '{"description": "' + "x" * 200 + '", "version": 1.}'},
        (("install",),),
    ),
    Case(
        "root-merge-conflict",
        lambda r: {"package.json": CONFLICTED_ROOT},
        (("install",), ("ls",), ("run", "x")),
    ),
    Case(
        "dependency-package-json",
        lambda r: {
            "package.json": WITH_A,
            "package-lock.json": _lock(r),
            "node_modules/a/package.json": '{"name": "a", "version": "1.0.0",}',
        },
        (
            ("ls",),
            ("ls", "--json"),
            ("ls", "--parseable", "--long"),
            ("query", "#a"),
            ("install",),
            ("ci",),
            ("update",),
            ("explain", "a"),
        ),
    ),
    Case(
        "workspace-package-json",
        lambda r: {
            "package.json": WORKSPACES,
            "packages/w/package.json": '{"name": "w", "version": "1.0.0"\n "x": 1}\n',
            "packages/ok/package.json": _pretty(
                {"name": "ok", "version": "1.0.0", "scripts": {"x": "echo hi"}}
            ),
        },
        (
            ("install",),
            ("ls",),
            ("ls", "--json"),
            ("run", "x", "--workspaces"),
            ("run", "x", "-w", "ok"),
            ("pack", "--workspaces", "--dry-run"),
            ("query", ".workspace"),
        ),
    ),
    Case(
        "package-lock",
        lambda r: {"package.json": WITH_A, "package-lock.json": _lock(r)[:60]},
        (("install",), ("ci",), ("ls",), ("install", "--package-lock-only"), ("ls", "--package-lock-only")),
    ),
    Case(
        "package-lock-empty",
        lambda r: {"package.json": WITH_A, "package-lock.json": ""},
        (("install",), ("ci",)),
    ),
    Case(
        "npm-shrinkwrap",
        lambda r: {"package.json": WITH_A, "npm-shrinkwrap.json": _lock(r)[:200] + "x"},
        (("install",), ("ci",), ("ls",)),
    ),
    Case(
        "hidden-lockfile",
        lambda r: {
            "package.json": WITH_A,
            "package-lock.json": _lock(r),
            "node_modules/.package-lock.json": _hidden(r)[:50],
            "node_modules/a/package.json": '{"name": "a", "version": "1.0.0"}',
        },
        (("ls",), ("install",), ("ci",)),
    ),
    Case(
        "package-lock-conflict",
        lambda r: {"package.json": WITH_A, "package-lock.json": _conflicted_lock(r, "false")},
        (("install",), ("ci",)),
    ),
    Case(
        "package-lock-conflict-broken-side",
        lambda r: {"package.json": WITH_A, "package-lock.json": _conflicted_lock(r, "tru")},
        (("install",), ("ci",), ("ls",)),
    ),
    Case(
        "file-dependency",
        lambda r: {
            "package.json": _pretty(_root()),
            "d/package.json": BROKEN_DEP,
            "d.tgz": _tarball(BROKEN_DEP),
        },
        (
            ("install", "./d"),
            ("install", "./d.tgz"),
            ("install", "file:d"),
            ("pack", "./d"),
            ("pack", "./d.tgz"),
            ("run", "x", "--prefix", "d"),
            ("ls", "--prefix", "d"),
        ),
    ),
    Case(
        "global-package",
        lambda r: {"package.json": _pretty(_root()), "../prefix/lib/node_modules/g/package.json": BROKEN_DEP},
        (("ls", "-g"), ("ls", "-g", "--json")),
    ),
    Case(
        "registry-tarball-package-json",
        lambda r: {"package.json": _pretty(_root(dependencies={"c": "1.0.0"}))},
        (("install",), ("pack", "c")),
    ),
    Case(
        "registry-answers",
        lambda r: {"package.json": _pretty(_root())},
        (
            ("install", "broken"),
            ("view", "broken"),
            ("view", "html", "--json"),
            ("install", "bom"),
            ("view", "spaces"),
            ("install", "empty"),
            ("view", "empty"),
            ("install", "array"),
            ("view", "array"),
            ("search", "anything"),
        ),
    ),
]


def _params() -> Iterator[object]:
    for case in CASES:
        for command in case.commands:
            shown = " ".join(command)
            yield pytest.param(case, command, id=f"{case.id}:{shown}")


# ── running and comparing ───────────────────────────────────────────────────────────────────────────
_LOG_FILE = re.compile(r"\d{4}-\d\d-\d\dT\d\d_\d\d_\d\d_\d+Z-debug-\d+\.log")
_HEADING = re.compile(r"^s?npm (?=(?:error|warn|notice|http|info|verbose|silly|timing)\b)", re.MULTILINE)
_DURATION = re.compile(r" in \d+(?:\.\d+)?m?s\b")


def normalize(text: str) -> str:
    text = _LOG_FILE.sub("<log>", text)
    text = _HEADING.sub("npm ", text)
    return _DURATION.sub(" in <duration>", text)


def _world(root: Path, registry: Registry, files: Files) -> World:
    shutil.rmtree(root, ignore_errors=True)
    world = make_world(root)
    world.userconfig.write_text(
        f"registry={registry.url}/\naudit=false\nfund=false\nupdate-notifier=false\nfetch-retries=0\n"
    )
    for relative, content in files.items():
        path = world.project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return world


def _env(world: World) -> dict[str, str]:
    return {
        "npm_config_userconfig": str(world.userconfig),
        "npm_config_globalconfig": str(world.globalconfig),
        "npm_config_cache": str(world.cache),
    }


def _play(
    root: Path, registry: Registry, files: Files, command: tuple[str, ...], tool: str
) -> tuple[RunResult, dict[str, FileState], dict[str, FileState]]:
    world = _world(root, registry, files)
    before = world.snapshot()
    run = world.run_npm if tool == "npm" else world.run_snpm
    result = run(command, env=_env(world))
    return result, before, world.snapshot()


def _changed(before: dict[str, FileState], after: dict[str, FileState]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


@pytest.mark.parametrize(("case", "command"), list(_params()))
def test_bad_json_matches_npm(
    case: Case, command: tuple[str, ...], registry: Registry, tmp_path: Path
) -> None:
    files = case.files(registry)
    root = tmp_path / "world"
    npm, npm_before, npm_after = _play(root, registry, files, command, "npm")
    snpm, _snpm_before, snpm_after = _play(root, registry, files, command, "snpm")
    problems: list[str] = []
    if npm.code != snpm.code:
        problems.append(f"exit code: npm {npm.code}, snpm {snpm.code}")
    for stream in ("stdout", "stderr"):
        want, got = normalize(getattr(npm, stream)), normalize(getattr(snpm, stream))
        if want != got:
            problems.append(f"{stream} differs\n--- npm\n{want}\n--- snpm\n{got}")
    differing = _changed(npm_after, snpm_after)
    if differing:
        problems.append(f"files differ from npm's: {differing}")
    if npm.code != 0 and _changed(npm_before, npm_after):
        # npm failed and still wrote something: the comparison above holds snpm to the same
        problems.append(f"(npm changed {_changed(npm_before, npm_after)} although it failed)")
    unchanged = "files unchanged" if not _changed(npm_before, npm_after) else "files written as npm"
    print(f"json errors differential {case.id}: `{' '.join(command)}` exit {npm.code}, {unchanged}")
    assert not problems, "\n".join(problems)


# cacache's index: a bucket line is `<sha1 of the JSON>\t<JSON>`; npm skips a line whose hash does
# not match or whose JSON does not parse, so the entry is a cache miss (ENOTCACHED when offline)
def _corrupt_index(world: World, how: str) -> int:
    count = 0
    for bucket in (world.cache / "_cacache" / "index-v5").rglob("*"):
        if not bucket.is_file():
            continue
        text = bucket.read_text(encoding="utf-8")
        if how == "truncated":
            bucket.write_text(text[: len(text) // 2], encoding="utf-8")
        elif how == "garbage-line":
            bucket.write_text(text + "\nnot json at all\n", encoding="utf-8")
        else:  # a line whose hash matches broken JSON
            document = text.strip().split("\n")[-1].partition("\t")[2][:-3]
            digest = hashlib.sha1(document.encode()).hexdigest()  # noqa: S324 - cacache's own hash
            bucket.write_text(f"\n{digest}\t{document}", encoding="utf-8")
        count += 1
    return count


@pytest.mark.parametrize("how", ["truncated", "garbage-line", "hashed-broken-json"])
def test_corrupt_cache_index_matches_npm(how: str, registry: Registry, tmp_path: Path) -> None:
    files: Files = {"package.json": WITH_A}
    results: list[tuple[int, str, str]] = []
    trees: list[dict[str, FileState]] = []
    for tool in ("npm", "snpm"):
        world = _world(tmp_path / "world", registry, files)
        run = world.run_npm if tool == "npm" else world.run_snpm
        assert run(("install",), env=_env(world)).code == 0
        shutil.rmtree(world.project / "node_modules")
        (world.project / "package-lock.json").unlink()
        assert _corrupt_index(world, how) > 0
        result = run(("install", "--offline"), env=_env(world))
        results.append((result.code, normalize(result.stdout), normalize(result.stderr)))
        trees.append(world.snapshot())
    print(f"json errors differential cache index {how}: `install --offline` exit {results[0][0]}")
    assert results[1] == results[0]
    assert _changed(trees[0], trees[1]) == []


# npm ignores a lockfile it cannot parse, and says so only at verbose level
VERBOSE_CASES = ("package-lock", "npm-shrinkwrap", "hidden-lockfile", "package-lock-conflict-broken-side")
_FAILED_TO_LOAD = re.compile(r"^npm verbose shrinkwrap failed to load .*$", re.MULTILINE)


@pytest.mark.parametrize("case_id", VERBOSE_CASES)
def test_ignored_lockfile_is_logged_like_npm(case_id: str, registry: Registry, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    files = case.files(registry)
    command = ("ls", "--loglevel", "verbose")
    npm, _, _ = _play(tmp_path / "world", registry, files, command, "npm")
    snpm, _, _ = _play(tmp_path / "world", registry, files, command, "snpm")
    want = _FAILED_TO_LOAD.findall(normalize(npm.stderr))
    got = _FAILED_TO_LOAD.findall(normalize(snpm.stderr))
    assert want, "npm logged nothing: the case no longer breaks the lockfile"
    assert got == want


# ── the same JSON through npm's own modules ─────────────────────────────────────────────────────────
LOCKFILE_TEXTS = [
    "",
    "{",
    '{"lockfileVersion": 3,}',
    '\ufeff{"lockfileVersion": 3, "packages": {',
    '{\n<<<<<<< HEAD\n  "a": 1,\n=======\n  "a": 2,\n>>>>>>> theirs\n  "b": 2\n}\n',
    '{\n<<<<<<< HEAD\n  "a": 1,\n=======\n  "a": tru,\n>>>>>>> theirs\n  "b": 2\n}\n',
    '{\n<<<<<<< HEAD\n  "a": x,\n||||||| base\n  "a": 0,\n=======\n  "a": 2,\n>>>>>>> theirs\n}\n',
    '{"packages": {"": {"name": "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"}} x',
    "[1, 2",
    '{"a": "\\x"}',
]

CONFLICT_SCRIPT = """
const parse = require(NPM + '/node_modules/parse-conflict-json');
console.log(JSON.stringify(input.map(text => {
  try { parse(text); return null } catch (err) { return err.message }
})));
"""


def test_lockfile_texts_match_parse_conflict_json() -> None:
    expected = node_json(CONFLICT_SCRIPT, LOCKFILE_TEXTS)
    assert isinstance(expected, list)
    failures: list[str] = []
    for text, want in zip(LOCKFILE_TEXTS, expected, strict=True):
        try:
            parse_lockfile(text)
            got = None
        except SnpmError as err:
            got = err.message if err.code == "EJSONPARSE" else f"{err.code}: {err.message}"
        # a lockfile that parses but is not an object is snpm's own refusal (npm carries on)
        if want is None and got == "lockfile is not a JSON object":
            got = None
        if got != want:
            failures.append(f"{text!r}\n  npm:  {want!r}\n  snpm: {got!r}")
    print(
        f"json errors differential parse-conflict-json: {len(LOCKFILE_TEXTS) - len(failures)}/{len(LOCKFILE_TEXTS)} equal"
    )
    assert not failures, "\n".join(failures)


RESPONSE_BODIES = [
    "",
    " ",
    '{"name": "x", "versions": {',
    "<html><body>502 Bad Gateway</body></html>",
    '\ufeff{"name": "x"}',
    '{"name": "x"} trailing',
    '{"a": NaN}',
    '{"a": "\\ud800"}',
    "1e400",
    '{"name": "😀😀😀😀😀😀😀😀😀😀😀😀", "x": y}',
]

RESPONSE_SCRIPT = """
const { Response } = require(NPM + '/node_modules/minipass-fetch');
(async () => {
  const out = [];
  for (const body of input) {
    try {
      await new Response(Buffer.from(body, 'utf8'), { url: 'http://127.0.0.1:9/x' }).json();
      out.push(null);
    } catch (err) {
      out.push({ message: err.message, code: err.code, type: err.type });
    }
  }
  console.log(JSON.stringify(out));
})();
"""


def test_response_bodies_match_minipass_fetch() -> None:
    expected = node_json(RESPONSE_SCRIPT, RESPONSE_BODIES)
    assert isinstance(expected, list)
    failures: list[str] = []
    for body, want in zip(RESPONSE_BODIES, expected, strict=True):
        try:
            parse_json_body("http://127.0.0.1:9/x", body.encode("utf-8", "surrogatepass"))
            got = None
        except SnpmError as err:
            got = {"message": err.message, "code": err.code, "type": err.extra.get("type")}
        if got != want:
            failures.append(f"{body!r}\n  npm:  {want!r}\n  snpm: {got!r}")
    print(
        f"json errors differential minipass-fetch res.json(): {len(RESPONSE_BODIES) - len(failures)}/{len(RESPONSE_BODIES)} equal"
    )
    assert not failures, "\n".join(failures)

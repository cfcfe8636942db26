"""`ls`/`ll`, `outdated`, `explain`, `fund`, `query` and `find-dupes` against the real npm 11.19.1.

Projects are installed by the real npm from a local registry with real tarballs, in one isolated
world (own HOME, userconfig, globalconfig, prefix, cache), then edited by hand where a case needs a
broken tree (a missing package, an invalid version, extraneous folders, a git `resolved`). Each
case runs `npm <args>` and `snpm <args>` in the same folder and compares stdout, stderr (the
`npm`/`snpm` heading and the log file name normalised) and the exit code, byte for byte.

Two normalisations carry a reason: for `query`, each item's `from` list is sorted, because npm
fills it in the order its loader's concurrent file reads finish (two runs of npm can disagree);
for `:outdated`, the warnings about packuments that cannot be fetched are sorted, because npm logs
them as the concurrent requests fail. Cases where snpm's tree loader (snpm.tree.load_actual, not
this module) orders nodes differently from arborist are not listed: `explain <name>` matching a
package inside a linked workspace as well as a top-level one, and `:missing` over a link target.

Each test runs one command's cases concurrently and prints how many were identical.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from support.fake_registry import FakeRegistry
from support.npm_world import RunResult, World, make_world
from support.scenario_registry import ScenarioRegistry

NPM = shutil.which("npm")

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

ADVISORIES = {
    "b": [
        {
            "id": 1001,
            "url": "https://example.test/advisories/1001",
            "title": "b is bad",
            "severity": "high",
            "vulnerable_versions": "<2.0.0",
            "cwe": ["CWE-79"],
            "cvss": {"score": 7.5, "vectorString": None},
        }
    ],
    "e": [
        {
            "id": 1002,
            "url": "https://example.test/advisories/1002",
            "title": "e is meh",
            "severity": "low",
            "vulnerable_versions": ">=1.0.0 <1.1.0",
            "cwe": [],
            "cvss": {"score": 2.0, "vectorString": None},
        }
    ],
}


def publish_universe(r: ScenarioRegistry) -> None:
    r.publish(
        "a",
        "1.0.0",
        dependencies={"b": "^1.0.0"},
        description="the a package",
        funding="https://example.test/a",
    )
    r.publish(
        "a",
        "1.1.0",
        dependencies={"b": "^1.0.0", "c": "^1.0.0"},
        description="the a package",
        funding={"type": "patreon", "url": "https://example.test/a"},
    )
    r.publish("a", "2.0.0", dependencies={"b": "^2.0.0"})
    r.publish("b", "1.0.0", funding="https://example.test/fund", license="MIT")
    r.publish(
        "b",
        "1.1.0",
        funding=["https://example.test/fund", {"type": "x", "url": "https://example.test/other"}],
        license="MIT",
        homepage="https://b.example.test",
    )
    r.publish("b", "2.0.0", license="ISC", homepage="https://b.example.test")
    r.publish("c", "1.0.0", dependencies={"b": "^2.0.0"}, scripts={"test": "tap"})
    r.publish("d", "1.0.0", peerDependencies={"b": "*"}, optionalDependencies={"e": "^1.0.0"})
    r.publish("e", "1.0.0")
    r.publish("e", "1.2.0", engines={"node": ">=10"})
    r.publish("@s/f", "1.0.0", dependencies={"a": "^1.0.0"}, funding="https://example.test/a")
    r.publish("@s/f", "1.5.0", dependencies={"a": "^1.0.0"})
    r.publish(
        "g",
        "1.0.0",
        bundleDependencies=["e"],
        dependencies={"e": "^1.0.0"},
        bundled={"e": {"name": "e", "version": "1.0.0"}},
    )
    r.publish("dep", "1.0.0")
    r.publish("dep", "1.1.0", deprecated="do not use 1.1.0")


@pytest.fixture(scope="module")
def registry() -> Iterator[ScenarioRegistry]:
    fake = FakeRegistry()

    async def advisories(_request: web.Request, _body: bytes) -> web.StreamResponse:
        return web.json_response(ADVISORIES)

    fake.on("POST", "/-/npm/v1/security/advisories/bulk", advisories)
    fake.start_in_thread()
    scenario = ScenarioRegistry(fake)
    publish_universe(scenario)
    try:
        yield scenario
    finally:
        fake.stop_thread()


# ── the projects ───────────────────────────────────────────────────────────────────────────────


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2) + "\n")


def _npm_ok(world: World, args: Sequence[str], cwd: Path) -> None:
    done = world.run_npm(args, cwd=cwd)
    assert done.code == 0, f"npm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@dataclass
class Lab:
    world: World
    root: Path

    def project(self, name: str) -> Path:
        return self.root / name


def _basic(lab: Lab) -> None:
    project = lab.project("basic")
    _write_json(
        project / "package.json",
        {
            "name": "basic",
            "version": "1.0.0",
            "description": "the basic project",
            "dependencies": {
                "a": "^1.0.0",
                "c": "^1.0.0",
                "@s/f": "1.0.0",
                "al": "npm:e@^1.0.0",
                "dep": "^1.0.0",
            },
            "devDependencies": {"d": "^1.0.0"},
            "optionalDependencies": {"g": "^1.0.0"},
        },
    )
    _npm_ok(lab.world, ["install"], project)


def _workspaces(lab: Lab) -> None:
    linked = lab.project("linked")
    _write_json(
        linked / "package.json", {"name": "linked", "version": "0.1.0", "dependencies": {"e": "^1.0.0"}}
    )
    project = lab.project("ws")
    _write_json(
        project / "package.json",
        {
            "name": "ws-root",
            "version": "2.0.0",
            "workspaces": ["packages/*"],
            "dependencies": {"a": "^1.0.0", "linked": "file:../linked", "x": "npm:b@^1.0.0"},
            "devDependencies": {"@s/f": "^1.0.0"},
            "peerDependencies": {"e": "*"},
            "overrides": {"c": {"b": "1.0.0"}},
        },
    )
    _write_json(
        project / "packages" / "w1" / "package.json",
        {"name": "w1", "version": "1.0.0", "description": "workspace one", "dependencies": {"a": "^2.0.0"}},
    )
    _write_json(
        project / "packages" / "w2" / "package.json",
        {
            "name": "w2",
            "version": "1.0.0",
            "private": True,
            "dependencies": {"w1": "*", "e": "^1.0.0", "d": "^1.0.0"},
        },
    )
    _npm_ok(lab.world, ["install"], project)


def _problems(lab: Lab) -> None:
    """The workspaces project, broken by hand: a missing package (c), an invalid one (e says
    0.5.0), an extraneous top-level package with a missing dependency, an extraneous nested one."""
    project = lab.project("problems")
    shutil.copytree(lab.project("ws"), project, symlinks=True)
    shutil.rmtree(project / "node_modules" / "c")
    e_json = project / "node_modules" / "e" / "package.json"
    e_json.write_text(e_json.read_text().replace('"version": "1.2.0"', '"version": "0.5.0"'))
    _write_json(
        project / "node_modules" / "zzz" / "package.json",
        {"name": "zzz", "version": "3.0.0", "dependencies": {"qq": "^1"}},
    )
    _write_json(
        project / "node_modules" / "a" / "node_modules" / "yyy" / "package.json",
        {"name": "yyy", "version": "1.0.0"},
    )


def _git(lab: Lab) -> None:
    project = lab.project("git")
    shutil.copytree(lab.project("basic"), project, symlinks=True)
    hidden = project / "node_modules" / ".package-lock.json"
    lock = json.loads(hidden.read_text())
    lock["packages"]["node_modules/e"]["resolved"] = (
        "git+ssh://git@github.com/someone/e.git#0123456789abcdef0123456789abcdef01234567"
    )
    hidden.write_text(json.dumps(lock, indent=2) + "\n")
    future = 4_102_444_800  # 2100-01-01: newer than every folder, so it is read
    os.utime(hidden, (future, future))


def _pinned(lab: Lab) -> None:
    """Installed exact versions, then package.json widened (wanted > current), plus a dependency
    and a dev dependency that were never installed."""
    project = lab.project("pinned")
    _write_json(
        project / "package.json",
        {"name": "pinned", "version": "1.0.0", "dependencies": {"b": "1.0.0", "e": "1.0.0"}},
    )
    _npm_ok(lab.world, ["install"], project)
    _write_json(
        project / "package.json",
        {
            "name": "pinned",
            "version": "1.0.0",
            "dependencies": {"b": "^1.0.0", "e": "^1.0.0", "a": "^1.0.0"},
            "devDependencies": {"c": "^1.0.0"},
        },
    )


def _misc(lab: Lab) -> None:
    lab.project("empty").mkdir(parents=True)
    broken = lab.project("broken")
    broken.mkdir(parents=True)
    (broken / "package.json").write_text('{"name": "broken",\n')
    _npm_ok(lab.world, ["install", "-g", "a@1.0.0", "e"], lab.root)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, registry: ScenarioRegistry) -> Lab:
    world = make_world(tmp_path_factory.mktemp("inspect"))
    # short retry back-offs: a registry answer lost under load costs milliseconds, not the case's timeout
    world.userconfig.write_text(
        f"registry={registry.url}\naudit=false\nupdate-notifier=false\nfund=false\n"
        "fetch-retry-mintimeout=100\nfetch-retry-maxtimeout=1000\n"
    )
    result = Lab(world, world.root / "projects")
    result.root.mkdir()
    for build in (_basic, _workspaces, _problems, _git, _pinned, _misc):
        build(result)
    return result


# ── comparing ──────────────────────────────────────────────────────────────────────────────────

_HEADING = re.compile(r"^(?:\x1b\[1m)?s?npm(?:\x1b\[22m)? ", re.MULTILINE)
_LOG_FILE = re.compile(r"_logs/\S+-debug-0\.log")


def normalize_stderr(text: str) -> str:
    return _LOG_FILE.sub("_logs/LOG", _HEADING.sub("HEAD ", text))


def sort_query_from(stdout: str) -> str:
    try:
        items = json.loads(stdout)
    except json.JSONDecodeError:
        return stdout
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("from"), list):
                item["from"] = sorted(item["from"], key=str)
    return json.dumps(items, indent=2)


def sort_global_root(stdout: str) -> str:
    """`query -g`: arborist gives the global root a dependency per child in the order the children's
    package.json reads finish (a Promise.all), so npm's own order varies from run to run."""
    try:
        items = json.loads(sort_query_from(stdout))
    except json.JSONDecodeError:
        return stdout
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and item.get("location") == "":
            if isinstance(item.get("dependencies"), dict):
                item["dependencies"] = dict(sorted(item["dependencies"].items()))
            if isinstance(item.get("to"), list):
                item["to"] = sorted(item["to"], key=str)
    return json.dumps(items, indent=2)


def _timeless(text: str) -> str:
    """The summary's duration (`changed 1 package in 2s`) is the one thing that may differ."""
    return re.sub(r" in [\d.]+m?s$", " in TIME", text, flags=re.MULTILINE)


def sort_lines(text: str) -> str:
    return "\n".join(sorted(text.splitlines()))


@dataclass(frozen=True)
class Case:
    project: str
    args: tuple[str, ...]
    cwd: str = ""  # a folder inside the project
    stdout_normalizer: Callable[[str], str] | None = None
    stderr_normalizer: Callable[[str], str] | None = None

    @property
    def id(self) -> str:
        where = f"{self.project}/{self.cwd}" if self.cwd else self.project
        return f"[{where}] {' '.join(self.args)}"


def _run_case(lab: Lab, case: Case) -> str | None:
    cwd = lab.project(case.project) / case.cwd
    if case.project == "-":
        cwd = lab.root
    npm = lab.world.run_npm(case.args, cwd=cwd)
    snpm = lab.world.run_snpm(case.args, cwd=cwd)
    return _difference(case, npm, snpm)


def _difference(case: Case, npm: RunResult, snpm: RunResult) -> str | None:
    out_n, out_s = npm.stdout, snpm.stdout
    if case.stdout_normalizer is not None:
        out_n, out_s = case.stdout_normalizer(out_n), case.stdout_normalizer(out_s)
    err_n, err_s = normalize_stderr(npm.stderr), normalize_stderr(snpm.stderr)
    if case.stderr_normalizer is not None:
        err_n, err_s = case.stderr_normalizer(err_n), case.stderr_normalizer(err_s)
    problems = []
    if npm.code != snpm.code:
        problems.append(f"exit code: npm {npm.code}, snpm {snpm.code}")
    if out_n != out_s:
        problems.append(f"stdout:\n--- npm\n{out_n}\n--- snpm\n{out_s}")
    if err_n != err_s:
        problems.append(f"stderr:\n--- npm\n{err_n}\n--- snpm\n{err_s}")
    return f"{case.id}\n" + "\n".join(problems) if problems else None


# Differences that come from outside this module, with the owner's issue: still run and shown,
# not counted as failures of the inspection commands.
KNOWN: dict[str, str] = {}


def run_cases(lab: Lab, label: str, cases: Sequence[Case]) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda c: _run_case(lab, c), cases))
    failures, known = [], []
    for case, result in zip(cases, results, strict=True):
        if result is None:
            continue
        (known if case.id in KNOWN else failures).append(result)
    same = len(cases) - len(failures) - len(known)
    extra = f", {len(known)} known differences owned by other modules" if known else ""
    print(f"{label} differential: {same}/{len(cases)} cases identical to npm{extra}")
    for item in known:
        print(f"known difference: {item.splitlines()[0]}: {KNOWN[item.splitlines()[0]]}")
    assert not failures, f"{len(failures)} of {len(cases)} differ:\n\n" + "\n\n".join(failures)


def cases(project: str, *arg_lists: str, **options: Any) -> list[Case]:
    return [Case(project, tuple(args.split()) if args else (), **options) for args in arg_lists]


# ── ls / ll ────────────────────────────────────────────────────────────────────────────────────

LS_COMMON = (
    "ls",
    "ls --all",
    "ls --all --no-unicode",
    "ls --json",
    "ls --all --json",
    "ls --all --json --long",
    "ls --parseable",
    "ls --all --parseable",
    "ls --all --parseable --long",
    "ls --long",
    "ls --all --long",
    "ls --depth=1",
    "ls --depth=0 --json",
    "ls --all --omit=dev",
    "ls --all --omit=optional",
    "ls --all --omit=peer",
    "ls --all --include=dev --omit=dev",
    "ls --all --color=always",
    "ls --link",
    "ls --all --package-lock-only",
    "ls --package-lock-only --json",
    "ls b",
    "ls b --json",
    "ls b --parseable",
    "ls b@1",
    "ls b@2 --all",
    "ls e b",
    "ls nonexistent",
    "ls nonexistent --json",
    "ls nonexistent --parseable",
    "ls b --color=always",
    "list --all",
    "ll",
    "la --all",
    "ll --json",
    "ls --help",
    "ll --help",
)


def test_ls_matches_npm(lab: Lab) -> None:
    all_cases = [
        *cases("basic", *LS_COMMON),
        *cases("basic", "ls al", "ls e@1.0.0", "ls @s/f --all", "ls --all --omit=dev --omit=optional"),
        *cases("ws", *LS_COMMON),
        *cases(
            "ws",
            "ls -w w2",
            "ls -w w2 --all",
            "ls -w w1 --json",
            "ls -ws",
            "ls --workspaces=false",
            "ls --include-workspace-root -w w1",
            "ls w1",
            "ls x",
            "ls linked --all",
            "ls --all --link",
        ),
        *cases("ws", "ls", "ls --all", "ls --json", cwd="packages/w2"),
        *cases("problems", *LS_COMMON[:21], "ls e", "ls zzz --all", "ls --all --json --long"),
        *cases("git", "ls --all", "ls --all --json", "ls --all --parseable --long"),
        *cases("pinned", "ls", "ls --all --json", "ls --parseable --long"),
        *cases("empty", "ls", "ls --json", "ls --parseable", "ls --all --long"),
        *cases("broken", "ls", "ls --json", "ls --parseable"),
        *cases("-", "ls -g", "ls -g --all", "ls -g --json", "ls -g --parseable --long", "ls -g --long"),
    ]
    run_cases(lab, "ls", all_cases)


# ── outdated ───────────────────────────────────────────────────────────────────────────────────

OUTDATED_COMMON = (
    "outdated",
    "outdated --long",
    "outdated --json",
    "outdated --json --long",
    "outdated --parseable",
    "outdated --parseable --long",
    "outdated --all",
    "outdated --all --json",
    "outdated --all --long --parseable",
    "outdated --color=always",
    "outdated --all --long --color=always",
    "outdated b",
    "outdated e --json",
    "outdated --omit=dev",
    "outdated nonexistent",
    "outdated --help",
)


def test_outdated_matches_npm(lab: Lab) -> None:
    all_cases = [
        *cases(
            "basic",
            *OUTDATED_COMMON,
            "outdated dep --long",
            "outdated --before=2020-01-15T12:00:00.000Z",
            "outdated --all --before=2020-01-15T12:00:00.000Z --json",
        ),
        *cases(
            "ws", *OUTDATED_COMMON, "outdated -w w2", "outdated -w w1 --json", "outdated --workspaces=false"
        ),
        *cases("problems", *OUTDATED_COMMON),
        *cases("pinned", *OUTDATED_COMMON),
        *cases("empty", "outdated", "outdated --json"),
        *cases("-", "outdated -g", "outdated -g --json", "outdated -g --parseable --long"),
    ]
    run_cases(lab, "outdated", all_cases)


# ── explain ────────────────────────────────────────────────────────────────────────────────────


def test_explain_matches_npm(lab: Lab) -> None:
    all_cases = [
        *cases(
            "basic",
            "explain b",
            "explain e",
            "explain a c",
            "explain al",
            "explain @s/f",
            "explain dep",
            "explain node_modules/b",
            "explain node_modules/a/node_modules/b/",
            "explain ./node_modules/g/node_modules/e",
            "explain b@1",
            "explain b@^2.0.0",
            "explain e@1.0.0",
            "explain nonexistent",
            "explain b --json",
            "explain e g --json",
            "explain b --color=always",
            "explain d --color=always",
            "why b",
            "explain",
            "explain --help",
        ),
        *cases(
            "ws",
            "explain b",
            "explain e",
            "explain a",
            "explain x",
            "explain w1",
            "explain linked",
            "explain c --json",
            "explain w1 --color=always",
            "explain -w w2 b",
            "explain -w w2 e --json",
            "explain --workspaces=false a",
        ),
        *cases("ws", "explain e", "explain ../../node_modules/b", cwd="packages/w2"),
        *cases(
            "problems", "explain e", "explain zzz", "explain yyy --json", "explain c", "explain zzz --json"
        ),
    ]
    run_cases(lab, "explain", all_cases)


# ── fund ───────────────────────────────────────────────────────────────────────────────────────


def test_fund_matches_npm(lab: Lab) -> None:
    all_cases = [
        *cases(
            "basic",
            "fund",
            "fund --json",
            "fund --no-unicode",
            "fund --color=always",
            "fund b --browser=false",
            "fund a --browser=false",
            "fund a --json --browser=false",
            "fund @s/f --browser=false",
            "fund a --browser=echo",
            "fund b --which=2 --browser=false",
            "fund b --which=1 --browser=false",
            "fund b --which=3 --browser=false",
            "fund b --which=0",
            "fund e",
            "fund ./node_modules/b --browser=false",
            "fund -g",
            "fund --help",
        ),
        *cases("ws", "fund", "fund --json", "fund -w w2", "fund -w w1 --json", "fund x --browser=false"),
        *cases("problems", "fund", "fund --json"),
        *cases("empty", "fund", "fund --json", "fund b@1.1.0 --browser=false", "fund b", "fund nonexistent"),
    ]
    run_cases(lab, "fund", all_cases)


# ── query ──────────────────────────────────────────────────────────────────────────────────────

QUERIES = (
    ":root",
    "*",
    "#b",
    "#a",
    "#@s/f",
    ".prod",
    ".dev",
    ".optional",
    ".peer",
    ".workspace",
    ".bundled",
    ":root > *",
    ":root > .dev",
    "#a > #b",
    "#a #b",
    "#c ~ *",
    ":extraneous",
    ":invalid",
    ":link",
    ":deduped",
    ":overridden",
    ":private",
    ":empty",
    ":scope",
    "[name=b]",
    "[version^=1]",
    "[license=mit i]",
    "[name$=f]",
    "[name*=s/]",
    "[funding]",
    "[scripts]",
    ":attr(dependencies, [b])",
    ":attr(scripts, [test~=tap])",
    ":attr(funding, [url^=https])",
    ":attr(funding, :attr([url]))",
    ":semver(^1.0.0)",
    ":semver(>=1.1.0 <2)",
    ":semver(1.0.0, [version], gt)",
    ":semver(2.0.0, [version], lt)",
    ":semver(>=10, :attr(engines, [node]))",
    ":semver(1.1.0, [version], neq)",
    ":path(node_modules/a/**)",
    ":path(node_modules/*)",
    ":type(alias)",
    ":type(registry)",
    ":type(directory)",
    ":type(range)",
    ":is(#a, #b)",
    ":not(.dev)",
    ":has(#b)",
    ":has(> #b)",
    ".workspace > *",
    ":root > :link",
    "#a:not(:deduped) > #b",
    ":vuln",
    ":vuln([severity=high])",
    ":vuln([severity=low], [cwe=79])",
    ":vuln([cwe])",
    "",
    ":foo",
    ".foo",
    "a",
    "[",
    ":",
    ":attr(foo)",
    ":semver(nope)",
    ":semver(1.0.0, [version], bogus)",
)
OUTDATED_QUERIES = (
    ":outdated",
    ":outdated(major)",
    ":outdated(minor)",
    ":outdated(patch)",
    ":outdated(in-range)",
    ":outdated(out-of-range)",
    ":outdated(any) > *",
)


def _query_cases(project: str, queries: Sequence[str], *extra: str, **options: Any) -> list[Case]:
    options = {"stdout_normalizer": sort_query_from, "stderr_normalizer": sort_lines, **options}
    return [Case(project, ("query", q, *extra), **options) for q in queries]


def test_query_matches_npm(lab: Lab) -> None:
    all_cases = [
        *_query_cases("basic", QUERIES),
        *_query_cases("basic", OUTDATED_QUERIES),
        *_query_cases("basic", (":outdated", ":outdated(minor)"), "--before=2020-01-11T12:00:00.000Z"),
        *_query_cases("ws", QUERIES),
        *_query_cases("ws", OUTDATED_QUERIES[:3]),
        *_query_cases("ws", ("*", ":root"), "-w", "w2"),
        *_query_cases("ws", ("*",), "--workspaces"),
        *_query_cases("ws", (":root",), "--workspaces", "--include-workspace-root"),
        *_query_cases("ws", ("*",), "--package-lock-only"),
        *_query_cases("ws", ("#b",), "--expect-results=false"),
        *_query_cases("ws", ("#b",), "--expect-result-count=3"),
        *_query_cases("ws", ("#b",), "--expect-result-count=1"),
        *_query_cases("ws", ("*",), cwd="packages/w2"),
        *_query_cases("problems", (":extraneous", ":invalid", "*", ":root > *", "#zzz", ":not(:invalid)")),
        *_query_cases("git", (":type(git)", "#e")),
        *_query_cases("empty", ("*", ":root")),
        *_query_cases("empty", ("*",), "--package-lock-only"),
        *_query_cases("-", ("*", ":root"), "-g", stdout_normalizer=sort_global_root),
    ]
    run_cases(lab, "query", all_cases)


# ── find-dupes ─────────────────────────────────────────────────────────────────────────────────


def _dupes(lab: Lab) -> Path:
    """The basic project with a second copy of e@1.2.0 nested under d (in node_modules and both
    lockfiles): a dedupe would remove it."""
    project = lab.project("dupes")
    if project.exists():
        return project
    shutil.copytree(lab.project("basic"), project, symlinks=True)
    shutil.copytree(project / "node_modules" / "e", project / "node_modules" / "d" / "node_modules" / "e")
    for lock_path in (project / "package-lock.json", project / "node_modules" / ".package-lock.json"):
        lock = json.loads(lock_path.read_text())
        packages: dict[str, Any] = {}
        for key, entry in lock["packages"].items():
            packages[key] = entry
            if key == "node_modules/d":
                packages["node_modules/d/node_modules/e"] = dict(lock["packages"]["node_modules/e"])
        lock["packages"] = packages
        lock_path.write_text(json.dumps(lock, indent=2) + "\n")
    return project


def test_find_dupes_matches_npm(lab: Lab) -> None:
    _dupes(lab)
    all_cases = [
        Case("dupes", ("find-dupes",), stdout_normalizer=_timeless),
        Case("dupes", ("find-dupes", "--json"), stdout_normalizer=_timeless),
        Case("dupes", ("find-dupes", "--long"), stdout_normalizer=_timeless),
        Case("dupes", ("find-dupes", "--omit=dev"), stdout_normalizer=_timeless),
        Case("basic", ("find-dupes",), stdout_normalizer=_timeless),
        Case("basic", ("find-dupes", "--help")),
        Case("basic", ("query", "--help")),
    ]
    run_cases(lab, "find-dupes", all_cases)

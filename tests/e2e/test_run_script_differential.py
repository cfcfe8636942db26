"""`npm run` / test / start / stop / restart against `snpm`, byte for byte.

Each case runs the real npm and snpm in the same isolated world (tests/support/npm_world.py: own
HOME, `$PREFIX`, project folder; an environment built from scratch) and compares the exit code (a
signal death included), stdout and stderr. Scripts print their environment, arguments, cwd and
order, so stdout covers what the scripts saw.

Normalisations, and only these (they describe the program, not the behaviour):
- the heading word of log lines: `snpm <level> …` is read as `npm <level> …`;
- the line `<heading> error A complete log of this run can be found in: <file>` is dropped;
- stderr lines below `warn` are dropped (they name the interpreter and timings);
- in what scripts print: `npm_execpath` (npm's npm-cli.js, snpm's own entry point) is dropped and
  the node-gyp-bin folder on PATH (each program ships its own `node-gyp` wrapper) is shown as
  `<node-gyp-bin>`.

Also here: promise-spawn's sh quoting, and the allowScripts identity matcher against arborist's
script-allowed.js, both through node on tables of inputs.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from snpm.cli import error_render
from snpm.lifecycle import BuildNode, is_script_allowed, sh_quote
from support.node import node_json
from support.npm_world import NPM, RunResult, World, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

# A failing script must exit with its own status and print nothing under run/test/start/…, and
# `run -ws` exits with the last failure's status after reporting each one itself: both need the
# renderer to know npm's isShellout rule and quiet exits (snpm.cli.error_render, the CLI's module).
_RENDERER_READY = hasattr(error_render, "SHELLOUT_COMMANDS")
_NEEDS_RENDERER = pytest.mark.xfail(
    not _RENDERER_READY,
    reason="error_render does not yet suppress script failures of shell-out commands (npm's isShellout)",
    strict=True,
)

ENV_DUMP = "env | LC_ALL=C sort | grep -v -e '^_=' -e '^SHLVL=' -e '^OLDPWD='"

RUNT = {
    "name": "runt",
    "version": "0.1.0",
    "scripts": {
        "prebuild": "echo PRE $npm_lifecycle_event",
        "build": 'echo BUILD "$@"',
        "postbuild": "echo POST $npm_lifecycle_script",
        "fail": "echo failing; exit 3",
        "printenv": ENV_DUMP,
        "args": 'printf "[%s]" "$@"; echo',
        "bild2": "true",
        "multi": "  echo one\necho two  ",
        "where": "pwd; echo $INIT_CWD",
        "kill": "kill -TERM $$",
        "empty": "",
        "prefail": "echo never",
    },
    "config": {"port": 8080, "nested": {"list": [1, True, None, False]}},
    "engines": {"node": ">=18"},
    "bin": {"runt": "./cli.js"},
}

WORKSPACES = {
    "project/package.json": {
        "name": "root",
        "version": "1.0.0",
        "workspaces": ["packages/*"],
        "scripts": {"t": "echo ROOT"},
    },
    "project/packages/a/package.json": {
        "name": "a",
        "version": "1.0.0",
        "scripts": {"t": "echo A $npm_package_name; pwd", "f": "exit 2"},
    },
    "project/packages/b/package.json": {
        "name": "b",
        "version": "2.0.0",
        "scripts": {"t": "echo B", "f": "exit 5", "test": "echo testing b"},
    },
    "project/packages/c/package.json": {"name": "c", "version": "3.0.0"},
    "project/packages/@s/d/package.json": {"name": "@s/d", "version": "1.0.0", "scripts": {"t": "echo D"}},
}

WORLDS: dict[str, dict[str, object]] = {
    "runt": {"project/package.json": RUNT, "project/cli.js": "", "project/sub/.keep": ""},
    "lifecycle": {
        "project/package.json": {
            "name": "@sc/life",
            "version": "1.0.0",
            "scripts": {
                "test": "echo T",
                "zed": "echo Z",
                "prepare": "echo P",
                "install": "echo I",
                "stop": "echo STOPPING",
                "start": "echo STARTING $npm_command",
                "prerestart": "echo PRE-RESTART",
            },
        }
    },
    "server": {
        "project/package.json": {"name": "srv"},
        "project/server.js": "console.log('server', process.argv.length)\n",
    },
    "bare": {"project/package.json": {"name": "bare", "version": "1.0.0"}},
    "nopkg": {},
    "npmrc": {
        "project/package.json": RUNT,
        "project/.npmrc": "ignore-scripts=true\nscript-shell=../myshell\nif-present=true\n",
        "myshell": '#!/bin/sh\necho "my shell: $*"\n',
    },
    "ws": WORKSPACES,
    "shell": {
        "project/package.json": {"name": "sh", "version": "1.0.0", "scripts": {"x": "ignored by the shell"}},
        "myshell": '#!/bin/sh\necho "my shell: $*"\n',
    },
}


@dataclass(frozen=True)
class Case:
    id: str
    world: str
    args: tuple[str, ...]
    cwd: str = "project"
    env: dict[str, str] = field(default_factory=dict)
    needs_renderer: bool = False


CASES: list[Case] = [
    # running
    Case("pre-post-args", "runt", ("run", "build", "--", "--x", "a b", "c'd", "$e", "")),
    Case(
        "args-quoting",
        "runt",
        ("run", "args", "--", "", "a b", "*", "--", "-x", "it's", 'a"b', "~", "#x", "a=b", "é", "$(id)"),
    ),
    Case("env", "runt", ("run", "printenv")),
    Case("env-flags", "runt", ("run", "printenv", "--foo=bar", "--save-exact", "--color=always")),
    Case(
        "env-from-env",
        "runt",
        ("run", "printenv"),
        env={"npm_config_tag": "beta", "NODE_ENV": "production", "EDITOR": "nano"},
    ),
    Case("env-builtin", "bare", ("run", "env")),
    Case("multi-line", "runt", ("run", "multi", "--", "x")),
    Case("empty-script", "runt", ("run", "empty")),
    Case("subdir-init-cwd", "runt", ("run", "where"), cwd="project/sub"),
    Case("alias-rum", "runt", ("rum", "build")),
    Case("alias-run-script", "runt", ("run-script", "build")),
    Case("ignore-scripts", "runt", ("run", "build", "--ignore-scripts")),
    Case("silent", "runt", ("run", "build", "--silent")),
    Case("loglevel-silent", "runt", ("run", "build", "--loglevel=silent")),
    Case("json-banner-on-stderr", "runt", ("run", "build", "--json")),
    Case("script-shell", "shell", ("run", "x", "--script-shell=../myshell", "--", "a")),
    Case("script-shell-missing", "runt", ("run", "build", "--script-shell=/nonexistent")),
    Case("signal", "runt", ("run", "kill")),
    Case("fail", "runt", ("run", "fail"), needs_renderer=True),
    Case("fail-json", "runt", ("run", "fail", "--json"), needs_renderer=True),
    Case("fail-silent", "runt", ("run", "fail", "-s")),
    Case("pre-fails-first", "runt", ("run", "fail", "--ignore-scripts"), needs_renderer=True),
    # missing scripts
    Case("missing-suggest", "runt", ("run", "bild")),
    Case("missing-plain", "runt", ("run", "nothing-like-it")),
    Case("missing-json", "runt", ("run", "nope", "--json")),
    Case("missing-if-present", "runt", ("run", "nope", "--if-present")),
    Case("missing-package-json", "nopkg", ("run", "x")),
    Case("missing-package-json-list", "nopkg", ("run",)),
    # listing
    Case("list", "runt", ("run",)),
    Case("list-lifecycle", "lifecycle", ("run",)),
    Case("list-parseable", "lifecycle", ("run", "-p")),
    Case("list-json", "lifecycle", ("run", "--json")),
    Case("list-silent", "lifecycle", ("run", "--silent")),
    Case("list-color", "lifecycle", ("run", "--color=always")),
    Case("list-none", "bare", ("run",)),
    Case("list-none-json", "bare", ("run", "--json")),
    # the lifecycle commands
    Case("test", "lifecycle", ("test", "--", "a", "b")),
    Case("test-alias-t", "lifecycle", ("t",)),
    Case("test-missing", "bare", ("test",)),
    Case("start", "lifecycle", ("start",)),
    Case("start-server-js", "server", ("start", "--", "x")),
    Case("start-missing", "bare", ("start",)),
    Case("stop", "lifecycle", ("stop",)),
    Case("restart-default", "lifecycle", ("restart",)),
    Case("run-restart-default", "lifecycle", ("run", "restart")),
    Case("test-ignore-scripts", "lifecycle", ("test", "--ignore-scripts")),
    Case("settings-from-npmrc", "npmrc", ("run", "build", "--", "x")),
    Case("if-present-from-npmrc", "npmrc", ("run", "nope")),
    Case("help-run", "bare", ("run", "--help")),
    Case("help-test", "bare", ("test", "-h")),
    Case("help-restart", "bare", ("restart", "--usage")),
    # workspaces
    Case("ws-all", "ws", ("run", "t", "--workspaces"), needs_renderer=True),
    Case("ws-one", "ws", ("run", "t", "-w", "b")),
    Case("ws-scoped-and-path", "ws", ("run", "t", "-w", "@s/d", "-w", "packages/a")),
    Case("ws-glob-folder", "ws", ("run", "t", "-w", "packages"), needs_renderer=True),
    Case("ws-with-root", "ws", ("run", "t", "-w", "b", "--include-workspace-root")),
    Case("ws-none-found", "ws", ("run", "t", "-w", "nope")),
    Case("ws-list", "ws", ("run", "--workspaces")),
    Case("ws-list-json", "ws", ("run", "--workspaces", "--json")),
    Case("ws-list-parseable", "ws", ("run", "--workspaces", "-p")),
    Case("ws-if-present", "ws", ("run", "t", "--workspaces", "--if-present")),
    Case("ws-failures", "ws", ("run", "f", "--workspaces"), needs_renderer=True),
    Case("ws-failures-json", "ws", ("run", "f", "-w", "a", "--json"), needs_renderer=True),
    Case("ws-test", "ws", ("test", "--workspaces"), needs_renderer=True),
    Case("ws-implicit", "ws", ("run", "t"), cwd="project/packages/a"),
    Case("ws-implicit-missing", "ws", ("run", "zz"), cwd="project/packages/a", needs_renderer=True),
    Case("ws-implicit-list", "ws", ("run",), cwd="project/packages/a"),
]

_NODE_GYP_BIN = re.compile(r"[^:=\n]*(?:run-script/lib/node-gyp-bin|snpm/lifecycle/node_gyp_bin)")
_LOG_FILE = re.compile(
    r"^(?:\x1b\[1m)?npm(?:\x1b\[22m)? (?:\x1b\[31m)?error(?:\x1b\[39m)? A complete log .*\n", re.M
)
_LOW_LEVELS = re.compile(r"^npm (?:http|info|verbose|silly|timing)\b.*\n", re.M)


def _normalize(result: RunResult) -> tuple[int, str, str]:
    stdout = _NODE_GYP_BIN.sub("<node-gyp-bin>", result.stdout)
    stdout = "".join(
        line for line in stdout.splitlines(keepends=True) if not line.startswith("npm_execpath=")
    )
    stderr = re.sub(r"^(\x1b\[1m)?snpm(\x1b\[22m)? ", r"\1npm\2 ", result.stderr, flags=re.M)
    stderr = _LOW_LEVELS.sub("", _LOG_FILE.sub("", stderr))
    return result.code, stdout, stderr


def _world(root: Path, name: str) -> World:
    world = make_world(root)
    for rel, content in WORLDS[name].items():
        text = json.dumps(content, indent=2) if isinstance(content, dict) else str(content)
        path = world.write(rel, text)
        if rel == "myshell":
            path.chmod(0o755)
    return world


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id, marks=[_NEEDS_RENDERER] if c.needs_renderer else []) for c in CASES],
)
def test_run_matches_npm(case: Case, tmp_path: Path) -> None:
    world = _world(tmp_path, case.world)
    cwd = world.root / case.cwd
    expected = _normalize(world.run_npm(case.args, cwd=cwd, env=case.env))
    got = _normalize(world.run_snpm(case.args, cwd=cwd, env=case.env))
    assert got == expected
    print(f"run-script {case.id}: exit code, stdout and stderr match npm")


# ── tables through node ────────────────────────────────────────────────────────────────────────────
SH_INPUTS = [
    "", "plain", "a b", "it's", "'quoted'", "''", "'", "a'b'c", "$HOME", "`x`", "~", "~user", "a*b", "?",
    "#", "a#b", "x\ny", "\t", "\r", "é", "€uro", "a\\b", "(x)", "a;b", "a|b", "a&b", "<>", "!", "{a,b}",
    "[x]", "=", "a=b", "--flag=1", "''a''", "a''", "\\'''",
]  # fmt: skip


def test_sh_quote_matches_promise_spawn() -> None:
    expected = node_json(
        "const { sh } = require(NPM + '/node_modules/@npmcli/promise-spawn/lib/escape.js');"
        "console.log(JSON.stringify(input.map(sh)));",
        SH_INPUTS,
    )
    assert [sh_quote(x) for x in SH_INPUTS] == expected
    print(f"sh quoting: {len(SH_INPUTS)}/{len(SH_INPUTS)} inputs match promise-spawn")


def test_sh_quote_round_trips_through_sh() -> None:
    script = 'printf "%s\\0" "$@"' + "".join(f" {sh_quote(x)}" for x in SH_INPUTS)
    done = subprocess.run(["sh", "-c", script], capture_output=True, check=True)
    assert done.stdout.decode().split("\0")[:-1] == SH_INPUTS


SHA = "0123456789abcdef0123456789abcdef01234567"
# (node fields, policy) pairs; the node dicts use arborist's field names
POLICY_CASES: list[tuple[dict[str, object], dict[str, object]]] = []
_REGISTRY_NODE = {
    "resolved": "https://r.example/canvas/-/canvas-2.11.2.tgz",
    "version": "2.11.2",
    "package": {"name": "canvas"},
}
_SCOPED_NODE = {
    "resolved": "https://r.example/@s/x/-/x-1.0.0.tgz",
    "version": "1.0.0",
    "package": {"name": "@s/x"},
}
_EVIL_NODE = {
    "resolved": "https://evil.example/-/canvas-2.11.2.tgz",
    "version": "2.11.2",
    "package": {"name": "canvas"},
}
_FORGED_NODE = {
    "resolved": "https://r.example/naughty/-/naughty-1.0.0.tgz",
    "version": "1.0.0",
    "package": {"name": "trusted"},
}
_ALIAS_NODE = {"version": "1.0.0", "package": {"name": "x"}, "edgesIn": [["alias", "npm:real@^1.0.0"]]}
_PLAIN_EDGE_NODE = {"version": "1.0.0", "package": {"name": "x"}, "edgesIn": [["real", "^1.0.0"]]}
_GIT_NODE = {"resolved": f"git+ssh://git@github.com/user/x.git#{SHA}", "package": {"name": "x"}}
_GIT_PLAIN = {"resolved": f"git+https://git.example/x.git#{SHA}", "package": {"name": "x"}}
_FILE_NODE = {
    "path": "/tmp/t/dep",
    "realpath": "/tmp/t/dep",
    "package": {"name": "dep"},
    "linksIn": ["file:dep"],
}
_REMOTE_NODE = {"resolved": "https://host.example/r.tgz", "package": {"name": "r"}}
_BUNDLED = {**_REGISTRY_NODE, "inBundle": True}
_KEYS = [
    "canvas", "canvas@*", "canvas@2.11.2", "canvas@2.11.1 || 2.11.2", "canvas@2.11.1", "canvas@^2.0.0",
    "canvas@latest", "canvas@>=1", "npm:canvas@2.11.2", "@s/x", "@s/x@1.0.0", "@s/x@1.0.1", "real",
    "real@1.0.0", "alias", "trusted", "naughty", "github:user/x", f"github:user/x#{SHA[:7]}",
    "github:user/x#abcdef0", "github:user/y", "git+https://git.example/x.git",
    f"git+https://git.example/x.git#{SHA[:10]}", "git+https://git.example/y.git", "file:dep",
    "file:/tmp/t/dep", "file:other", "https://host.example/r.tgz", "https://host.example/s.tgz", "@@bad",
]  # fmt: skip
for _node in (
    _REGISTRY_NODE,
    _SCOPED_NODE,
    _EVIL_NODE,
    _FORGED_NODE,
    _ALIAS_NODE,
    _PLAIN_EDGE_NODE,
    _GIT_NODE,
    _GIT_PLAIN,
    _FILE_NODE,
    _REMOTE_NODE,
    _BUNDLED,
):
    for _key in _KEYS:
        POLICY_CASES.append((_node, {_key: True}))
        POLICY_CASES.append((_node, {_key: False}))
    POLICY_CASES.append((_node, {"canvas": True, "canvas@2.11.2": False}))

POLICY_SCRIPT = """
const isScriptAllowed = require(NPM + '/node_modules/@npmcli/arborist/lib/script-allowed.js');
process.chdir('/tmp/t');
console.log(JSON.stringify(input.map(([node, policy]) => {
  const n = { ...node };
  if (n.edgesIn) n.edgesIn = new Set(n.edgesIn.map(([name, spec]) => ({ name, spec })));
  if (n.linksIn) n.linksIn = new Set(n.linksIn.map(resolved => ({ resolved })));
  return isScriptAllowed(n, policy);
})));
"""


def _build_node(fields: dict[str, object]) -> BuildNode:
    edges = fields.get("edgesIn") or []
    links = fields.get("linksIn") or []
    package = dict(fields.get("package") or {})  # type: ignore[call-overload]
    if "version" in fields:
        package["version"] = fields["version"]
    return BuildNode(
        path=str(fields.get("path", "/tmp/t/node_modules/x")),
        realpath=str(fields.get("realpath", "")),
        package=package,
        resolved=fields.get("resolved"),  # type: ignore[arg-type]
        in_bundle=bool(fields.get("inBundle")),
        edges_in=tuple((str(n), str(s)) for n, s in edges),  # type: ignore[attr-defined]
        links_in=tuple(str(r) for r in links),  # type: ignore[attr-defined]
    )


def test_policy_matching_matches_arborist() -> None:
    Path("/tmp/t").mkdir(exist_ok=True)
    expected = node_json(POLICY_SCRIPT, POLICY_CASES)
    assert isinstance(expected, list)
    failures = [
        (node, policy, want, got)
        for (node, policy), want in zip(POLICY_CASES, expected, strict=True)
        if (got := is_script_allowed(_build_node(node), policy, where="/tmp/t")) != want  # type: ignore[arg-type]
    ]
    assert failures == []
    print(f"allowScripts identity: {len(POLICY_CASES)}/{len(POLICY_CASES)} node × policy rows match arborist")

"""Start-up stays lean: what importing a command's modules loads, checked in a fresh interpreter.

Structural, not timed: each test imports what `snpm <command>` imports before it runs and asserts
that the modules only some runs need (the audit report, the script runner, the store, rich, the
tree engine for `snpm run`, ...) are still loaded lazily, and that the big semver token regexes
are not compiled by importing. A top-level import added back to any module on these paths fails
here with the chain that pulled the module in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# what `snpm install` imports before it runs (cli.main loads the command module by name)
INSTALL_MODULES = ("snpm.cli.main", "snpm.cli.commands.install", "snpm.ops.install")

# loaded by an install only when something needs them: an audit that ran, scripts that run, a bin
# to unshare from the store, a git or registry fetch, an error to render, a progress bar to draw
NOT_FOR_INSTALL = (
    "snpm.audit_report",
    "snpm.ops.audit_output",
    "snpm.ops.inspect",
    "snpm.fetch.pick_manifest",
    "snpm.lifecycle.build_node",
    "snpm.lifecycle.environment",
    "snpm.lifecycle.install_scripts",
    "snpm.lifecycle.run_script",
    "snpm.ops.scripts",
    "snpm.manifest.ignore_glob",
    "snpm.manifest.model",
    "snpm.cache.store",
    "snpm.spec.git_host_templates",
    "snpm.registry_client",
    "snpm.git",
    "snpm.reify.apply",
    "snpm.cli.error_render",
    "snpm.cli.help",
    "rich",
    "aiohttp",
    "ctypes",
    # value classes are snpm.record's, not dataclasses (which imports inspect, ast and dis)
    "dataclasses",
)

# node-semver's token regexes compile on first use (snpm.semver.tokens)
TOKEN_PATTERNS = ("FULL", "LOOSE", "COMPARATOR", "COMPARATORTRIM", "XRANGE", "CARET", "HYPHENRANGE")

_PROBE = """
import importlib, json, sys
names = json.loads(sys.argv[1])
for name in names:
    importlib.import_module(name)
tokens = sys.modules.get("snpm.semver.tokens")
print(json.dumps({
    "modules": sorted(sys.modules),
    "compiled": sorted(k for k in (vars(tokens) if tokens else {}) if k in json.loads(sys.argv[2])),
}))
"""


def _probe(modules: tuple[str, ...]) -> tuple[set[str], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("npm_", "NPM_"))}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(modules), json.dumps(TOKEN_PATTERNS)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    data = json.loads(result.stdout)
    return set(data["modules"]), list(data["compiled"])


def _loaded(modules: set[str], name: str) -> list[str]:
    return sorted(m for m in modules if m == name or m.startswith(name + "."))


def test_importing_install_leaves_the_optional_modules_unloaded() -> None:
    modules, compiled = _probe(INSTALL_MODULES)
    assert "snpm.ops.install" in modules  # the probe did import the command
    loaded = {name: _loaded(modules, name) for name in NOT_FOR_INSTALL}
    assert {name: found for name, found in loaded.items() if found} == {}
    print(
        f"\n  install imports {sum(m.startswith('snpm') for m in modules)} snpm modules; "
        f"{len(NOT_FOR_INSTALL)} optional ones stay unloaded"
    )
    assert compiled == []


@pytest.mark.parametrize(
    ("imports", "absent"),
    [
        # every command pays for cli.main: no engine, config or vocabulary, no event loop yet
        (
            ("snpm.cli.main",),
            (
                *("snpm.config", "snpm.ops", "snpm.tree", "snpm.semver", "snpm.spec", "asyncio", "msgspec"),
                # `dataclasses` imports `inspect` (with ast, dis, tokenize): ~10 ms of every start
                *("dataclasses", "inspect", "datetime", "base64"),
            ),
        ),
        # `snpm --version` and `snpm config get` load the config: still no event loop or msgspec
        (
            ("snpm.cli.main", "snpm.config"),
            (
                "asyncio",
                "msgspec",
                "dataclasses",
                "inspect",
                "datetime",
                "snpm.semver",
                "snpm.spec",
                "snpm.ops",
            ),
        ),
        # `snpm install` with nothing to do answers from its stamp: no event loop, msgspec or engine
        (
            ("snpm.cli.main", "snpm.config", "snpm.cli.noop", "snpm.ops.noop_install"),
            (
                "asyncio",
                "msgspec",
                "dataclasses",
                "inspect",
                "datetime",
                "base64",
                "snpm.tree",
                "snpm.spec",
                "snpm.ops.reify_session",
            ),
        ),
        # `snpm run x` needs the script runner, not the tree engine (only -w/-ws map workspaces)
        (
            ("snpm.cli.main", "snpm.cli.commands.run", "snpm.ops.scripts"),
            (
                "snpm.tree",
                "snpm.lockfile",
                "snpm.manifest.ignore_glob",
                "snpm.cli.error_render",
                "snpm.semver",
            ),
        ),
    ],
    ids=["cli-main", "config", "noop-install", "run"],
)
def test_other_entry_points_stay_lean(imports: tuple[str, ...], absent: tuple[str, ...]) -> None:
    modules, _ = _probe(imports)
    assert all(name in modules for name in imports)
    assert {name: _loaded(modules, name) for name in absent if _loaded(modules, name)} == {}

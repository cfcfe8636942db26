"""`snpm link` against the real npm: the documented scenarios played in two isolated worlds.

Each world has its own HOME, userconfig, global prefix and cache, and the same package folders
(`node-redis` holding the package `redis`, `node-bloggy` the project that uses it, a scoped
package, workspaces). Both programs run the same steps on one local registry with real tarballs;
after every step the worlds must agree on exit codes, stdout, warnings and errors, every symlink and
where it points, every bin and man page, package.json, package-lock.json and the hidden lockfile
(`support.global_worlds`). Some steps run with the registry unreachable (a dead port) or
`--offline`: linking needs no registry when everything is local.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.fake_registry import FakeRegistry, free_port
from support.global_worlds import NPM, Step, play, step
from support.scenario_registry import ScenarioRegistry

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

_CLI: dict[str, str | bytes] = {"cli.js": "#!/usr/bin/env node\nconsole.log('cli')\n"}


def publish_universe(r: ScenarioRegistry) -> None:
    r.publish(
        "tool",
        "1.0.0",
        bin={"tool": "cli.js"},
        man=["man/tool.1"],
        files={**_CLI, "man/tool.1": ".TH tool 1\n"},
        dependencies={"h": "^1.0.0"},
    )
    r.publish("tool", "1.1.0", bin={"tool": "cli.js"}, files=_CLI, dependencies={"h": "^1.0.0"})
    r.publish("h", "1.0.0")
    r.publish("h", "1.5.0")
    r.publish("@s/sc", "1.0.0", bin="cli.js", files=_CLI)
    # the registry's own `redis`: a real folder that a link may replace
    r.publish("redis", "2.0.0", bin={"redis-cli": "cli.js"}, files=_CLI)


@pytest.fixture(scope="module")
def registry() -> Iterator[ScenarioRegistry]:
    fake = FakeRegistry()
    fake.start_in_thread()
    scenario = ScenarioRegistry(fake)
    publish_universe(scenario)
    try:
        yield scenario
    finally:
        fake.stop_thread()


# ── the package folders ────────────────────────────────────────────────────────────────────────────

REDIS: dict[str, str | dict[str, Any]] = {
    "node-redis/package.json": {
        "name": "redis",
        "version": "1.2.3",
        "bin": {"redis-cli": "cli.js"},
        "man": ["./man/redis.1"],
        "dependencies": {"h": "^1.0.0"},
    },
    "node-redis/cli.js": "#!/usr/bin/env node\nconsole.log('redis')\n",
    "node-redis/man/redis.1": ".TH REDIS 1\n",
}
BLOGGY: dict[str, str | dict[str, Any]] = {
    "node-bloggy/package.json": {"name": "node-bloggy", "version": "0.1.0", "dependencies": {"h": "^1.0.0"}},
}
SCOPED: dict[str, str | dict[str, Any]] = {
    "acme-lib/package.json": {"name": "@acme/lib", "version": "3.0.0", "bin": "bin/lib.js"},
    "acme-lib/bin/lib.js": "#!/usr/bin/env node\r\nconsole.log('lib')\r\n",
}
OTHER: dict[str, str | dict[str, Any]] = {
    "other/package.json": {"name": "other-pkg", "version": "0.0.1"},
}
WORKSPACES: dict[str, str | dict[str, Any]] = {
    "mono/package.json": {"name": "mono", "version": "1.0.0", "workspaces": ["packages/*"]},
    "mono/packages/wa/package.json": {"name": "wa", "version": "1.0.0", "bin": {"wa": "wa.js"}},
    "mono/packages/wa/wa.js": "#!/usr/bin/env node\n",
    "mono/packages/wb/package.json": {"name": "wb", "version": "1.0.0"},
}

PLAIN: dict[str, str | dict[str, Any]] = {
    "node-plain/package.json": {"name": "node-plain", "version": "0.1.0"},
}
SCRIPTED: dict[str, str | dict[str, Any]] = {
    "scr/package.json": {
        "name": "scr",
        "version": "1.0.0",
        "scripts": {
            "preinstall": "echo pre >> log.txt",
            "prepare": "echo prep >> log.txt",
            "postinstall": "echo post >> log.txt",
        },
    },
}

# a port nothing listens on: "the registry is stopped" (and no retries to wait for)
DEAD = {"npm_config_registry": f"http://127.0.0.1:{free_port()}/", "npm_config_fetch_retries": "0"}


@dataclass
class Case:
    id: str
    files: dict[str, str | dict[str, Any]]
    steps: list[Step]
    folders: list[str] = field(default_factory=list)


def _files(*parts: dict[str, str | dict[str, Any]]) -> dict[str, str | dict[str, Any]]:
    merged: dict[str, str | dict[str, Any]] = {}
    for part in parts:
        merged.update(part)
    return merged


CASES = [
    Case(
        "two-step-redis-into-bloggy",
        _files(REDIS, BLOGGY),
        [
            # before anything was installed globally, `{prefix}/lib` does not exist: npm's ENOENT
            step("link", "redis", cwd="node-bloggy"),
            step("link", cwd="node-redis"),
            step("ls", "-g"),
            step("ls", "-g", "--parseable", "--long"),
            step("ls", "-g", "--json"),
            step("link", "redis", cwd="node-bloggy"),
            step("ls", cwd="node-bloggy"),
            step("ls", "--json", cwd="node-bloggy"),
            # a plain install drops the unsaved (extraneous) link, and installs what is declared
            step("install", cwd="node-bloggy"),
            step("link", "redis", "--save", cwd="node-bloggy"),
            step("install", cwd="node-bloggy"),
            step("ls", cwd="node-bloggy"),
            step("unlink", "redis", cwd="node-bloggy"),
            step("ls", cwd="node-bloggy"),
            step("unlink", "redis", cwd="node-redis", npm_config_global="true"),
            step("ls", "-g"),
        ],
    ),
    Case(
        "one-step-by-folder",
        _files(REDIS, BLOGGY, OTHER),
        [
            step("link", "../node-redis", cwd="node-bloggy"),
            step("link", "../other", cwd="node-bloggy"),
            # the first unsaved link is kept (npm link reifies with prune=false)
            step("ls", cwd="node-bloggy"),
            step("ls", "-g"),
            step("link", "../node-redis", cwd="node-bloggy"),
        ],
        folders=["prefix/lib"],
    ),
    Case(
        "save-flags",
        _files(REDIS, BLOGGY, OTHER, SCOPED),
        [
            step("link", "../node-redis", "--save", cwd="node-bloggy"),
            step("link", "../other", "-D", cwd="node-bloggy"),
            step("link", "../acme-lib", "--save-optional", "--save-exact", cwd="node-bloggy"),
            step("uninstall", "other-pkg", cwd="node-bloggy"),
            step("link", "../other", "--save-peer", cwd="node-bloggy"),
            step("link", "../other", "-P", cwd="node-bloggy"),
            step("install", cwd="node-bloggy"),
            step("ls", "--all", cwd="node-bloggy"),
        ],
        folders=["prefix/lib"],
    ),
    Case(
        "scoped",
        _files(SCOPED, BLOGGY),
        [
            step("link", cwd="acme-lib"),
            step("link", "@acme/lib", cwd="node-bloggy"),
            # without the scope it is another package (not in this registry)
            step("link", "lib", cwd="node-bloggy"),
            step("ls", cwd="node-bloggy"),
            step("unlink", "@acme/lib", cwd="node-bloggy"),
        ],
    ),
    Case(
        "from-the-registry",
        _files(BLOGGY),
        [
            step("link", "tool@1.0.0", cwd="node-bloggy"),
            # already global: linked as it is, whatever the range says
            step("link", "tool@^1.1.0", cwd="node-bloggy"),
            step("link", "@s/sc@^1.0.0", "tool", cwd="node-bloggy"),
            step("link", "no-such-package", cwd="node-bloggy"),
            step("ls", "-g"),
            step("ls", cwd="node-bloggy"),
        ],
        folders=["prefix/lib"],
    ),
    Case(
        "refusals",
        _files(REDIS, BLOGGY),
        [
            step("link", "--global", cwd="node-redis"),
            step("link", "-g", "redis", cwd="node-bloggy"),
            step("link", "../nowhere", cwd="node-bloggy"),
            step("link", "../empty", cwd="node-bloggy"),
            step("link", cwd="empty"),
            step("link", "redis", "--location=global", cwd="node-bloggy"),
        ],
        folders=["prefix/lib", "empty"],
    ),
    Case(
        "over-existing-folders",
        _files(REDIS, BLOGGY),
        [
            # the registry's redis, installed globally and locally, is replaced by the links
            step("install", "-g", "redis@2.0.0", cwd="node-bloggy"),
            step("install", "redis@2.0.0", cwd="node-bloggy"),
            step("link", cwd="node-redis"),
            step("link", "redis", cwd="node-bloggy"),
            step("ls", "-g"),
            step("ls", cwd="node-bloggy"),
        ],
    ),
    Case(
        "a-link-standing-in-for-a-dependency",
        _files(
            REDIS,
            {
                "node-bloggy/package.json": {
                    "name": "node-bloggy",
                    "version": "0.1.0",
                    "dependencies": {"h": "^1.0.0"},
                    "devDependencies": {"redis": "^1.2.0"},
                },
            },
        ),
        [
            step("link", "../node-redis", cwd="node-bloggy"),
            step("ls", cwd="node-bloggy"),
            # the documented way to record a new linked dependency, then a plain install
            step("install", "redis", "--package-lock-only", cwd="node-bloggy"),
            step("install", cwd="node-bloggy"),
            step("link", "redis", "--save", cwd="node-bloggy"),
            step("ls", "--all", cwd="node-bloggy"),
            step("unlink", "redis", cwd="node-bloggy"),
        ],
        folders=["prefix/lib"],
    ),
    Case(
        "bin-conflict",
        _files(
            REDIS,
            BLOGGY,
            {"prefix/bin/redis-cli": "#!/bin/sh\necho not npm's\n"},
        ),
        [
            step("link", cwd="node-redis"),
            step("ls", "-g"),
            step("link", "--force", cwd="node-redis"),
        ],
    ),
    Case(
        "bin-links-and-install-links",
        _files(REDIS, BLOGGY),
        [
            step("link", "--no-bin-links", cwd="node-redis"),
            step("link", "redis", "--bin-links=false", cwd="node-bloggy"),
            step("link", cwd="node-redis"),
            # npm link forces install-links off: still a symlink
            step("link", "../node-redis", "--install-links", cwd="node-bloggy"),
            step("link", "--dry-run", cwd="node-redis"),
            # the package folder itself as the argument is `npm link` alone
            step("link", ".", cwd="node-redis"),
        ],
    ),
    Case(
        "workspaces",
        _files(WORKSPACES, REDIS),
        [
            step("link", "-w", "wa", cwd="mono"),
            step("link", "--workspaces", cwd="mono"),
            step("ls", "-g"),
            step("link", "../node-redis", "-w", "wb", cwd="mono"),
            step("link", "wa", "--workspace", "wb", "--save", cwd="mono"),
            step("ls", "--all", cwd="mono"),
            # inside a workspace folder, that workspace is the one linked
            step("link", cwd="mono/packages/wb"),
            step("ls", "-g"),
        ],
    ),
    Case(
        "install-scripts-of-a-linked-folder",
        _files(SCRIPTED, PLAIN),
        [
            step("link", cwd="scr"),
            step("link", "scr", cwd="node-plain"),
            step("link", "../scr", "--foreground-scripts", cwd="node-plain"),
            step("link", "../scr", "--ignore-scripts", cwd="node-plain"),
        ],
        folders=["prefix/lib"],
    ),
    Case(
        "audit-left-on",
        _files(REDIS, PLAIN),
        [
            # `npm link` in a project keeps a default audit on, for its global reify too
            step("link", cwd="node-redis", npm_config_audit="true"),
            step("link", "redis", cwd="node-plain", npm_config_audit="true"),
            step("ln", "redis", "--json", cwd="node-plain", npm_config_audit="true"),
            # in global mode an explicit audit only earns a warning
            step("install", "-g", "tool", npm_config_audit="true"),
            step("install", "-g", "@s/sc", "--audit"),
        ],
    ),
    Case(
        "offline",
        _files(REDIS, PLAIN, SCOPED),
        [
            # the linked package's own dependencies are not needed: nothing is fetched
            step("link", cwd="node-redis", **DEAD),
            step("link", "redis", cwd="node-plain", **DEAD),
            step("link", "../acme-lib", "--offline", cwd="node-plain"),
            step("link", "../acme-lib", "--save", cwd="node-plain", **DEAD),
            step("ls", cwd="node-plain", **DEAD),
            # a package that is not linked globally yet needs the registry
            step("link", "tool", "--offline", cwd="node-plain"),
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_link_matches_npm(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> None:
    problems, npm_world, snpm_world = play(
        tmp_path, registry.url, case.files, case.steps, folders=case.folders
    )
    print(
        f"link differential {case.id}: {len(case.steps)} commands compared "
        f"(npm {npm_world.seconds:.1f}s, snpm {snpm_world.seconds:.1f}s)"
    )
    assert not problems, "\n".join(problems)

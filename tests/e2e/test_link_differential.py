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

REDIS: dict[str, str | bytes | dict[str, Any]] = {
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
BLOGGY: dict[str, str | bytes | dict[str, Any]] = {
    "node-bloggy/package.json": {"name": "node-bloggy", "version": "0.1.0", "dependencies": {"h": "^1.0.0"}},
}
SCOPED: dict[str, str | bytes | dict[str, Any]] = {
    "acme-lib/package.json": {"name": "@acme/lib", "version": "3.0.0", "bin": "bin/lib.js"},
    "acme-lib/bin/lib.js": "#!/usr/bin/env node\r\nconsole.log('lib')\r\n",
}
OTHER: dict[str, str | bytes | dict[str, Any]] = {
    "other/package.json": {"name": "other-pkg", "version": "0.0.1"},
}
WORKSPACES: dict[str, str | bytes | dict[str, Any]] = {
    "mono/package.json": {"name": "mono", "version": "1.0.0", "workspaces": ["packages/*"]},
    "mono/packages/wa/package.json": {"name": "wa", "version": "1.0.0", "bin": {"wa": "wa.js"}},
    "mono/packages/wa/wa.js": "#!/usr/bin/env node\n",
    "mono/packages/wb/package.json": {"name": "wb", "version": "1.0.0"},
}

FORK: dict[str, str | bytes | dict[str, Any]] = {
    # another folder holding a package named `redis`
    "redis-fork/package.json": {"name": "redis", "version": "9.0.0", "bin": {"redis-cli": "fork.js"}},
    "redis-fork/fork.js": "#!/usr/bin/env node\nconsole.log('fork')\n",
}
BROKEN: dict[str, str | bytes | dict[str, Any]] = {
    "noname/package.json": {"version": "1.0.0"},
    "badjson/package.json": "{ not json\n",
}

PLAIN: dict[str, str | bytes | dict[str, Any]] = {
    "node-plain/package.json": {"name": "node-plain", "version": "0.1.0"},
}
SCRIPTED: dict[str, str | bytes | dict[str, Any]] = {
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
    files: dict[str, str | bytes | dict[str, Any]]
    steps: list[Step]
    folders: list[str] = field(default_factory=list)


def _files(*parts: dict[str, str | bytes | dict[str, Any]]) -> dict[str, str | bytes | dict[str, Any]]:
    merged: dict[str, str | bytes | dict[str, Any]] = {}
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


CASES += [
    Case(
        # npm link saves only on an explicit --save (from any config source but the default) or a
        # save type; --save-exact alone or --save-bundle alone write nothing
        "what-saves",
        _files(REDIS, BLOGGY, OTHER, SCOPED),
        [
            step("link", "../node-redis", "--save-exact", cwd="node-bloggy"),
            step("link", "../other", cwd="node-bloggy", npm_config_save="true"),
            step("link", "../acme-lib", "--save-dev", "--save-exact", cwd="node-bloggy"),
            step("link", "../node-redis", "--no-save", cwd="node-bloggy"),
            step("link", "../node-redis", "--save-prod", cwd="node-bloggy"),
            step("link", "../acme-lib", "--save-bundle", cwd="node-bloggy"),
            step("link", "../other", "--save", "--save-bundle", cwd="node-bloggy"),
            step("link", "redis", "--save-optional", cwd="node-bloggy"),
            step("ls", "--all", cwd="node-bloggy"),
            # the saved links survive plain installs, ci and an update
            step("install", cwd="node-bloggy"),
            step("ci", cwd="node-bloggy"),
            step("update", cwd="node-bloggy"),
            step("ls", "--all", "--json", cwd="node-bloggy"),
            step("outdated", cwd="node-bloggy"),
        ],
        folders=["prefix/lib"],
    ),
    Case(
        "unlink-forms",
        _files(REDIS, BLOGGY),
        [
            step("link", cwd="node-redis"),
            step("link", "redis", "--save", cwd="node-bloggy"),
            # `npm unlink` is `npm uninstall`: a name is needed, the package.json entry goes too
            step("unlink", cwd="node-bloggy"),
            step("unlink", "redis", "--no-save", cwd="node-bloggy"),
            step("ls", cwd="node-bloggy"),
            step("unlink", "redis", cwd="node-bloggy"),
            # the documented undo of `npm link`: `npm unlink -g` in the package folder
            step("unlink", "-g", cwd="node-redis"),
            step("ls", "-g"),
            step("unlink", "-g", "redis", cwd="node-redis"),
            step("rm", "--global", "nothing-linked", cwd="node-bloggy"),
        ],
    ),
    Case(
        "relinking-another-folder-of-the-same-name",
        _files(REDIS, FORK, BLOGGY),
        [
            step("link", cwd="node-redis"),
            step("link", "redis", cwd="node-bloggy"),
            # the global link and its bin move to the fork; the project keeps the old realpath
            step("link", cwd="redis-fork"),
            step("ls", "-g", "--long"),
            step("ls", cwd="node-bloggy"),
            step("link", "redis", cwd="node-bloggy"),
            # not `link ../node-redis ../redis-fork` (two folders of one name in one command): npm's
            # outcome is a race, arborist's #add pushes each spec as its manifest read completes and
            # the last one wins (a CI run saw npm keep node-redis; usually, as snpm always, the fork)
            step("link", "../node-redis", cwd="node-bloggy"),
            step("ls", "-g"),
        ],
    ),
    Case(
        "over-hand-made-folders",
        _files(
            REDIS,
            OTHER,
            BLOGGY,
            {
                "prefix/lib/node_modules/redis/package.json": {"name": "redis", "version": "0.0.9"},
                "prefix/lib/node_modules/redis/index.js": "module.exports = 'by hand'\n",
                "node-bloggy/node_modules/redis/package.json": {"name": "redis", "version": "0.0.1"},
                "node-bloggy/node_modules/other-pkg/package.json": {"name": "not-other", "version": "5.0.0"},
            },
        ),
        [
            step("ls", "-g"),
            step("link", cwd="node-redis"),
            step("link", "redis", cwd="node-bloggy"),
            step("link", "../other", cwd="node-bloggy"),
            step("ls", "-g"),
            step("ls", cwd="node-bloggy"),
        ],
    ),
    Case(
        "links-in-ls-outdated-update",
        _files(REDIS, SCOPED, BLOGGY),
        [
            step("link", cwd="node-redis"),
            step("link", cwd="acme-lib"),
            step("link", "redis", "@acme/lib", cwd="node-bloggy"),
            step("ls", "-g", "--link"),
            step("ls", "--link", cwd="node-bloggy"),
            step("ls", "-g", "redis"),
            step("ls", "-g", "--parseable"),
            step("ls", "--all", "--parseable", "--long", cwd="node-bloggy"),
            # a global link is not a registry package: outdated and update -g leave it alone
            step("outdated", "-g"),
            step("outdated", "-g", "--json"),
            step("update", "-g", "redis"),
            step("update", "-g"),
            step("ls", "-g"),
            step("install", "-g", "redis@2.0.0"),
            step("ls", "-g"),
            step("ls", cwd="node-bloggy"),
        ],
    ),
    Case(
        # a package.json without a name: npm's global reify dies on an undefined explicit request
        "bad-folders",
        _files(BROKEN, BLOGGY),
        [
            step("link", cwd="noname"),
            step("link", "../noname", cwd="node-bloggy"),
            step("link", "../node-bloggy/package.json", cwd="node-bloggy"),
            step("ls", "-g"),
        ],
        folders=["prefix/lib"],
    ),
    Case(
        "long-options-and-dry-run",
        _files(WORKSPACES, REDIS, BLOGGY),
        [
            step("link", "--workspace", "wa", cwd="mono"),
            step("link", "--workspace=packages/wb", cwd="mono"),
            step("link", "--workspace", "nope", cwd="mono"),
            step("ls", "-g"),
            step("link", "wb", "--workspace", "wa", cwd="mono"),
            step("link", "--dry-run", cwd="node-redis"),
            step("link", "redis", "--dry-run", cwd="node-bloggy"),
            step("link", "../node-redis", "--dry-run", cwd="node-bloggy"),
            step("ls", "-g"),
            step("ls", "--all", cwd="mono"),
        ],
    ),
]


CASES += [
    Case(
        # everything needed is local when it is in the cache: --offline installs from it
        "offline-from-the-cache",
        _files(BLOGGY),
        [
            step("install", "-g", "tool@1.0.0"),
            step("uninstall", "-g", "tool"),
            step("link", "tool@1.0.0", "--offline", cwd="node-bloggy", **DEAD),
            step("ls", "-g", **DEAD),
            step("ls", "--all", cwd="node-bloggy", **DEAD),
            step("link", "tool", "--save", "--offline", cwd="node-bloggy", **DEAD),
            step("install", "--offline", cwd="node-bloggy", **DEAD),
            step("link", "@s/sc", "--offline", cwd="node-bloggy", **DEAD),
            step("ls", cwd="node-bloggy", **DEAD),
        ],
    ),
    Case(
        # the global prefix link uses is derived as npm derives it; the package folder is the
        # nearest one with a package.json
        "where-the-global-space-is",
        _files(REDIS, BLOGGY),
        [
            step("link", cwd="node-redis/man"),
            step("ls", "-g"),
            step("link", cwd="node-redis", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("ls", "-g", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("link", "redis", cwd="node-bloggy", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("ls", cwd="node-bloggy"),
            # --prefix is the local and the global prefix at once
            step("link", "--prefix=<world>/node-redis", cwd="node-bloggy"),
            step("link", "redis", "--prefix", "../node-bloggy", cwd="node-redis"),
            step("ls", "--prefix", "../node-bloggy", cwd="node-redis"),
        ],
    ),
]


# A known difference outside link, kept visible: npm reports an unparsable package.json with V8's
# JSON.parse message and json-parse-even-better-errors' context (`Expected property name or '}' in
# JSON at position 2 while parsing "{ not json\n"`) and no `path` line; snpm.manifest.files.
# parse_package_json words it after Python's json module and attaches the path.
INVALID_JSON = [
    Case(
        "a-folder-with-invalid-package-json",
        _files(BROKEN, BLOGGY),
        [step("link", cwd="badjson"), step("link", "../badjson", cwd="node-bloggy")],
        folders=["prefix/lib"],
    ),
]


@pytest.mark.parametrize("case", [*CASES, *INVALID_JSON], ids=lambda c: getattr(c, "id", None))
def test_link_matches_npm(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> None:
    problems, npm_world, snpm_world = play(
        tmp_path, registry.url, case.files, case.steps, folders=case.folders
    )
    print(
        f"link differential {case.id}: {len(case.steps)} commands compared "
        f"(npm {npm_world.seconds:.1f}s, snpm {snpm_world.seconds:.1f}s)"
    )
    assert not problems, "\n".join(problems)

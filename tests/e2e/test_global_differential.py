"""Global mode against the real npm: `install -g`, `uninstall -g`, `update -g`, `ls -g`,
`outdated -g`, `prefix`, `root`, in two isolated worlds on one local registry.

The layout is npm's: packages in `{prefix}/lib/node_modules`, bins linked into `{prefix}/bin`, man
pages into `{prefix}/share/man/manN`, no package-lock.json and no hidden lockfile, only the named
packages touched. After every step the two worlds must agree on exit codes, stdout, warnings and
errors, and every file, folder and symlink (`support.global_worlds`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.fake_registry import FakeRegistry
from support.global_worlds import NPM, Step, play, step
from support.scenario_registry import ScenarioRegistry

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

_CLI: dict[str, str | bytes] = {"cli.js": "#!/usr/bin/env node\nconsole.log('cli')\n"}


def publish_universe(r: ScenarioRegistry) -> None:
    r.publish(
        "tool",
        "1.0.0",
        bin={"tool": "cli.js", "tool-extra": "cli.js"},
        man=["man/tool.1", "man/tool-conf.5"],
        files={**_CLI, "man/tool.1": ".TH tool 1\n", "man/tool-conf.5": ".TH tool-conf 5\n"},
        dependencies={"h": "^1.0.0"},
        peerDependencies={"p": "1"},
    )
    r.publish("tool", "1.1.0", bin={"tool": "cli.js"}, files=_CLI, dependencies={"h": "^1.0.0"})
    r.publish("h", "1.0.0")
    r.publish("h", "1.5.0")
    r.publish("p", "1.0.0")
    r.publish("@s/sc", "1.0.0", bin="cli.js", files=_CLI)
    r.publish("@s/sc", "1.2.0", bin="cli.js", files=_CLI)
    r.publish("manonly", "1.0.0", man=["doc/manonly.3"], files={"doc/manonly.3": ".TH manonly 3\n"})
    # an npm that needs another node: `npm i -g npm` checks engines strictly
    r.publish("npm", "99.0.0", engines={"node": ">=999"}, bin={"npm-x": "cli.js"}, files=_CLI)
    r.publish(
        "scripted",
        "1.0.0",
        scripts={"postinstall": "node -e \"require('fs').writeFileSync('built.txt', 'ok')\""},
    )


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


PROJECT: dict[str, str | dict[str, Any]] = {
    "proj/package.json": {"name": "proj", "version": "1.0.0", "dependencies": {"h": "1.0.0"}},
}
LOCAL_PACKAGE: dict[str, str | dict[str, Any]] = {
    "mytool/package.json": {
        "name": "mytool",
        "version": "0.5.0",
        "bin": {"mytool": "bin/mytool.js"},
        "dependencies": {"h": "^1.0.0"},
    },
    "mytool/bin/mytool.js": "#!/usr/bin/env node\nconsole.log('mine')\n",
}


@dataclass
class Case:
    id: str
    files: dict[str, str | dict[str, Any]]
    steps: list[Step]
    folders: list[str] = field(default_factory=list)


CASES = [
    Case(
        "install-ls-outdated-update-uninstall",
        PROJECT,
        [
            step("install", "-g", "tool@1.0.0", "@s/sc@1.0.0"),
            step("ls", "-g"),
            step("ls", "-g", "--all"),
            step("ls", "-g", "--parseable", "--long"),
            step("ls", "-g", "--json"),
            step("outdated", "-g"),
            step("outdated", "-g", "--json"),
            step("install", "-g", "tool@1.0.0"),
            step("update", "-g", "tool"),
            step("ls", "-g"),
            step("update", "-g"),
            step("outdated", "-g"),
            step("uninstall", "-g", "tool"),
            step("uninstall", "-g", "@s/sc", "nothing-here"),
            step("ls", "-g"),
        ],
    ),
    Case(
        "only-the-named-packages",
        PROJECT,
        [
            step("install", "-g", "tool@1.0.0"),
            # a folder that is no registry package: left alone by installs of others
            step("install", "-g", "h@1.0.0"),
            step("update", "-g", "nonexistent"),
            step("update", "-g", "h"),
            step("install", "-g", "tool@1.1.0", "--dry-run"),
            step("install", "-g", "@s/sc", "--json"),
        ],
        folders=[],
    ),
    Case(
        "no-args-and-refusals",
        {**PROJECT, **LOCAL_PACKAGE},
        [
            # `npm i -g` in a package folder installs that folder (a link)
            step("install", "-g", cwd="mytool"),
            step("ls", "-g"),
            step("uninstall", "-g", cwd="mytool"),
            step("uninstall", "-g", cwd="empty"),
            step("install", "-g", ""),
            step("install", "-g", "tool", "--package-lock-only"),
            step("install", "-g", "../mytool", "--install-links"),
            step("ls", "-g", "--all"),
            step("install", "-g", "../mytool"),
            step("ls", "-g", "--all"),
            step("uninstall", "-g", "mytool"),
        ],
        folders=["empty"],
    ),
    Case(
        "bins-man-pages-and-conflicts",
        {**PROJECT, "prefix/bin/tool-extra": "#!/bin/sh\necho mine\n"},
        [
            step("install", "-g", "tool@1.0.0"),
            step("install", "-g", "tool@1.0.0", "--force"),
            step("install", "-g", "manonly", "--ignore-scripts"),
            step("install", "-g", "scripted"),
            step("rebuild", "-g"),
            step("rebuild", "-g", "tool", "--foreground-scripts"),
            step("prune", "-g"),
            step("dedupe", "-g"),
            step("uninstall", "-g", "tool"),
        ],
    ),
    Case(
        "installing-npm-itself",
        PROJECT,
        [
            step("install", "-g", "npm"),
            step("install", "-g", "npm@99", "--dry-run"),
            step("install", "-g", "npm@99", "--force"),
            step("ls", "-g"),
        ],
    ),
    Case(
        "prefix-and-root",
        {**PROJECT, "proj/sub/deeper/.keep": ""},
        [
            step("prefix"),
            step("prefix", "-g"),
            step("root"),
            step("root", "-g"),
            step("prefix", cwd="proj/sub/deeper"),
            step("root", cwd="proj/sub/deeper"),
            step("prefix", "--location=global", cwd="proj/sub"),
            step("root", "--prefix=../elsewhere", cwd="proj"),
            step("prefix", cwd="outside"),
            step("root", "-g", cwd="outside", npm_config_prefix="/opt/../opt/some-prefix/"),
        ],
        folders=["outside"],
    ),
]


# Known differences that belong to other engines, kept visible:
# snpm.fetch sets the exec bits of a package's bins when it unpacks the tarball (the store shares
# inodes, so bin-links' chmod must be a no-op); npm's reify extracts by resolved URL, without the
# manifest, so with --no-bin-links its bins keep the tarball's 0644. That is the fetcher's to decide.
KNOWN_FETCH_GAPS = [
    pytest.param(
        Case(
            "no-bin-links-keeps-tarball-modes",
            PROJECT,
            [step("install", "-g", "tool@1.1.0", "--no-bin-links")],
        ),
        marks=pytest.mark.xfail(reason="snpm.fetch.unpack makes bins executable at extraction"),
        id="no-bin-links-keeps-tarball-modes",
    ),
    # A package with man pages but no bins never has them linked (npm builds only packages with
    # bins or scripts). Removing it, arborist's #renamePath still tries to retire the man link and,
    # on ENOENT, creates `share/man/man3` first; snpm.reify.retire does not create folders for
    # paths that do not exist (its rollback restores node_modules exactly).
    pytest.param(
        Case(
            "retiring-a-missing-man-link-creates-its-folder",
            PROJECT,
            [step("install", "-g", "manonly"), step("uninstall", "-g", "manonly")],
        ),
        marks=pytest.mark.xfail(reason="snpm.reify.retire.move_path skips the mkdir for a missing source"),
        id="retiring-a-missing-man-link-creates-its-folder",
    ),
]


@pytest.mark.parametrize("case", [*CASES, *KNOWN_FETCH_GAPS], ids=lambda c: c.id)
def test_global_mode_matches_npm(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> None:
    problems, npm_world, snpm_world = play(
        tmp_path, registry.url, case.files, case.steps, folders=case.folders
    )
    print(
        f"global differential {case.id}: {len(case.steps)} commands compared "
        f"(npm {npm_world.seconds:.1f}s, snpm {snpm_world.seconds:.1f}s)"
    )
    assert not problems, "\n".join(problems)

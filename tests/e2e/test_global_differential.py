"""Global mode against the real npm: `install -g`, `uninstall -g`, `update -g`, `ls -g`,
`outdated -g`, `prefix`, `root`, in two isolated worlds on one local registry.

The layout is npm's: packages in `{prefix}/lib/node_modules`, bins linked into `{prefix}/bin`, man
pages into `{prefix}/share/man/manN`, no package-lock.json and no hidden lockfile, only the named
packages touched. After every step the two worlds must agree on exit codes, stdout, warnings and
errors, and every file, folder and symlink (`support.global_worlds`).
"""

from __future__ import annotations

import io
import json
import tarfile
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


PROJECT: dict[str, str | bytes | dict[str, Any]] = {
    "proj/package.json": {"name": "proj", "version": "1.0.0", "dependencies": {"h": "1.0.0"}},
}
LOCAL_PACKAGE: dict[str, str | bytes | dict[str, Any]] = {
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
    files: dict[str, str | bytes | dict[str, Any]]
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
            # npm lists the changes of a dry run in the order its actual tree was loaded, which
            # races (tool's h and p come either way): one change in text, several in --json
            step("install", "-g", "h@1.0.0", "--dry-run"),
            step("install", "-g", "tool@1.1.0", "--dry-run", "--json"),
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
        # npm's reify extracts by resolved URL, without the manifest: bins keep the tarball's mode
        # (0644 here) until bin-links makes them executable, which --no-bin-links never does
        "no-bin-links-keeps-tarball-modes",
        PROJECT,
        [
            step("install", "-g", "tool@1.1.0", "--no-bin-links"),
            step("install", "-g", "tool@1.1.0"),
            step("install", "-g", "@s/sc", "--no-bin-links"),
            step("install", "h@1.0.0", "tool@1.1.0", "--no-bin-links"),
            step("install", "tool@1.1.0"),
            step("uninstall", "-g", "@s/sc", "tool"),
            step("uninstall", "tool"),
        ],
    ),
    Case(
        # a package with man pages but no bins never has them linked (npm builds only packages
        # with bins or scripts); removing it, arborist's #renamePath still retires the man link
        # and, on ENOENT, creates `share/man/man3` first
        "retiring-a-missing-man-link-creates-its-folder",
        PROJECT,
        [step("install", "-g", "manonly"), step("uninstall", "-g", "manonly")],
    ),
    Case(
        # npm derives the global prefix (@npmcli/config loadGlobalPrefix): the `prefix` setting
        # (command line, env, userconfig, the globalconfig under the derived prefix) wins over
        # $PREFIX, which wins over node's location (`/usr` for `/usr/bin/node`, under $DESTDIR)
        "prefix-derivation",
        {
            **PROJECT,
            "conf/abs.npmrc": "prefix=<world>/from-userconfig\n",
            "conf/rel.npmrc": "prefix=rel-from-userconfig\n",
            "conf/tilde.npmrc": "prefix=~/tilde-prefix\n",
            "pre/etc/npmrc": "prefix=<world>/via-globalconfig\n",
        },
        [
            step("prefix", "-g", unset=["npm_config_prefix"]),
            step("root", "-g", unset=["npm_config_prefix"]),
            step("prefix", "-g", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("root", "-g", unset=["npm_config_prefix"], PREFIX="<world>/pre/"),
            step("prefix", "-g", unset=["npm_config_prefix"], PREFIX="rel/pre"),
            step("root", "-g", unset=["npm_config_prefix"], DESTDIR="<world>/dest"),
            step("prefix", "-g", unset=["npm_config_prefix"], DESTDIR="<world>/dest", PREFIX="<world>/p2"),
            step("prefix", "-g", PREFIX="<world>/pre"),
            step("prefix", "-g", "--prefix=<world>/cli", PREFIX="<world>/pre"),
            step("prefix", "-g", "--prefix=~/cli-tilde"),
            step(
                "prefix",
                "-g",
                unset=["npm_config_prefix"],
                npm_config_userconfig="<world>/conf/abs.npmrc",
            ),
            step(
                "root",
                "-g",
                unset=["npm_config_prefix"],
                npm_config_userconfig="<world>/conf/rel.npmrc",
                PREFIX="<world>/pre",
            ),
            step(
                "prefix",
                "-g",
                unset=["npm_config_prefix"],
                npm_config_userconfig="<world>/conf/tilde.npmrc",
            ),
            # without a globalconfig setting, npm reads {derived prefix}/etc/npmrc
            step(
                "prefix", "-g", unset=["npm_config_prefix", "npm_config_globalconfig"], PREFIX="<world>/pre"
            ),
            step("config", "get", "globalconfig", unset=["npm_config_prefix", "npm_config_globalconfig"]),
            # the local prefix is the project's, whatever the global one is
            step("prefix", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("root", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            # and a global install goes where $PREFIX says
            step("install", "-g", "tool@1.0.0", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("ls", "-g", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("outdated", "-g", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("update", "-g", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("uninstall", "-g", "tool", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
            step("ls", "-g", unset=["npm_config_prefix"], PREFIX="<world>/pre"),
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


def _tarball_with_a_0644_bin() -> bytes:
    """A local tarball `tb` whose bin is stored without exec bits."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        manifest = {"name": "tb", "version": "1.0.0", "bin": {"tb": "cli.js"}}
        for name, data in {
            "package/package.json": json.dumps(manifest).encode(),
            "package/cli.js": b"#!/usr/bin/env node\n",
        }.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


# A known difference in the install engine, kept visible: pacote's FileFetcher (a local tarball)
# makes the bins executable right after extracting (#exeBins, `mode | 0o111`), even with
# --no-bin-links; snpm extracts every tarball as a remote one (the tarball's modes).
# FileFetcher#exeBins: a local tarball's bins are executable even without bin links
LOCAL_TARBALL = [
    Case(
        "a-local-tarball-gets-executable-bins-without-bin-links",
        {**PROJECT, "tb/tb-1.0.0.tgz": _tarball_with_a_0644_bin()},
        [
            step("install", "-g", "../tb/tb-1.0.0.tgz", "--no-bin-links"),
            step("install", "../tb/tb-1.0.0.tgz", "--no-bin-links"),
        ],
    ),
]


@pytest.mark.parametrize("case", [*CASES, *LOCAL_TARBALL], ids=lambda c: getattr(c, "id", None))
def test_global_mode_matches_npm(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> None:
    problems, npm_world, snpm_world = play(
        tmp_path, registry.url, case.files, case.steps, folders=case.folders
    )
    print(
        f"global differential {case.id}: {len(case.steps)} commands compared "
        f"(npm {npm_world.seconds:.1f}s, snpm {snpm_world.seconds:.1f}s)"
    )
    assert not problems, "\n".join(problems)

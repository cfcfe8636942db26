"""The ideal tree compared with npm 11: byte-identical package-lock.json (and package.json) for the
same project on the same local registry, or the same error (ERESOLVE with the same explanation).

Each scenario publishes packages (real tarballs) to a fresh local registry, runs
`npm <args> --package-lock-only --ignore-scripts` and snpm's builder on identical copies of the
project, and compares what they wrote. No expectation is written by hand: npm is the oracle.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace as struct_replace

from snpm.tree.ideal.build import dedupe_names
from snpm.tree.ideal.options import IdealTreeOptions
from support.scenario_registry import ScenarioRegistry, SourceOptions
from support.tree_differential import NODE_VERSION, NPM, NPM_VERSION, Scenario, compare, run_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]


def pkg(**fields: Any) -> dict[str, Any]:
    return {"name": "proj", "version": "1.0.0", **fields}


# ── registries ─────────────────────────────────────────────────────────────────────────────────────


def numbers(r: ScenarioRegistry) -> None:
    """The shape of the spec's example 1 (is-number / is-odd / is-even)."""
    r.publish("is-buffer", "1.1.6", license="MIT")
    r.publish("kind-of", "3.2.2", dependencies={"is-buffer": "^1.1.5"}, license="MIT")
    r.publish(
        "is-number", "3.0.0", dependencies={"kind-of": "^3.0.2"}, license="MIT", engines={"node": ">=0.10.0"}
    )
    r.publish("is-number", "6.0.0", license="MIT", engines={"node": ">=0.10.0"})
    r.publish("is-number", "7.0.0", license="MIT", engines={"node": ">=0.12.0"})
    r.publish("is-odd", "0.1.2", dependencies={"is-number": "^3.0.0"}, license="MIT")
    r.publish("is-odd", "3.0.1", dependencies={"is-number": "^6.0.0"}, license="MIT")
    r.publish("is-even", "1.0.0", dependencies={"is-odd": "^0.1.2"}, license="MIT")
    r.publish(
        "fsevents", "2.3.3", os=["darwin"], license="MIT", engines={"node": "^8.16.0 || ^10.6.0 || >=11.0.0"}
    )
    r.publish(
        "uuid", "3.4.0", bin={"uuid": "bin/uuid"}, license="MIT", files={"bin/uuid": "#!/usr/bin/env node\n"}
    )


def react(r: ScenarioRegistry) -> None:
    r.publish("js-tokens", "4.0.0", license="MIT")
    r.publish(
        "loose-envify",
        "1.4.0",
        bin={"loose-envify": "cli.js"},
        dependencies={"js-tokens": "^3.0.0 || ^4.0.0"},
    )
    r.publish("react", "17.0.2", dependencies={"loose-envify": "^1.1.0"}, license="MIT")
    r.publish("react", "18.3.1", dependencies={"loose-envify": "^1.1.0"}, license="MIT")
    r.publish("scheduler", "0.23.2", dependencies={"loose-envify": "^1.1.0"}, license="MIT")
    r.publish(
        "react-dom",
        "18.3.1",
        dependencies={"loose-envify": "^1.1.0", "scheduler": "^0.23.2"},
        peerDependencies={"react": "^18.3.1"},
        license="MIT",
    )
    r.publish("router", "1.0.0", peerDependencies={"react": ">=16"}, license="MIT")
    r.publish("widgets", "2.0.0", dependencies={"react": "^17.0.0"}, license="MIT")


def picks(r: ScenarioRegistry) -> None:
    """The spec's example 5 registry: version picking rules."""
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        r.publish("pb", version, tag=None, license="ISC")
    r.tag("pb", "latest", "1.1.0")
    r.publish("pc", "1.0.0", license="ISC")
    r.publish("pc", "1.1.0", deprecated="pc 1.1.0 is broken, use 1.0.0", license="ISC")
    r.publish("pd", "1.0.0", license="ISC")
    r.publish("pd", "2.0.0-rc.1", tag="next", license="ISC")
    r.publish("pe", "1.0.0", license="ISC")
    r.publish("pe", "1.1.0", engines={"node": ">=99"}, license="ISC")
    r.publish(
        "pf",
        "1.0.0",
        peerDependencies={"pb": "^1", "pd": "^1"},
        peerDependenciesMeta={"pd": {"optional": True}},
        license="ISC",
    )
    r.publish("pg", "1.0.0", os=["darwin"], cpu=["arm64"], license="ISC")


def peer_chains(r: ScenarioRegistry) -> None:
    r.publish("core", "1.0.0", license="MIT")
    r.publish("core", "2.0.0", license="MIT")
    r.publish("plugin-a", "1.0.0", peerDependencies={"core": "^1.0.0", "helper": "^1.0.0"})
    r.publish("helper", "1.0.0", peerDependencies={"core": "^1.0.0"})
    r.publish("helper", "2.0.0", peerDependencies={"core": "^2.0.0"})
    r.publish("plugin-b", "1.0.0", peerDependencies={"core": "^2.0.0"})
    r.publish("wrapper", "1.0.0", dependencies={"plugin-b": "^1.0.0", "core": "^1.0.0"})
    r.publish("tool", "1.0.0", dependencies={"plugin-a": "^1.0.0"})


def host_and_plugins(r: ScenarioRegistry) -> None:
    """vitest@4's shape: an optional peer (the plugin) whose newest version asks for another version
    of the host than the one being placed: the peer set swaps the host out of its virtual root."""
    r.publish("host", "0.9.0", license="MIT")
    r.publish(
        "host",
        "1.0.0",
        peerDependencies={"host-plugin": "^1.0.0", "host-ui": "1.0.0"},
        peerDependenciesMeta={"host-plugin": {"optional": True}, "host-ui": {"optional": True}},
        license="MIT",
    )
    r.publish("host", "2.0.0", engines={"node": ">=99"}, license="MIT")
    r.publish("host-plugin", "1.0.0", peerDependencies={"host": "0.9.0"}, license="MIT")
    r.publish("host-ui", "1.0.0", peerDependencies={"host": "1.0.0"}, license="MIT")


def assorted(r: ScenarioRegistry) -> None:
    r.publish("@scope/lib", "1.0.0", dependencies={"dep": "^1.0.0"}, license={"type": "MIT"})
    r.publish("@scope/lib", "1.1.0", dependencies={"dep": "^1.1.0"}, funding="https://example.test/fund")
    r.publish("dep", "1.0.0")
    r.publish("dep", "1.1.0")
    r.publish("dep", "2.0.0")
    r.publish("cyc-a", "1.0.0", dependencies={"cyc-b": "^1.0.0"})
    r.publish("cyc-b", "1.0.0", dependencies={"cyc-a": "^1.0.0"})
    r.publish("scripted", "1.0.0", scripts={"install": "node build.js", "test": "x"}, bin="./cli.js")
    r.publish("gyp", "1.0.0", scripts={"postinstall": "echo hi"}, gypfile=True)
    r.publish("old", "1.0.0", dependencies={"dep": "1.0.0"})
    r.publish("new", "1.0.0", dependencies={"dep": "^2.0.0"})
    r.publish("mid", "1.0.0", dependencies={"dep": "^1.0.0", "old": "1.0.0"})


def bundles(r: ScenarioRegistry) -> None:
    r.publish("pb", "1.0.0", license="ISC")
    r.publish("pb", "1.1.0", license="ISC")
    r.publish("pc", "1.0.0", license="ISC")
    r.publish(
        "ph",
        "1.0.0",
        dependencies={"pb": "1.0.0", "pc": "^1.0.0"},
        bundleDependencies=["pb"],
        bundled={"pb": {"name": "pb", "version": "1.0.0", "license": "ISC"}},
        license="ISC",
    )


def optionals(r: ScenarioRegistry) -> None:
    r.publish("native", "1.0.0", os=["darwin"], dependencies={"native-helper": "^1.0.0"})
    r.publish("native-helper", "1.0.0")
    r.publish("wraps-native", "1.0.0", dependencies={"native": "^1.0.0"})
    r.publish("only-v1", "1.0.0")
    r.publish("linux-only", "1.0.0", os=["linux"], cpu=["x64", "arm64"])
    r.publish("not-win", "1.0.0", os=["!win32"])
    r.publish("needs-libc", "1.0.0", os=["linux"], libc=["musl"])
    r.publish("uses-opt", "1.0.0", optionalDependencies={"native": "^1.0.0", "only-v1": "^9.0.0"})


def everything(r: ScenarioRegistry) -> None:
    numbers(r)
    assorted(r)


def local_tarball(name: str, version: str) -> Any:
    def build(r: ScenarioRegistry) -> bytes:
        return r.tarball(name, version)

    return build


def newer_versions(r: ScenarioRegistry) -> None:
    """Published after the lockfile was written."""
    r.publish("pb", "1.3.0", license="ISC")
    r.publish("dep", "1.2.0")
    r.publish("is-number", "7.1.0", license="MIT")


def shrinkwrapped(r: ScenarioRegistry) -> None:
    numbers(r)
    shrinkwrap = {
        "name": "sw",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {"name": "sw", "version": "1.0.0", "dependencies": {"is-number": "^6.0.0"}},
            "node_modules/is-number": {
                "version": "6.0.0",
                "resolved": r.tarball_url("is-number", "6.0.0"),
                "license": "MIT",
            },
        },
    }
    r.publish(
        "sw",
        "1.0.0",
        dependencies={"is-number": "^6.0.0"},
        _hasShrinkwrap=True,
        files={"npm-shrinkwrap.json": json.dumps(shrinkwrap)},
    )


def random_scenario(seed: int, **extra: Any) -> Scenario:
    """A random package graph (peers, optional peers, optional deps, the odd cycle), seeded."""
    root_deps: dict[str, str] = {}

    def publish(r: ScenarioRegistry) -> None:
        rng = random.Random(seed)
        names = [f"{rng.choice('bcdfghjklmnpqrstvwxz')}{rng.choice('aeiou')}{i}" for i in range(22)]
        versions: dict[str, list[str]] = {}
        for name in names:
            found = {f"{rng.randint(1, 3)}.{rng.randint(0, 2)}.0" for _ in range(rng.randint(1, 4))}
            versions[name] = sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))

        def spec_for(target: str) -> str:
            version = rng.choice(versions[target])
            major = version.split(".")[0]
            return rng.choice([f"^{version}", f"~{version}", f"^{major}.0.0", "*", f">={major}.0.0", version])

        for index, name in enumerate(names):
            later = names[index + 1 :]
            for version in versions[name]:
                fields: dict[str, Any] = {"license": "MIT"}
                deps = {t: spec_for(t) for t in rng.sample(later, min(len(later), rng.randint(0, 3)))}
                if index > 3 and rng.random() < 0.05:
                    deps[names[rng.randint(0, index - 1)]] = "*"
                if deps:
                    fields["dependencies"] = deps
                if later and rng.random() < 0.25:
                    peer = rng.choice(later)
                    if peer not in deps:
                        fields["peerDependencies"] = {peer: spec_for(peer)}
                        if rng.random() < 0.3:
                            fields["peerDependenciesMeta"] = {peer: {"optional": True}}
                if later and rng.random() < 0.1:
                    optional = rng.choice(later)
                    if optional not in deps:
                        fields["optionalDependencies"] = {optional: spec_for(optional)}
                r.publish(name, version, **fields)
        root_deps.update({t: spec_for(t) for t in rng.sample(names[:8], 5)})

    def mutate(project: Path) -> None:
        (project / "package.json").write_text(json.dumps(pkg(dependencies=root_deps), indent=2) + "\n")

    return Scenario(f"random-{seed}", publish, pkg(), mutate=mutate, **extra)


def dense_scenario(seed: int, mode: int) -> Scenario:
    """A small, peer-heavy random graph. Modes: 0 fresh install; 1 install over a lockfile after
    newer versions appeared; 2 the same after editing the root's dependencies; 3 `npm update`."""
    root_deps: dict[str, str] = {}
    state: dict[str, Any] = {}

    def publish(r: ScenarioRegistry) -> None:
        rng = random.Random(seed)
        names = [f"n{rng.choice('abcdefgh')}{i}" for i in range(12)]
        versions = {
            n: sorted(
                {f"{rng.randint(1, 3)}.{rng.randint(0, 1)}.0" for _ in range(rng.randint(1, 3))},
                key=lambda v: tuple(map(int, v.split("."))),
            )
            for n in names
        }
        state.update(names=names, versions=versions)

        def spec(target: str) -> str:
            version = rng.choice(versions[target])
            major = version.split(".")[0]
            return rng.choice([f"^{version}", f"^{major}.0.0", "*", version, f"~{version}"])

        for i, name in enumerate(names):
            later = names[i + 1 :]
            for version in versions[name]:
                fields: dict[str, Any] = {}
                deps = {t: spec(t) for t in rng.sample(later, min(len(later), rng.randint(0, 3)))}
                if deps:
                    fields["dependencies"] = deps
                if later and rng.random() < 0.5:
                    peers = {
                        t: spec(t)
                        for t in rng.sample(later, min(len(later), rng.randint(1, 2)))
                        if t not in deps
                    }
                    if peers:
                        fields["peerDependencies"] = peers
                        if rng.random() < 0.3:
                            fields["peerDependenciesMeta"] = {next(iter(peers)): {"optional": True}}
                r.publish(name, version, **fields)
        root_deps.update({t: spec(t) for t in rng.sample(names[:6], 4)})

    def newer(r: ScenarioRegistry) -> None:
        rng = random.Random(seed * 7)
        for name in rng.sample(state["names"], 4):
            major, minor, _ = map(int, state["versions"][name][-1].split("."))
            r.publish(name, f"{major}.{minor}.5")

    def edit(project: Path) -> None:
        rng = random.Random(seed * 13)
        deps = dict(root_deps)
        roll = rng.random()
        if roll < 0.4:
            deps[rng.choice(list(deps))] = "*"
        elif roll < 0.7:
            deps[rng.choice(state["names"][3:])] = "*"
        else:
            deps.pop(rng.choice(list(deps)))
        (project / "package.json").write_text(json.dumps(pkg(dependencies=deps), indent=2) + "\n")

    def package(r: ScenarioRegistry) -> dict[str, Any]:
        return pkg(dependencies=root_deps)

    if mode == 0:
        return Scenario(f"dense-{seed}", publish, package)
    if mode == 1:
        return Scenario(f"dense-lockfile-{seed}", publish, package, pre=(("install",),), after_pre=newer)
    if mode == 2:
        return Scenario(
            f"dense-edited-{seed}", publish, package, pre=(("install",),), after_pre=newer, mutate=edit
        )
    return Scenario(
        f"dense-update-{seed}",
        publish,
        package,
        pre=(("install",),),
        after_pre=newer,
        npm_args=("update",),
        options=IdealTreeOptions(update_all=True, save=False),
    )


# ── edits applied between the pre steps and the compared run ───────────────────────────────────────


def edit_package(**changes: Any) -> Any:
    def mutate(project: Path) -> None:
        path = project / "package.json"
        data = json.loads(path.read_text())
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        path.write_text(json.dumps(data, indent=2) + "\n")

    return mutate


ANY_NODE = SourceOptions(node_version=NODE_VERSION, npm_version=NPM_VERSION)

SCENARIOS: list[Scenario] = [
    Scenario("optional-peer-wants-another-host", host_and_plugins, pkg(devDependencies={"host": "*"})),
    Scenario(
        "optional-peer-wants-another-host-beside",
        host_and_plugins,
        pkg(devDependencies={"host": "*", "host-ui": "^1.0.0"}),
    ),
    # hoisting, nesting, flags
    Scenario(
        "hoist-and-nest",
        numbers,
        pkg(
            dependencies={"is-number": "^7.0.0", "is-odd": "3.0.1"},
            devDependencies={"is-even": "1.0.0"},
            optionalDependencies={"fsevents": "^2.3.3"},
        ),
    ),
    Scenario(
        "strategy-nested",
        numbers,
        pkg(dependencies={"is-number": "^7.0.0", "is-odd": "3.0.1", "is-even": "1.0.0"}),
        npm_args=("install", "--install-strategy=nested"),
        options=IdealTreeOptions(install_strategy="nested"),
    ),
    Scenario(
        "strategy-shallow",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "is-even": "1.0.0"}),
        npm_args=("install", "--install-strategy=shallow"),
        options=IdealTreeOptions(install_strategy="shallow"),
    ),
    Scenario(
        "strategy-linked",
        numbers,
        pkg(dependencies={"is-number": "^7.0.0", "is-odd": "3.0.1"}, devDependencies={"is-even": "1.0.0"}),
        npm_args=("install", "--install-strategy=linked"),
        options=IdealTreeOptions(install_strategy="linked"),
    ),
    Scenario(
        "dev-optional-overlap",
        numbers,
        pkg(devDependencies={"is-number": "3.0.0"}, optionalDependencies={"kind-of": "^3.0.0"}),
    ),
    Scenario(
        "dep-in-deps-and-devdeps",
        numbers,
        pkg(dependencies={"is-odd": "^3.0.0"}, devDependencies={"is-odd": "^3.0.1"}),
    ),
    Scenario("bin-and-indent", numbers, json.dumps(pkg(dependencies={"uuid": "3.4.0"}), indent=4) + "\n"),
    Scenario("no-name-one-line", numbers, '{"dependencies":{"is-odd":"^3.0.0"}}'),
    # optional dependencies that cannot be installed
    Scenario(
        "optional-platform-and-missing",
        optionals,
        pkg(
            optionalDependencies={"native": "^1.0.0", "only-v1": "^2.0.0", "nonexistent-pkg": "^1.0.0"},
            dependencies={"linux-only": "1.0.0", "not-win": "1.0.0"},
        ),
    ),
    Scenario("optional-set-inert", optionals, pkg(optionalDependencies={"wraps-native": "^1.0.0"})),
    Scenario("optional-transitive", optionals, pkg(dependencies={"uses-opt": "^1.0.0"})),
    Scenario("optional-libc", optionals, pkg(optionalDependencies={"needs-libc": "^1.0.0"})),
    Scenario("platform-error", optionals, pkg(dependencies={"native": "^1.0.0"})),
    # peers
    Scenario("peer-auto-install", react, pkg(dependencies={"react-dom": "^18.2.0"})),
    Scenario("peer-conflict-eresolve", react, pkg(dependencies={"react": "17.0.2", "react-dom": "^18.2.0"})),
    Scenario(
        "peer-conflict-legacy",
        react,
        pkg(dependencies={"react": "17.0.2", "react-dom": "^18.2.0"}),
        npm_args=("install", "--legacy-peer-deps"),
        options=IdealTreeOptions(legacy_peer_deps=True),
    ),
    Scenario(
        "peer-conflict-force",
        react,
        pkg(dependencies={"react": "17.0.2", "react-dom": "^18.2.0"}),
        npm_args=("install", "--force"),
        options=IdealTreeOptions(force=True),
    ),
    Scenario("peer-broad-range", react, pkg(dependencies={"router": "^1.0.0", "widgets": "^2.0.0"})),
    Scenario("peer-chain", peer_chains, pkg(dependencies={"plugin-a": "^1.0.0"})),
    Scenario("peer-nested-conflict", peer_chains, pkg(dependencies={"tool": "^1.0.0", "wrapper": "^1.0.0"})),
    Scenario(
        "peer-nested-conflict-strict",
        peer_chains,
        pkg(dependencies={"tool": "^1.0.0", "wrapper": "^1.0.0"}),
        npm_args=("install", "--strict-peer-deps"),
        options=IdealTreeOptions(strict_peer_deps=True),
    ),
    Scenario("peer-root-conflict", peer_chains, pkg(dependencies={"plugin-a": "^1.0.0", "core": "^2.0.0"})),
    Scenario("peer-optional-absent", picks, pkg(dependencies={"pf": "1.0.0", "pb": "^1.0.0"})),
    # version picking
    Scenario(
        "pick-rules",
        picks,
        pkg(
            dependencies={"pb": "^1.0.0", "pc": "^1.0.0", "pd": "*", "pe": "^1.0.0", "pf": "1.0.0"},
            optionalDependencies={"pg": "1.0.0"},
        ),
    ),
    Scenario(
        "dist-tag-and-prerelease", picks, pkg(dependencies={"pd": "next", "pb": "latest", "pc": "1.1.0"})
    ),
    Scenario("prerelease-range", picks, pkg(dependencies={"pd": "^2.0.0-rc.0"})),
    Scenario(
        "before-date",
        picks,
        pkg(dependencies={"pb": "^1.0.0"}),
        npm_args=("install", "--before=2020-01-02T12:00:00.000Z"),
        options=IdealTreeOptions(before="2020-01-02T12:00:00.000Z"),
        source=SourceOptions(
            before="2020-01-02T12:00:00.000Z", node_version=NODE_VERSION, npm_version=NPM_VERSION
        ),
    ),
    Scenario("etarget", picks, pkg(dependencies={"pb": "^5.0.0"})),
    Scenario("e404", picks, pkg(dependencies={"no-such-package": "^1.0.0"})),
    Scenario(
        "engine-strict",
        picks,
        pkg(dependencies={"pe": "1.1.0"}),
        npm_args=("install", "--engine-strict"),
        options=IdealTreeOptions(
            engine_strict=True, node_version="v" + NODE_VERSION, npm_version=NPM_VERSION
        ),
    ),
    Scenario(
        "engine-warning",
        picks,
        pkg(dependencies={"pe": "1.1.0"}),
        options=IdealTreeOptions(node_version="v" + NODE_VERSION, npm_version=NPM_VERSION),
    ),
    # aliases, overrides
    Scenario("alias", numbers, pkg(dependencies={"is-odd": "3.0.1", "my-num": "npm:is-number@6.0.0"})),
    Scenario(
        "override-top",
        numbers,
        pkg(
            dependencies={"is-odd": "3.0.1", "my-num": "npm:is-number@6.0.0", "uuid": "3.4.0"},
            overrides={"is-number": "7.0.0"},
        ),
    ),
    Scenario(
        "override-nested",
        numbers,
        pkg(
            dependencies={"is-odd": "3.0.1", "is-even": "1.0.0"},
            overrides={"is-even": {"is-number": "6.0.0"}},
        ),
    ),
    Scenario(
        "override-ref",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "is-number": "7.0.0"}, overrides={"is-number": "$is-number"}),
    ),
    Scenario(
        "override-key-range",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "is-even": "1.0.0"}, overrides={"is-number@^3": "7.0.0"}),
    ),
    Scenario(
        "override-conflicts-direct",
        numbers,
        pkg(dependencies={"is-number": "^6.0.0"}, overrides={"is-number": "7.0.0"}),
    ),
    # local specs
    Scenario(
        "file-folder",
        numbers,
        pkg(dependencies={"local-lib": "file:./local-lib"}),
        files={
            "local-lib/package.json": json.dumps(
                {"name": "local-lib", "version": "0.1.0", "dependencies": {"is-number": "^7.0.0"}}
            )
        },
    ),
    Scenario(
        "file-tarball",
        numbers,
        pkg(dependencies={"odd": "file:vendor/is-odd-3.0.1.tgz"}),
        files={"vendor/is-odd-3.0.1.tgz": local_tarball("is-odd", "3.0.1")},
    ),
    Scenario(
        "workspaces",
        numbers,
        pkg(workspaces=["packages/*"], dependencies={"is-number": "^7.0.0"}),
        files={
            "packages/a/package.json": json.dumps(
                {"name": "a", "version": "1.0.0", "dependencies": {"b": "^2.0.0", "is-number": "^6.0.0"}}
            ),
            "packages/b/package.json": json.dumps(
                {
                    "name": "b",
                    "version": "2.1.0",
                    "bin": {"bee": "cli.js"},
                    "devDependencies": {"uuid": "^3.0.0"},
                }
            ),
        },
    ),
    Scenario(
        "workspace-version-mismatch",
        everything,
        pkg(workspaces=["packages/*"]),
        files={
            "packages/a/package.json": json.dumps(
                {"name": "a", "version": "1.0.0", "dependencies": {"dep": "^2.0.0"}}
            ),
            "packages/dep/package.json": json.dumps({"name": "dep", "version": "1.0.0"}),
        },
    ),
    Scenario("bundled", bundles, pkg(dependencies={"ph": "^1.0.0", "pb": "^1.1.0"})),
    # misc shapes
    Scenario(
        "scoped-cycle-scripts",
        assorted,
        pkg(dependencies={"@scope/lib": "1.0.0", "cyc-a": "^1.0.0", "scripted": "1.0.0", "gyp": "1.0.0"}),
    ),
    Scenario("conflict-chain", assorted, pkg(dependencies={"mid": "^1.0.0", "new": "^1.0.0"})),
    # install <pkg>: what is saved where
    Scenario(
        "install-add",
        picks,
        pkg(dependencies={"pc": "^1.0.0"}),
        npm_args=("install", "pb"),
        options=IdealTreeOptions(add=("pb",)),
    ),
    Scenario(
        "install-add-range",
        picks,
        pkg(),
        npm_args=("install", "pb@1.x", "pc@>=1.0.0 <1.1.0"),
        options=IdealTreeOptions(add=("pb@1.x", "pc@>=1.0.0 <1.1.0")),
    ),
    Scenario(
        "install-add-exact",
        picks,
        pkg(),
        npm_args=("install", "-E", "pb@>=1.0.0 <1.2.0"),
        options=IdealTreeOptions(add=("pb@>=1.0.0 <1.2.0",), save_exact=True),
    ),
    Scenario(
        "install-add-prefix",
        picks,
        pkg(),
        npm_args=("install", "--save-prefix=~", "pb", "pd@next"),
        options=IdealTreeOptions(add=("pb", "pd@next"), save_prefix="~"),
    ),
    Scenario(
        "install-save-dev",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1"}),
        npm_args=("install", "-D", "is-odd@3.0.1", "is-number"),
        options=IdealTreeOptions(add=("is-odd@3.0.1", "is-number"), save_type="dev"),
    ),
    Scenario(
        "install-save-optional",
        numbers,
        pkg(),
        npm_args=("install", "-O", "fsevents", "is-odd"),
        options=IdealTreeOptions(add=("fsevents", "is-odd"), save_type="optional"),
    ),
    Scenario(
        "install-save-peer",
        react,
        pkg(devDependencies={"react": "^18.0.0"}),
        npm_args=("install", "--save-peer", "react"),
        options=IdealTreeOptions(add=("react",), save_type="peer"),
    ),
    Scenario(
        "install-alias",
        numbers,
        pkg(),
        npm_args=("install", "num6@npm:is-number@^6.0.0"),
        options=IdealTreeOptions(add=("num6@npm:is-number@^6.0.0",)),
    ),
    Scenario(
        "install-over-lockfile",
        picks,
        pkg(dependencies={"pb": "^1.0.0", "pc": "^1.0.0", "pd": "*", "pe": "^1.0.0", "pf": "1.0.0"}),
        pre=(("install",),),
        npm_args=("install", "pc@1.1.0", "pe@1.1.0", "pd@next"),
        options=IdealTreeOptions(add=("pc@1.1.0", "pe@1.1.0", "pd@next")),
    ),
    Scenario(
        "install-add-tarball-file",
        numbers,
        pkg(),
        files={"vendor/is-odd-3.0.1.tgz": local_tarball("is-odd", "3.0.1")},
        npm_args=("install", "./vendor/is-odd-3.0.1.tgz"),
        options=IdealTreeOptions(add=("./vendor/is-odd-3.0.1.tgz",)),
    ),
    Scenario(
        "install-add-folder",
        numbers,
        pkg(),
        files={
            "../ext/package.json": json.dumps(
                {"name": "ext", "version": "2.0.0", "dependencies": {"is-number": "^6.0.0"}}
            )
        },
        npm_args=("install", "../ext"),
        options=IdealTreeOptions(add=("../ext",)),
    ),
    Scenario(
        "install-add-url",
        numbers,
        pkg(),
        npm_args=("install", "{registry}is-number/-/is-number-6.0.0.tgz"),
        options=IdealTreeOptions(add=("{registry}is-number/-/is-number-6.0.0.tgz",)),
    ),
    Scenario(
        "install-save-bundle",
        numbers,
        pkg(bundleDependencies=["zzz"]),
        npm_args=("install", "-B", "is-odd", "uuid"),
        options=IdealTreeOptions(add=("is-odd", "uuid"), save_bundle=True),
    ),
    Scenario(
        "install-workspace-by-name",
        numbers,
        pkg(workspaces=["packages/*"]),
        files={
            "packages/a/package.json": json.dumps({"name": "a", "version": "1.0.0"}),
            "packages/b/package.json": json.dumps({"name": "b", "version": "2.3.0"}),
        },
        pre=(("install",),),
        npm_args=("install", "b", "-w", "a"),
        options=IdealTreeOptions(add=("b",), workspaces=("a",)),
    ),
    Scenario(
        "uninstall",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "is-number": "^7.0.0"}, devDependencies={"is-even": "1.0.0"}),
        pre=(("install",),),
        npm_args=("uninstall", "is-even", "is-number"),
        options=IdealTreeOptions(rm=("is-even", "is-number")),
    ),
    # lockfiles
    Scenario(
        "lockfile-unchanged",
        numbers,
        pkg(dependencies={"is-number": "^7.0.0", "is-odd": "3.0.1"}, devDependencies={"is-even": "1.0.0"}),
        pre=(("install",),),
    ),
    Scenario(
        "lockfile-range-still-satisfied",
        picks,
        pkg(dependencies={"pb": "^1.0.0"}),
        pre=(("install",),),
        mutate=edit_package(dependencies={"pb": "~1.1.0"}),
    ),
    Scenario(
        "lockfile-new-dependency",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1"}),
        pre=(("install",),),
        mutate=edit_package(dependencies={"is-odd": "3.0.1", "is-even": "1.0.0", "is-number": "^7.0.0"}),
    ),
    Scenario(
        "lockfile-removed-dependency",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "is-even": "1.0.0"}),
        pre=(("install",),),
        mutate=edit_package(dependencies={"is-even": "1.0.0"}),
    ),
    Scenario(
        "lockfile-v1-input",
        numbers,
        pkg(
            dependencies={"is-odd": "3.0.1", "is-even": "1.0.0"}, optionalDependencies={"fsevents": "^2.0.0"}
        ),
        pre=(("install", "--lockfile-version=1"),),
    ),
    Scenario(
        "lockfile-v2-kept",
        numbers,
        pkg(
            dependencies={"is-odd": "3.0.1", "my-num": "npm:is-number@6.0.0"},
            devDependencies={"is-even": "1.0.0"},
        ),
        pre=(("install", "--lockfile-version=2"),),
        mutate=edit_package(
            dependencies={"is-odd": "3.0.1", "my-num": "npm:is-number@6.0.0", "uuid": "^3.0.0"}
        ),
    ),
    Scenario(
        "lockfile-version-2-fresh",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1"}, devDependencies={"is-even": "1.0.0"}),
        npm_args=("install", "--lockfile-version=2"),
        options=IdealTreeOptions(lockfile_version=2),
    ),
    # update / dedupe
    Scenario(
        "update-all",
        picks,
        pkg(dependencies={"pb": "^1.0.0", "pc": "^1.0.0"}),
        files={},
        pre=(("install", "pb@1.0.0", "--save-exact=false", "--save-prefix=^"),),
        npm_args=("update",),
        options=IdealTreeOptions(update_all=True, save=False),
    ),
    Scenario(
        "update-named",
        numbers,
        pkg(dependencies={"is-odd": "^0.1.0", "is-even": "1.0.0"}),
        pre=(("install",),),
        mutate=None,
        npm_args=("update", "is-number"),
        options=IdealTreeOptions(update_names=("is-number",), save=False),
    ),
    Scenario(
        "dedupe",
        assorted,
        pkg(dependencies={"old": "1.0.0", "@scope/lib": "1.1.0"}),
        pre=(("install",),),
        npm_args=("dedupe",),
        prepare_options=lambda project, options: struct_replace(
            options, prefer_dedupe=True, save=False, update_names=asyncio.run(dedupe_names(project))
        ),
    ),
    Scenario(
        "prefer-dedupe",
        assorted,
        pkg(dependencies={"dep": "^1.0.0", "mid": "^1.0.0"}),
        npm_args=("install", "--prefer-dedupe"),
        options=IdealTreeOptions(prefer_dedupe=True),
    ),
    # lockfiles meeting a registry that moved on
    Scenario(
        "lockfile-ignores-newer",
        everything,
        pkg(dependencies={"is-number": "^7.0.0", "old": "1.0.0", "@scope/lib": "^1.0.0"}),
        pre=(("install",),),
        after_pre=newer_versions,
    ),
    Scenario(
        "update-all-newer",
        everything,
        pkg(dependencies={"is-number": "^7.0.0", "old": "1.0.0", "@scope/lib": "^1.0.0"}),
        pre=(("install",),),
        after_pre=newer_versions,
        npm_args=("update",),
        options=IdealTreeOptions(update_all=True, save=False),
    ),
    Scenario(
        "update-named-newer",
        everything,
        pkg(dependencies={"is-number": "^7.0.0", "old": "1.0.0", "@scope/lib": "^1.0.0", "mid": "^1.0.0"}),
        pre=(("install",),),
        after_pre=newer_versions,
        npm_args=("update", "dep"),
        options=IdealTreeOptions(update_names=("dep",), save=False),
    ),
    Scenario(
        "update-save",
        everything,
        pkg(dependencies={"is-number": "^7.0.0", "dep": "^1.0.0"}),
        pre=(("install",),),
        after_pre=newer_versions,
        npm_args=("update", "--save"),
        options=IdealTreeOptions(update_all=True, save=True),
    ),
    Scenario(
        "install-upgrade-peer-set",
        react,
        pkg(dependencies={"react": "^17.0.0", "router": "^1.0.0"}),
        pre=(("install",),),
        npm_args=("install", "react@18", "react-dom@18"),
        options=IdealTreeOptions(add=("react@18", "react-dom@18")),
    ),
    Scenario(
        "peer-optional-invalid-present",
        picks,
        pkg(dependencies={"pf": "1.0.0", "pb": "^1.0.0", "pd": "2.0.0-rc.1"}),
    ),
    Scenario(
        "override-added-later",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "is-even": "1.0.0"}),
        pre=(("install",),),
        mutate=edit_package(overrides={"is-number": "^7.0.0"}),
    ),
    Scenario(
        "extraneous-in-lockfile",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "uuid": "3.4.0"}),
        pre=(("install",),),
        mutate=edit_package(dependencies={"is-odd": "3.0.1"}, devDependencies={"uuid": "3.4.0"}),
    ),
    Scenario(
        "workspace-filter-add",
        numbers,
        pkg(workspaces=["packages/*"]),
        files={"packages/a/package.json": json.dumps({"name": "a", "version": "1.0.0"})},
        pre=(("install",),),
        npm_args=("install", "is-odd@3.0.1", "-w", "a"),
        options=IdealTreeOptions(add=("is-odd@3.0.1",), workspaces=("a",)),
    ),
    Scenario(
        "file-folder-outside",
        numbers,
        pkg(dependencies={"ext": "file:../ext", "is-number": "^7.0.0"}),
        files={
            "../ext/package.json": json.dumps(
                {"name": "ext", "version": "2.0.0", "dependencies": {"is-number": "^6.0.0"}}
            )
        },
    ),
    Scenario(
        "file-folder-nested-conflict",
        numbers,
        pkg(dependencies={"local": "file:./local", "is-number": "^7.0.0"}),
        files={
            "local/package.json": json.dumps(
                {
                    "name": "local",
                    "version": "1.0.0",
                    "dependencies": {"is-number": "^6.0.0", "is-odd": "^3.0.0"},
                }
            )
        },
    ),
    Scenario(
        "install-links",
        numbers,
        pkg(dependencies={"ext": "file:../ext"}),
        files={
            "../ext/package.json": json.dumps(
                {"name": "ext", "version": "2.0.0", "dependencies": {"is-number": "^6.0.0"}}
            )
        },
        npm_args=("install", "--install-links"),
        options=IdealTreeOptions(install_links=True),
    ),
    Scenario(
        "shrinkwrapped-dependency", shrinkwrapped, pkg(dependencies={"sw": "^1.0.0", "is-number": "^7.0.0"})
    ),
    Scenario("root-bundles", bundles, pkg(dependencies={"pb": "^1.0.0"}, bundleDependencies=["pb"])),
    Scenario("empty-project", numbers, pkg()),
    Scenario("no-package-json", numbers, None),
    Scenario(
        "crlf-package-json",
        numbers,
        json.dumps(pkg(dependencies={"is-odd": "3.0.1"}), indent="\t").replace("\n", "\r\n") + "\r\n",
    ),
    Scenario(
        "omit-registry-resolved",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1"}),
        npm_args=("install", "--omit-lockfile-registry-resolved"),
        options=IdealTreeOptions(omit_lockfile_registry_resolved=True),
    ),
    Scenario(
        "from-node-modules",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "is-even": "1.0.0"}, devDependencies={"uuid": "^3.0.0"}),
        pre=(("install", "--no-package-lock-only"),),
        mutate=lambda project: (
            (project / "package-lock.json").unlink(),
            edit_package(dependencies={"is-odd": "3.0.1", "is-number": "^7.0.0"})(project),
        ),
    ),
    *(random_scenario(seed) for seed in range(1, 9)),
    *(dense_scenario(seed, seed % 4) for seed in (3, 4, 5, 6, 9, 10, 11, 14, 91, 92)),
    random_scenario(
        11, npm_args=("install", "--legacy-peer-deps"), options=IdealTreeOptions(legacy_peer_deps=True)
    ),
    random_scenario(12, npm_args=("install", "--force"), options=IdealTreeOptions(force=True)),
    random_scenario(
        13,
        npm_args=("install", "--install-strategy=nested"),
        options=IdealTreeOptions(install_strategy="nested"),
    ),
    random_scenario(
        14, npm_args=("install", "--prefer-dedupe"), options=IdealTreeOptions(prefer_dedupe=True)
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_ideal_tree_matches_npm(scenario: Scenario, tmp_path: Path) -> None:
    outcome = run_scenario(scenario, tmp_path)
    problems = compare(outcome)
    assert not problems, "\n".join(problems)


def test_remote_tarball_matches_npm(tmp_path: Path) -> None:
    """A dependency given as a tarball URL (the registry's own, under another name)."""

    captured: dict[str, str] = {}

    def publish(r: ScenarioRegistry) -> None:
        numbers(r)
        captured["url"] = r.tarball_url("is-number", "7.0.0")

    scenario = Scenario("remote", publish, pkg())
    # package.json is written after publishing, when the URL is known
    fake_pkg: dict[str, Any] = {}

    def mutate(project: Path) -> None:
        fake_pkg.update(pkg(dependencies={"tgz-num": captured["url"], "is-odd": "3.0.1"}))
        (project / "package.json").write_text(json.dumps(fake_pkg, indent=2) + "\n")

    scenario.mutate = mutate
    outcome = run_scenario(scenario, tmp_path)
    problems = compare(outcome)
    assert not problems, "\n".join(problems)


def test_load_actual_matches_the_hidden_lockfile(tmp_path: Path) -> None:
    """npm installs for real; snpm reads node_modules back (from the folders, and from the hidden
    lockfile) and must describe it exactly as npm's node_modules/.package-lock.json does."""
    from snpm.lockfile import format_lockfile
    from snpm.tree import lockfile_from_tree
    from snpm.tree.load_actual import load_actual
    from support.fake_registry import FakeRegistry
    from support.tree_differential import run_npm

    fake = FakeRegistry()
    fake.start_in_thread()
    try:
        registry = ScenarioRegistry(fake)
        numbers(registry)
        project = tmp_path / "work" / "project"
        (project / "packages" / "w").mkdir(parents=True)
        (project / "lib").mkdir()
        (project / "packages" / "w" / "package.json").write_text(
            json.dumps({"name": "w", "version": "1.0.0", "dependencies": {"is-number": "^6.0.0"}})
        )
        (project / "lib" / "package.json").write_text(json.dumps({"name": "lib", "version": "0.1.0"}))
        package = pkg(
            workspaces=["packages/*"],
            dependencies={"is-odd": "3.0.1", "lib": "file:./lib", "uuid": "3.4.0"},
            devDependencies={"is-even": "1.0.0"},
            optionalDependencies={"fsevents": "^2.3.3"},
        )
        (project / "package.json").write_text(json.dumps(package, indent=2) + "\n")
        done = run_npm(tmp_path / "env", project, registry.url, ["install", "--no-package-lock-only"])
        assert done.returncode == 0, done.stderr
        expected = (project / "node_modules" / ".package-lock.json").read_text()
        for force_actual in (True, False):
            tree = asyncio.run(load_actual(str(project), force_actual=force_actual))
            text = format_lockfile(lockfile_from_tree(tree), hidden=True, project_path=str(project))
            assert text == expected, f"force_actual={force_actual}"
    finally:
        fake.stop_thread()


def test_global_install_layout_matches_npm(tmp_path: Path) -> None:
    """`npm install -g` writes no lockfile: compare the packages it put under {prefix}/lib with the
    ideal tree snpm builds for the same request (shallow strategy, peers not beside global tops)."""
    import os
    import subprocess

    from snpm.tree import build_ideal_tree
    from support.fake_registry import FakeRegistry
    from support.scenario_registry import ScenarioSource
    from support.tree_differential import _env

    assert NPM is not None
    fake = FakeRegistry()
    fake.start_in_thread()
    try:
        registry = ScenarioRegistry(fake)
        react(registry)
        numbers(registry)
        env = _env(tmp_path / "env")
        prefix = tmp_path / "prefix"
        env["npm_config_prefix"] = str(prefix)
        requests = ["react-dom@18", "is-even", "uuid@3"]
        done = subprocess.run(
            [NPM, "install", "-g", *requests, "--ignore-scripts", "--registry", fake.url],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        lib = prefix / "lib"
        npm_layout: dict[str, str] = {}
        for folder, dirs, files in os.walk(lib / "node_modules"):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            if "package.json" in files:
                npm_layout[os.path.relpath(folder, lib)] = json.loads(
                    (Path(folder) / "package.json").read_text()
                )["version"]

        async def build() -> dict[str, str]:
            (tmp_path / "snpm" / "lib").mkdir(parents=True)
            async with ScenarioSource(fake.url) as source:
                ideal = await build_ideal_tree(
                    tmp_path / "snpm" / "lib", source, IdealTreeOptions(global_=True, add=tuple(requests))
                )
            return {n.location: n.version for n in ideal.root.inventory.values() if n.location}

        assert asyncio.run(build()) == npm_layout
    finally:
        fake.stop_thread()

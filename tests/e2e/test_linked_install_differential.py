"""`install-strategy=linked` against the real npm: every case of the install differential again with
the project's .npmrc asking for npm's isolated layout (node_modules/.store plus symlinks), and the
cases only a linked install has: switching between strategies both ways, links and store folders
that are wrong or missing on disk, bins that moved. After every command: the exit code, stdout,
warnings, and every path of the project (store folders and their files, every symlink's text,
`.bin` links, package-lock.json and the hidden lockfile byte for byte), as npm left them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_install_differential import (
    _WORKSPACE_FILES,
    CASES,
    Case,
    World,
    compare_run,
    pkg,
    project_state,
    registry,
)

from support.scenario_registry import ScenarioRegistry

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")]

__all__ = ["registry"]  # the registry fixture, shared with the install differential

_LINKED = {".npmrc": "install-strategy=linked\n"}


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    else:
        shutil.rmtree(path)


LINKED_ONLY = [
    Case(
        "switch-strategies",
        pkg(dependencies={"a": "^1.0.0", "@s/e": "1.0.0", "tool": "1.0.0"}, devDependencies={"d": "1.0.0"}),
        [
            ["install"],
            ["install", "--install-strategy=linked"],
            ["install", "--install-strategy=linked"],
            ["install"],
            ["install", "--install-strategy=linked", "--omit=dev"],
            ["install", "--install-strategy=nested"],
            ["ci", "--install-strategy=linked"],
        ],
    ),
    Case(
        # arborist builds a tree inside a package that carries its own npm-shrinkwrap.json
        "shrinkwrapped-dependency",
        pkg(dependencies={"sw": "1.0.0", "h": "1.5.0"}),
        [["install", "--install-strategy=linked"], ["install", "--install-strategy=linked"]],
    ),
    Case(
        # what the root bundles stays real folders where the hoisted tree has them
        "root-bundle",
        pkg(dependencies={"a": "1.0.0", "y": "1.0.0", "tool": "1.0.0"}, bundleDependencies=["a", "tool"]),
        [
            ["install", "--install-strategy=linked"],
            ["install", "--install-strategy=linked"],
            ["install", "--install-strategy=linked", "--dry-run", "a@1.1.0"],
            ["install", "--install-strategy=linked", "a@1.1.0"],
            ["install"],
            ["install", "--install-strategy=linked"],
        ],
    ),
    Case(
        "changes-in-place",
        pkg(dependencies={"a": "1.0.0", "tool": "1.0.0", "f": "1.0.0"}),
        [
            ["install", "--install-strategy=linked"],
            # g's dependencies change under f: new store keys above, bins beside the new links
            ["install", "--install-strategy=linked", "f@2.0.0", "tool@2.0.0"],
            ["install", "--install-strategy=linked", "--dry-run", "a@1.1.0"],
            ["install", "--install-strategy=linked", "--long", "a@1.1.0"],
            ["uninstall", "--install-strategy=linked", "tool"],
            ["install", "--install-strategy=linked", "--json", "d@1.0.0"],
        ],
    ),
]

# (case id, what to break in both projects after the first step)
DAMAGE = [
    ("store-folder-removed", "node_modules/.store"),
    ("link-removed", "node_modules/a"),
    ("bin-removed", "node_modules/.bin/a-cli"),
]


def _linked_variant(case: Case) -> Case:
    """The case as a linked install runs it. One step is left out: a second install over a linked
    node_modules made without a lockfile, where npm builds its ideal tree from the store's folders
    and breaks node_modules (snpm resolves afresh: see
    test_linked_install_without_its_lockfile_keeps_the_tree)."""
    if case.id == "lockfile-options":
        return Case(case.id, case.package, [["install"], *case.steps[1:]], case.files)
    return case


def _play(case: Case, files: dict[str, str], registry: ScenarioRegistry, root: Path) -> list[str]:
    """Every step of the case by npm and by snpm, each in its own world; the differences."""
    npm_world = World(root / "npm", "npm", registry.url).setup(case.package, files)
    snpm_world = World(root / "snpm", "snpm", registry.url).setup(case.package, files)
    problems: list[str] = []
    for step in case.steps:
        npm_done = npm_world.run(step)
        snpm_done = snpm_world.run(step)
        problems += compare_run(step, npm_world, snpm_world, npm_done, snpm_done)
    return problems


@pytest.mark.parametrize("case", [_linked_variant(c) for c in CASES], ids=lambda c: c.id)
def test_linked_install_family_matches_npm(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> None:
    problems = _play(case, {**case.files, **_LINKED}, registry, tmp_path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", LINKED_ONLY, ids=lambda c: c.id)
def test_linked_cases_match_npm(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> None:
    problems = _play(case, case.files, registry, tmp_path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("case_id", "damage"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_linked_repair_matches_npm(
    case_id: str, damage: str, registry: ScenarioRegistry, tmp_path: Path
) -> None:
    """A linked node_modules damaged by hand: the next install puts back what is missing."""
    package = pkg(workspaces=["packages/*"], dependencies={"a": "^1.0.0", "w2": "^2.0.0"})
    files = {**_WORKSPACE_FILES, **_LINKED}
    worlds = [World(tmp_path / who, who, registry.url).setup(package, files) for who in ("npm", "snpm")]
    problems: list[str] = []
    done = [world.run(["install"]) for world in worlds]
    problems += compare_run(["install"], worlds[0], worlds[1], done[0], done[1])
    for world in worlds:
        _remove(world.project / damage)
    done = [world.run(["install"]) for world in worlds]
    problems += compare_run(["install", "(after damage)"], worlds[0], worlds[1], done[0], done[1])
    assert not problems, "\n".join(problems)


_INSPECT = [
    ["ls", "--all"],
    ["ls", "--all", "--json"],
    ["ls", "--parseable", "--all"],
    ["ls", "--omit=dev", "--all"],
    ["explain", "b"],
    ["query", ".prod"],
    ["query", ".dev"],
]


_INSPECTED_PROJECTS = {
    "plain": (
        pkg(dependencies={"a": "1.1.0", "f": "2.0.0"}, devDependencies={"c": "1.0.0", "tool": "1.0.0"}),
        _LINKED,
    ),
    # w1 is a workspace nothing in the root declares: the root's node_modules has no link to it,
    # and arborist's loadActual makes one up from the workspaces map (#linkActualWorkspaces)
    "undeclared-workspace": (
        pkg(workspaces=["packages/*"], dependencies={"a": "1.1.0", "w2": "^2.0.0"}),
        {**_WORKSPACE_FILES, **_LINKED},
    ),
}
_WORKSPACE_INSPECT = [
    ["query", ":root > *"],
    ["explain", "w1"],
    ["fund"],
    ["outdated"],
    ["ls", "--all", "-w", "w1"],
]


@pytest.mark.parametrize("project", list(_INSPECTED_PROJECTS))
@pytest.mark.parametrize("hidden_lockfile", [True, False], ids=["hidden-lockfile", "from-disk"])
def test_linked_tree_inspection_matches_npm(
    hidden_lockfile: bool, project: str, registry: ScenarioRegistry, tmp_path: Path
) -> None:
    """ls, explain and query over a linked node_modules, read from the hidden lockfile or (without
    it) from the folders and links themselves, down through the store."""
    package, files = _INSPECTED_PROJECTS[project]
    worlds = [World(tmp_path / who, who, registry.url).setup(package, files) for who in ("npm", "snpm")]
    problems: list[str] = []
    done = [world.run(["install"]) for world in worlds]
    problems += compare_run(["install"], worlds[0], worlds[1], done[0], done[1])
    if not hidden_lockfile:
        for world in worlds:
            (world.project / "node_modules" / ".package-lock.json").unlink()
    steps = _INSPECT + (_WORKSPACE_INSPECT if project == "undeclared-workspace" else [])
    for step in steps:
        if step[0] == "explain" and not hidden_lockfile:
            # npm lists the nodes in its inventory's order, which its parallel read of the
            # folders leaves to chance
            continue
        done = [world.run(step) for world in worlds]
        problems += compare_run(step, worlds[0], worlds[1], done[0], done[1])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "relock",
    [["install"], ["install", "--package-lock=false"]],
    ids=["install", "package-lock-false"],
)
def test_linked_install_without_its_lockfile_keeps_the_tree(
    relock: list[str], registry: ScenarioRegistry, tmp_path: Path
) -> None:
    """package-lock.json removed from a linked project, then an install: npm starts its ideal tree
    from the store's folders, writes `.store/…` entries into package-lock.json and empties the store
    (every link left dangling; not copied). snpm resolves afresh and finds everything in place: the
    same package-lock.json as npm's first install, node_modules untouched."""
    package = pkg(workspaces=["packages/*"], dependencies={"a": "1.1.0", "w2": "^2.0.0"})
    files = {**_WORKSPACE_FILES, **_LINKED}
    worlds = [World(tmp_path / who, who, registry.url).setup(package, files) for who in ("npm", "snpm")]
    done = [world.run(["install"]) for world in worlds]
    problems = compare_run(["install"], worlds[0], worlds[1], done[0], done[1])
    assert not problems, "\n".join(problems)
    snpm_world = worlds[1]
    lockfile = snpm_world.project / "package-lock.json"
    before = project_state(snpm_world.project)
    lockfile.unlink()
    again = snpm_world.run(relock)
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout
    after = project_state(snpm_world.project)
    if relock[-1] == "--package-lock=false":
        # nothing writes package-lock.json; the hidden lockfile is npm's first one byte for byte
        before.pop("package-lock.json")
    assert after == before
    assert (snpm_world.project / "node_modules" / "a" / "package.json").is_file()


# package.json files edited by hand after the first install: the root, w1 and w2 each gain a
# dependency; a filtered install applies only what its filter reaches
_EDITED = {
    "package.json": pkg(
        workspaces=["packages/*"], dependencies={"a": "^1.0.0", "w2": "^2.0.0", "d": "1.0.0"}
    ),
    "packages/w1/package.json": {
        "name": "w1",
        "version": "1.0.0",
        "dependencies": {"h": "^1.0.0", "c": "1.0.0"},
        "bin": {"w1": "w1.js"},
    },
    "packages/w2/package.json": {
        "name": "w2",
        "version": "2.0.0",
        "dependencies": {"w1": "^1.0.0", "b": "2.0.0", "f": "2.0.0"},
    },
}
_FILTERED = {
    "w1": [["install", "-w", "w1", "--dry-run"], ["install", "-w", "w1"], ["ls", "--all"], ["install"]],
    "w2-and-root": [["install", "-w", "w2", "--include-workspace-root"], ["ls", "--all"]],
    "no-workspaces": [["install", "--no-workspaces"], ["ls", "--all"], ["install", "--workspaces"]],
    "w2-changes": [
        ["install", "-w", "w2", "tool@1.0.0"],
        ["uninstall", "-w", "w2", "b"],
        ["ls", "--all"],
    ],
}


@pytest.mark.parametrize("steps", list(_FILTERED))
def test_linked_filtered_install_matches_npm(steps: str, registry: ScenarioRegistry, tmp_path: Path) -> None:
    """-w, --include-workspace-root, --workspaces and --no-workspaces under linked: arborist's
    diff reaches only what the filter's nodes depend on (through the store), the rest of
    node_modules stays as it was, and the hidden lockfile still describes the whole layout."""
    package = pkg(workspaces=["packages/*"], dependencies={"a": "^1.0.0", "w2": "^2.0.0"})
    files = {**_WORKSPACE_FILES, **_LINKED}
    worlds = [World(tmp_path / who, who, registry.url).setup(package, files) for who in ("npm", "snpm")]
    done = [world.run(["install"]) for world in worlds]
    problems = compare_run(["install"], worlds[0], worlds[1], done[0], done[1])
    for world in worlds:
        for name, content in _EDITED.items():
            (world.project / name).write_text(json.dumps(content, indent=2) + "\n")
    for step in _FILTERED[steps]:
        done = [world.run(step) for world in worlds]
        problems += compare_run(step, worlds[0], worlds[1], done[0], done[1])
    assert not problems, "\n".join(problems)

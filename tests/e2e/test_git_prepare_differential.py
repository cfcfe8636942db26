"""Git dependencies that need a build, npm against snpm on the same repositories.

Two local repositories (`git+file://`): `gp`, whose `prepare` script writes a file its `files` list
ships, and `gd`, whose `prepare` needs `gp` from its own devDependencies. Installing `gd` makes npm
(pacote's GitFetcher) run `npm install --force` in the clone before packing it, which itself clones
and prepares `gp` (the `_PACOTE_NO_PREPARE_` chain), then the directory packer runs `prepare`. With
`--ignore-scripts` the nested install inherits the exported setting and nothing is built. Compared:
exit code, output, every file of the project (node_modules and the lockfile byte for byte).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support.npm_world import NPM, FileState, RunResult, World, make_world

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(NPM is None or shutil.which("git") is None, reason="npm and git are needed"),
]

_WRITE_BUILT = "require('fs').writeFileSync('built.txt', 'built by ' + process.argv[1] + '\\n')"


def _repository(root: Path, name: str, manifest: dict[str, object], files: dict[str, str]) -> str:
    work = root / f"{name}-work"
    work.mkdir(parents=True)
    (work / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for rel, text in files.items():
        (work / rel).write_text(text)
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=work, check=True)
    subprocess.run([*git, "add", "-A"], cwd=work, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=work, check=True)
    bare = root / f"{name}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return f"git+file://{bare}"


@pytest.fixture(scope="module")
def repositories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("repos")
    gp = _repository(
        root,
        "gp",
        {
            "name": "gp",
            "version": "1.0.0",
            "main": "index.js",
            "files": ["index.js", "built.txt"],
            "scripts": {"prepare": f'node -e "{_WRITE_BUILT}" gp'},
        },
        {"index.js": "module.exports = 'gp'\n"},
    )
    gd = _repository(
        root,
        "gd",
        {
            "name": "gd",
            "version": "2.0.0",
            "files": ["index.js", "built.txt"],
            "devDependencies": {"gp": gp},
            "scripts": {"prepare": f"node -e \"require('gp'); {_WRITE_BUILT}\" gd"},
        },
        {"index.js": "module.exports = 'gd'\n"},
    )
    return {"gp": gp, "gd": gd}


_DURATION = re.compile(r" in \d+(?:\.\d+)?m?s$", re.MULTILINE)


def _play(
    world_root: Path, dependencies: dict[str, str], args: list[str], tool: str
) -> tuple[RunResult, dict[str, FileState]]:
    shutil.rmtree(world_root, ignore_errors=True)
    world: World = make_world(world_root)
    world.write(
        "project/package.json", json.dumps({"name": "proj", "version": "1.0.0", "dependencies": dependencies})
    )
    run = world.run_npm if tool == "npm" else world.run_snpm
    result = run(args)
    files = {rel: state for rel, state in world.snapshot().items() if rel.startswith("project/")}
    return result, files


def _normal(result: RunResult) -> tuple[int, str, str]:
    stderr = re.sub(r"^snpm ", "npm ", result.stderr, flags=re.MULTILINE)
    return result.code, _DURATION.sub(" in <t>", result.stdout), stderr


@pytest.mark.parametrize(
    ("case", "names", "args"),
    [
        ("prepare", ["gp"], ["install", "--no-audit", "--no-fund"]),
        ("prepare-needs-its-dev-dependency", ["gd"], ["install", "--no-audit", "--no-fund"]),
        ("ignore-scripts", ["gd"], ["install", "--ignore-scripts", "--no-audit", "--no-fund"]),
    ],
)
def test_git_dependency_prepared_like_npm(
    case: str, names: list[str], args: list[str], repositories: dict[str, str], tmp_path: Path
) -> None:
    dependencies = {name: repositories[name] for name in names}
    npm, npm_files = _play(tmp_path / "world", dependencies, args, "npm")
    snpm, snpm_files = _play(tmp_path / "world", dependencies, args, "snpm")
    assert npm.code == 0, npm.stderr
    assert _normal(snpm) == _normal(npm)
    assert sorted(snpm_files) == sorted(npm_files)
    different = [rel for rel in npm_files if snpm_files[rel] != npm_files[rel]]
    assert different == []
    built = [rel for rel in npm_files if rel.endswith("built.txt")]
    print(f"git prepare differential {case}: {len(npm_files)} files identical, built: {built}")

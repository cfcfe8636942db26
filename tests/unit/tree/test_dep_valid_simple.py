"""The quick answer for simple specs (`^1.2.3`, `~1.2.3`, `1.2.3`, `*`) is npa + semver's answer.

`simple_satisfies` is compared with `semver.satisfies` on the spec npa resolves, over random
versions and specs (big numbers, leading zeros, prereleases and builds, which it must decline);
`dep_valid` is compared with the full path for valid and invalid package names; and, with node,
with npm's own semver."""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from snpm import semver
from snpm.spec import RegistrySpec, parse_spec, resolve
from snpm.tree import Node
from snpm.tree import dep_valid as dep_valid_module
from snpm.tree.dep_valid import dep_valid, is_simple_spec, simple_satisfies

NPM_SEMVER = "/usr/lib/node_modules/npm/node_modules/semver"


def _number(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return str(rng.randint(0, 3))
    if roll < 0.8:
        return str(rng.randint(0, 20))
    if roll < 0.9:
        return "0" + str(rng.randint(0, 9))
    return str(rng.randint(10**13, 10**16))


def _version(rng: random.Random) -> str:
    version = f"{_number(rng)}.{_number(rng)}.{_number(rng)}"
    roll = rng.random()
    if roll < 0.05:
        return version + "-beta.1"
    if roll < 0.08:
        return "v" + version
    if roll < 0.1:
        return version + "+build"
    if roll < 0.12:
        return " " + version
    return version


def _prerelease(rng: random.Random) -> str:
    parts = [
        rng.choice(["0", "1", "01", "beta", "rc", "x-1", "alpha", "2a", "-", "00", "123456789012345678"])
    ]
    while rng.random() < 0.3:
        parts.append(rng.choice(["0", "1", "beta", "07", "b-2"]))
    return "-" + ".".join(parts)


def _cases(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        spec = rng.choice(["", "^", "~", "=", ">=", "^ "]) + _version(rng)
        if rng.random() < 0.3:
            spec += _prerelease(rng)
        version = spec.lstrip("^~=> ") if rng.random() < 0.3 else _version(rng)
        out.append((version, spec))
    return out


def test_simple_satisfies_is_semver_on_what_npa_resolves() -> None:
    answered = 0
    for version, spec in _cases(7, 60000):
        quick = simple_satisfies(version, spec)
        if quick is None:
            continue
        answered += 1
        resolved = resolve("pkg", spec)
        assert isinstance(resolved, RegistrySpec) and resolved.type in ("range", "version")
        assert quick == semver.satisfies(version, resolved.fetch_spec, loose=True), (version, spec)
        assert is_simple_spec(spec) and parse_spec(spec).registry
    assert answered > 5000


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ("1.2.3", "^1.2.3", True),
        ("1.9.0", "^1.2.3", True),
        ("2.0.0", "^1.2.3", False),
        ("0.2.9", "^0.2.3", True),
        ("0.3.0", "^0.2.3", False),
        ("0.0.3", "^0.0.3", True),
        ("0.0.4", "^0.0.3", False),
        ("1.2.9", "~1.2.3", True),
        ("1.3.0", "~1.2.3", False),
        ("1.2.3", "1.2.3", True),
        ("1.2.4", "1.2.3", False),
        ("1.2.2", "^1.2.3", False),
        ("1.2.3-beta", "^1.2.3", None),
        ("1.2.3", "^1.2.3-0", True),
        ("1.2.3", ">=1.2.3", None),
        ("7.22.0", "^7.0.0-0", True),
        ("7.0.0", "^7.0.0-0", True),
        ("8.0.0", "^7.0.0-0", False),
        ("6.9.9", "^7.0.0-0", False),
        ("1.2.3", "1.2.3-beta", False),
        ("1.2.3", "~1.2.3-rc.1", True),
        ("1.3.0", "~1.2.3-rc.1", False),
        ("1.2.3", "^1.2.3-00", None),
        ("01.2.3", "^1.2.3", None),
    ],
)
def test_simple_satisfies_examples(version: str, spec: str, expected: bool | None) -> None:
    assert simple_satisfies(version, spec) is expected


@pytest.mark.parametrize("name", ["pkg", "@scope/pkg", "Caps", "_bad", ".bad", " spaced", "node_modules"])
@pytest.mark.parametrize("spec", ["^1.0.0", "~1.2.0", "1.2.3", "*", "", "^2.0.0"])
def test_dep_valid_quick_path_is_the_full_path(name: str, spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def check() -> tuple[bool, list[str]]:
        root = Node(path="/p", pkg={"name": "root", "version": "1.0.0"})
        child = Node(pkg={"name": name, "version": "1.2.3"}, name=name, parent=root)
        return dep_valid(child, spec, None, root), [str(e) for e in root.errors]

    quick = check()
    monkeypatch.setattr(dep_valid_module, "simple_satisfies", lambda version, spec: None)
    monkeypatch.setattr(dep_valid_module, "_QUICK_ANY", ())
    assert quick == check()


@pytest.mark.e2e
def test_simple_satisfies_agrees_with_npm_semver() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    rng = random.Random(3)
    cases: list[list[object]] = []
    while len(cases) < 20000:
        spec = rng.choice(["", "^", "~"]) + ".".join(_number(rng).lstrip("0") or "0" for _ in range(3))
        if rng.random() < 0.3:
            spec += _prerelease(rng)
        version = ".".join(_number(rng).lstrip("0") or "0" for _ in range(3))
        quick = simple_satisfies(version, spec)
        if quick is not None:
            cases.append([version, spec, quick])
    script = (
        f"const s=require({json.dumps(NPM_SEMVER)});"
        "const c=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "console.log(JSON.stringify(c.filter(([v,r,q])=>s.satisfies(v,r,true)!==q)))"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(cases), capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []
    print(f"simple_satisfies vs npm semver: {len(cases)} cases agree")

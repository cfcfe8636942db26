"""package.json reading, normalising and saving, compared with npm's own code at test time:
@npmcli/package-json (update/save, normalize/prepare steps), npm-normalize-package-bin, and the
npm CLI saving `npm install --save <file:dep>` into crafted package.json files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from npm_lockfile_projects import Npm, write_json

from snpm.json_types import JsonObject, JsonValue
from snpm.manifest import (
    NORMALIZE_STEPS,
    PREPARE_STEPS,
    UNDEFINED,
    Undefined,
    add_dependencies,
    normalize,
    normalize_bin_for_links,
    read_package_json,
    remove_dependencies,
    save_package_json,
    update_package_json,
)
from support.node import node_json

pytestmark = pytest.mark.e2e

_UNDEFINED_MARK = "__undefined__"

UPDATE_CASES: list[tuple[str, JsonObject]] = [
    ('{\n\t"name": "x",\n\t"dependencies": {"b": "1"}\n}', {"dependencies": {"b": "1"}}),
    ('{\n\t"name": "x",\n\t"dependencies": {"b": "1"}\n}', {"dependencies": {"b": "1", "a": "2", "B": "3", "_c": "4"}}),
    ('{"name":"x","devDependencies":{"z":"1"}}', {"dependencies": {"a": "1"}, "devDependencies": {}}),
    ('{\r\n  "name": "x",\r\n  "dependencies": {}\r\n}\r\n', {"optionalDependencies": {"o": "1"}, "dependencies": {"o": "1", "p": "1"}}),
    ('{\n    "dependencies": {"p": "1"},\n    "peerDependencies": {"p": "1"}\n}\n', {"peerDependencies": {"p": "2"}}),
    ('\ufeff{\n  "name": "x"\n}\n', {"name": "x"}),
    ('{\n  "name": "x"\n}\n\n', {"scripts": {"t": "x"}, "workspaces": ["a", "b"], "other": {"k": [1, 2.5]}}),
    ('{\n  "name": "x",\n  "bundleDependencies": ["a"]\n}\n', {"bundleDependencies": _UNDEFINED_MARK}),
    ('{\n  "10": "ten",\n  "name": "x",\n  "2": "two"\n}\n', {"dependencies": {"a": "1"}}),
    ('{"name": "x", "dependencies": {"@scope/z": "1", "react-dom": "1", "react": "1", "a.b": "1", "a-b": "1"}}', {"dependencies": {"@scope/z": "1", "react-dom": "1", "react": "1", "a.b": "1", "a-b": "1", "a_b": "1"}}),
]  # fmt: skip

UPDATE_SCRIPT = """
const PackageJson = require(NPM + '/node_modules/@npmcli/package-json')
const fs = require('fs'), path = require('path'), os = require('os')
const mark = '__undefined__'
;(async () => {
  const out = []
  for (const [text, changes] of input) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snpm-pj-'))
    fs.writeFileSync(path.join(dir, 'package.json'), text)
    const p = await PackageJson.load(dir)
    for (const k of Object.keys(changes)) if (changes[k] === mark) changes[k] = undefined
    p.update(changes)
    await p.save()
    out.push(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    fs.rmSync(dir, { recursive: true })
  }
  console.log(JSON.stringify(out))
})()
"""


def test_update_and_save_match_npm_package_json(tmp_path: Path) -> None:
    expected = node_json(UPDATE_SCRIPT, UPDATE_CASES)
    assert isinstance(expected, list)
    failures = []
    for i, ((text, changes), want) in enumerate(zip(UPDATE_CASES, expected, strict=True)):
        folder = tmp_path / str(i)
        folder.mkdir()
        (folder / "package.json").write_bytes(text.encode())
        mine: dict[str, JsonValue | Undefined] = {
            k: UNDEFINED if v == _UNDEFINED_MARK else v for k, v in changes.items()
        }
        save_package_json(update_package_json(read_package_json(folder), mine))
        got = (folder / "package.json").read_bytes().decode()
        if got != want:
            failures.append(f"case {i}: {got!r} != {want!r}")
    print(f"package.json update/save: {len(UPDATE_CASES) - len(failures)}/{len(UPDATE_CASES)} equal")
    assert not failures


NORMALIZE_CASES: list[tuple[JsonObject, dict[str, str]]] = [
    ({"name": "a", "version": "1.0.0", "_resolved": "x", "_id": "old", "bin": "./cli.js"}, {}),
    ({"name": "@s/a", "version": "1.0.0", "bin": ["./bin/a.js", "b/c.js"]}, {}),
    (
        {
            "name": "a",
            "bin": {"../x": "../../etc/passwd", "ok": "./ok.js", "bad": 1, "c:d": "e\\f", "./y/": "y"},
        },
        {},
    ),
    ({"name": "a", "bin": {"": "x", "x": ""}}, {}),
    ({"name": "a", "bin": "cli.js", "directories": {"bin": "./tools"}}, {"tools/t1": "", "tools/sub/t2": ""}),
    (
        {"name": "a", "directories": {"bin": "./tools"}},
        {"tools/t1": "", "tools/sub/t2": "", "tools/.hidden": ""},
    ),
    ({"name": "a", "bundledDependencies": ["x"], "dependencies": {"x": "1"}}, {}),
    ({"name": "a", "bundleDependencies": True, "dependencies": {"x": "1", "y": "2"}}, {}),
    ({"name": "a", "bundleDependencies": False}, {}),
    ({"name": "a", "bundleDependencies": {"x": "1"}}, {}),
    ({"name": "a", "bundleDependencies": "x", "bundledDependencies": ["y"]}, {}),
    ({"name": "a", "dependencies": {"x": "1", "y": "1"}, "optionalDependencies": {"x": "2"}}, {}),
    ({"name": "a", "dependencies": {"x": "1"}, "optionalDependencies": {"x": "2"}}, {}),
    ({"name": "a", "scripts": {"a": "node_modules/.bin/tsc", "b": 1, "c": "./node_modules/.bin/x y"}}, {}),
    ({"name": "a", "scripts": "nope", "funding": "https://f.example"}, {}),
    ({"name": "a", "scripts": None, "funding": {"url": "u"}}, {}),
    ({"name": "a", "version": "1.0.0"}, {"binding.gyp": "{}"}),
    ({"name": "a", "scripts": {"preinstall": "x"}}, {"binding.gyp": "{}"}),
    ({"name": "a", "gypfile": False}, {"other.gyp": "{}"}),
    ({"name": "a"}, {"server.js": "", "AUTHORS": "# c\nAnn <a@x>\n\n  Bob  \r\n", "README.md": "# hi\r\n"}),
    ({"name": "a", "directories": {"man": "./man"}}, {"man/a.1": "", "man/sub/b.5": "", "man/c.txt": ""}),
    ({"name": "a", "man": ["./man/x.1", 3]}, {}),
    ({"name": "a", "main": "lib/main.js"}, {"lib/main.d.ts": ""}),
    ({"name": "a", "readme": "given"}, {"README": "file", "readme.markdown": "md"}),
    (
        {"name": "a"},
        {"README": "plain", ".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": "0123abcd\n"},
    ),
    (
        {"name": "a"},
        {".git/HEAD": "ref: refs/heads/dev\n", ".git/packed-refs": "# x\n" + "a" * 40 + " refs/heads/dev\n"},
    ),
    ({"name": "a", "gitHead": "kept"}, {".git/HEAD": "f" * 40 + "\n"}),
]

NORMALIZE_SCRIPT = """
const PackageJson = require(NPM + '/node_modules/@npmcli/package-json')
const fs = require('fs'), path = require('path'), os = require('os')
;(async () => {
  const out = []
  for (const [content, files, steps] of input) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snpm-norm-'))
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(content))
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
      fs.writeFileSync(path.join(dir, name), text)
    }
    const p = await PackageJson.load(dir)
    const changes = []
    await p.normalize({ steps, changes })
    out.push({ content: p.content, changes })
    fs.rmSync(dir, { recursive: true })
  }
  console.log(JSON.stringify(out))
})()
"""


def _sorted_bins(content: JsonObject) -> JsonObject:
    # glob's walk order is the filesystem's; the bin and man sets are what matter
    out = dict(content)
    for key in ("bin", "man"):
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = dict(sorted(value.items()))
        elif isinstance(value, list):
            out[key] = sorted(value, key=str)
    return out


@pytest.mark.parametrize("steps_name", ["normalize", "prepare"])
def test_normalize_matches_npm_package_json(tmp_path: Path, steps_name: str) -> None:
    steps = list(NORMALIZE_STEPS if steps_name == "normalize" else PREPARE_STEPS)
    expected = node_json(NORMALIZE_SCRIPT, [[c, f, steps] for c, f in NORMALIZE_CASES])
    assert isinstance(expected, list)
    failures = []
    for i, ((content, files), want) in enumerate(zip(NORMALIZE_CASES, expected, strict=True)):
        folder = tmp_path / str(i)
        for name, text in {"package.json": json.dumps(content), **files}.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(text.encode())
        changes: list[str] = []
        got = normalize(read_package_json(folder).content, steps=steps, path=folder, changes=changes)
        same_order = json.dumps(got) == json.dumps(want["content"])
        if (
            _sorted_bins(got) != _sorted_bins(want["content"])
            or not same_order
            and "bin" not in got
            and "man" not in got
        ):
            failures.append(f"case {i} content: {got} != {want['content']}")
        if sorted(changes) != sorted(want["changes"]):
            failures.append(f"case {i} changes: {changes} != {want['changes']}")
    print(f"{steps_name}: {len(NORMALIZE_CASES) * 2 - len(failures)}/{len(NORMALIZE_CASES) * 2} equal")
    assert not failures


BIN_CASES: list[list[JsonValue]] = [
    ["./cli.js", "a"],
    ["./cli.js", None],
    [["./a.js", "b/c.js"], "x"],
    [{"../x": "../../etc/p", "ok": "./ok.js", "bad": 1, "c:d": "e\\f:g", "": "z", "e": ""}, "x"],
    [{"a/": "b/", "\\\\w": "\\\\srv\\x"}, "x"],
    [True, "x"],
]

BIN_SCRIPT = """
const normalize = require(NPM + '/node_modules/npm-normalize-package-bin')
console.log(JSON.stringify(input.map(([bin, name]) => normalize({ name: name ?? undefined, bin }).bin ?? {})))
"""


def test_bin_links_normalisation_matches_npm() -> None:
    expected = node_json(BIN_SCRIPT, BIN_CASES)
    got = [normalize_bin_for_links(b, n if isinstance(n, str) else None) for b, n in BIN_CASES]
    assert got == expected


SAVE_CASES = [
    ("plain", '{\n  "name": "p",\n  "version": "1.0.0"\n}\n', []),
    ("tabs-crlf-unsorted", '{\r\n\t"name": "p",\r\n\t"dependencies": {\r\n\t\t"z": "file:z",\r\n\t\t"b": "file:b"\r\n\t}\r\n}\r\n', []),
    ("one-line", '{"name":"p","devDependencies":{"z":"file:z"}}', ["--save-dev"]),
    ("move-dev-to-prod", '{\n    "name": "p",\n    "devDependencies": {\n        "dep": "file:dep",\n        "z": "file:z"\n    },\n    "x": 1\n}', ["--save-prod"]),
    ("optional", '{\n  "name": "p",\n  "dependencies": {"b": "file:b"}\n}\n', ["--save-optional"]),
    ("bundle", '{\n  "name": "p",\n  "bundleDependencies": ["z"],\n  "dependencies": {"z": "file:z"}\n}\n', ["--save-bundle"]),
    ("peer", '{\n  "name": "p",\n  "devDependencies": {"dep": "file:dep"}\n}\n', ["--save-peer"]),
]  # fmt: skip

_FLAG_TYPES = {
    "--save-dev": "dev",
    "--save-prod": "prod",
    "--save-optional": "optional",
    "--save-peer": "peer",
}


@pytest.mark.parametrize(("name", "text", "flags"), SAVE_CASES, ids=[c[0] for c in SAVE_CASES])
def test_install_save_writes_package_json_like_npm(
    npm: Npm, tmp_path: Path, name: str, text: str, flags: list[str]
) -> None:
    project = tmp_path / name
    for dep in ("dep", "z", "b"):
        write_json(project / dep / "package.json", {"name": dep, "version": "1.0.0"})
    (project / "package.json").write_bytes(text.encode())
    original = read_package_json(project)
    npm.lock_only(project, *flags, "file:dep")
    theirs = (project / "package.json").read_bytes().decode()

    # what npm does: normalise the root, add the dependency, then update + save the file
    (project / "package.json").write_bytes(text.encode())
    content = normalize(original.content, path=project)
    save_type = next((_FLAG_TYPES[f] for f in flags if f in _FLAG_TYPES), None)
    pkg, _warnings = add_dependencies(
        content, [("dep", "file:dep")], save_type=save_type, save_bundle="--save-bundle" in flags
    )
    changes: dict[str, JsonValue | Undefined] = {
        group: pkg.get(group) or {}
        for group in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
    }
    changes["bundleDependencies"] = pkg.get("bundleDependencies", UNDEFINED)
    save_package_json(update_package_json(read_package_json(project), changes))
    assert (project / "package.json").read_bytes().decode() == theirs


ADD_RM_CASES: list[list[JsonValue]] = [
    [{"devDependencies": {"x": "1", "y": "1"}, "peerDependencies": {"x": "1"}, "peerDependenciesMeta": {"x": {}}}, [["x", "^2"]], "prod", False, []],
    [{"dependencies": {"b": "1"}}, [["o", "1"]], "optional", False, []],
    [{"devDependencies": {"p": "1"}}, [["p", "^2"], ["q", "1"]], "peerOptional", False, []],
    [{"peerDependencies": {"p": "1"}, "peerDependenciesMeta": {"p": {"optional": True}}}, [["p", "^3"]], None, False, []],
    [{"peerDependencies": {"p": "1"}, "peerDependenciesMeta": {"p": {"optional": True}}}, [["p", "^3"]], "peer", False, []],
    [{"bundleDependencies": ["z", "b"], "optionalDependencies": {"a": "1"}}, [["a", "*"], ["A", "1"]], None, True, []],
    [{"dependencies": {"a": "^1", "b": "1"}, "devDependencies": {"a": "1"}}, [["a", "*"]], "dev", False, ["b"]],
    [{"dependencies": {"a": "1"}, "bundleDependencies": ["a"], "peerDependencies": {"a": "1"}}, [], None, False, ["a"]],
]  # fmt: skip

ADD_RM_SCRIPT = """
const { add, rm } = require(NPM + '/node_modules/@npmcli/arborist/lib/add-rm-pkg-deps.js')
const { log } = require(NPM + '/node_modules/proc-log')
const out = []
for (const [pkg, adds, saveType, saveBundle, rms] of input) {
  const warnings = []
  const onLog = (level, ...args) => { if (level === 'warn') warnings.push(args.slice(1).join(' ')) }
  process.on('log', onLog)
  add({ pkg, add: adds.map(([name, rawSpec]) => ({ name, rawSpec })), saveType, saveBundle })
  rm(pkg, rms)
  process.off('log', onLog)
  out.push([pkg, warnings])
}
console.log(JSON.stringify(out))
"""


def test_add_and_remove_dependencies_match_arborist() -> None:
    expected = node_json(ADD_RM_SCRIPT, ADD_RM_CASES)
    assert isinstance(expected, list)
    failures = []
    for i, (case, want) in enumerate(zip(ADD_RM_CASES, expected, strict=True)):
        pkg, adds, save_type, bundle, removes = case
        assert isinstance(pkg, dict) and isinstance(adds, list) and isinstance(removes, list)
        got, warnings = add_dependencies(
            pkg,
            [(str(a[0]), str(a[1])) for a in adds if isinstance(a, list)],
            save_type=save_type if isinstance(save_type, str) else None,
            save_bundle=bool(bundle),
        )
        got = remove_dependencies(got, [str(r) for r in removes])
        if json.dumps([got, warnings]) != json.dumps(want):
            failures.append(f"case {i}: {[got, warnings]} != {want}")
    print(f"add-rm-pkg-deps: {len(ADD_RM_CASES) - len(failures)}/{len(ADD_RM_CASES)} equal")
    assert not failures

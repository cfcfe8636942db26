"""snpm.manifest.packlist, ignore_glob and collation against npm-packlist 10 / ignore-walk 8 / minimatch 10.

Every expected value here was produced by npm 11.19.1 itself: the packlist cases by `npm pack`
(the archive order of the tarball it wrote), the glob table by minimatch with ignore-walk's
options (matchBase, dot, flipNegate, nocase), the brace table by brace-expansion, the collation
orders by node's Intl.Collator. tests/e2e/test_pack_differential.py re-runs npm live.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snpm.json_types import JsonObject
from snpm.manifest.ignore_glob import Glob, brace_expand
from snpm.manifest.packlist import normalize_bins, normalize_bundle_dependencies, packlist

PACKLIST_CASES: dict[str, tuple[dict[str, str], JsonObject, list[str]]] = {
    "defaults": (
        {
            "index.js": "",
            ".DS_Store": "",
            "npm-debug.log": "",
            "x.orig": "",
            ".npmrc": "",
            "package-lock.json": "",
            "yarn.lock": "",
            ".git/HEAD": "",
            "CVS/x": "",
            "._x": "",
            ".a.swp": "",
            "build/config.gypi": "",
            "build/b.js": "",
            "node_modules/x/index.js": "",
            "sub/.npmrc": "",
            "sub/package-lock.json": "",
            ".eslintrc": "",
            ".github/ci.yml": "",
        },
        {},
        [".eslintrc", "build/b.js", "index.js", "sub/package-lock.json", "package.json", ".github/ci.yml"],
    ),
    "files_with_globs": (
        {
            "lib/a.js": "",
            "lib/test/t.js": "",
            "bin/x.js": "",
            "bin/x.sh": "",
            "docs/a.md": "",
            "docs/b/c.md": "",
            "main.js": "",
            "README.md": "",
            "LICENSE": "",
            "CHANGELOG.md": "",
            "other.js": "",
        },
        {"main": "main.js", "files": ["lib/", "bin/*.js", "!lib/test/**", "docs/*.md"]},
        ["LICENSE", "lib/a.js", "main.js", "bin/x.js", "package.json", "docs/a.md", "README.md"],
    ),
    "files_with_dot_slash_and_leading_slash": (
        {"lib/a.js": "", "lib/b/c.js": "", "x.js": "", "y.js": ""},
        {"files": ["./lib/*", "/x.js"]},
        ["lib/a.js", "lib/b/c.js", "x.js", "package.json"],
    ),
    "npmignore_over_gitignore": (
        {
            ".npmignore": "*.log\n!keep.log\n/only-root.txt\ntest/\n",
            ".gitignore": "index.js\n",
            "index.js": "",
            "a.log": "",
            "keep.log": "",
            "only-root.txt": "",
            "sub/only-root.txt": "",
            "test/t.js": "",
            "lib/test/u.js": "",
        },
        {},
        ["index.js", "package.json", "keep.log", "sub/only-root.txt"],
    ),
    "gitignore_fallback_and_nested": (
        {
            ".gitignore": "coverage\n/local.js\n",
            "index.js": "",
            "local.js": "",
            "lib/local.js": "",
            "coverage/x": "",
            "sub/.gitignore": "secret.js\n",
            "sub/secret.js": "",
            "sub/ok.js": "",
            "o/.npmignore": "*.md\n",
            "o/.gitignore": "*.js\n",
            "o/a.js": "",
            "o/b.md": "",
        },
        {},
        ["o/a.js", "index.js", "lib/local.js", "sub/ok.js", "package.json"],
    ),
    "empty_npmignore_disables_gitignore": (
        {".npmignore": "", ".gitignore": "*.js\n", "index.js": ""},
        {},
        ["index.js", "package.json"],
    ),
    "nested_npmignore_under_files": (
        {"lib/a.js": "", "lib/secret.js": "", "lib/.npmignore": "secret.js\n", ".npmignore": "lib/a.js\n"},
        {"files": ["lib"]},
        ["lib/a.js", "package.json"],
    ),
    "always_included": (
        {
            "index.js": "",
            "README": "",
            "readme.markdown": "",
            "Readme.txt~": "",
            "LICENCE.txt": "",
            "COPYING": "",
            "docs/README.md": "",
            "CHANGELOG.md": "",
            "cli.js": "",
            "lib/main.js": "",
            "browser.js": "",
        },
        {"files": ["index.js"], "bin": {"c": "./cli.js"}, "main": "lib/main.js", "browser": "browser.js"},
        [
            "COPYING",
            "README",
            "browser.js",
            "cli.js",
            "index.js",
            "lib/main.js",
            "package.json",
            "readme.markdown",
            "LICENCE.txt",
        ],
    ),
    "empty_files_array": (
        {"index.js": "", "README.md": "", "LICENSE.md": ""},
        {"files": []},
        ["package.json", "LICENSE.md", "README.md"],
    ),
    "sort_order": (
        {
            "b.js": "",
            "a.JS": "",
            "Z.js": "",
            "10.js": "",
            "9.js": "",
            "a b.js": "",
            "a-b.js": "",
            "a_b.js": "",
            "noext": "",
            "Makefile": "",
            "x.d.ts": "",
            "lib/a.js": "",
            "@types.d.ts": "",
            "\u00e9.md": "",
            "e.md": "",
        },
        {},
        [
            "Makefile",
            "noext",
            "10.js",
            "9.js",
            "a b.js",
            "a_b.js",
            "a-b.js",
            "a.JS",
            "lib/a.js",
            "b.js",
            "Z.js",
            "package.json",
            "e.md",
            "é.md",
            "@types.d.ts",
            "x.d.ts",
        ],
    ),
    "bundled": (
        {
            "index.js": "",
            "node_modules/a/package.json": '{"name": "a", "version": "1.0.0", "dependencies": {"b": "1"}}',
            "node_modules/a/index.js": "",
            "node_modules/a/.DS_Store": "",
            "node_modules/a/node_modules/ignored/x.js": "",
            "node_modules/b/package.json": '{"name": "b", "version": "1.0.0", "files": ["lib"]}',
            "node_modules/b/lib/b.js": "",
            "node_modules/b/other.js": "",
            "node_modules/dev/package.json": '{"name": "dev", "version": "1.0.0"}',
            "node_modules/dev/i.js": "",
        },
        {
            "dependencies": {"a": "1"},
            "devDependencies": {"dev": "1"},
            "bundleDependencies": ["a", "dev", "missing"],
        },
        [
            "node_modules/a/.DS_Store",
            "node_modules/b/lib/b.js",
            "index.js",
            "node_modules/a/index.js",
            "node_modules/a/package.json",
            "node_modules/b/package.json",
            "package.json",
        ],
    ),
    "bundle_dependencies_true": (
        {
            "index.js": "",
            "node_modules/a/package.json": '{"name": "a", "version": "1.0.0"}',
            "node_modules/a/index.js": "",
        },
        {"dependencies": {"a": "1"}, "bundledDependencies": True},
        ["index.js", "node_modules/a/index.js", "node_modules/a/package.json", "package.json"],
    ),
}


FILES = [
    "a.js",
    "A.JS",
    "lib",
    "lib/a.js",
    "lib/sub/c.js",
    "test",
    "x/test",
    "lib/sub",
    "docs/api.md",
    "docs/x/y.md",
    "src/x.mjs",
    "src/y.cjs",
    "x/deep/y",
    "deep",
    "b.js",
    "ab.js",
    "a.min.js",
    "a/b",
    "a/x/y/b",
    "a/b/c",
    "a/q/b/r/c",
    "index.js",
    "main.js",
    "Readme.md",
    "README",
    "readme~",
    "#x",
    "notes.txt",
    "x/y/z",
    "x/y/q/z",
    ".hidden",
    "lib/.hidden",
    "1.json",
    "4.json",
    "abdf",
    "acef",
    ".eslintrc",
    "ab.c",
    "é.js",
]
# pattern, negate, globParts, match() per FILES, match(partial=True) per FILES
GLOB_CASES: list[tuple[str, bool, list[list[str]], str, str]] = [
    (
        "*.js",
        False,
        [["*.js"]],
        "110110000000001110000110000000000000001",
        "110110000000001110000110000000000000001",
    ),
    (
        "lib/",
        False,
        [["lib", ""]],
        "000000000000000000000000000000000000000",
        "001000000000000000000000000000000000000",
    ),
    (
        "/lib",
        False,
        [["", "lib"]],
        "000000000000000000000000000000000000000",
        "000000000000000000000000000000000000000",
    ),
    (
        "lib/**",
        False,
        [["lib", "**"]],
        "000110010000000000000000000000010000000",
        "001110010000000000000000000000010000000",
    ),
    (
        "**/test",
        False,
        [["**", "test"]],
        "000001100000000000000000000000000000000",
        "111111111111111111111111111111111111111",
    ),
    (
        "!lib/sub",
        True,
        [["lib", "sub"]],
        "000000010000000000000000000000000000000",
        "001000010000000000000000000000000000000",
    ),
    (
        "*.md",
        False,
        [["*.md"]],
        "000000001100000000000001000000000000000",
        "000000001100000000000001000000000000000",
    ),
    (
        "docs/*",
        False,
        [["docs", "*"]],
        "000000001000000000000000000000000000000",
        "000000001000000000000000000000000000000",
    ),
    (
        "src/*.{mjs,cjs}",
        False,
        [["src", "*.mjs"], ["src", "*.cjs"]],
        "000000000011000000000000000000000000000",
        "000000000011000000000000000000000000000",
    ),
    (
        "**/deep/**",
        False,
        [["**", "deep", "**"]],
        "000000000000100000000000000000000000000",
        "111111111111111111111111111111111111111",
    ),
    (
        "?.js",
        False,
        [["?.js"]],
        "110110000000001000000000000000000000001",
        "110110000000001000000000000000000000001",
    ),
    (
        "[ab].*",
        False,
        [["[ab].*"]],
        "110100000000001010000000000000000000000",
        "110100000000001010000000000000000000000",
    ),
    (
        "*.min.*",
        False,
        [["*.min.*"]],
        "000000000000000010000000000000000000000",
        "000000000000000010000000000000000000000",
    ),
    (
        "**",
        False,
        [["**"]],
        "111111111111111111111111111111111111111",
        "111111111111111111111111111111111111111",
    ),
    (
        "*",
        False,
        [["*"]],
        "111111111111111111111111111111111111111",
        "111111111111111111111111111111111111111",
    ),
    (
        "a/**/b",
        False,
        [["a", "**", "b"]],
        "000000000000000001100000000000000000000",
        "000000000000000001111000000000000000000",
    ),
    (
        "a/**/b/**/c",
        False,
        [["a", "**", "b", "**", "c"]],
        "000000000000000000011000000000000000000",
        "000000000000000001111000000000000000000",
    ),
    (
        "+(a|b).js",
        False,
        [["+(a|b).js"]],
        "110100000000001100000000000000000000000",
        "110100000000001100000000000000000000000",
    ),
    (
        "@(lib|src)",
        False,
        [["@(lib|src)"]],
        "001000000000000000000000000000000000000",
        "001000000000000000000000000000000000000",
    ),
    (
        "!(index).js",
        True,
        [["(index).js"]],
        "000000000000000000000000000000000000000",
        "000000000000000000000000000000000000000",
    ),
    (
        "**/[A-Z]*",
        False,
        [["**", "[A-Z]*"]],
        "111111111111111111111111110111000011010",
        "111111111111111111111111111111111111111",
    ),
    (
        "\\#x",
        False,
        [["\\#x"]],
        "000000000000000000000000001000000000000",
        "000000000000000000000000001000000000000",
    ),
    (
        "readme{,.*[^~$]}",
        False,
        [["readme"], ["readme.*[^~$]"]],
        "000000000000000000000001100000000000000",
        "000000000000000000000001100000000000000",
    ),
    (
        "*.TXT",
        False,
        [["*.TXT"]],
        "000000000000000000000000000100000000000",
        "000000000000000000000000000100000000000",
    ),
    (
        "x/*/z",
        False,
        [["x", "*", "z"]],
        "000000000000000000000000000010000000000",
        "000000100000000000000000000010000000000",
    ),
    (
        "**/.hidden",
        False,
        [["**", ".hidden"]],
        "000000000000000000000000000000110000000",
        "111111111111111111111111111111111111111",
    ),
    (
        "[[:alpha:]]*.js",
        False,
        [["[[:alpha:]]*.js"]],
        "110110000000001110000110000000000000001",
        "110110000000001110000110000000000000001",
    ),
    (
        "{1..3}.json",
        False,
        [["1.json"], ["2.json"], ["3.json"]],
        "000000000000000000000000000000001000000",
        "000000000000000000000000000000001000000",
    ),
    (
        "a{b,c{d,e}}f",
        False,
        [["abf"], ["acdf"], ["acef"]],
        "000000000000000000000000000000000001000",
        "000000000000000000000000000000000001000",
    ),
    (
        ".*",
        False,
        [[".*"]],
        "000000000000000000000000000000110000100",
        "000000000000000000000000000000110000100",
    ),
    (
        "*.*",
        False,
        [["*.*"]],
        "110110001111001110000111000100111100111",
        "110110001111001110000111000100111100111",
    ),
]
BRACE_CASES: dict[str, list[str]] = {
    "a{b,c}d": ["abd", "acd"],
    "{a,b}{c,d}": ["ac", "ad", "bc", "bd"],
    "x{1..4}y": ["x1y", "x2y", "x3y", "x4y"],
    "{a..c}": ["a", "b", "c"],
    "{01..10..3}": ["01", "04", "07", "10"],
    "a{,b}": ["a", "ab"],
    "{}a": ["{}a"],
    "a{b}c": ["a{b}c"],
    "a\\{b,c}": ["a{b,c}"],
    "{x,y{1,2}}": ["x", "y1", "y2"],
    "$${a,b}": ["$${a,b}"],
    "{a,{b,c}}d": ["ad", "bd", "cd"],
    "z{-2..2}": ["z-2", "z-1", "z0", "z1", "z2"],
    "a{b,c": ["a{b,c"],
}


def _write_tree(root: Path, files: dict[str, str], manifest: JsonObject) -> None:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    (root / "package.json").write_text(json.dumps({"name": "case", "version": "1.0.0", **manifest}))


@pytest.mark.parametrize("case", sorted(PACKLIST_CASES))
def test_packlist_matches_npm(case: str, tmp_path: Path) -> None:
    files, manifest, expected = PACKLIST_CASES[case]
    _write_tree(tmp_path, files, manifest)
    assert [p.removeprefix("./") for p in packlist(tmp_path)] == expected


def test_names_starting_with_at_get_dot_slash(tmp_path: Path) -> None:
    _write_tree(tmp_path, {"@types.d.ts": ""}, {})
    assert packlist(tmp_path) == ["package.json", "./@types.d.ts"]


def test_symlinks_and_star_names_are_skipped(tmp_path: Path) -> None:
    _write_tree(tmp_path, {"index.js": "", "lib/a.js": ""}, {})
    (tmp_path / "link.js").symlink_to("index.js")
    (tmp_path / "linkdir").symlink_to("lib")
    (tmp_path / "star*.js").write_text("")
    assert packlist(tmp_path) == ["lib/a.js", "index.js", "package.json"]


def test_gitignore_fallback_warning(tmp_path: Path) -> None:
    _write_tree(tmp_path, {".gitignore": "x.js\n", "x.js": "", "y.js": ""}, {})
    warnings: list[str] = []
    assert packlist(tmp_path, warnings=warnings) == ["y.js", "package.json"]
    assert warnings and warnings[0].startswith("gitignore-fallback")


def test_workspace_pack_reads_ignore_files_above_it(tmp_path: Path) -> None:
    _write_tree(
        tmp_path, {".npmignore": "*.log\n", "packages/.gitignore": "*.tmp\n"}, {"workspaces": ["packages/*"]}
    )
    ws = tmp_path / "packages" / "a"
    _write_tree(ws, {"index.js": "", "debug.log": "", "x.tmp": ""}, {})
    assert packlist(ws, prefix=tmp_path, workspaces=[ws]) == ["index.js", "package.json"]
    assert packlist(ws) == ["index.js", "package.json", "debug.log", "x.tmp"]


@pytest.mark.parametrize(("pattern", "negate", "glob_parts", "hits", "partial_hits"), GLOB_CASES)
def test_glob_matches_minimatch(
    pattern: str, negate: bool, glob_parts: list[list[str]], hits: str, partial_hits: str
) -> None:
    rule = Glob(pattern)
    assert rule.negate == negate
    assert rule.glob_parts == glob_parts
    assert "".join("1" if rule.match(f) else "0" for f in FILES) == hits
    assert "".join("1" if rule.match(f, True) else "0" for f in FILES) == partial_hits


@pytest.mark.parametrize("pattern", sorted(BRACE_CASES))
def test_brace_expansion(pattern: str) -> None:
    assert brace_expand(pattern) == BRACE_CASES[pattern]


# Intl.Collator('en') orders, from node 20.
def test_normalize_bins(tmp_path: Path) -> None:
    assert normalize_bins({"name": "@s/tool", "bin": "./bin/cli.js"}) == {"tool": "bin/cli.js"}
    assert normalize_bins({"bin": {"a": "../../x.js", "../b": "b.js", "c": 3}}) == {"a": "x.js", "b": "b.js"}
    assert normalize_bins({"bin": ["bin/one.js", "two.js"]}) == {"one.js": "bin/one.js", "two.js": "two.js"}
    (tmp_path / "scripts" / "sub").mkdir(parents=True)
    (tmp_path / "scripts" / "run").write_text("")
    (tmp_path / "scripts" / "sub" / "x").write_text("")
    (tmp_path / "scripts" / ".hidden").write_text("")
    found = normalize_bins({"directories": {"bin": "./scripts"}}, tmp_path)
    assert found == {"run": "scripts/run", "sub": "scripts/sub", "x": "scripts/sub/x"}


def test_normalize_bundle_dependencies() -> None:
    assert normalize_bundle_dependencies(
        {"bundleDependencies": True, "dependencies": {"a": "1", "b": "2"}}
    ) == ["a", "b"]
    assert normalize_bundle_dependencies({"bundledDependencies": ["x"]}) == ["x"]
    assert normalize_bundle_dependencies({"bundleDependencies": {"y": "1"}}) == ["y"]
    assert normalize_bundle_dependencies({"bundleDependencies": False}) == []

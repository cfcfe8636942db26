"""snpm.ops.inspect.ls over a hand-made tree: the texts npm 11.19.1 prints for the same layout."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from snpm.ops.inspect.chalk import Chalk
from snpm.ops.inspect.ls import LsOptions, list_tree
from support.inspect_projects import load, make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "u1")


def test_all_human(project: Path) -> None:
    result = list_tree(load(project), LsOptions(all=True), path=str(project))
    assert result.text == (
        f"root@1.0.0 {project}\n"
        "├─┬ a@1.0.0\n"
        "│ ├── b@1.0.0\n"
        "│ └─┬ c@2.0.0\n"
        "│   └── b@1.0.0 deduped\n"
        '├─┬ d@2.0.0 invalid: "^1.0.0" from the root project\n'
        "│ └── b@1.0.0 deduped\n"
        "├── UNMET DEPENDENCY m@^1.0.0\n"
        "├── UNMET OPTIONAL DEPENDENCY o@^1.0.0\n"
        "└── x@1.0.0 extraneous\n"
    )
    assert result.problems == (
        f"invalid: d@2.0.0 {project}/node_modules/d",
        "missing: m@^1.0.0, required by root@1.0.0",
        f"extraneous: x@1.0.0 {project}/node_modules/x",
        # b is seen below a too: its problems are none, nothing more is added
    )
    err = result.problems_error()
    assert err is not None and err.code == "ELSPROBLEMS"


def test_ascii_and_depth_zero(project: Path) -> None:
    result = list_tree(load(project), LsOptions(unicode=False), path=str(project))
    assert result.text == (
        f"root@1.0.0 {project}\n"
        "+-- a@1.0.0\n"
        '+-- d@2.0.0 invalid: "^1.0.0" from the root project\n'
        "+-- UNMET DEPENDENCY m@^1.0.0\n"
        "+-- UNMET OPTIONAL DEPENDENCY o@^1.0.0\n"
        "`-- x@1.0.0 extraneous\n"
    )


def test_json(project: Path) -> None:
    result = list_tree(load(project), LsOptions(json=True), path=str(project))
    assert result.json == {
        "version": "1.0.0",
        "name": "root",
        "problems": [
            f"invalid: d@2.0.0 {project}/node_modules/d",
            "missing: m@^1.0.0, required by root@1.0.0",
            f"extraneous: x@1.0.0 {project}/node_modules/x",
        ],
        "dependencies": {
            "a": {"version": "1.0.0", "overridden": False},
            "d": {
                "version": "2.0.0",
                "overridden": False,
                "invalid": '"^1.0.0" from the root project',
                "problems": [f"invalid: d@2.0.0 {project}/node_modules/d"],
            },
            "m": {
                "required": "^1.0.0",
                "missing": True,
                "problems": ["missing: m@^1.0.0, required by root@1.0.0"],
            },
            "o": {},
            "x": {
                "version": "1.0.0",
                "overridden": False,
                "extraneous": True,
                "problems": [f"extraneous: x@1.0.0 {project}/node_modules/x"],
            },
        },
    }


def test_parseable_long(project: Path) -> None:
    result = list_tree(load(project), LsOptions(all=True, parseable=True, long=True), path=str(project))
    assert result.text == "\n".join(
        [
            f"{project}:root@1.0.0",
            f"{project}/node_modules/a:a@1.0.0",
            f"{project}/node_modules/d:d@2.0.0:INVALID",
            f"{project}/node_modules/x:x@1.0.0:EXTRANEOUS",
            f"{project}/node_modules/b:b@1.0.0",
            f"{project}/node_modules/a/node_modules/c:c@2.0.0",
        ]
    )


def test_filter_by_args_highlights_and_keeps_ancestors(project: Path) -> None:
    result = list_tree(load(project), LsOptions(args=("c",)), path=str(project))
    assert result.text == f"root@1.0.0 {project}\n└─┬ a@1.0.0\n  └── c@2.0.0\n"
    assert not result.no_match
    nothing = list_tree(load(project), LsOptions(args=("nope",)), path=str(project))
    assert nothing.text == f"root@1.0.0 {project}\n└── (empty)\n"
    assert nothing.no_match


def test_colours(project: Path) -> None:
    result = list_tree(load(project), LsOptions(args=("c",)), path=str(project), chalk=Chalk(True))
    assert result.text is not None
    lines = result.text.split("\n")
    # chalk.reset wraps every line; the matched package is yellow
    assert lines[0].startswith("\x1b[0mroot@1.0.0")
    assert "\x1b[33mc@2.0.0\x1b[39m" in lines[2]


def test_omit_and_depth(project: Path) -> None:
    omitted = list_tree(load(project), LsOptions(omit=("dev",)), path=str(project))
    assert omitted.text is not None and "d@2.0.0" not in omitted.text
    deep = list_tree(load(project), LsOptions(depth=math.inf), path=str(project))
    assert deep.text is not None and "c@2.0.0" in deep.text


def test_long_crashes_on_a_missing_dependency_like_npm(project: Path) -> None:
    with pytest.raises(Exception, match=r"reading 'description'"):
        list_tree(load(project), LsOptions(long=True), path=str(project))


def test_empty_folder(tmp_path: Path) -> None:
    result = list_tree(load(tmp_path), LsOptions(), path=str(tmp_path))
    assert result.text == f"{tmp_path}\n└── (empty)\n"
    assert list_tree(load(tmp_path), LsOptions(json=True), path=str(tmp_path)).json == {}

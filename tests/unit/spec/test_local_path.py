"""snpm.spec.local_path: node's path.posix resolve/relative (expected values from node 20) and npa's
pathToFileURL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from snpm.spec.local_path import path_to_file_url, relative, resolve


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (("/a", "b"), "/a/b"),
        (("/a", "/b"), "/b"),
        (("//a",), "/a"),
        (("/a/../..",), "/"),
        (("/project", "../x"), "/x"),
        (("/project", "/x/./y/"), "/x/y"),
        (("/project", "~"), "/project/~"),
        (("/", ""), "/"),
    ],
)
def test_resolve(paths: tuple[str, ...], expected: str) -> None:
    assert resolve(*paths) == expected


def test_resolve_falls_back_to_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve("x") == os.path.join(os.getcwd(), "x")


@pytest.mark.parametrize(
    ("from_path", "to_path", "expected"),
    [
        ("/project", "/project", ""),
        ("/project", "/project/", ""),
        ("/project", "/project/a/b", "a/b"),
        ("/project", "/", ".."),
        ("/", "/a", "a"),
        ("/a/b/c", "/a/b", ".."),
        ("/a/bc", "/a/b", "../b"),
        ("/a/b", "/a/bc/d", "../bc/d"),
        ("/project", "/other/x", "../other/x"),
        ("/a/b/", "/a/b/c", "c"),
    ],
)
def test_relative(from_path: str, to_path: str, expected: str) -> None:
    assert relative(from_path, to_path) == expected


def test_path_to_file_url_escapes_like_npa() -> None:
    assert path_to_file_url("./a b#c%d?e~f\\g") == "file:./a%20b%23c%25d%3Fe%7Ef%5Cg"
    assert path_to_file_url("file:x y") == "file:x%20y"

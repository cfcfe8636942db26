"""snpx's argv rewriting (npm's bin/npx-cli.js)."""

from __future__ import annotations

import pytest

from snpm.cli.npx import npx_argv


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["cowsay", "hi"], ["exec", "--", "cowsay", "hi"]),
        (["-p", "cowsay", "cowsay", "-l"], ["exec", "--package", "cowsay", "--", "cowsay", "-l"]),
        (["--shell=bash", "x"], ["exec", "--script-shell=bash", "--", "x"]),
        (["--no-install", "x"], ["exec", "--yes=false", "--", "x"]),
        (["-y", "x", "--flag"], ["exec", "--yes", "--", "x", "--flag"]),
        (
            ["--registry", "http://127.0.0.1:9/", "x"],
            ["exec", "--registry", "http://127.0.0.1:9/", "--", "x"],
        ),
        (["-q", "x"], ["exec", "--loglevel", "warn", "--", "x"]),
        (["--", "x", "-y"], ["exec", "--", "x", "-y"]),
        (["-c", "echo hi"], ["exec", "--call", "echo hi"]),
    ],
)
def test_npx_argv(argv: list[str], expected: list[str]) -> None:
    assert npx_argv(argv) == expected


def test_removed_flags_are_dropped_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert npx_argv(["--npm", "/x/npm", "--always-spawn", "x"]) == ["exec", "--", "x"]
    err = capsys.readouterr().err
    assert "npx: the --npm argument has been removed." in err
    assert "See `npm help exec` for more information" in err

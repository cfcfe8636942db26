"""The inspection commands are registered under npm's names and aliases, with npm's usage lines."""

from __future__ import annotations

import pytest

from snpm.cli.command_table import deref, load_command


@pytest.mark.parametrize(
    ("typed", "name", "usage"),
    [
        ("ls", "ls", ("<package-spec>",)),
        ("list", "ls", ("<package-spec>",)),
        ("ll", "ll", ("[[<@scope>/]<pkg> ...]",)),
        ("la", "ll", ("[[<@scope>/]<pkg> ...]",)),
        ("outdated", "outdated", ("[<package-spec> ...]",)),
        ("explain", "explain", ("<package-spec>",)),
        ("why", "explain", ("<package-spec>",)),
        ("fund", "fund", ("[<package-spec>]",)),
        ("query", "query", ("<selector>",)),
        ("find-dupes", "find-dupes", ("",)),
    ],
)
def test_commands_resolve(typed: str, name: str, usage: tuple[str, ...]) -> None:
    canonical = deref(typed)
    assert canonical == name
    command = load_command(name)
    assert command.name == name
    assert command.usage == usage
    assert command.workspaces is True
    assert command.ignore_implicit_workspace is False


def test_params_follow_npm() -> None:
    assert load_command("ls").params == (
        "all",
        "json",
        "long",
        "parseable",
        "global",
        "depth",
        "omit",
        "include",
        "link",
        "package-lock-only",
        "unicode",
        "workspace",
        "workspaces",
        "include-workspace-root",
        "install-links",
    )
    assert load_command("fund").params == ("json", "browser", "unicode", "workspace", "which")
    assert load_command("explain").params == ("json", "workspace")

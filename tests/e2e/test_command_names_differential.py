"""Command-name resolution and suggestions compared with npm's own cmd-list.js and did-you-mean.js."""

from __future__ import annotations

import pytest

from snpm.cli.command_table import ALIASES, COMMANDS, deref, did_you_mean
from support.node import node_json

pytestmark = pytest.mark.e2e


def _inputs() -> list[str]:
    words = sorted({*COMMANDS, *ALIASES})
    typed = {w[:n] for w in words for n in range(1, len(w) + 1)}
    typed |= {"installTest", "installCiTest", "findDupes", "zzz", "instll", "pubish", "confg", "lnk", "X"}
    return sorted(typed)


def test_deref_matches_npm_for_every_prefix_of_every_name() -> None:
    typed = _inputs()
    expected = node_json(
        "const {deref} = require(NPM + '/lib/utils/cmd-list.js');"
        "console.log(JSON.stringify(input.map(c => deref(c) ?? null)))",
        typed,
    )
    assert isinstance(expected, list)
    mismatches = [(t, deref(t), e) for t, e in zip(typed, expected, strict=True) if deref(t) != e]
    assert not mismatches, mismatches[:20]
    print(f"deref: {len(typed)} names compared")


def test_npm_command_list_is_ours() -> None:
    expected = node_json(
        "const {commands, aliases} = require(NPM + '/lib/utils/cmd-list.js');"
        "console.log(JSON.stringify({commands, aliases}))",
        None,
    )
    assert expected == {"commands": list(COMMANDS), "aliases": ALIASES}


@pytest.mark.parametrize("typed", ["instll", "bild", "pubish", "confg", "instal", "tset", "lnik", "whoam"])
def test_did_you_mean_matches_npm(typed: str) -> None:
    pkg = {"scripts": {"build": "x", "test": "y", "lint": "z"}, "bin": {"tool": "bin/tool.js"}}
    expected = node_json(
        "const dym = require(NPM + '/lib/utils/did-you-mean.js');"
        "console.log(JSON.stringify(dym(input.pkg, input.typed)))",
        {"pkg": pkg, "typed": typed},
    )
    assert did_you_mean(typed, pkg["scripts"], pkg["bin"]) == expected

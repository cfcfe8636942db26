"""explain, fund, outdated and query over the hand-made tree (texts as npm 11.19.1 prints them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.fetch.pick_manifest import PickOptions
from snpm.json_types import JsonObject
from snpm.ops.inspect.chalk import Chalk
from snpm.ops.inspect.explain import explain_nodes, find_nodes
from snpm.ops.inspect.fund import (
    funding_sources,
    human_tree,
    is_valid_funding,
    normalize_funding,
    read_tree,
)
from snpm.ops.inspect.outdated import (
    OutdatedOptions,
    find_outdated,
    is_release_age_excluded,
    outdated_json,
    outdated_parseable,
    outdated_table,
)
from snpm.ops.inspect.query import QueryCollector
from snpm.ops.query_engine import QueryContext, query_selector_all
from snpm.tree import Node
from support.inspect_projects import load, make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "u1")


@pytest.fixture
def tree(project: Path) -> Node:
    return load(project)


# ── explain ──


def test_explain_text(tree: Node, project: Path) -> None:
    result = explain_nodes(tree, ["b"], prefix=str(project), cwd=str(project), filter_set=None)
    assert result.text(Chalk(False)) == "\n".join(
        [
            "b@1.0.0",
            "node_modules/b",
            '  b@"^1.0.0" from a@1.0.0',
            "  node_modules/a",
            '    a@"^1.0.0" from the root project',
            '  b@"*" from d@2.0.0',
            "  node_modules/d",
            '    dev d@"^1.0.0" from the root project',
            '  b@"^1.0.0" from c@2.0.0',
            "  node_modules/a/node_modules/c",
            '    c@"^2.0.0" from a@1.0.0',
            "    node_modules/a",
            '      a@"^1.0.0" from the root project',
        ]
    )


def test_explain_json_flags_and_errors(tree: Node, project: Path) -> None:
    result = explain_nodes(
        tree, ["x", "node_modules/d"], prefix=str(project), cwd=str(project), filter_set=None
    )
    x, d = result.json()
    assert isinstance(x, dict) and x["extraneous"] is True and x["dependents"] == []
    assert isinstance(d, dict) and (d["dev"], d["optional"], d["bundled"]) == (True, False, False)
    with pytest.raises(SnpmError, match="No dependencies found matching nope, zz"):
        explain_nodes(tree, ["nope", "zz"], prefix=str(project), cwd=str(project), filter_set=None)


def test_find_nodes_by_location_path_and_range(tree: Node, project: Path) -> None:
    assert [
        n.location for n in find_nodes(tree, "node_modules/a/node_modules/c/", str(project), str(project))
    ] == ["node_modules/a/node_modules/c"]
    assert [n.location for n in find_nodes(tree, "./node_modules/x", str(project), str(project))] == [
        "node_modules/x"
    ]
    assert [n.location for n in find_nodes(tree, "d@2", str(project), str(project))] == ["node_modules/d"]
    assert find_nodes(tree, "d@latest", str(project), str(project)) == []


# ── fund ──


def test_fund_tree_and_text(tree: Node) -> None:
    info = read_tree(tree)
    assert info == {
        "length": 2,
        "name": "root",
        "version": "1.0.0",
        "dependencies": {
            "a": {
                "version": "1.0.0",
                "funding": {"url": "https://fund.test/a"},
                "dependencies": {
                    "b": {
                        "version": "1.0.0",
                        "funding": {"type": "opencollective", "url": "https://fund.test/b"},
                    }
                },
            }
        },
    }
    assert human_tree(info, Chalk(False), unicode=True) == (
        "root@1.0.0\n└─┬ https://fund.test/a\n  │ └── a@1.0.0\n  └── https://fund.test/b\n      └── b@1.0.0\n"
    )


def test_funding_values() -> None:
    assert normalize_funding("https://x.test") == {"url": "https://x.test"}
    assert normalize_funding(["https://x.test", {"url": "https://y.test"}]) == [
        {"url": "https://x.test"},
        {"url": "https://y.test"},
    ]
    assert is_valid_funding("https://x.test/a")
    assert not is_valid_funding("ftp://x.test/a")
    assert not is_valid_funding({"type": "x"})
    assert not is_valid_funding([["https://x.test"]])
    assert is_valid_funding("https:x.test")  # WHATWG: a special scheme without slashes
    sources = funding_sources([{"type": "github", "url": "https://g.test"}, "nope", "https://x.test"])
    assert [(s.url, s.message()) for s in sources] == [
        ("https://g.test", "github funding available at the following URL"),
        ("https://x.test", "Funding available at the following URL"),
    ]


# ── outdated ──


def _packument(name: str, versions: list[str], latest: str) -> JsonObject:
    return {
        "name": name,
        "dist-tags": {"latest": latest},
        "versions": {v: {"name": name, "version": v} for v in versions},
        "homepage": f"https://{name}.test",
    }


PACKUMENTS = {
    "a": _packument("a", ["1.0.0", "1.5.0", "2.0.0"], "2.0.0"),
    "b": _packument("b", ["1.0.0"], "1.0.0"),
    "d": _packument("d", ["1.0.0", "2.0.0"], "2.0.0"),
    "m": _packument("m", ["1.0.0"], "1.0.0"),
}


async def _fetch(name: str, _full: bool) -> JsonObject:
    if name not in PACKUMENTS:
        raise SnpmError("404 Not Found", code="E404")
    return PACKUMENTS[name]


def test_outdated_rows_and_renderings(tree: Node, project: Path) -> None:
    rows = asyncio.run(find_outdated(tree, OutdatedOptions(pick=PickOptions()), _fetch))
    assert [(r.name, r.current, r.wanted, r.latest, r.location, r.dependent) for r in rows] == [
        ("a", "1.0.0", "1.5.0", "2.0.0", "node_modules/a", "u1"),
        ("d", "2.0.0", "1.0.0", "2.0.0", "node_modules/d", "u1"),
        ("m", None, "1.0.0", "1.0.0", None, "u1"),
    ]
    assert outdated_table(rows, Chalk(False), long=False) == "\n".join(
        [
            "Package  Current  Wanted  Latest  Location        Depended by",
            "a          1.0.0   1.5.0   2.0.0  node_modules/a  u1",
            "d          2.0.0   1.0.0   2.0.0  node_modules/d  u1",
            "m        MISSING   1.0.0   1.0.0  -               u1",
        ]
    )
    assert outdated_parseable(rows, long=False).split("\n")[2] == ":m@1.0.0:MISSING:m@1.0.0:u1"
    assert outdated_json(rows, long=True)["m"] == {
        "wanted": "1.0.0",
        "latest": "1.0.0",
        "dependent": "u1",
        "type": "dependencies",
        "homepage": "https://m.test",
        "dependedByLocation": "",
    }
    assert outdated_table([], Chalk(False), long=False) is None


def test_outdated_colours_and_all(tree: Node) -> None:
    rows = asyncio.run(find_outdated(tree, OutdatedOptions(all=True, pick=PickOptions()), _fetch))
    assert {r.dependent for r in rows} == {"u1"}  # a's deps (b, c) are up to date or unknown
    table = outdated_table(rows, Chalk(True), long=False)
    assert table is not None
    assert table.startswith("\x1b[1m\x1b[4mPackage\x1b[24m\x1b[22m")
    assert "\x1b[31ma\x1b[39m" in table  # current != wanted: red


def test_release_age_exclusions() -> None:
    assert is_release_age_excluded("@org/pkg", ["@org/*"])
    assert is_release_age_excluded("x", ["x"])
    assert not is_release_age_excluded("x", ["!y"])
    assert not is_release_age_excluded("", ["*"])


# ── query ──


def _locations(nodes: list[Node]) -> list[str]:
    return [n.location for n in nodes]


@pytest.mark.parametrize(
    ("selector", "locations"),
    [
        (":root", [""]),
        ("#b", ["node_modules/b"]),
        (".dev", ["node_modules/b", "node_modules/d", "node_modules/x"]),
        (":root > *", ["node_modules/a", "node_modules/d"]),
        ("#a > *", ["node_modules/a/node_modules/c", "node_modules/b"]),
        ("#a #b", ["node_modules/b"]),
        ("#c ~ *", ["node_modules/b"]),
        (":extraneous", ["node_modules/x"]),
        (":invalid", ["node_modules/d"]),
        (":deduped", ["node_modules/b"]),
        (":empty", ["node_modules/b", "node_modules/x"]),
        ("[funding]", ["node_modules/a", "node_modules/b"]),
        (":attr(funding, [type=opencollective])", ["node_modules/b"]),
        (":semver(^2)", ["node_modules/a/node_modules/c", "node_modules/d"]),
        (":semver(1.0.0, [version], gt)", ["node_modules/a/node_modules/c", "node_modules/d"]),
        (":is(#a, #x)", ["node_modules/a", "node_modules/x"]),
        (":not(.prod)", ["node_modules/d", "node_modules/x"]),
        (":has(> #c)", ["node_modules/a"]),
        (
            ":type(range)",
            ["node_modules/a", "node_modules/d", "node_modules/a/node_modules/c", "node_modules/b"],
        ),
        (":path(node_modules/a/**)", ["node_modules/a/node_modules/c"]),
        ("", []),
    ],
)
def test_query_selectors(tree: Node, selector: str, locations: list[str]) -> None:
    assert sorted(_locations(asyncio.run(query_selector_all(tree, selector)))) == sorted(locations)


def test_query_errors(tree: Node) -> None:
    for selector, code in (
        (":foo", "EQUERYNOPSEUDO"),
        (".foo", "EQUERYNODEPTYPE"),
        ("a", "EQUERYNOSELECTOR"),
        (":semver(nope)", "EQUERYINVALIDSEMVER"),
        (":semver(1.0.0, [version], bogus)", "EQUERYINVALIDOPERATOR"),
    ):
        with pytest.raises(SnpmError) as info:
            asyncio.run(query_selector_all(tree, selector))
        assert info.value.code == code, selector


def test_query_items_and_missing(tree: Node, project: Path) -> None:
    context = QueryContext()
    collector = QueryCollector(context)
    asyncio.run(collector.query(tree, ":missing"))
    items = collector.items()
    assert [item["pkgid"] for item in items] == ["m@^1.0.0"]
    missing = items[0]
    assert "location" not in missing
    assert (missing["path"], missing["realpath"], missing["resolved"]) == (None, None, None)
    assert missing["from"] == [""] and missing["queryContext"] == {"missing": True}
    collector = QueryCollector(context)
    asyncio.run(collector.query(tree, "#b"))
    (b,) = collector.items()
    assert b["from"] == ["node_modules/a", "node_modules/d", "node_modules/a/node_modules/c"]
    assert b["deduped"] is False and b["path"] == f"{project}/node_modules/b"


def test_query_outdated_with_a_packument_source(tree: Node) -> None:
    async def packument(name: str) -> JsonObject:
        if name not in PACKUMENTS:
            raise SnpmError("404 Not Found", code="E404")
        return PACKUMENTS[name]

    warnings: list[str] = []
    context = QueryContext(packument=packument, warn=lambda _t, m: warnings.append(m))
    found = asyncio.run(query_selector_all(tree, ":outdated(minor)", context))
    assert _locations(found) == ["node_modules/a"]
    assert context.query_context(found[0])["versions"] == ["1.0.0", "1.5.0", "2.0.0"]
    in_range = asyncio.run(query_selector_all(tree, ":outdated(in-range)", context))
    assert _locations(in_range) == ["node_modules/a"]
    assert context.query_context(in_range[0])["outdated"] == {
        "inRange": [{"from": "", "versions": ["1.5.0"]}]
    }
    assert any("could not retrieve packument for c" in w for w in warnings)

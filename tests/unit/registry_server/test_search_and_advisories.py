"""Search (query qualifiers, ranking, the index kept in step with publishes, FTS5 and LIKE) and
advisories (matching with npm's semver options, stored and file-based)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from snpm.registry_server.app import Registry, build_registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.services.search_index import parse_query
from snpm.registry_server.storage.package_index import index_package
from snpm.registry_server.storage.sqlite import SqliteStorage
from support.registry import Clock, publish_body, registry_settings, run_with

ALICE = Actor("alice", "alice@example.test")
BOB = Actor("bob", "bob@example.test")


def _body(name: str, version: str = "1.0.0", **manifest: Any) -> dict[str, Any]:
    return publish_body(name, version, manifest=manifest)


async def _catalogue(registry: Registry) -> None:
    for actor in (ALICE, BOB):
        await registry.accounts.create_user(actor.name, actor.email, "password-123")
    packages = registry.packages
    await packages.publish(
        ALICE,
        "left-pad",
        _body(
            "left-pad",
            keywords=["pad", "string"],
            description="Pad a string on the left",
            license="MIT",
            repository={"type": "git", "url": "git+https://example.test/left-pad.git"},
            homepage="https://example.test/left-pad",
        ),
    )
    await packages.publish(
        ALICE, "left-pad-plus", _body("left-pad-plus", keywords=["pad"], description="More")
    )
    await packages.publish(
        BOB, "right-pad", _body("right-pad", "0.3.0", keywords=["pad"], description="Right")
    )
    await packages.publish(
        BOB, "padding-old", _body("padding-old", keywords=["legacy"], description="old pad")
    )


def _names(result: dict[str, Any]) -> list[str]:
    return [o["package"]["name"] for o in result["objects"]]


def test_parse_query_reads_npms_qualifiers() -> None:
    query = parse_query(
        "Left  keywords:pad,-legacy keywords:a+b author:Alice maintainer:@bob scope:@acme not:deprecated is:unstable boost-exact:false"
    )
    assert query.terms == ("left",)
    assert query.keyword_groups == (("pad",), ("a", "b"))
    assert query.keywords_not == {"legacy"}
    assert query.authors == ("alice",) and query.maintainers == ("bob",) and query.scope == "acme"
    assert query.excluded == {"deprecated"} and query.required == {"unstable"} and not query.boost_exact


def test_index_summary_of_a_packument() -> None:
    document = {
        "name": "@acme/x",
        "dist-tags": {"latest": "1.0.0"},
        "versions": {
            "1.0.0": {
                "keywords": "a, b",
                "description": "d",
                "author": "Ann <ann@example.test>",
                "bugs": {"url": "https://example.test/issues"},
                "repository": "git://example.test/x.git",
                "_npmUser": {"name": "ann", "email": "ann@example.test"},
            }
        },
        "time": {"created": "t0", "modified": "t1", "1.0.0": "t1"},
        "maintainers": [{"name": "ann", "email": "ann@example.test"}],
        "users": {"bob": True, "carol": False},
    }
    index = index_package("@acme/x", document)
    assert index.scope == "acme" and index.maintainers == ("ann",) and index.stars == ("bob",)
    summary = index.summary
    assert summary["keywords"] == ["a", "b"] and summary["author"] == "Ann" and summary["date"] == "t1"
    assert summary["links"] == {"repository": "https://example.test/x", "bugs": "https://example.test/issues"}
    assert summary["publisher"] == {"username": "ann", "email": "ann@example.test"}
    assert "ann" in index.text and "@acme/x" in index.text


@pytest.mark.parametrize("fulltext", [True, False], ids=["fts5", "like"])
def test_search_ranks_and_filters(registry: Registry, tmp_path: Path, fulltext: bool) -> None:
    async def scenario() -> None:
        storage = registry.storage
        assert isinstance(storage, SqliteStorage)
        assert storage.fulltext  # this SQLite has FTS5
        storage.fulltext = fulltext
        await _catalogue(registry)
        search = registry.search

        async def names(text: str, **params: str) -> list[str]:
            return _names(await search.search(None, {"text": text, **params}))

        # the exact name first, then name prefixes, then the rest
        assert await names("left-pad") == ["left-pad", "left-pad-plus"]
        result = await search.search(None, {"text": "left-pad"})
        assert result["total"] == 2 and result["objects"][0]["searchScore"] > 100000
        assert result["objects"][1]["searchScore"] < 100000
        first = result["objects"][0]
        assert first["package"]["links"] == {
            "homepage": "https://example.test/left-pad",
            "repository": "https://example.test/left-pad",
        }
        assert first["package"]["maintainers"] == [{"username": "alice", "email": "alice@example.test"}]
        assert set(first["score"]["detail"]) == {"quality", "popularity", "maintenance"}
        assert first["flags"] == {"insecure": 0}
        assert result["time"].endswith("GMT+0000 (Coordinated Universal Time)")
        assert set(await names("pad")) == {"left-pad", "left-pad-plus", "right-pad", "padding-old"}
        assert await names("pad", size="2", **{"from": "1"}) == (await names("pad"))[1:3]
        assert set(await names("keywords:string,legacy")) == {"left-pad", "padding-old"}
        assert await names("keywords:pad+string") == ["left-pad"]
        assert "padding-old" not in await names("pad keywords:-legacy")
        assert set(await names("maintainer:bob")) == {"right-pad", "padding-old"}
        assert set(await names("author:bob pad")) == {"right-pad", "padding-old"}
        assert await names("pad is:unstable") == ["right-pad"]
        assert "right-pad" not in await names("pad not:unstable")
        assert await names("nothing-like-this") == []
        with pytest.raises(RegistryError):
            await search.search(None, {"text": "x", "size": "999"})
        with pytest.raises(RegistryError):
            await search.search(None, {"text": "x", "quality": "lots"})

        # the index follows deprecations and unpublishes
        package = await registry.packages.require("padding-old")
        document = json.loads(json.dumps(package.document))
        document["versions"]["1.0.0"]["deprecated"] = "use left-pad"
        await registry.packages.change(BOB, "padding-old", document, None)
        assert "padding-old" not in await names("pad not:deprecated")
        deprecated = await search.search(None, {"text": "padding-old"})
        assert deprecated["objects"][0]["flags"]["deprecated"] == "use left-pad"
        package = await registry.packages.require("padding-old")
        await registry.packages.unpublish(BOB, "padding-old", package.rev)
        assert await names("padding") == []
        # insecure: an advisory on the latest version
        await registry.advisories.add("right-pad", "<1.0.0", severity="low")
        assert await names("pad is:insecure") == ["right-pad"]
        assert "right-pad" not in await names("pad not:insecure")

    run_with(registry, scenario)


def test_restricted_packages_are_searched_only_by_their_readers(registry: Registry) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", "password-123")
        await registry.accounts.create_user("bob", "bob@example.test", "password-123")
        body = _body("@alice/private-pad", keywords=["pad"])
        body["access"] = "restricted"
        await registry.packages.publish(ALICE, "@alice/private-pad", body)
        await registry.packages.publish(ALICE, "public-pad", _body("public-pad", keywords=["pad"]))
        assert _names(await registry.search.search(ALICE, {"text": "pad"})) == [
            "@alice/private-pad",
            "public-pad",
        ]
        for actor in (None, BOB):
            result = await registry.search.search(actor, {"text": "pad"})
            assert _names(result) == ["public-pad"] and result["total"] == 1
        await registry.access.set_status(ALICE, "@alice/private-pad", "public")
        assert len(_names(await registry.search.search(None, {"text": "scope:alice"}))) == 1

    run_with(registry, scenario)


def test_the_fulltext_index_is_rebuilt_when_out_of_step(tmp_path: Path) -> None:
    registry = build_registry(registry_settings(tmp_path / "data"), now=Clock())

    async def publish_without_fts() -> None:
        storage = registry.storage
        assert isinstance(storage, SqliteStorage)
        await registry.packages.publish(ALICE, "first", _body("first"))
        storage.fulltext = False  # as a process whose SQLite lacks FTS5 would write
        await registry.packages.publish(ALICE, "second", _body("second"))

    run_with(registry, publish_without_fts)
    again = build_registry(registry_settings(tmp_path / "data"), now=Clock())

    async def search() -> list[str]:
        return _names(await again.search.search(None, {"text": "second"}))

    assert run_with(again, search) == ["second"]


def test_advisories_match_with_npms_semver_options(registry: Registry, tmp_path: Path) -> None:
    async def scenario() -> None:
        advisories = registry.advisories
        stored = await advisories.add(
            "left-pad",
            "<1.2.0",
            severity="critical",
            title="Bad padding",
            url="https://example.test/a/1",
            cwe=("CWE-400",),
            cvss_score=9.1,
            cvss_vector="CVSS:3.1/AV:N",
        )
        assert stored.id == 1
        await advisories.add("left-pad", ">=2.0.0 <2.1.0", severity="low")
        answer = await advisories.bulk({"left-pad": ["1.0.0", "1.1.0-beta.1"], "other": ["1.0.0"]})
        assert list(answer) == ["left-pad"]
        assert answer["left-pad"] == [
            {
                "id": 1,
                "url": "https://example.test/a/1",
                "title": "Bad padding",
                "severity": "critical",
                "vulnerable_versions": "<1.2.0",
                "cwe": ["CWE-400"],
                "cvss": {"score": 9.1, "vectorString": "CVSS:3.1/AV:N"},
            }
        ]
        # prereleases count (includePrerelease), clean versions do not match other ranges
        assert len((await advisories.bulk({"left-pad": ["2.0.1-rc.1"]}))["left-pad"]) == 1
        assert await advisories.bulk({"left-pad": ["1.5.0"]}) == {}
        assert await advisories.bulk({}) == {}
        for bad in ({"left-pad": "1.0.0"},):
            with pytest.raises(RegistryError):
                await advisories.bulk(bad)
        with pytest.raises(RegistryError):
            await advisories.add("left-pad", "not a range!!", severity="high")
        with pytest.raises(RegistryError):
            await advisories.add("left-pad", "<1", severity="apocalyptic")
        assert await advisories.remove(1) and not await advisories.remove(1)
        imported = await advisories.import_json({"right-pad": [{"vulnerable_versions": "*", "title": "All"}]})
        assert imported[0].id is not None and imported[0].id > 1_000_000_000
        again = await advisories.import_json({"right-pad": [{"vulnerable_versions": "*", "title": "All"}]})
        assert again[0].id == imported[0].id  # a stable id: importing twice replaces
        assert [a.name for a in await advisories.all()] == ["left-pad", "right-pad"]

    run_with(registry, scenario)


def test_advisories_from_a_file_are_reread_when_it_changes(tmp_path: Path) -> None:
    file = tmp_path / "advisories.json"
    file.write_text(
        json.dumps([{"id": 7, "module_name": "x", "vulnerable_versions": "<2", "severity": "moderate"}])
    )
    registry = build_registry(registry_settings(tmp_path / "data", advisories_file=str(file)), now=Clock())

    async def scenario() -> None:
        advisories = registry.advisories
        assert [a["id"] for a in (await advisories.bulk({"x": ["1.0.0"]}))["x"]] == [7]
        file.write_text(json.dumps({"x": [{"id": 8, "vulnerable_versions": "<3", "severity": "low"}]}))
        import os

        stat = file.stat()
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert [a["id"] for a in (await advisories.bulk({"x": ["2.5.0"]}))["x"]] == [8]
        file.write_text("not json")
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        with pytest.raises(RegistryError):
            await advisories.bulk({"x": ["1.0.0"]})

    run_with(registry, scenario)

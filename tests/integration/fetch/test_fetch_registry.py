"""Registry specs through FetchSource: picking, pacote's decorations, errors, and the packument cache."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.fetch.base import ManifestSource, ResolvedManifest
from snpm.fetch.source import FetchSource
from snpm.registry_client.packuments import CORGI_ACCEPT
from snpm.spec import parse_spec
from support.fetch_harness import Harness
from support.packages import publish, sri

WHERE = Path("/tmp/project")


def manifest(harness: Harness, spec: str, **kw: object) -> ResolvedManifest:
    options = kw.pop("options", None)
    return harness.run(
        lambda s: s.manifest(parse_spec(spec, str(WHERE)), where=WHERE, **kw),  # type: ignore[arg-type]
        options=options,  # type: ignore[arg-type]
    )


def error(harness: Harness, spec: str, **kw: object) -> SnpmError:
    with pytest.raises(SnpmError) as info:
        manifest(harness, spec, **kw)
    return info.value


def test_fetch_source_is_a_manifest_source(harness: Harness) -> None:
    source: ManifestSource = FetchSource(harness.client(), cache_dir=None, options=harness.options())
    assert source is not None


def test_range_prefers_the_latest_tag_and_decorates_like_pacote(harness: Harness) -> None:
    doc = publish(harness.registry, "pb", ["1.0.0", "1.1.0", "1.2.0"], tags={"latest": "1.1.0"})
    got = manifest(harness, "pb@^1")
    dist = doc["versions"]["1.1.0"]["dist"]
    assert got.manifest["version"] == "1.1.0"
    assert (got.resolved, got.integrity, got.from_spec) == (dist["tarball"], dist["integrity"], "pb@^1")
    assert list(got.manifest)[-5:] == ["_id", "_time", "_resolved", "_from", "_integrity"]
    assert got.manifest["_id"] == "pb@1.1.0" and got.manifest["_time"] == "2020-01-01T00:00:00.000Z"
    assert manifest(harness, "pb@1.2.0").manifest["version"] == "1.2.0"
    assert manifest(harness, "pb@latest").from_spec == "pb@latest"
    assert manifest(harness, "pb").from_spec == "pb@*"


def test_dist_tags_and_default_tag(harness: Harness) -> None:
    publish(harness.registry, "pd", ["1.0.0", "2.0.0-rc.1"], tags={"latest": "1.0.0", "next": "2.0.0-rc.1"})
    assert manifest(harness, "pd@next").manifest["version"] == "2.0.0-rc.1"
    assert manifest(harness, "pd").manifest["version"] == "1.0.0"
    assert (
        manifest(harness, "pd", options=harness.options(default_tag="next")).manifest["version"]
        == "2.0.0-rc.1"
    )


def test_alias_resolves_the_real_package_and_records_the_sub_spec(harness: Harness) -> None:
    publish(harness.registry, "is-number", ["6.0.0", "7.0.0"])
    got = manifest(harness, "my-num@npm:is-number@6.0.0")
    assert got.manifest["name"] == "is-number" and got.manifest["version"] == "6.0.0"
    assert got.from_spec == "is-number@6.0.0" and got.manifest["_from"] == "is-number@6.0.0"


def test_scoped_package(harness: Harness) -> None:
    publish(harness.registry, "@sc/thing", ["0.1.0"])
    got = manifest(harness, "@sc/thing")
    assert got.manifest["_id"] == "@sc/thing@0.1.0" and got.from_spec == "@sc/thing@*"
    assert harness.registry.requests[0].raw_path == "/@sc%2fthing"


def test_before_hides_later_versions(harness: Harness) -> None:
    publish(
        harness.registry,
        "pb",
        ["1.0.0", "1.1.0"],
        times={"1.0.0": "2020-01-01T00:00:00.000Z", "1.1.0": "2021-01-01T00:00:00.000Z"},
    )
    june_2020 = 1590969600000.0
    got = manifest(harness, "pb@^1", options=harness.options(before_ms=june_2020))
    assert got.manifest["version"] == "1.0.0"
    # `before` needs the publish times, which only the full document has
    assert harness.registry.requests[-1].headers["accept"] == "application/json"
    err = error(harness, "pb@1.1.0", options=harness.options(before_ms=june_2020))
    assert err.code == "ETARGET"
    assert err.message == "No matching version found for pb@1.1.0 with a date before 6/1/2020, 12:00:00 AM."
    # a spec exempt from `before` (min-release-age-exclude) sees every version
    assert manifest(harness, "pb@^1", options=harness.options(before_ms=june_2020), apply_before=False)


def test_corgi_or_full_documents(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0"])
    manifest(harness, "pb", options=harness.options(full_metadata=False))
    manifest(harness, "pb")
    accepts = [r.headers["accept"] for r in harness.registry.requests_to("/pb")]
    assert accepts == [CORGI_ACCEPT, "application/json"]
    headers = harness.registry.requests[0].headers
    assert headers["pacote-req-type"] == "packument" and headers["pacote-pkg-id"] == "registry:pb"


def test_etarget_and_e404(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0"])
    err = error(harness, "pb@9")
    assert (err.code, err.message) == ("ETARGET", "No matching version found for pb@9.")
    missing = error(harness, "nope@^1")
    assert missing.code == "E404"
    assert missing.message.startswith("404 Not Found - GET " + harness.registry.url + "nope")


def test_conflicting_expected_integrity_is_eintegrity(harness: Harness) -> None:
    doc = publish(harness.registry, "pb", ["1.0.0"])
    wrong = sri(b"something else")
    err = error(harness, "pb@1.0.0", integrity=wrong)
    got = doc["versions"]["1.0.0"]["dist"]["integrity"]
    assert err.code == "EINTEGRITY"
    assert err.message == f"Integrity checksum failed when using sha512: wanted {wrong} but got {got}."
    # an algorithm the packument does not have cannot conflict: it is merged instead
    sha256 = sri(b"whatever", "sha256")
    merged = manifest(harness, "pb@1.0.0", integrity=sha256)
    assert merged.integrity == f"{sha256} {got}"


def test_sha1_only_packuments_get_a_sha1_integrity(harness: Harness) -> None:
    doc = publish(harness.registry, "old", ["0.0.1"])
    del doc["versions"]["0.0.1"]["dist"]["integrity"]
    harness.registry.add_packument("old", doc)
    got = manifest(harness, "old")
    assert got.integrity == sri(harness.registry.tarballs["/old/-/old-0.0.1.tgz"], "sha1")


def test_avoid_steers_away_and_marks_unavoidable_picks(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0", "1.1.0", "1.2.0"])
    assert manifest(harness, "pb@^1", avoid=">=1.2.0").manifest["version"] == "1.1.0"
    stuck = manifest(harness, "pb@1.2.0", avoid=">=1.2.0")
    assert stuck.manifest["_shouldAvoid"] is True


def test_engines_and_deprecation_steer_the_pick(harness: Harness) -> None:
    publish(
        harness.registry,
        "pe",
        ["1.0.0", "1.1.0"],
        per_version={"1.1.0": {"engines": {"node": ">=99"}}},
    )
    publish(harness.registry, "pc", ["1.0.0", "1.1.0"], per_version={"1.1.0": {"deprecated": "no"}})
    assert manifest(harness, "pe@^1").manifest["version"] == "1.0.0"
    assert manifest(harness, "pc@^1").manifest["version"] == "1.0.0"


def test_concurrent_resolutions_of_one_name_make_one_request(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0", "1.1.0", "1.2.0"])
    publish(harness.registry, "pc", ["2.0.0"])
    publish(harness.registry, "pw", ["1.0.0"])
    harness.registry.delay = 0.05
    specs = ["pb@^1", "pb@1.0.0", "pb@~1.1.0", "pb@latest", "pb", "alias@npm:pb@1", "pc", "pc@2"] * 5

    async def body(source: FetchSource) -> list[ResolvedManifest]:
        # a first answer teaches the client this registry's pace (50 ms is not late for it)
        await source.manifest(parse_spec("pw"), where=WHERE)
        return await asyncio.gather(*(source.manifest(parse_spec(s), where=WHERE) for s in specs))

    results = harness.run(body)
    assert [r.manifest["version"] for r in results[:8]] == ["1.2.0", "1.0.0", "1.1.0", "1.2.0"] + [
        "1.2.0",
        "1.2.0",
        "2.0.0",
        "2.0.0",
    ]
    assert len(harness.registry.requests_to("/pb")) == 1
    assert len(harness.registry.requests_to("/pc")) == 1


def test_packument_cache_forgets_failures(harness: Harness) -> None:
    async def body(source: FetchSource) -> str:
        with pytest.raises(SnpmError):
            await source.packument("late")
        publish(harness.registry, "late", ["1.0.0"])
        doc = await source.packument("late")
        await source.packument("late")
        return str(doc["name"])

    assert harness.run(body) == "late"
    assert len(harness.registry.requests_to("/late")) == 3  # 404 (corgi), 404 (full retry), then 200


def test_allow_policies(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0"])
    options = harness.options(allow={"registry": "root"})
    err = error(harness, "pb", options=options)
    assert err.code == "EALLOWREGISTRY"
    assert err.message == 'Fetching non-root packages of type "registry" have been disabled'
    assert manifest(harness, "pb", options=options, is_root=True).manifest["version"] == "1.0.0"
    none = error(harness, "pb", options=harness.options(allow={"registry": "none"}), is_root=True)
    assert none.message == 'Fetching packages of type "registry" have been disabled'


def test_offline_without_a_cached_packument(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0"])
    with pytest.raises(SnpmError) as info:
        harness.run(lambda s: s.manifest(parse_spec("pb"), where=WHERE), offline=True)
    assert info.value.code == "ENOTCACHED" and not harness.registry.requests
    manifest(harness, "pb")  # now cached: offline works
    got = harness.run(lambda s: s.manifest(parse_spec("pb"), where=WHERE), offline=True)
    assert got.manifest["version"] == "1.0.0" and len(harness.registry.requests) == 1


@pytest.mark.parametrize("threshold", [0, 1 << 30])
def test_forgetting_packuments_hands_memory_back_only_when_they_were_big(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    """The C heap is trimmed after the packuments go only when they held at least
    `_TRIM_HEAP_AT` bytes: loading ctypes for it costs more than a small resolution's few MB."""
    import snpm.fetch.source as source_module

    trims: list[int] = []
    monkeypatch.setattr(source_module, "_TRIM_HEAP_AT", threshold)
    monkeypatch.setattr(source_module, "_trim_heap", lambda: trims.append(1))
    publish(harness.registry, "pb", ["1.0.0", "1.1.0"])
    publish(harness.registry, "pc", ["2.0.0"])

    async def body(source: FetchSource) -> tuple[int, int]:
        await source.packument("pb")
        await source.packument("pc")
        held = source.ctx.packuments.held_bytes()
        source.forget_packuments()
        return held, len(source.ctx.packuments)

    held, left = harness.run(body)
    assert held > 0 and left == 0
    assert trims == ([1] if threshold == 0 else [])
    monkeypatch.undo()
    source_module._trim_heap()  # glibc's malloc_trim through the process's own symbols: no error

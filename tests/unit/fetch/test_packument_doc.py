"""Lazily decoded packuments pick exactly what the whole JSON document picks, and fail the same way."""

from __future__ import annotations

import random

import msgspec
import pytest

from snpm.errors import SnpmError
from snpm.fetch.packument_doc import PackumentDoc
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.json_types import JsonObject
from snpm.registry_client import RegistryResponse

URL = "http://registry.test/pkg"
WANTED = ["", "latest", "beta", "^1.0.0", "~1.2.0", "1.2.3", "v1.2.3", ">=2", "<1.1", "*", "1.x || 3",
          "^1.0.0-beta.1", "=2.0.0-rc.1", "nope", "^9", ">=1.0.0 <1.0.0", "2.0.0-rc.1 - 3"]  # fmt: skip
OPTIONS = [
    PickOptions(node_version="20.20.2", npm_version="11.19.1"),
    PickOptions(node_version="20.20.2", before_ms=1588291200000.0),
    PickOptions(avoid="<2"),
]


def _doc(body: JsonObject | bytes, length: str | None = None) -> PackumentDoc:
    data = body if isinstance(body, bytes) else msgspec.json.encode(body)
    headers = {"content-length": length} if length is not None else {}
    return PackumentDoc(RegistryResponse(200, URL, headers, data))


def _packuments(count: int) -> list[JsonObject]:
    rng = random.Random(99)
    pool = [f"{a}.{b}.{c}" for a in range(4) for b in range(3) for c in range(4)]
    pool += ["1.2.3-beta.1", "2.0.0-rc.1", "1.0.0-beta.2", "3.1.0-alpha"]
    docs: list[JsonObject] = []
    for i in range(count):
        versions: JsonObject = {}
        times: JsonObject = {"created": "2019-01-01T00:00:00.000Z"}
        for n, ver in enumerate(rng.sample(pool, rng.randint(1, 14))):
            manifest: JsonObject = {"name": "pkg", "version": ver, "dist": {"tarball": f"{URL}/-/{ver}.tgz"}}
            roll = rng.random()
            if roll < 0.15:
                manifest["deprecated"] = "old"
            elif roll < 0.3:
                manifest["engines"] = {"node": rng.choice([">=99", ">=10", "^20", "<4"])}
            elif roll < 0.35:
                manifest["readme"] = "x" * 500
            versions[ver] = manifest
            times[ver] = f"2020-0{1 + n % 9}-1{n % 10}T00:00:00.000Z" if rng.random() > 0.05 else "garbage"
        tags: JsonObject = {"latest": rng.choice(list(versions))}
        if rng.random() < 0.5:
            tags["beta"] = rng.choice(list(versions))
        doc: JsonObject = {"name": "pkg", "dist-tags": tags, "versions": versions, "readme": "big"}
        if i % 3 == 0:
            doc["time"] = times
        if i % 7 == 0:
            doc["policyRestrictions"] = {"versions": {"1.0.0": versions.get("1.0.0", {})}, "message": "no"}
        docs.append(doc)
    return docs


def _outcome(doc: JsonObject | PackumentDoc, wanted: str, opts: PickOptions) -> object:
    try:
        packument = doc.view() if isinstance(doc, PackumentDoc) else doc
        return pick_manifest(packument, wanted, opts).manifest
    except SnpmError as err:
        return (err.code, err.message, err.extra)


def test_lazy_view_picks_like_the_whole_document() -> None:
    compared = 0
    for doc in _packuments(80):
        lazy = _doc(doc)
        for wanted in WANTED:
            for opts in OPTIONS:
                assert _outcome(lazy, wanted, opts) == _outcome(doc, wanted, opts), (doc, wanted, opts)
                compared += 1
    assert compared == 80 * len(WANTED) * len(OPTIONS)


def test_odd_versions_behave_as_in_the_whole_document() -> None:
    # a version without a `version` field, an empty one, and one that is not an object
    doc: JsonObject = {
        "name": "odd",
        "dist-tags": {"latest": "1.0.0", "next": "2.0.0", "null": "3.0.0"},
        "versions": {"1.0.0": {"name": "odd"}, "2.0.0": {}, "3.0.0": None, "1.5.0": {"version": "1.5.0"}},
    }
    lazy = _doc(doc)
    for wanted in ("latest", "next", "null", "^1", "*", "2.0.0", "3.0.0", "1.0.0"):
        assert _outcome(lazy, wanted, PickOptions()) == _outcome(doc, wanted, PickOptions()), wanted


def test_picked_manifest_is_whole_and_json_keeps_content_length() -> None:
    manifest: JsonObject = {"name": "pkg", "version": "1.0.0", "scripts": {"test": "x"}, "dist": {}}
    doc: JsonObject = {"name": "pkg", "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": manifest}}
    lazy = _doc(doc, length="123")
    assert pick_manifest(lazy.view(), "^1").manifest == manifest
    assert lazy.to_json() == {**doc, "_contentLength": 123}


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b"{not json", b'"text"', b'{"versions": []}', b'{"versions": {"1.0.0": 1}}', b"\xff\xfe"],
)
def test_documents_the_typed_decoder_refuses_fail_or_work_as_before(body: bytes) -> None:
    response = RegistryResponse(200, URL, {}, body)
    try:
        expected: object = response.json()
    except SnpmError as err:
        expected = (err.code, err.message)
    try:
        lazy = PackumentDoc(response)
    except SnpmError as err:
        got: object = (err.code, err.message)
    else:
        got = lazy.to_json()
        if isinstance(expected, dict):
            assert _outcome(lazy, "*", PickOptions()) == _outcome(expected, "*", PickOptions())
    if isinstance(expected, list):
        expected = {}  # an array reads as a packument with nothing in it (JS: undefined fields)
    if not isinstance(expected, dict) and not isinstance(expected, tuple):
        expected = ("FETCH_ERROR", f"invalid json response body at {URL} reason: not a packument")
    assert got == expected

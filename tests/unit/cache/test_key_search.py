"""snpm.cache.key_search: which keys `npm cache ls <spec>` shows, in npm's order (the order is
snpm.ecmascript.collation's, checked here on cache-key-like strings).

TARBALL_CASES and COLLATED were produced by node with npm 11's own regex from lib/commands/cache.js
and `Intl.Collator('en')` (what @isaacs/string-locale-compare uses).
"""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import pytest

from snpm.cache import content, index, key_search
from snpm.cache.key_search import search_cache_package
from snpm.ecmascript.collation import locale_compare_key
from snpm.semver.range import satisfies
from snpm.spec import PackageSpec, parse_spec

MFH = "make-fetch-happen:request-cache:"

TARBALL_CASES: list[tuple[str, str, str | None]] = [
    (MFH + "https://registry.example.org/foo/-/foo-1.0.0.tgz", "foo", "foo-1.0.0.tgz"),
    (MFH + "http://localhost:4873/foo/-/foo-1.0.0.tgz", "foo", "foo-1.0.0.tgz"),
    (MFH + "http://localhost/foo/-/foo-1.0.0.tgz", "foo", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-2.0.0-beta.1.tgz", "foo", "foo-2.0.0-beta.1.tgz"),
    (MFH + "http://127.0.0.1:4873/@scope/foo/-/foo-1.0.0.tgz", "foo", None),
    (MFH + "http://127.0.0.1:4873/@scope/foo/-/@scope/foo-1.0.0.tgz", "foo", None),
    (MFH + "http://127.0.0.1:4873/a/b/foo/-/foo-3.1.4.tgz", "foo", None),
    (MFH + "http://127.0.0.1:4873/a/b9/foo/-/foo-3.1.4.tgz", "foo", "foo-3.1.4.tgz"),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0.tgz/foo/-/foo-9.9.9.tgz", "foo", "foo-9.9.9.tgz"),
    (MFH + "http://127.0.0.1:4873/foo/-/fooXbar-1.0.0.tgz", "foo", "fooXbar-1.0.0.tgz"),
    (MFH + "http://127.0.0.1:4873/f.o/-/fxo-1.0.0.tgz", "foo", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0.tgz?x=1", "foo", None),
    (MFH + "http://127.0.0.1:4873/foo", "foo", None),
    ("pacote:tarball:file:/tmp/foo/-/foo-1.0.0.tgz", "foo", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0Xtgz", "foo", "foo-1.0.0Xtgz"),
    (MFH + "https://registry.example.org/foo/-/foo-1.0.0.tgz", "f.o", "foo-1.0.0.tgz"),
    (MFH + "http://localhost:4873/foo/-/foo-1.0.0.tgz", "f.o", "foo-1.0.0.tgz"),
    (MFH + "http://localhost/foo/-/foo-1.0.0.tgz", "f.o", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-2.0.0-beta.1.tgz", "f.o", "foo-2.0.0-beta.1.tgz"),
    (MFH + "http://127.0.0.1:4873/@scope/foo/-/foo-1.0.0.tgz", "f.o", None),
    (MFH + "http://127.0.0.1:4873/@scope/foo/-/@scope/foo-1.0.0.tgz", "f.o", None),
    (MFH + "http://127.0.0.1:4873/a/b/foo/-/foo-3.1.4.tgz", "f.o", None),
    (MFH + "http://127.0.0.1:4873/a/b9/foo/-/foo-3.1.4.tgz", "f.o", "foo-3.1.4.tgz"),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0.tgz/foo/-/foo-9.9.9.tgz", "f.o", "foo-9.9.9.tgz"),
    (MFH + "http://127.0.0.1:4873/foo/-/fooXbar-1.0.0.tgz", "f.o", "fooXbar-1.0.0.tgz"),
    (MFH + "http://127.0.0.1:4873/f.o/-/fxo-1.0.0.tgz", "f.o", "fxo-1.0.0.tgz"),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0.tgz?x=1", "f.o", None),
    (MFH + "http://127.0.0.1:4873/foo", "f.o", None),
    ("pacote:tarball:file:/tmp/foo/-/foo-1.0.0.tgz", "f.o", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0Xtgz", "f.o", "foo-1.0.0Xtgz"),
    (MFH + "https://registry.example.org/foo/-/foo-1.0.0.tgz", "@scope/foo", None),
    (MFH + "http://localhost:4873/foo/-/foo-1.0.0.tgz", "@scope/foo", None),
    (MFH + "http://localhost/foo/-/foo-1.0.0.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-2.0.0-beta.1.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/@scope/foo/-/foo-1.0.0.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/@scope/foo/-/@scope/foo-1.0.0.tgz", "@scope/foo", "@scope/foo-1.0.0.tgz"),
    (MFH + "http://127.0.0.1:4873/a/b/foo/-/foo-3.1.4.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/a/b9/foo/-/foo-3.1.4.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0.tgz/foo/-/foo-9.9.9.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/foo/-/fooXbar-1.0.0.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/f.o/-/fxo-1.0.0.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0.tgz?x=1", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/foo", "@scope/foo", None),
    ("pacote:tarball:file:/tmp/foo/-/foo-1.0.0.tgz", "@scope/foo", None),
    (MFH + "http://127.0.0.1:4873/foo/-/foo-1.0.0Xtgz", "@scope/foo", None),
]
COLLATED = [
    "@s/x",
    "~",
    "0",
    "a",
    "A",
    "a\tb",
    "a b",
    "a_b",
    "a-b",
    "a.b",
    "a/b",
    "a1",
    "a10",
    "a2",
    "ab",
    "aB",
    "Ab",
    "b",
    "B",
    "e",
    "é",
    "f",
    "make-fetch-happen:request-cache:http://x/foo",
    "make-fetch-happen:request-cache:http://x/Foo",
    "make-fetch-happen:request-cache:http://x/foo-bar",
    "make-fetch-happen:request-cache:http://x/foo/-/foo-1.0.0.tgz",
    "pacote:tarball:file:/x",
    "z",
]


def _put(cache: Path, key: str, data: bytes) -> str:
    sri = content.write(cache, data)
    index.insert(cache, key, sri, size=len(data))
    return sri


def test_locale_sort_matches_intl_collator() -> None:
    shuffled = COLLATED[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=locale_compare_key) == COLLATED


@pytest.mark.parametrize(("key", "name", "expected"), TARBALL_CASES)
def test_tarball_key_regex_matches_npm(key: str, name: str, expected: str | None) -> None:
    assert key_search._tarball_filename(key, name) == expected


def _registry_cache(cache: Path) -> list[str]:
    reg = "http://127.0.0.1:4873"
    packument = {
        "name": "foo",
        "versions": {
            v: {"name": "foo", "version": v, "dist": {"tarball": f"{reg}/foo/-/foo-{v}.tgz"}}
            for v in ("1.0.0", "1.1.0", "2.0.0")
        },
    }
    keys = [
        f"{MFH}{reg}/foo",
        f"{MFH}{reg}/foo/-/foo-1.0.0.tgz",
        f"{MFH}{reg}/foo/-/foo-2.0.0.tgz",
        f"{MFH}{reg}/bar/-/bar-1.0.0.tgz",
        f"{MFH}{reg}/@scope%2ffoo",
        f"{MFH}{reg}/@scope/foo/-/foo-1.0.0.tgz",
        # on another registry, not a tarball key npm recognises (path ends /-/), but listed in the packument
        f"{MFH}http://elsewhere/foo-1.1.0.tgz",
    ]
    _put(cache, keys[0], msgspec.json.encode(packument))
    for key in keys[1:]:
        _put(cache, key, key.encode())
    scoped = {
        "name": "@scope/foo",
        "versions": {"1.0.0": {"dist": {"tarball": f"{reg}/@scope/foo/-/foo-1.0.0.tgz"}}},
    }
    _put(cache, keys[4], msgspec.json.encode(scoped))
    return keys


def _query(name: str, raw: str) -> PackageSpec:
    spec = parse_spec(f"{name}@{raw}")
    assert (spec.name, spec.escaped_name, spec.raw_spec) == (name, name.replace("/", "%2f"), raw)
    return spec


def test_search_cache_package(tmp_path: Path) -> None:
    keys = _registry_cache(tmp_path)
    listed = list(index.ls(tmp_path))
    found = search_cache_package(tmp_path, _query("foo", "*"), listed, satisfies)
    assert sorted(found) == sorted([keys[0], keys[1], keys[2]])
    found = search_cache_package(tmp_path, _query("foo", "^1.0.0"), listed, satisfies)
    assert sorted(found) == sorted([keys[0], keys[1]])
    found = search_cache_package(tmp_path, _query("@scope/foo", "1"), listed, satisfies)
    # the scoped tarball is found through its packument only (npm's tarball regex misses scopes)
    assert sorted(found) == sorted([keys[4], keys[5]])


def test_search_cache_package_follows_packument_to_other_hosts(tmp_path: Path) -> None:
    keys = _registry_cache(tmp_path)
    pack = msgspec.json.decode(content.read(tmp_path, index.find(tmp_path, keys[0]).integrity))  # type: ignore[union-attr]
    pack["versions"]["1.1.0"]["dist"]["tarball"] = "http://elsewhere/foo-1.1.0.tgz"
    _put(tmp_path, keys[0], msgspec.json.encode(pack))
    found = search_cache_package(tmp_path, _query("foo", "1.1.0"), list(index.ls(tmp_path)), satisfies)
    assert sorted(found) == sorted([keys[0], keys[6]])


def test_search_cache_package_survives_bad_packuments(tmp_path: Path) -> None:
    key = f"{MFH}http://x/foo"
    _put(tmp_path, key, b"not json")
    assert search_cache_package(tmp_path, _query("foo", "*"), [key], satisfies) == [key]
    _put(tmp_path, key, b'{"versions": []}')
    assert search_cache_package(tmp_path, _query("foo", "*"), [key], satisfies) == [key]


def _fields(spec: PackageSpec) -> tuple[str, str | None, str | None, str]:
    """What `cache ls` reads off npa's result."""
    return (spec.type, spec.name, spec.escaped_name, spec.raw_spec)


def test_parse_spec_gives_what_cache_ls_reads() -> None:
    assert _fields(parse_spec("@sc/pkg@^1")) == ("range", "@sc/pkg", "@sc%2fpkg", "^1")
    assert _fields(parse_spec("foo")) == ("range", "foo", "foo", "*")
    assert parse_spec("foo@latest").type == "tag"

"""snpm.cache.http_cache: make-fetch-happen's cache algorithm and http-cache-semantics freshness,
driven by a fake `remote` (no sockets) over a real cacache folder in tmp_path."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from snpm.cache import index
from snpm.cache.http_cache import CacheMode, CacheResult, HttpCache, cache_key
from snpm.cache.http_policy import CachePolicy, media_types
from snpm.errors import NetworkError, SnpmError

URL = "http://reg.test/demo"
FULL = {"accept": "application/json"}
CORGI = {"accept": "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"}


@dataclass
class FakeResponse:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = URL

    async def read(self) -> bytes:
        return self.body


@dataclass
class FakeRemote:
    answers: list[FakeResponse | Exception]
    seen: list[dict[str, str]] = field(default_factory=list)

    async def __call__(self, headers: Mapping[str, str]) -> FakeResponse:
        self.seen.append(dict(headers))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def http_date(offset: float = 0) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def run(cache: HttpCache, remote: FakeRemote, headers: Mapping[str, str] = FULL, **kw: Any) -> CacheResult:
    """One fetch, then wait for the cache's writes (it writes behind its answers)."""

    async def fetch() -> CacheResult:
        result = await cache.fetch(URL, headers=headers, remote=remote, **kw)
        await cache.flush()
        return result

    return asyncio.run(fetch())


def test_cache_key_drops_credentials_and_fragment() -> None:
    assert (
        cache_key("https://u:p@reg.test/a?b=1#frag")
        == "make-fetch-happen:request-cache:https://reg.test/a?b=1"
    )
    assert cache_key("http://reg.test") == "make-fetch-happen:request-cache:http://reg.test/"


def test_media_types_like_negotiator() -> None:
    # expected values printed by npm's bundled negotiator
    assert media_types(CORGI["accept"]) == ["application/vnd.npm.install-v1+json", "*/*", "application/json"]
    assert media_types(None) == ["*/*"]
    assert media_types("text/html;q=0, application/json") == ["application/json"]
    assert media_types('a/b;x="1,2";q=0.5, c/d') == ["c/d", "a/b"]


def test_miss_stores_npm_shaped_metadata(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    remote = FakeRemote(
        [FakeResponse(200, b'{"name":"demo"}', {"etag": '"1"', "cache-control": "max-age=300", "age": "5"})]
    )
    result = run(cache, remote, {**FULL, "authorization": "Bearer secret", "user-agent": "ua"})
    assert result.cache_status == "miss"
    entry = index.find(tmp_path, cache_key(URL))
    assert entry is not None and isinstance(entry.metadata, dict)
    meta = entry.metadata
    assert set(meta) == {"time", "url", "reqHeaders", "resHeaders", "options"}
    assert meta["url"] == URL and meta["options"] == {"compress": True}
    assert meta["reqHeaders"] == {"accept": "application/json"}  # never authorization
    assert meta["resHeaders"] == {"etag": '"1"', "cache-control": "max-age=300"}  # never age
    assert entry.size == len(b'{"name":"demo"}')


def test_fresh_hit_then_stale_revalidation_with_304(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    headers = {
        "etag": '"v1"',
        "last-modified": "Wed, 01 Jan 2020 00:00:00 GMT",
        "cache-control": "max-age=300",
    }
    run(cache, FakeRemote([FakeResponse(200, b"doc", headers)]))
    hit = run(cache, FakeRemote([]))
    assert hit.cache_status == "hit" and hit.body == b"doc"
    remote = FakeRemote([FakeResponse(304, b"", {"etag": '"v1"'})])
    result = run(cache, remote, mode="no-cache")
    assert result.cache_status == "revalidated" and result.body == b"doc"
    assert remote.seen[0]["if-none-match"] == '"v1"'
    assert remote.seen[0]["if-modified-since"] == "Wed, 01 Jan 2020 00:00:00 GMT"
    # the 304 kept the stored headers it did not repeat
    entry = index.find(tmp_path, cache_key(URL))
    assert entry is not None and isinstance(entry.metadata, dict)
    assert entry.metadata["resHeaders"] == {
        "etag": '"v1"',
        "last-modified": headers["last-modified"],
        "cache-control": "max-age=300",
    }


def test_modified_answer_replaces_the_entry(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    run(cache, FakeRemote([FakeResponse(200, b"old", {"etag": '"1"'})]))
    result = run(cache, FakeRemote([FakeResponse(200, b"new", {"etag": '"2"'})]))  # no max-age: stale
    assert result.cache_status == "updated" and result.body == b"new"
    assert run(cache, FakeRemote([]), mode="force-cache").body == b"new"


def test_prefer_offline_uses_stale_entries_and_offline_misses(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    run(cache, FakeRemote([FakeResponse(200, b"doc", {"cache-control": "max-age=0"})]))
    stale = run(cache, FakeRemote([]), mode="force-cache")
    assert stale.cache_status == "stale"
    assert run(cache, FakeRemote([]), mode="only-if-cached").body == b"doc"
    with pytest.raises(SnpmError) as info:
        asyncio.run(
            cache.fetch("http://reg.test/other", headers=FULL, remote=FakeRemote([]), mode="only-if-cached")
        )
    assert info.value.code == "ENOTCACHED"
    assert info.value.message == (
        "request to http://reg.test/other failed: cache mode is 'only-if-cached' but no cached response is available."
    )


def test_variants_do_not_answer_for_each_other(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    run(cache, FakeRemote([FakeResponse(200, b"full", {"cache-control": "max-age=300"})]), FULL)
    run(cache, FakeRemote([FakeResponse(200, b"corgi", {"cache-control": "max-age=300"})]), CORGI)
    assert run(cache, FakeRemote([]), FULL).body == b"full"
    assert run(cache, FakeRemote([]), CORGI).body == b"corgi"


def test_uncacheable_answers_are_not_stored(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    result = run(cache, FakeRemote([FakeResponse(404, b'{"error":"Not found"}')]))
    assert result.status == 404 and result.cache_status == "skip"
    run(cache, FakeRemote([FakeResponse(200, b"x", {"cache-control": "no-store"})]))
    assert index.find(tmp_path, cache_key(URL)) is None
    bypass = run(cache, FakeRemote([FakeResponse(200, b"y")]), mode="no-store")
    assert bypass.cache_status is None and index.find(tmp_path, cache_key(URL)) is None


def test_network_failure_during_revalidation_serves_stale(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    run(cache, FakeRemote([FakeResponse(200, b"doc", {"etag": '"1"'})]))
    down = NetworkError("boom", code="ECONNREFUSED")
    assert run(cache, FakeRemote([down])).cache_status == "stale"
    cache2 = HttpCache(tmp_path / "b")
    run(cache2, FakeRemote([FakeResponse(200, b"doc", {"cache-control": "must-revalidate"})]))
    with pytest.raises(NetworkError):
        run(cache2, FakeRemote([down]))


def test_integrity_must_match_the_entry(tmp_path: Path) -> None:
    from snpm.integrity import compute

    cache = HttpCache(tmp_path)
    data = b"tarball bytes"
    good = str(compute(data))
    run(cache, FakeRemote([FakeResponse(200, data, {"cache-control": "max-age=300"})]), {}, integrity=good)
    assert run(cache, FakeRemote([]), {}, integrity=good).cache_status == "hit"
    other = str(compute(b"other"))
    miss = run(cache, FakeRemote([FakeResponse(200, b"other")]), {}, integrity=other)
    assert miss.cache_status == "miss"


def test_missing_content_falls_back_to_the_network(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    stored = run(cache, FakeRemote([FakeResponse(200, b"doc", {"cache-control": "max-age=300"})]))
    assert stored.integrity is None  # written behind the answer: not hashed for it
    entry = index.find(tmp_path, cache_key(URL))
    assert entry is not None and entry.integrity
    for blob in (tmp_path / "_cacache" / "content-v2").rglob("*"):
        if blob.is_file():
            blob.unlink()
    again = run(cache, FakeRemote([FakeResponse(200, b"doc2", {"cache-control": "max-age=300"})]))
    assert again.body == b"doc2"


def test_a_lookup_waits_for_the_write_behind_of_its_key(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)

    async def main() -> tuple[CacheResult, CacheResult]:
        ok = {"cache-control": "max-age=300"}
        first = await cache.fetch(URL, headers=FULL, remote=FakeRemote([FakeResponse(200, b"doc", ok)]))
        # no flush: the second lookup must still find what the first wrote
        second = await cache.fetch(URL, headers=FULL, remote=FakeRemote([]))
        return first, second

    first, second = asyncio.run(main())
    assert first.cache_status == "miss" and first.integrity is None
    assert second.cache_status == "hit" and second.body == b"doc" and second.integrity


def test_close_finishes_the_writes(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)

    async def main() -> None:
        for n in range(5):
            url = f"{URL}{n}"
            answer = FakeResponse(200, b"doc", {"cache-control": "max-age=300"}, url=url)
            await cache.fetch(url, headers=FULL, remote=FakeRemote([answer]))

    asyncio.run(main())
    cache.close()
    assert all(index.find(tmp_path, cache_key(f"{URL}{n}")) is not None for n in range(5))


def test_invalidate_drops_the_url(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    run(cache, FakeRemote([FakeResponse(200, b"doc", {"cache-control": "max-age=300"})]))
    cache.invalidate(URL)
    assert index.find(tmp_path, cache_key(URL)) is None


def policy(res: dict[str, str], *, age_s: float = 0, req: dict[str, str] | None = None) -> CachePolicy:
    return CachePolicy(
        req_headers=req or {}, status=200, res_headers=res, response_time_ms=(time.time() - age_s) * 1000
    )


def test_freshness_rules() -> None:
    assert not policy({"cache-control": "max-age=300"}, age_s=10).needs_revalidation({})
    assert policy({"cache-control": "max-age=300"}, age_s=400).needs_revalidation({})
    assert policy({"cache-control": "max-age=300, must-revalidate"}).needs_revalidation({})
    assert policy({"cache-control": "no-cache"}).needs_revalidation({})
    assert policy({}).needs_revalidation({})  # no lifetime at all
    # heuristic: 10% of the time since Last-Modified
    lm = {"date": http_date(), "last-modified": http_date(-10_000)}
    assert not policy(lm, age_s=0).needs_revalidation({})
    assert policy({"expires": http_date(-5), "date": http_date()}).needs_revalidation({})
    assert not policy({"expires": http_date(60), "date": http_date()}).needs_revalidation({})
    assert policy({"cache-control": "max-age=300"}).needs_revalidation({"cache-control": "no-cache"})
    assert not policy({"cache-control": "max-age=1"}, age_s=5).needs_revalidation(
        {"cache-control": "max-stale"}
    )
    assert policy({"pragma": "no-cache"}).needs_revalidation({})
    # cargo-cult pre-check/post-check drop no-cache
    assert not policy(
        {"cache-control": "no-cache, max-age=60, pre-check=0, post-check=0"}
    ).needs_revalidation({})


def test_vary() -> None:
    p = policy({"cache-control": "max-age=60", "vary": "Accept"}, req={"accept": "application/json"})
    assert not p.needs_revalidation({"accept": "application/json"})
    assert p.needs_revalidation({"accept": "*/*"})
    assert policy({"cache-control": "max-age=60", "vary": "*"}).needs_revalidation({})


def test_revalidation_headers() -> None:
    p = policy({"etag": 'W/"weak"', "last-modified": "Wed, 01 Jan 2020 00:00:00 GMT"})
    headers = p.revalidation_headers({"accept": "application/json", "connection": "keep-alive"})
    assert headers == {
        "accept": "application/json",
        "if-none-match": 'W/"weak"',
        "if-modified-since": "Wed, 01 Jan 2020 00:00:00 GMT",
    }
    assert p.revalidated(304) and not p.revalidated(200)
    # a 5xx counts as "not modified" only while the entry (plus stale-if-error) is still fresh
    assert p.revalidated(500)  # the Last-Modified heuristic keeps this one fresh
    assert not policy({"cache-control": "max-age=0"}).revalidated(500)
    assert policy({"cache-control": "max-age=60, stale-if-error=600"}).revalidated(503)


@dataclass
class StreamedResponse(FakeResponse):
    """A response whose body the client hashed while reading it (like WireResponse)."""

    computed_integrity: str | None = None


def test_disk_work_runs_off_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from snpm.cache import content

    threads: dict[str, set[int]] = {"write": set(), "read": set(), "bucket": set()}

    def spy(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            threads[name].add(threading.get_ident())
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(content, "write", spy("write", content.write))
    monkeypatch.setattr(content, "read", spy("read", content.read))
    monkeypatch.setattr(index, "read_bucket", spy("bucket", index.read_bucket))
    cache = HttpCache(tmp_path)
    run(cache, FakeRemote([FakeResponse(200, b"doc", {"cache-control": "max-age=300"})]))
    assert run(cache, FakeRemote([])).cache_status == "hit"
    cache.close()
    assert all(threads.values())
    assert not any(threading.get_ident() in seen for seen in threads.values())


def test_streamed_integrity_is_not_hashed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from snpm.cache import content
    from snpm.integrity import compute

    data = b"tarball bytes"
    good = str(compute(data))

    def no_hashing(*args: object, **kwargs: object) -> object:
        raise AssertionError("hashed again")

    monkeypatch.setattr(content, "compute", no_hashing)
    monkeypatch.setattr(content, "check", no_hashing)
    response = StreamedResponse(200, data, {"cache-control": "max-age=300"}, computed_integrity=good)
    result = run(HttpCache(tmp_path), FakeRemote([response]), {}, integrity=good)
    assert result.cache_status == "miss" and result.integrity == good
    monkeypatch.undo()
    assert run(HttpCache(tmp_path), FakeRemote([]), {}, integrity=good).body == data


def test_a_bad_body_still_fails_with_a_streamed_integrity(tmp_path: Path) -> None:
    from snpm.integrity import compute

    wanted = str(compute(b"expected"))
    response = StreamedResponse(200, b"other", {}, computed_integrity=str(compute(b"other")))
    with pytest.raises(SnpmError) as info:
        run(HttpCache(tmp_path), FakeRemote([response]), {}, integrity=wanted)
    assert info.value.code == "EINTEGRITY"
    assert index.find(tmp_path, cache_key(URL)) is None


def test_many_fetches_at_once(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path, workers=3)
    urls = [f"http://reg.test/pkg{i}" for i in range(40)]

    async def fetch_all(mode: CacheMode) -> list[CacheResult]:
        async def one(url: str) -> CacheResult:
            body = url.encode()
            answer = FakeResponse(200, body, {"cache-control": "max-age=300"}, url=url)
            remote = FakeRemote([answer] if mode == "default" else [])
            return await cache.fetch(url, headers=FULL, remote=remote, mode=mode)

        return await asyncio.gather(*(one(url) for url in urls))

    first = asyncio.run(fetch_all("default"))
    assert [r.cache_status for r in first] == ["miss"] * len(urls)
    # the same instance serves another event loop, after close() too
    cache.close()
    again = asyncio.run(fetch_all("only-if-cached"))
    assert [r.body for r in again] == [url.encode() for url in urls]
    assert {r.cache_status for r in again} == {"hit"}
    cache.close()


def test_concurrent_stores_of_one_url_keep_whole_lines(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)

    async def main() -> None:
        async def one(n: int) -> CacheResult:
            answer = FakeResponse(200, f"v{n}".encode(), {"etag": f'"{n}"'})
            return await cache.fetch(URL, headers=FULL, remote=FakeRemote([answer]), mode="reload")

        await asyncio.gather(*(one(n) for n in range(12)))
        await cache.flush()

    asyncio.run(main())
    lines = index.read_bucket(index.bucket_path(tmp_path, cache_key(URL)))
    assert len(lines) == 12
    assert {line.size for line in lines} == {2, 3}


def test_http_dates_read_as_email_utils_reads_them() -> None:
    """The usual `Sun, 06 Nov 1994 08:49:37 GMT` is read without email.utils (~2.5 ms to import):
    valid or not (31 Feb, hour 24, second 60, three-digit years), every date gives what
    `parsedate_to_datetime` gives, and other forms still go to it."""
    import random

    from snpm.cache.http_policy import _imf_fixdate_ms, _parse_date_ms

    rng = random.Random(5)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    texts = [
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49:37 +0100",
        "Sun, 06 Nov 994 08:49:37 GMT",
        "Sun, 29 Feb 2000 00:00:00 GMT",
        "Sun, 29 Feb 1900 00:00:00 GMT",
        "nonsense",
    ]
    for _ in range(20000):
        year = rng.choice([rng.randint(1000, 9999), rng.randint(1960, 2100), 2000, 1900])
        texts.append(
            f"{rng.choice(days)}, {rng.randint(0, 32):02d} {rng.choice(months)} {year} "
            f"{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}:{rng.randint(0, 61):02d} GMT"
        )
    read_directly = 0
    for text in texts:
        try:
            expected: float | None = email.utils.parsedate_to_datetime(text).timestamp() * 1000
        except (TypeError, ValueError, IndexError, OverflowError):
            expected = None
        assert _parse_date_ms(text) == expected, text
        read_directly += _imf_fixdate_ms(text) is not None
    assert read_directly > 15000

"""Several processes write the same and different keys, contents and store packages at once.

Everything must read back, verify, and no bucket line may be torn: content goes through tmp + rename,
index lines are single O_APPEND writes.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

from snpm.cache import content, index, maintenance, store
from snpm.integrity import compute

WORKERS = 6
ROUNDS = 40
SHARED = b"shared bytes " * 1000
SHARED_PKG = str(compute(b"shared tarball"))


def _own_bytes(worker: int, n: int) -> bytes:
    return f"worker {worker} round {n} ".encode() * (50 + n)


def _work(cache: str, worker: int, barrier: Barrier) -> None:
    root = Path(cache)
    barrier.wait()
    for n in range(ROUNDS):
        shared_sri = content.write(root, SHARED)
        index.insert(root, "shared", shared_sri, size=len(SHARED), metadata={"worker": worker, "n": n})
        data = _own_bytes(worker, n)
        if n % 2:
            with content.ContentWriter(root, algorithms=("sha512", "sha1")) as out:
                out.write(data[:7])
                out.write(data[7:])
                own_sri = out.commit()
        else:
            own_sri = content.write(root, data)
        index.insert(root, f"own:{worker}:{n}", own_sri, size=len(data), metadata={"worker": worker})
        store.add_package(
            root,
            SHARED_PKG,
            [("package.json", 0o644, b'{"name":"shared"}'), ("bin/x", 0o755, b"#!/bin/sh\n")],
        )


def test_concurrent_writers(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_work, args=(str(tmp_path), w, barrier)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    # every line of the hot bucket survived whole
    shared_lines = index.read_bucket(index.bucket_path(tmp_path, "shared"))
    assert len(shared_lines) == WORKERS * ROUNDS
    raw_lines = index.bucket_path(tmp_path, "shared").read_bytes().split(b"\n")
    assert raw_lines[0] == b"" and len(raw_lines) == WORKERS * ROUNDS + 1

    entry = index.find(tmp_path, "shared")
    assert entry is not None
    assert content.read(tmp_path, entry.integrity) == SHARED

    listed = index.ls(tmp_path)
    assert len(listed) == 1 + WORKERS * ROUNDS
    for w in range(WORKERS):
        for n in range(ROUNDS):
            own = listed[f"own:{w}:{n}"]
            assert content.read(tmp_path, own.integrity, size=own.size) == _own_bytes(w, n)

    out = tmp_path / "node_modules" / "shared"
    store.materialize(tmp_path, SHARED_PKG, out)
    assert (out / "bin" / "x").read_bytes() == b"#!/bin/sh\n"

    stats = maintenance.verify(tmp_path)
    assert stats.bad_content_count == 0
    assert stats.missing_content == 0
    assert stats.total_entries == 1 + WORKERS * ROUNDS
    # shared blob once + each own blob (half of them under sha1 too)
    assert stats.verified_content == 1 + WORKERS * ROUNDS + WORKERS * ROUNDS // 2
    assert stats.reclaimed_count == 0

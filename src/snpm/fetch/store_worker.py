"""The loop a store worker process runs (see `snpm.fetch.store_workers`): tarballs in, indexes out.

Requests and replies are length-prefixed pickles on stdin and stdout, one at a time:
    request  (cache_dir, integrity, tarball bytes, umask, process_umask)
    reply    ("ok", PackageFiles) or ("error", exception)
The worker ignores SIGINT (the parent decides what an interruption means) and ends at the end of its
input. Kept apart from the parent's side so that a worker imports no asyncio.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from pathlib import Path
from typing import BinaryIO

__all__ = ["FRAME", "main", "serve"]

FRAME = struct.Struct("!Q")


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def _reply(result: object) -> bytes:
    try:
        return pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:  # noqa: BLE001 - anything unpicklable becomes an error reply
        return pickle.dumps(("error", RuntimeError(f"store worker: {err}")))


def _error(err: BaseException) -> bytes:
    try:
        return pickle.dumps(("error", err), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception that does not pickle travels as its text
        return pickle.dumps(("error", RuntimeError(str(err))))


def serve(stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """Answer store requests until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout.buffer
    from snpm.fetch.store import store_tarball

    while True:
        head = _read_exactly(source, FRAME.size)
        if head is None:
            return
        payload = _read_exactly(source, FRAME.unpack(head)[0])
        if payload is None:
            return
        cache_dir, integrity, data, umask, process_umask = pickle.loads(payload)
        try:
            stored = store_tarball(Path(cache_dir), integrity, data, umask=umask, process_umask=process_umask)
        except Exception as err:  # noqa: BLE001 - sent back and raised in the parent
            reply = _error(err)
        else:
            reply = _reply(stored)
        sink.write(FRAME.pack(len(reply)))
        sink.write(reply)
        sink.flush()


def main() -> None:
    """The worker process: serve, then end without the interpreter's teardown, which the parent
    would wait for (~30 ms). Every reply was flushed, and every file it stands for written, before
    the input ended."""
    serve()
    os._exit(0)


if __name__ == "__main__":
    main()

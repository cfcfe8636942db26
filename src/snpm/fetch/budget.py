"""A weighted semaphore for the bytes being unpacked at once (`FetchSource` bounds the tarballs held
whole in memory with it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

__all__ = ["ByteBudget"]


class ByteBudget:
    """A weighted semaphore: at most `limit` units held at once; a request of more than `limit`
    units waits until nothing else is held, then holds all of it."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def hold(self, units: int) -> AsyncIterator[None]:
        units = max(0, min(units, self._limit))
        async with self._changed:
            await self._changed.wait_for(lambda: self._used + units <= self._limit)
            self._used += units
        try:
            yield
        finally:
            async with self._changed:
                self._used -= units
                self._changed.notify_all()

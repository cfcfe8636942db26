"""A FetchSource against a FakeRegistry, run with asyncio.run, with an npm cache in a test folder."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from snpm.cache.http_cache import HttpCache
from snpm.fetch.context import PrepareHook
from snpm.fetch.options import FetchOptions
from snpm.fetch.source import FetchSource
from snpm.git import Git
from snpm.registry_client import RegistryClient
from support.fake_registry import FakeRegistry, settings_for

T = TypeVar("T")


@dataclass
class Harness:
    registry: FakeRegistry
    root: Path
    logs: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def options(self, **overrides: Any) -> FetchOptions:
        return FetchOptions(**{"registry": self.registry.url, "node_version": "v20.0.0", **overrides})

    def client(self, **settings: Any) -> RegistryClient:
        return RegistryClient(
            settings_for(self.registry, cache=self.cache, **settings), cache=HttpCache(self.cache)
        )

    def run(
        self,
        body: Callable[[FetchSource], Awaitable[T]],
        *,
        options: FetchOptions | None = None,
        prepare: PrepareHook | None = None,
        client: RegistryClient | None = None,
        cache: bool = True,
        git_env: dict[str, str] | None = None,
        **settings: Any,
    ) -> T:
        async def main() -> T:
            the_client = client or self.client(**settings)
            async with (
                the_client,
                FetchSource(
                    the_client,
                    cache_dir=self.cache if cache else None,
                    options=options or self.options(),
                    log=lambda *line: self.logs.append(line),
                    prepare=prepare,
                ) as source,
            ):
                if git_env is not None:
                    source.ctx.git_client = Git(env=git_env)
                return await body(source)

        return asyncio.run(main())

    def warnings(self) -> list[str]:
        return [message for level, _, message in self.logs if level == "warn"]

"""`snpm ping`: npm's lib/commands/ping.js (PING/PONG notices; --json prints the timing)."""

from __future__ import annotations

import json
from typing import ClassVar

from snpm.cli.command import Command
from snpm.ops import registry_view


class Ping(Command):
    name = "ping"
    summary = "Ping npm registry"
    params: ClassVar[tuple[str, ...]] = ("registry",)

    async def run(self, args: list[str]) -> None:
        out = self.ctx.out
        result = await registry_view.ping(self.ctx.config, out.emit)
        if self.ctx.config.get("json"):
            out.json({"registry": result.registry, "time": result.time_ms, "details": result.details})
        elif isinstance(result.details, dict | list) and result.details:
            out.log.notice("PONG", json.dumps(result.details, indent=2, ensure_ascii=False))

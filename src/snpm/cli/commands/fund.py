"""`snpm fund`: npm's lib/commands/fund.js.

Without an argument: the funding tree (libnpmfund) as archy text, or its object with --json.
With one: that package's funding URL is opened (`--which=N` picks among several; with more than
one and no --which they are listed), through npm's open-url rules (`--browser=false` prints it).
The package is looked up in the tree first (a folder path, or the highest installed version of the
name), then in the registry.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.ls import InspectCommand
from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.tree import Node

__all__ = ["Fund"]


class Fund(InspectCommand):
    name = "fund"
    summary = "Retrieve funding information"
    usage: ClassVar[tuple[str, ...]] = ("[<package-spec>]",)
    params: ClassVar[tuple[str, ...]] = ("json", "browser", "unicode", "workspace", "which")

    def usage_message(self, **params: str) -> str:
        text = f"`npm {self.name}"
        if params:
            text += f" {','.join(self.usage)}"
        for key, value in params.items():
            text += f" --{key}={value}"
        return text + "`"

    async def run(self, args: list[str]) -> None:
        config = self.ctx.config
        which = config.get("which")
        number: int | None = None
        if which is not None:
            number = _parse_int(which)
            if number is None or number < 1:
                raise SnpmError(
                    f"{self.usage_message(which='fundingSourceNumber')} must be given a positive integer",
                    code="EFUNDNUMBER",
                )
        if config.is_global:
            raise SnpmError(f"{self.usage_message()} does not support global packages", code="EFUNDGLOBAL")
        from snpm.ops.inspect.loading import load_tree_for

        where = str(config.prefix)
        tree = await load_tree_for(
            where,
            flat=config.flat,
            log=self.ctx.out.emit,
        )
        if args:
            await self.open_funding_url(tree, where, args[0], number)
            return
        from snpm.ops.inspect.chalk import Chalk
        from snpm.ops.inspect.fund import human_tree, read_tree

        info = read_tree(tree, self.workspace_names, self.warn)
        if config.get("json"):
            self.ctx.out.json(info)
        else:
            self.ctx.out.standard(human_tree(info, Chalk(self.color), unicode=bool(config.get("unicode"))))

    async def open_funding_url(self, tree: Node, where: str, spec: str, number: int | None) -> None:
        from snpm.ops.inspect.fund import encode_uri, funding_sources
        from snpm.ops.inspect.package_lookup import installed_package, registry_manifest

        pkg = installed_package(tree, spec, where)
        if pkg is None:
            pkg = await registry_manifest(self.ctx.config, spec, where, command=self.ctx.command or self.name)
        funding: JsonValue = pkg.get("funding")
        sources = funding_sources(funding)
        if not sources:
            raise SnpmError(f"No valid funding method available for: {spec}", code="ENOFUND")
        if number is not None:
            chosen = sources[number - 1] if number <= len(sources) else None
        else:
            chosen = sources[0] if len(sources) == 1 else None
        if chosen is not None:
            await self.open_url(encode_uri(chosen.url), chosen.message())
            return
        lines = [f"{i + 1}: {s.message()}: {s.url}" for i, s in enumerate(sources)]
        lines.append(
            f"Run {self.usage_message(which='1')}, for example, to open the first funding URL listed in that package"
        )
        if number:
            lines.insert(0, f"--which={number} is not a valid index")
        self.ctx.out.standard("\n".join(lines))

    async def open_url(self, url: str, title: str) -> None:
        """npm's open-url.js openUrl (the URL is already encodeURI'd)."""
        from snpm.cli.prompts import TerminalInteraction
        from snpm.ops.auth_flow import is_http_url

        interaction = TerminalInteraction(self.ctx.out, self.ctx.config)
        if self.ctx.config.get("browser") is not False and not is_http_url(url):
            raise SnpmError(f"Invalid URL: {url}")
        await interaction.open_url(url, title)


def _parse_int(value: object) -> int | None:
    """parseInt(value, 10) for a config value (None for NaN)."""
    import re

    match = re.match(r"^\s*([+-]?\d+)", str(value))
    return int(match.group(1)) if match else None

"""`snpm query <selector>`: npm's lib/commands/query.js (always JSON output).

npm turns `--json` on in the command's constructor, so errors are also reported as a JSON object
on stdout. `--expect-results` / `--expect-result-count` warn and exit 1 when the count disagrees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from snpm.cli.command import CommandContext
from snpm.cli.commands.ls import InspectCommand, exit_with
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue

if TYPE_CHECKING:
    from snpm.ops.query_engine import QueryContext
    from snpm.registry_client import RegistryClient
    from snpm.tree import Node

__all__ = ["Query"]


class Query(InspectCommand):
    name = "query"
    summary = "Retrieve a filtered list of packages"
    usage: ClassVar[tuple[str, ...]] = ("<selector>",)
    params: ClassVar[tuple[str, ...]] = (
        "global",
        "workspace",
        "workspaces",
        "include-workspace-root",
        "package-lock-only",
        "expect-results",
        "before",
        "min-release-age",
        "min-release-age-exclude",
    )
    # a BaseCommand in npm, not an arborist one: --include-workspace-root adds the root
    include_root_in_selection: ClassVar[bool] = True

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        ctx.config.set("json", True)
        ctx.out.settings = ctx.out.settings._replace(json=True)

    async def load(self, path: str) -> Node:
        from snpm.ops.inspect.loading import load_tree_for

        config = self.ctx.config
        if config.get("package-lock-only"):
            try:
                return await load_tree_for(
                    path, package_lock_only=True, flat=config.flat, log=self.ctx.out.emit
                )
            except SnpmError as err:
                self.ctx.out.log.verbose("loadVirtual", err.message)
                raise self.usage_error(
                    "A package lock or shrinkwrap file is required in package-lock-only mode"
                ) from None
        return await load_tree_for(
            path,
            global_=config.is_global,
            force_actual=True,
            flat=config.flat,
            log=self.ctx.out.emit,
        )

    async def run(self, args: list[str]) -> None:
        from snpm.ops.inspect.loading import global_tree_path

        config = self.ctx.config
        path = global_tree_path(config) if config.is_global else str(config.local_prefix)
        tree = await self.load(path)
        await self.run_query([tree], args)

    async def run_workspaces(self, args: list[str]) -> None:
        from snpm.ops.query_engine import query_selector_all

        self.select_workspaces()
        tree = await self.load(str(self.ctx.config.prefix))
        trees: list[Node] = []
        for path in self.workspace_paths:
            if path == tree.root.path:
                trees.append(tree)  # --include-workspace-root
                continue
            found = await query_selector_all(tree, f".workspace:path({path})")
            if found:
                trees.append(found[0].target)
        await self.run_query(trees, args)

    async def run_query(self, trees: list[Node], args: list[str]) -> None:
        from snpm.ops.inspect.query import QueryCollector

        async with self.query_context() as context:
            collector = QueryCollector(context)
            for tree in trees:
                await collector.query(tree, args[0] if args else "")
        items: list[JsonValue] = list(collector.items())
        code = self.check_expected(len(items))
        self.ctx.out.json(items)
        exit_with(code)

    def check_expected(self, entries: int) -> int:
        """base-cmd.js checkExpected: warn and exit 1 when the result count is not the expected one."""
        config = self.ctx.config
        if not config.is_default("expect-results"):
            expected = config.get("expect-results")
            if bool(entries) != bool(expected):
                self.warn(self.name, f"Expected {'' if expected else 'no '}results, got {entries}")
                return 1
        elif not config.is_default("expect-result-count"):
            count = config.get("expect-result-count")
            if count != entries:
                self.warn(
                    self.name,
                    f"Expected {_js_number(count)} result{'' if count == 1 else 's'}, got {entries}",
                )
                return 1
        return 0

    def query_context(self) -> _ContextScope:
        return _ContextScope(self)


def _js_number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _ContextScope:
    """The QueryContext with a registry client opened on first use (`:outdated`, `:vuln`)."""

    def __init__(self, command: Query) -> None:
        self.command = command
        self.client: RegistryClient | None = None

    async def __aenter__(self) -> QueryContext:
        from snpm.fetch.options import fetch_options
        from snpm.ops.inspect.outdated import is_release_age_excluded
        from snpm.ops.query_engine import QueryContext

        config = self.command.ctx.config
        flat = config.flat
        exclude = flat.get("minReleaseAgeExclude")
        patterns = tuple(str(p) for p in exclude) if isinstance(exclude, list) else ()
        return QueryContext(
            packument=self.packument,
            advisories=self.advisories,
            warn=self.command.warn,
            before_ms=fetch_options(config).before_ms,
            release_age_excluded=lambda name: is_release_age_excluded(name, patterns),
        )

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            await self.client.close()

    async def open(self) -> RegistryClient:
        if self.client is None:
            from snpm.ops.context import registry_client

            ctx = self.command.ctx
            self.client = registry_client(ctx.config, ctx.command or self.command.name, log=ctx.out.emit)
            await self.client.__aenter__()
        return self.client

    async def packument(self, name: str) -> JsonObject:
        from snpm.fetch.options import fetch_options
        from snpm.registry_client import fetch_packument

        client = await self.open()
        full = fetch_options(self.command.ctx.config).before_ms is not None
        return await fetch_packument(client, name, full=full)

    async def advisories(self, body: JsonObject) -> JsonObject:
        client = await self.open()
        flat = self.command.ctx.config.flat
        registry = str(flat.get("auditRegistry") or flat.get("registry"))
        response = await client.post(
            "/-/npm/v1/security/advisories/bulk", json=body, gzip=True, registry=registry
        )
        result = response.json()
        return result if isinstance(result, dict) else {}

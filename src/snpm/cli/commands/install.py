"""`snpm install` (aliases i, add, in, ins, …): npm's lib/commands/install.js, plus what every
command that reifies shares (lib/arborist-cmd.js and lib/utils/reify-finish.js / reify-output.js).

`ArboristCommand` gives the family npm's workspace handling (-w/-ws pick the workspaces, which
arborist then filters on), the progress display, script banners, and `finish`: the allowScripts
advisory, then `\\nadded N packages in 2s`, the funding lines, or the `--json` summary object;
nothing at all with --silent.

The script policy, the audit renderer and the workspace selection are imported where they are
used: an install that runs no scripts and no audit does not load them.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, ClassVar

from snpm.cli.command import Command, CommandContext
from snpm.cli.command_table import did_you_mean
from snpm.cli.noop import process_age
from snpm.cli.progress import progress_for
from snpm.errors import UsageError
from snpm.ops import install as install_ops
from snpm.ops.allow_scripts_workspace import warn_workspace_allow_scripts
from snpm.ops.global_mode import preserve_builtin_config
from snpm.ops.reify_output import (
    changed_message,
    diff_lines,
    funding_count,
    funding_lines,
    linked_diff_lines,
    summarize,
    summary_json,
)
from snpm.ops.reify_session import ReifyIO

if TYPE_CHECKING:
    from collections.abc import Sequence

    from snpm.lifecycle import Unreviewed
    from snpm.ops.audit_output import ReifyAudit
    from snpm.ops.noop_install import NoopHit
    from snpm.ops.reify_session import ReifyOutcome

__all__ = ["ArboristCommand", "Install"]


class ArboristCommand(Command):
    """A command that reifies: npm's ArboristWorkspaceCmd."""

    params: ClassVar[tuple[str, ...]] = ("workspace", "workspaces", "include-workspace-root", "install-links")
    workspaces = True
    ignore_implicit_workspace = False

    _workspace_names: tuple[str, ...] = ()

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        config = ctx.config
        # arborist-cmd.js: an explicit --audit does nothing in global mode (a default one is off)
        if config.is_global and not config.is_default("audit") and config.get("audit"):
            ctx.out.log.warn("config", "includes both --global and --audit, which is currently unsupported.")

    async def run_workspaces(self, args: list[str]) -> None:
        from snpm.ops import scripts as scripts_ops

        settings = scripts_ops.scripts_settings(self.ctx.config)
        selected = scripts_ops.select_workspaces(
            scripts_ops.ScriptsSettings(
                local_prefix=settings.local_prefix,
                include_workspace_root=False,
                workspace_filters=settings.workspace_filters,
            ),
            str(self.ctx.cwd),
        )
        self._workspace_names = tuple(selected)
        await self.run(args)

    # ── wiring ──

    def banner(self, text: str) -> None:
        out = self.ctx.out
        if out.settings.loglevel == "silent":
            return
        if out.settings.json:
            out.error(text)
        else:
            out.standard(text)
        for stream in (out.stdout, out.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()

    def install_context(self) -> install_ops.InstallContext:
        ctx = self.ctx
        out = ctx.out
        progress = progress_for(
            out.stderr,
            ctx.env,
            enabled=bool(ctx.config.get("progress")),
            loglevel=out.settings.loglevel,
            json=out.settings.json,
        )
        io = ReifyIO(log=out.emit, progress=progress, banner=self.banner, color=out.settings.color_stdout)
        return install_ops.InstallContext(
            config=ctx.config,
            env=ctx.env,
            io=io,
            command=ctx.command or self.name,
            workspaces=self._workspace_names,
            started=time.monotonic() - process_age(),
        )

    def stop_progress(self, context: install_ops.InstallContext) -> None:
        if context.io.progress is not None:
            context.io.progress.stop()

    def usage_from(self, err: UsageError) -> UsageError:
        return err if err.usage else self.usage_error(err.message)

    def suggest(self, event: str, scripts: object, bins: object) -> str:
        return did_you_mean(
            event,
            {str(k): str(v) for k, v in scripts.items()} if isinstance(scripts, dict) else {},
            {str(k): str(v) for k, v in bins.items()} if isinstance(bins, dict) else {},
        )

    # ── reify-finish ──

    def finish(self, outcome: ReifyOutcome) -> int:
        """npm's reifyFinish: advisories, then the summary and the audit (or nothing when silent).
        Returns the audit's exit code (only `npm audit fix` has one)."""
        tree = outcome.tree
        if tree.global_ and not outcome.dry_run:
            preserve_builtin_config(self.ctx.config, tree)
        unreviewed = self._script_advisories(outcome)
        return self.finish_summary(outcome, unreviewed)

    def finish_summary(self, outcome: ReifyOutcome, unreviewed: Sequence[Unreviewed] = ()) -> int:
        """The end of reifyFinish: what changed, funding, the audit's report, and the install
        scripts nobody reviewed (a warning last, or a list in the --json summary); its exit code."""
        out = self.ctx.out
        config = self.ctx.config
        tree = outcome.tree
        audit = self.reify_audit(outcome)
        if out.settings.loglevel == "silent":
            return audit.exit_code if audit is not None else 0
        summary = summarize(
            outcome.plan,
            tree,
            fund=bool(config.get("fund")),
            audited=audit.audited if audit else 0,
            linked=outcome.linked,
            linked_failed=outcome.linked_failed,
        )
        # reify-output.js prints the diff as it counts it, so it comes before the --json summary too
        if config.get("dry-run") or config.get("long"):
            if outcome.plan is not None:
                for line in diff_lines(outcome.plan, color=out.settings.color_stdout):
                    out.standard(line)
            elif outcome.linked is not None:
                for line in linked_diff_lines(outcome.linked, color=out.settings.color_stdout):
                    out.standard(line)
        if out.settings.json:
            data = summary_json(summary)
            if audit is not None:
                data["audit"] = audit.json
            if unreviewed:
                from snpm.lifecycle import unreviewed_json

                data["unreviewedScripts"] = unreviewed_json(unreviewed)
            out.json(data)
            return audit.exit_code if audit is not None else 0
        elapsed_ms = (time.monotonic() - outcome.started) * 1000
        out.standard("\n" + changed_message(summary, round(elapsed_ms)))
        for line in funding_lines(summary):
            out.standard(line)
        if audit is not None and audit.report:
            out.standard("\n" + audit.report)
        if unreviewed:
            from snpm.lifecycle import unreviewed_scripts_message

            message = unreviewed_scripts_message(unreviewed, global_=config.is_global)
            if message is not None:
                out.log.warn("install-scripts", message)
        return audit.exit_code if audit is not None else 0

    def _script_advisories(self, outcome: ReifyOutcome) -> list[Unreviewed]:
        """The warning about allow-scripts set in a workspace (now), and the install scripts
        nobody reviewed (told with the summary)."""
        out = self.ctx.out
        config = self.ctx.config
        tree = outcome.tree
        warn_workspace_allow_scripts(tree.inventory.values(), out.emit)
        ignore_scripts = bool(config.get("ignore-scripts"))
        allow_all = bool(config.flat.get("dangerouslyAllowAllScripts"))
        if ignore_scripts or allow_all:
            return []
        from snpm.lifecycle import collect_unreviewed_scripts, read_installed_package
        from snpm.ops.reify_bridge import build_node

        # npm checks the tree it just built, on a dry run too
        return collect_unreviewed_scripts(
            [build_node(n) for n in tree.inventory.values()],
            outcome.allow_scripts,
            read_installed_package,
            ignore_scripts=ignore_scripts,
            dangerously_allow_all_scripts=allow_all,
            where=str(config.local_prefix),
        )

    def reify_audit(self, outcome: ReifyOutcome) -> ReifyAudit | None:
        """The audit that followed the reify (snpm.ops.audit), as reify-output.js prints it."""
        from snpm.ops.audit import AuditedOutcome

        if not isinstance(outcome, AuditedOutcome) or outcome.audit is None:
            return None  # what reify_audit says about a run without an audit
        from snpm.ops.audit_output import reify_audit
        from snpm.ops.inspect.chalk import Chalk

        out = self.ctx.out
        level = self.ctx.config.get("audit-level")
        return reify_audit(
            outcome.audit,
            outcome.audited,
            command=self.ctx.command or self.name,
            chalk=Chalk(out.settings.color_stdout),
            audit_level=level if isinstance(level, str) else None,
            json=out.settings.json,
            silent=out.settings.loglevel == "silent",
        )


class Install(ArboristCommand):
    name = "install"
    summary = "Install a package"
    usage: ClassVar[tuple[str, ...]] = ("[<package-spec> ...]",)
    params: ClassVar[tuple[str, ...]] = (
        "save",
        "save-exact",
        "global",
        "install-strategy",
        "legacy-bundling",
        "global-style",
        "omit",
        "include",
        "strict-peer-deps",
        "prefer-dedupe",
        "package-lock",
        "package-lock-only",
        "foreground-scripts",
        "ignore-scripts",
        "allow-directory",
        "allow-file",
        "allow-git",
        "allow-remote",
        "allow-scripts",
        "strict-allow-scripts",
        "dangerously-allow-all-scripts",
        "audit",
        "before",
        "min-release-age",
        "min-release-age-exclude",
        "bin-links",
        "fund",
        "dry-run",
        "cpu",
        "os",
        "libc",
        *ArboristCommand.params,
    )

    async def run(self, args: list[str]) -> None:
        from snpm.ops.noop_install import root_files_digest

        context = self.install_context()
        out = self.ctx.out
        mark = len(out.alerts)
        files_before = root_files_digest(self.ctx.config)
        try:
            outcome = await install_ops.install(context, args)
        except UsageError as err:
            raise self.usage_from(err) from None
        finally:
            self.stop_progress(context)
        self.finish(outcome)
        self.leave_stamp(args, outcome, alerts=out.alerts[mark:], files_before=files_before)

    async def run_noop(self, hit: NoopHit) -> None:
        """An install its stamp found nothing to do for, that audits (snpm.ops.noop_install): the
        warnings a no-op shows again, the audit of the lockfile's tree, the summary."""
        from snpm.cli.noop import split_alerts

        out = self.ctx.out
        before, after = split_alerts(hit.alerts)
        for level, title, text in before:
            out.emit(level, title, text)
        context = self.install_context()
        try:
            outcome = await install_ops.audit_unchanged(context)
        finally:
            self.stop_progress(context)
        # the unreviewed install scripts were among the warnings kept: shown after the summary
        self.finish_summary(outcome)
        if out.settings.loglevel != "silent":
            for level, title, text in after:
                out.emit(level, title, text)

    def leave_stamp(
        self,
        args: list[str],
        outcome: ReifyOutcome,
        *,
        alerts: list[tuple[str, str, str]],
        files_before: str,
    ) -> None:
        """Let the next `snpm install` see that it has nothing to do (snpm.ops.noop_install)."""
        from snpm.ops.noop_install import remove_stamp, root_files_digest, write_stamp

        config = self.ctx.config
        if outcome.dry_run:
            return  # nothing on disk changed: a stamp still says what it said
        linked = outcome.linked
        if linked is not None and (
            # arborist's links to undeclared workspaces are "added" by every linked install: never
            # a no-op (their scripts and the root's dependencies scripts run each time)
            linked.layout.undeclared
            # the hidden lockfile of a linked install copies the packages' fields: a package
            # read from the registry has its `_integrity`, and the next install, which reads it
            # from the lockfile, writes the file again without
            or any("_integrity" in folder.node.package for folder in linked.layout.store)
        ):
            remove_stamp(config)
            return
        if alerts:
            # what this run printed, a no-op prints again only if this run was one already:
            # nothing reified, package.json and the lockfile as they were
            changed = outcome.plan is None or next(outcome.plan.diffs(), None) is not None
            if changed or root_files_digest(config) != files_before:
                remove_stamp(config)
                return
        funding = funding_count(outcome.tree) if config.get("fund") else 0
        write_stamp(config, args, outcome.tree, funding=funding, refetch=outcome.refetch, alerts=alerts)

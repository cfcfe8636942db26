"""`npm audit` and `npm audit fix` (lib/commands/audit.js with arborist's audit()), and the quick
audit the install family runs after a reify (arborist reify.js `[_submitQuickAudit]`).

    audit        the lockfile's tree (node_modules' ideal tree with --no-package-lock), filtered to
                 the chosen workspaces, audited; ENOLOCK without a lockfile, EAUDITGLOBAL with -g
    audit fix    audit, then rebuild the ideal tree with the report: the dependents of vulnerable
                 nodes are re-resolved, steering away from the vulnerable ranges; with --force the
                 top-level fixes outside the stated ranges are added like `npm install name@version`
                 (`npm warn audit Updating x to 2.0.0, which is a SemVer major change.`); then reify.
                 The report printed afterwards is a fresh audit of the new tree, except on a dry run,
                 where it is the first report, on the tree as the build left it (npm shows nodes the
                 fix replaced with an empty location)
    quick audit  after install, ci, update, …: the ideal tree audited when `audit` is on and it is
                 not a dry run; failures are kept on the report, which the front end ignores

arborist builds the ideal tree on the very tree it audited; snpm's builder loads its own copy of the
lockfile, so the report is moved onto that copy (`AuditReport.rebase`) once the builder has loaded
it, before any node is replaced.

`snpm.audit_report` (and the manifest picker it brings) is imported where a report is made: an
install with `--no-audit` never loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snpm.config import Config
from snpm.errors import SnpmError
from snpm.fetch.options import fetch_options
from snpm.json_types import JsonObject
from snpm.manifest import add_dependencies
from snpm.ops.audit_policy import audit_enabled
from snpm.ops.reify_session import ReifyOutcome, ReifyRequest, ReifySession
from snpm.spec import AliasSpec, parse_spec
from snpm.tree.ideal.build import IdealTree, IdealTreeBuilder
from snpm.tree.ideal.results import ResolvedAdd
from snpm.tree.lockfile_bridge import load_tree
from snpm.tree.node import Node

if TYPE_CHECKING:
    from snpm.audit_report import AuditOptions, AuditReport
    from snpm.fetch.base import ResolvedManifest
    from snpm.fetch.source import FetchSource
    from snpm.ops.install import InstallContext
    from snpm.spec import PackageSpec

__all__ = [
    "AuditedOutcome",
    "audit_enabled",
    "audit",
    "audit_fix",
    "audit_options",
    "blocked_fixes",
    "quick_audit",
    "with_quick_audit",
]


LogFn = Callable[[str, str, str], None]


class AuditedOutcome(ReifyOutcome):
    """A reify with the audit that followed it: `audit` is None when none ran (`--no-audit`, a dry
    run); `audited` is npm's count (the nodes of the tree as it now is)."""

    audit: AuditReport | None = None
    audited: int = 0


def _str_list(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def audit_options(
    config: Config, *, filter_set: Collection[Node] | None = None, audit: bool | None = None
) -> AuditOptions:
    """audit-report.js's options from npm's flatOptions (`audit` forced on by `npm audit`)."""
    from snpm.audit_report import AuditOptions
    from snpm.ops.inspect.outdated import is_release_age_excluded

    flat = config.flat
    fetch = fetch_options(config)
    patterns = _str_list(flat.get("minReleaseAgeExclude"))
    return AuditOptions(
        audit=flat.get("audit") is not False if audit is None else audit,
        offline=bool(flat.get("offline")),
        omit=frozenset(_str_list(flat.get("omit"))),
        default_tag=fetch.default_tag,
        node_version=fetch.node_version,
        npm_version=fetch.npm_version,
        before_ms=fetch.before_ms,
        release_age_excluded=lambda name: is_release_age_excluded(name, patterns),
        filter_set=filter_set,
    )


def _audit_registry(config: Config) -> str:
    flat = config.flat
    return str(flat.get("auditRegistry") or flat.get("registry"))


async def _load_report(
    session: ReifySession, tree: Node, *, filter_set: Collection[Node] | None, audit: bool | None
) -> AuditReport:
    from snpm.audit_report import AuditReport, bulk_from_client

    return await AuditReport.load(
        tree,
        audit_options(session.config, filter_set=filter_set, audit=audit),
        bulk=bulk_from_client(session.client, _audit_registry(session.config)),
        packument=session.source.packument,
    )


def _workspace_filter(
    session: ReifySession, tree: Node, *, exclude_when_disabled: bool
) -> dict[Node, None] | None:
    """The nodes a workspace-filtered command audits (arborist workspaceDependencySet, or
    excludeWorkspacesDependencySet with --workspaces=false)."""
    from snpm.ops.inspect.loading import exclude_workspaces_dependency_set, workspace_dependency_set

    flat = session.flat
    filter_set: dict[Node, None] | None = None
    if session.workspaces:
        filter_set = workspace_dependency_set(
            tree,
            session.workspaces,
            lambda title, message: session.io.log("warn", title, message),
            bool(flat.get("includeWorkspaceRoot")),
        )
    if exclude_when_disabled and flat.get("workspacesEnabled") is False:
        filter_set = exclude_workspaces_dependency_set(tree)
    return filter_set


def _no_global(config: Config) -> None:
    if config.is_global:
        raise SnpmError("`npm audit` does not support testing globals", code="EAUDITGLOBAL")


async def _audited_tree(session: ReifySession) -> Node:
    """The tree `npm audit` looks at: the lockfile's, or with --no-package-lock the ideal tree
    built from node_modules and package.json."""
    if session.flat.get("packageLock") is False:
        built = await session.build_ideal(session.ideal_options(ReifyRequest()))
        return built.root
    return load_tree(session.root)


# ── npm audit ──


async def audit(ctx: InstallContext) -> AuditReport:
    """`npm audit`: the report (its `error` set when the registry's audit endpoint failed)."""
    _no_global(ctx.config)
    async with ctx.session() as session:
        tree = await _audited_tree(session)
        filter_set = _workspace_filter(session, tree, exclude_when_disabled=True)
        return await _load_report(session, tree, filter_set=filter_set, audit=True)


# ── npm audit fix ──


class _AvoidingSource:
    """The builder's manifests, steered away from each package's vulnerable range (arborist
    `#avoidRange`, passed to pacote as `avoid`), with `before` lifted for the packages
    `min-release-age-exclude` names (arborist `#releaseAgeBefore`, keyed on an alias's target)."""

    def __init__(self, inner: FetchSource, report: AuditReport) -> None:
        self.inner = inner
        self.report = report

    async def packument(self, name: str, *, full: bool = False) -> JsonObject:
        return await self.inner.packument(name, full=full)

    async def manifest(self, spec: PackageSpec, *, where: Path, is_root: bool = False) -> ResolvedManifest:
        trusted = spec.sub_spec.name if isinstance(spec, AliasSpec) else spec.name
        excluded = bool(trusted) and self.report.options.release_age_excluded(trusted or "")
        return await self.inner.manifest(
            spec,
            where=where,
            avoid=self.report.avoid_range(spec.name),
            apply_before=not excluded,
            is_root=is_root,
        )


class _FixBuilder(IdealTreeBuilder):
    """The ideal-tree builder of `npm audit fix`. The report moves onto the builder's tree once it
    is loaded. With --force the fixes outside the ranges are added to the project or workspace
    holding each vulnerable package, as arborist's `#add(node)` does: each touched package.json
    gets every fix added so far, and the save prefix only for its own."""

    def __init__(self, *args: Any, report: AuditReport, force: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.report = report
        self.force = force

    async def apply_user_requests(self) -> None:
        report = self.report
        report.rebase(self.tree)
        if self.force and report.top_vulns:
            touched: dict[Node, None] = {}
            for node, raw in _forced_fixes(report, self.log):
                spec = parse_spec(raw)
                assert spec.name is not None
                self.resolved_add.append(ResolvedAdd(spec.name, spec.raw_spec, spec, node))
                pkg, warnings = add_dependencies(
                    node.package, [(item.name, item.raw_spec) for item in self.resolved_add]
                )
                for message in warnings:
                    self.warn("idealTree", message)
                node.package = pkg
                touched[node] = None
            for node in touched:
                node.package = node.package
        await super().apply_user_requests()


def _forced_fixes(report: AuditReport, log: LogFn) -> list[tuple[Node, str]]:
    """build-ideal-tree.js `#queueVulnDependents` with --force: the fixes outside the stated
    ranges, as (project or workspace node, `name@version`), with npm's warnings."""
    from snpm.audit_report import FixAvailable

    adds: list[tuple[Node, str]] = []
    for name, top_vuln in report.top_vulns.items():
        simple_range = top_vuln.simple_range
        for node in list(top_vuln.top_nodes):
            if not node.is_project_root and not node.is_workspace:
                log(
                    "warn",
                    "audit",
                    f"Manual fix required in linked project at ./{node.location} for "
                    f"{name}@{simple_range}.\n'cd ./{node.location}' and run 'npm audit' for details.",
                )
                continue
            fix = top_vuln.fix_available
            if fix is False:
                log("warn", "audit", f"No fix available for {name}@{simple_range}")
                continue
            if not isinstance(fix, FixAvailable):
                continue
            breaking = (
                "a SemVer major change" if fix.is_semver_major else "outside your stated dependency range"
            )
            log("warn", "audit", f"Updating {fix.name} to {fix.version}, which is {breaking}.")
            adds.append((node, f"{fix.name}@{fix.version}"))
    return adds


def _warn_blocked(report: AuditReport, log: LogFn) -> None:
    for vuln in report.values():
        blocked = vuln.fix_blocked
        if blocked is None:
            continue
        log(
            "warn",
            "audit",
            f"A fix for {vuln.name} is available ({vuln.name}@{blocked.version}) but was published "
            f"after the configured release-age cutoff ({blocked.before[:10]}), so {vuln.name} was left "
            f'at a vulnerable version.\nTo install it, add "{vuln.name}" to min-release-age-exclude, '
            "or relax min-release-age or before.",
        )


async def _build_fix(session: ReifySession, report: AuditReport) -> IdealTree:
    builder = _FixBuilder(
        session.root,
        _AvoidingSource(session.source, report),
        session.ideal_options(ReifyRequest()),
        log=session.io.log,
        audit_report=report,
        extractor=session.source,
        report=report,
        force=bool(session.flat.get("force")),
    )
    try:
        return await builder.build()
    finally:
        await builder.fetcher.close()
        session.source.forget_packuments()


def blocked_fixes(report: AuditReport | None) -> list[str]:
    """The names `audit fix` left vulnerable because their fix is newer than the release-age cutoff."""
    if report is None:
        return []
    return [vuln.name for vuln in report.values() if vuln.fix_blocked is not None]


async def audit_fix(ctx: InstallContext) -> AuditedOutcome:
    """`npm audit fix [--force] [--dry-run] [--package-lock-only]`."""
    _no_global(ctx.config)
    async with ctx.session() as session:
        tree = load_tree(session.root)
        filter_set = _workspace_filter(session, tree, exclude_when_disabled=True)
        report = await _load_report(session, tree, filter_set=filter_set, audit=True)
        _warn_blocked(report, ctx.io.log)
        built = await _build_fix(session, report)
        outcome = await session.reify(ReifyRequest(), ideal=built)
        # no quick audit on a dry run: npm prints the first report (the ideal tree is counted,
        # as arborist makes it the actual tree even then)
        final = report if outcome.dry_run else await _quick_report(session, outcome.tree)
        return _with(outcome, final, len(outcome.tree.inventory))


# ── the quick audit after a reify ──


def _with(outcome: ReifyOutcome, report: AuditReport | None, audited: int) -> AuditedOutcome:
    # `__struct_fields__`, not msgspec.structs.fields: that one evaluates the annotations
    fields = {name: getattr(outcome, name) for name in outcome.__struct_fields__}
    return AuditedOutcome(**fields, audit=report, audited=audited)


async def _quick_report(session: ReifySession, tree: Node) -> AuditReport:
    filter_set = _workspace_filter(session, tree, exclude_when_disabled=False)
    return await _load_report(session, tree, filter_set=filter_set, audit=None)


async def quick_audit(session: ReifySession, outcome: ReifyOutcome) -> AuditReport | None:
    """The audit npm submits during a reify: None when `audit` is off or nothing was reified."""
    # -g turns a default `audit` off (audit_enabled); `npm link`'s global reify still audits
    if not audit_enabled(session.config) or outcome.dry_run:
        return None
    return await _quick_report(session, outcome.tree)


async def with_quick_audit(session: ReifySession, outcome: ReifyOutcome) -> AuditedOutcome:
    """`outcome` with its quick audit (what the install family's summary reports)."""
    report = await quick_audit(session, outcome)
    return _with(outcome, report, len(outcome.tree.inventory))

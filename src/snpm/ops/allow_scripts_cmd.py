"""`npm approve-scripts`, `npm deny-scripts` and `npm install-scripts approve|deny|ls|prune`: the
shared implementation (npm's lib/utils/allow-scripts-cmd.js).

Every mode works on the project root (npm.prefix) and its `package.json#allowScripts`, never on a
workspace: the RFC keeps the policy at the root, so -w/-ws would be misleading no-ops. Global mode
is refused (EGLOBAL): there is no project package.json to write.

- list (`install-scripts ls`, `approve-scripts --allow-scripts-pending`): the installed packages
  whose install scripts the effective policy does not cover yet, also under --ignore-scripts;
- approve/deny with `--all`: every one of those; with names (`pkg`, `pkg@1.2.3`, `pkg@^1`): the
  installed nodes whose trusted name (and version) match, ENOMATCH for a name that matches none;
- prune: drop the entries that no longer match an installed package with install scripts.

The edits themselves are `snpm.ops.allow_scripts_writer` and `snpm.ops.allow_scripts_prune`; this
module decides what to edit, saves package.json the way @npmcli/package-json does, and describes
the result as npm prints it (`AllowScriptsReport`: stdout lines or the --json object).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import msgspec

from snpm import semver
from snpm.config import Config
from snpm.ecmascript.json import key_order
from snpm.errors import SnpmError, SpecError, UsageError
from snpm.json_types import JsonObject, JsonValue
from snpm.lifecycle import BuildNode, Unreviewed, install_scripts_of, read_installed_package
from snpm.lifecycle.allow_scripts import trusted_display
from snpm.manifest import read_package_json
from snpm.manifest.files import UNDEFINED, save_package_json, update_package_json
from snpm.ops.allow_scripts_check import check_allow_scripts, is_candidate
from snpm.ops.allow_scripts_prune import Candidate, Removed, classify_unused_entries
from snpm.ops.allow_scripts_resolve import resolve_policy
from snpm.ops.allow_scripts_writer import (
    Change,
    apply_approval_for_package,
    apply_deny_for_package,
    name_key_for,
)
from snpm.ops.reify_bridge import build_node
from snpm.spec import parse_spec
from snpm.tree.load_actual import load_actual
from snpm.tree.node import Node

__all__ = ["AllowScriptsReport", "AllowScriptsRequest", "Mode", "run_allow_scripts"]

Mode = Literal["approve", "deny", "list", "prune"]
LogFn = Callable[[str, str, str], None]


class AllowScriptsRequest(msgspec.Struct, frozen=True):
    """One run: the command npm names in its messages, the mode, the positional arguments, and
    whether the command declares `allow-scripts-pending` (approve-scripts and deny-scripts do,
    the install-scripts namespace lists with `ls` instead)."""

    command: str
    mode: Mode
    args: tuple[str, ...] = ()
    honours_pending: bool = False


class AllowScriptsReport(msgspec.Struct, frozen=True):
    """What to print: `lines` on stdout, or `json` (already the whole --json object)."""

    lines: tuple[str, ...] = ()
    json: JsonObject | None = None


class _Summary(msgspec.Struct, frozen=True):
    name: str
    changes: tuple[Change, ...]

    def to_json(self) -> JsonObject:
        return {"name": self.name, "changes": [{"key": c.key, "change": c.change} for c in self.changes]}


def _flag(config: Config, key: str) -> bool:
    return bool(config.get(key))


async def run_allow_scripts(config: Config, request: AllowScriptsRequest, log: LogFn) -> AllowScriptsReport:
    """allow-scripts-cmd.js runMode: list, approve, deny or prune; raises EGLOBAL, EUSAGE
    (UsageError without the usage text: the command adds its own), ENOMATCH, EALLOWSCRIPTS."""
    if config.is_global:
        raise SnpmError(f"`npm {request.command}` does not work for global installs", code="EGLOBAL")
    if request.mode == "prune":
        return await _run_prune(config, request, log)
    args = request.args
    pending = request.honours_pending and _flag(config, "allow-scripts-pending")
    all_ = _flag(config, "all")
    listing = request.mode == "list" or pending
    if listing and (args or all_):
        what = "`npm install-scripts ls`" if request.mode == "list" else "`--allow-scripts-pending`"
        raise UsageError(f"{what} cannot be combined with positional arguments or `--all`.")
    if not listing and not all_ and not args:
        raise UsageError("")
    if request.mode == "deny" and pending:
        raise UsageError(
            "`npm deny-scripts --allow-scripts-pending` is not supported; "
            "run `npm install-scripts ls` to list unreviewed packages."
        )
    policy = resolve_policy(config, log).policy
    tree = await _load_actual(config)
    json = _flag(config, "json")
    if listing or all_:
        # listed under --ignore-scripts too: that is how a project moves to an allowlist
        unreviewed = check_allow_scripts(tree.inventory.values(), policy, config, include_when_ignored=True)
        if listing:
            return _pending_report(unreviewed, json=json)
        if not unreviewed:
            if json:
                return AllowScriptsReport(json={"allowScripts": []})
            return AllowScriptsReport(("No packages with unreviewed install scripts.",))
        # bundled dependencies are never unreviewed: nothing more to filter out here
        groups = _group_by_package([entry.node for entry in unreviewed], request.command, log)
        return _write_policy_changes(config, request, groups, log)
    matched, unmatched = _find_nodes_for_args(args, tree)
    if unmatched:
        raise SnpmError(f"No installed packages match: {', '.join(unmatched)}", code="ENOMATCH")
    groups = _group_by_package(matched, request.command, log)
    if not groups:
        raise SnpmError(f"No installed packages match: {', '.join(args)}", code="ENOMATCH")
    return _write_policy_changes(config, request, groups, log)


async def _load_actual(config: Config) -> Node:
    flat = config.flat
    return await load_actual(
        str(config.local_prefix),
        install_links=bool(flat.get("installLinks")),
        legacy_peer_deps=bool(flat.get("legacyPeerDeps")),
        install_strategy=str(flat.get("installStrategy") or "hoisted"),
    )


# ── listing ──


def _display(node: BuildNode) -> tuple[str, str]:
    """The name (`<unknown>` when there is none) and the `@version` suffix shown for a node."""
    name, version = trusted_display(node)
    return name or "<unknown>", f"@{version}" if version else ""


def _pending_report(unreviewed: Sequence[Unreviewed], *, json: bool) -> AllowScriptsReport:
    if json:
        groups: dict[str, list[JsonValue]] = {}
        for entry in unreviewed:
            name, version = _display(entry.node)
            groups.setdefault(name, []).append({"key": name + version, "change": "pending"})
        # a Map in npm: insertion order, integer-like names included
        summary: list[JsonValue] = [{"name": name, "changes": changes} for name, changes in groups.items()]
        return AllowScriptsReport(json={"allowScripts": summary})
    if not unreviewed:
        return AllowScriptsReport(("No packages with unreviewed install scripts.",))
    count = len(unreviewed)
    lines = [
        f"{count} {'package has' if count == 1 else 'packages have'} install scripts not yet covered by allowScripts:"
    ]
    for entry in unreviewed:
        name, version = _display(entry.node)
        events = "; ".join(f"{event}: {body}" for event, body in entry.scripts.items())
        lines.append(f"  {name}{version} ({events})")
    lines += [
        "",
        "Run `npm install-scripts approve <pkg>` to allow, or `npm install-scripts deny <pkg>` to deny.",
    ]
    return AllowScriptsReport(tuple(lines))


# ── approve and deny ──


def _parse_positional(arg: str) -> tuple[str, str | None]:
    """A name and an optional version range: `pkg` matches every installed version."""
    try:
        parsed = parse_spec(arg)
    except SpecError:
        return arg, None
    name = parsed.name or arg
    if parsed.type in ("version", "range"):
        spec = parsed.fetch_spec
        if not spec or spec == "*" or parsed.raw_spec in ("", "*"):
            return name, None
        return name, spec
    return name, None


def _satisfies(version: str, range_: str) -> bool:
    try:
        return semver.satisfies(version, range_, loose=True)
    except (TypeError, ValueError):
        return False


def _find_nodes_for_args(args: Sequence[str], tree: Node) -> tuple[list[BuildNode], list[str]]:
    """The installed nodes each argument names by trusted name (bundled ones never), and the
    arguments that name none."""
    candidates = [
        build_node(node)
        for node in tree.inventory.values()
        if not (node.is_project_root or node.is_workspace or node.in_bundle)
    ]
    displays = [trusted_display(node) for node in candidates]
    matched: list[BuildNode] = []
    unmatched: list[str] = []
    for arg in args:
        want, range_ = _parse_positional(arg)
        found = [
            node
            for node, (name, version) in zip(candidates, displays, strict=True)
            if name
            and name == want
            and (range_ is None or (bool(version) and _satisfies(version or "", range_)))
        ]
        if found:
            matched += found
        else:
            unmatched.append(arg)
    return matched, unmatched


def _group_by_package(nodes: Sequence[BuildNode], title: str, log: LogFn) -> dict[str, list[BuildNode]]:
    groups: dict[str, list[BuildNode]] = {}
    for node in nodes:
        key = name_key_for(node)
        if not key:
            log("warn", title, f"skipping {node.name or '<unknown>'}: no trusted identity for policy key")
            continue
        groups.setdefault(key, []).append(node)
    return {key: groups[key] for key in key_order(list(groups))}


def _policy_object(value: JsonValue | None) -> dict[str, JsonValue]:
    """`content.allowScripts` when it is a (truthy) object, as `{...value}` would copy it."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    return {}


def _write_policy_changes(
    config: Config,
    request: AllowScriptsRequest,
    groups: Mapping[str, Sequence[BuildNode]],
    log: LogFn,
) -> AllowScriptsReport:
    pin = config.get("allow-scripts-pin") is not False
    pkg = read_package_json(config.local_prefix)
    policy = _policy_object(pkg.content.get("allowScripts"))
    summary: list[_Summary] = []

    def silly(title: str, message: str) -> None:
        log("silly", title, message)

    for name, nodes in groups.items():
        if request.mode == "approve":
            edit = apply_approval_for_package(policy, nodes, pin=pin, silly=silly)
        else:
            edit = apply_deny_for_package(policy, nodes)
        if edit.warning:
            log("warn", request.command, edit.warning)
        policy = edit.allow_scripts
        summary.append(_Summary(name, edit.changes))
    if groups:
        # npm saves whenever it edited a copy; save() itself skips an unchanged file
        save_package_json(update_package_json(pkg, {"allowScripts": policy}))
    return _summary_report(summary, request.mode, json=_flag(config, "json"))


def _summary_report(summary: Sequence[_Summary], mode: Mode, *, json: bool) -> AllowScriptsReport:
    if json:
        return AllowScriptsReport(json={"allowScripts": [entry.to_json() for entry in summary]})
    verb = "Approved" if mode == "approve" else "Denied"
    lines: list[str] = []
    for entry in summary:
        if not entry.changes:
            continue
        lines.append(f"{verb} {entry.name}:")
        lines += [f"  {change.change} {change.key}" for change in entry.changes]
    if not lines:
        lines.append(f"Nothing to {mode}; allowScripts unchanged.")
    return AllowScriptsReport(tuple(lines))


# ── prune ──


async def _run_prune(config: Config, request: AllowScriptsRequest, log: LogFn) -> AllowScriptsReport:
    """Drop package.json#allowScripts entries that no longer match an installed package with an
    install script; only package.json is edited (never .npmrc or --allow-scripts)."""
    if request.args or _flag(config, "all"):
        raise UsageError(
            "`npm install-scripts prune` cannot be combined with positional arguments or `--all`."
        )
    dry_run = _flag(config, "dry-run")
    pkg = read_package_json(config.local_prefix)
    existing = _policy_object(pkg.content.get("allowScripts"))
    removed: tuple[Removed, ...] = ()
    if existing:
        tree = await _load_actual(config)
        candidates = [
            Candidate(node, bool(install_scripts_of(node, read_installed_package)))
            for node in (build_node(n) for n in tree.inventory.values() if is_candidate(n))
        ]
        result = classify_unused_entries(existing, candidates)
        removed = result.removed
        if removed and not dry_run:
            # no entries left: the field goes rather than staying as `{}`
            save_package_json(update_package_json(pkg, {"allowScripts": result.remaining or UNDEFINED}))
    if _flag(config, "json"):
        return AllowScriptsReport(
            json={"allowScripts": {"removed": [entry.to_json() for entry in removed], "dryRun": dry_run}}
        )
    if not removed:
        return AllowScriptsReport(("No unused allowScripts entries.",))
    noun = "entry" if len(removed) == 1 else "entries"
    lines = [f"{'Would remove' if dry_run else 'Removed'} {len(removed)} unused allowScripts {noun}:"]
    for entry in removed:
        reason = "package not installed" if entry.reason == "not-installed" else "no install scripts"
        lines.append(f"  {entry.key} ({reason})")
    return AllowScriptsReport(tuple(lines))

"""The policy edits `approve-scripts` and `deny-scripts` make (npm's lib/utils/allow-scripts-writer.js).

Pure: a package's installed nodes and the current `allowScripts` map in, a new map plus a list of
`{key, change}` records (and maybe a warning) out; the input map is never changed. The RFC's
pin-mismatch table: approving writes `name@version: true` per installed version (or `name: true`
with --no-allow-scripts-pin), drops stale single-version pins and replaces a name-only allow once
every installed version is pinned; denying always writes a name-only `name: false` and drops the
package's other entries. An existing `false` entry always wins over an approval.

Keys come only from what the lockfile says (the resolved URL, the hosted git shortcut, the local
path) and never from the package's own package.json, which a publisher controls. Dictionaries keep
JavaScript's property order: integer-like keys first (`{...existing}` in npm).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import msgspec

from snpm.ecmascript.json import key_order
from snpm.errors import SpecError
from snpm.json_types import JsonValue
from snpm.lifecycle import BuildNode
from snpm.lifecycle.allow_scripts import trusted_identity
from snpm.spec import GitSpec, PackageSpec, parse_spec

__all__ = [
    "Change",
    "PolicyEdit",
    "apply_approval_for_package",
    "apply_deny_for_package",
    "is_single_version_pin",
    "key_targets_node",
    "name_key_for",
    "resolved_source_specs",
    "versioned_key_for",
]

Silly = Callable[[str, str], None]

_HTTP: Final = re.compile(r"^https?://")


class Change(msgspec.Struct, frozen=True):
    """One edit to `allowScripts`: `added`, `removed-stale`, `removed-pinned-allow`,
    `replaced-by-pin` (or `pending` in a listing that writes nothing)."""

    key: str
    change: str


class PolicyEdit(msgspec.Struct, frozen=True):
    allow_scripts: dict[str, JsonValue]
    changes: tuple[Change, ...]
    warning: str | None = None


def _parse(key: str) -> PackageSpec | None:
    try:
        return parse_spec(key)
    except SpecError:
        return None


def resolved_source_specs(node: BuildNode) -> list[str]:
    """script-allowed.js resolvedSourceSpecs: `resolved`, else the links' saved specs and the real
    folder (a link target has no `resolved` of its own)."""
    specs: list[str] = []

    def add(spec: str | None) -> None:
        if spec and spec not in specs:
            specs.append(spec)

    add(node.resolved)
    if not node.resolved and node.links_in:
        for resolved in node.links_in:
            add(resolved)
        add(node.realpath)
        add(node.path)
    return specs


def _primary_resolved(node: BuildNode) -> str:
    specs = resolved_source_specs(node)
    return specs[0] if specs else ""


def _hosted_key(resolved: str, *, with_committish: bool) -> str | None:
    parsed = _parse(resolved)
    if not isinstance(parsed, GitSpec) or parsed.hosted is None:
        return None
    base = parsed.hosted.shortcut(no_committish=True)
    if base is None:
        return None
    committish = parsed.git_committish or parsed.hosted.committish
    return f"{base}#{committish}" if with_committish and committish else base


def versioned_key_for(node: BuildNode, silly: Silly | None = None) -> str | None:
    """The pinned key for a node (`name@version`, `github:u/r#sha`, the local path), or None when
    no trusted source gives one."""
    resolved = _primary_resolved(node)
    if resolved.startswith("git"):
        return _hosted_key(resolved, with_committish=True)
    if _HTTP.match(resolved):
        trusted = trusted_identity(node)
        if trusted is not None and trusted[1]:
            return f"{trusted[0]}@{trusted[1]}"
        if silly is not None:
            # a private mirror's URL shape versionFromTgz cannot read: say why the key is missing
            silly(
                "install-scripts",
                f"unable to derive trusted versioned key for {node.path or node.name or '<unknown>'} "
                f"(resolved: {resolved}); key will be pruned on next save",
            )
        return None
    if resolved.startswith(("file:", "/")):
        return resolved
    return None


def name_key_for(node: BuildNode) -> str | None:
    """The name-only key for a node: the hosted shortcut, the local path, or the trusted
    registry name (never the package's self-reported name)."""
    resolved = _primary_resolved(node)
    if resolved.startswith("git"):
        return _hosted_key(resolved, with_committish=False)
    if resolved.startswith(("file:", "/")):
        return resolved
    trusted = trusted_identity(node)
    return trusted[0] if trusted is not None else None


def is_single_version_pin(key: str) -> bool:
    parsed = _parse(key)
    return parsed is not None and parsed.type == "version"


def _is_name_only_key(key: str) -> bool:
    parsed = _parse(key)
    if parsed is None:
        return False
    if parsed.type == "tag":
        return True
    if parsed.type == "range":
        return parsed.fetch_spec == "*" or parsed.raw_spec in ("", "*")
    return False


def key_targets_node(key: str, node: BuildNode) -> bool:
    """Whether a policy key names this node's package, whatever its value and version."""
    parsed = _parse(key)
    if parsed is None:
        return False
    if parsed.type in ("tag", "range", "version"):
        trusted = trusted_identity(node)
        return trusted is not None and trusted[0] == parsed.name
    if isinstance(parsed, GitSpec):
        resolved = _primary_resolved(node)
        node_parsed = _parse(resolved) if resolved else None
        key_host = parsed.hosted.ssh(no_committish=True) if parsed.hosted else None
        node_host = (
            node_parsed.hosted.ssh(no_committish=True)
            if isinstance(node_parsed, GitSpec) and node_parsed.hosted
            else None
        )
        return bool(key_host and node_host and key_host == node_host)
    if parsed.type in ("file", "directory", "remote"):
        wanted = (parsed.save_spec, parsed.fetch_spec)
        return any(spec in wanted for spec in resolved_source_specs(node))
    return False


def _deny_warning(key: str, subject: str, name: str | None) -> str:
    if _is_name_only_key(key):
        return f"{key} is denied; remove the entry from allowScripts to approve {subject}."
    widen = name or "this package"
    return (
        f"{key} is a versioned deny; run `npm install-scripts deny {widen}` to widen the deny to all "
        f"versions of {widen}, or remove the entry to approve {subject}."
    )


def _drop_pins(
    policy: dict[str, JsonValue], sample: BuildNode, name: str | None, change: str | None
) -> list[Change]:
    """Remove the package's single-version `true` pins other than `name`."""
    changes: list[Change] = []
    for key in key_order(list(policy)):
        if (
            key_targets_node(key, sample)
            and key != name
            and is_single_version_pin(key)
            and policy[key] is True
        ):
            del policy[key]
            if change is not None:
                changes.append(Change(key, change))
    return changes


def apply_approval_for_package(
    existing: Mapping[str, JsonValue],
    nodes: Sequence[BuildNode],
    *,
    pin: bool = True,
    silly: Silly | None = None,
) -> PolicyEdit:
    """Approve every installed version of one package (all `nodes` share its identity)."""
    policy = dict(existing)
    if not nodes:
        return PolicyEdit(policy, ())
    sample = nodes[0]
    name = name_key_for(sample)
    for node in nodes:
        for key in key_order(list(policy)):
            if policy[key] is False and key_targets_node(key, node):
                # deny wins: nothing changes, and the user is told how to lift it
                return PolicyEdit(policy, (), _deny_warning(key, name or "this package", name))
    changes: list[Change] = []
    if not pin:
        _drop_pins(policy, sample, name, None)
        if name and policy.get(name) is not True:
            policy[name] = True
            changes.append(Change(name, "added"))
        return PolicyEdit(policy, tuple(changes))

    versioned = [versioned_key_for(node, silly) for node in nodes]
    installed = list(dict.fromkeys(key for key in versioned if key))
    if name and any(key is None for key in versioned):
        # a lockfile entry without `resolved` has no trusted version, so a pin could never match
        # it (npm/cli#9558): approve the package by name instead
        changes.extend(_drop_pins(policy, sample, name, "removed-pinned-allow"))
        if policy.get(name) is not True:
            policy[name] = True
            changes.append(Change(name, "added"))
        warning = (
            f"{name}: approved by name (all versions) because its package-lock.json entry has no "
            '"resolved" URL, so npm can\'t pin a specific version. Run `npm install` to refresh the '
            "lockfile and enable pinning."
            if changes
            else None
        )
        return PolicyEdit(policy, tuple(changes), warning)

    installed_set = set(installed)
    for key in key_order(list(policy)):
        if (
            key_targets_node(key, sample)
            and is_single_version_pin(key)
            and policy[key] is True
            and key not in installed_set
        ):
            del policy[key]
            changes.append(Change(key, "removed-stale"))
    for key in installed:
        if policy.get(key) is not True:
            policy[key] = True
            changes.append(Change(key, "added"))
    # convergent: once every installed version is pinned, the name-only allow goes
    if installed and name and name not in installed_set and policy.get(name) is True:
        del policy[name]
        changes.append(Change(name, "replaced-by-pin"))
    return PolicyEdit(policy, tuple(changes))


def apply_deny_for_package(existing: Mapping[str, JsonValue], nodes: Sequence[BuildNode]) -> PolicyEdit:
    """Deny one package by name (always name-only, whatever --allow-scripts-pin says)."""
    policy = dict(existing)
    if not nodes:
        return PolicyEdit(policy, ())
    sample = nodes[0]
    name = name_key_for(sample)
    if not name:
        return PolicyEdit(policy, ())
    changes: list[Change] = []
    # the name-only deny overrides the package's other entries; keeping them would only confuse
    for key in key_order(list(policy)):
        if key_targets_node(key, sample) and key != name:
            del policy[key]
            changes.append(Change(key, "removed-pinned-allow"))
    if policy.get(name) is not False:
        policy[name] = False
        changes.append(Change(name, "added"))
    return PolicyEdit(policy, tuple(changes))

"""npm 11's allowScripts policy (RFC npm/rfcs#868): which dependencies may run install scripts.

Ports arborist's script-allowed.js, install-scripts.js and unreviewed-scripts.js, and npm's
resolve-allow-scripts.js, the advisory of reify-output.js and the strict-mode error of
strict-allow-scripts-preflight.js.

A policy maps package specs to true (allow) or false (deny). In npm 11.19 scripts still run unless
a policy entry denies them (`is_script_allowed` is False); packages that are neither allowed nor
denied are "unreviewed": npm warns about them after install, and `--strict-allow-scripts` makes them
an error before anything runs. `--dangerously-allow-all-scripts` bypasses both. Identity is what
the registry URL says, never the tarball's own package.json (a package can claim any name), so a
registry node matches by the name and version in its `resolved` URL; git nodes by repository and
commit; file/directory/remote nodes by their resolved spec. Bundled dependencies never match.

Size: one policy ported from five npm files that share its matching rules; the CLI's writer and
pruner already live in snpm.ops.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Literal

import msgspec

from snpm.errors import SnpmError, SpecError
from snpm.json_types import JsonValue
from snpm.semver import parse as parse_version
from snpm.semver import satisfies, valid
from snpm.spec import GitSpec, PackageSpec, parse_spec
from snpm.spec import resolve as resolve_spec
from snpm.spec.whatwg_url import parse as parse_url

if TYPE_CHECKING:
    from snpm.lifecycle.build_node import BuildNode

__all__ = [
    "Policy",
    "PolicySource",
    "ResolvedPolicy",
    "Unreviewed",
    "allow_scripts_remediation",
    "collect_unreviewed_scripts",
    "install_scripts_of",
    "is_exact_version_disjunction",
    "is_script_allowed",
    "parse_allow_scripts_list",
    "resolve_allow_scripts",
    "strict_allow_scripts_error",
    "trusted_display",
    "unreviewed_json",
    "unreviewed_scripts_message",
    "validate_policy",
    "workspace_allow_scripts_warnings",
]

# spec → true (allow) / false (deny); other values (from a hand-written package.json) match nothing
Policy = Mapping[str, JsonValue]
PolicySource = Literal["cli", "package.json", ".npmrc"]
Warn = Callable[[str, str], None]

# registry tarballs live at <host>/<name>/-/<name>-<version>.tgz (a path segment before /-/ required)
_REGISTRY_TARBALL: Final = re.compile(r"^https?://[^/]+/.+/-/[^/]+-\d")
_SCOPE_SPLIT: Final = re.compile(r"/|%2f", re.IGNORECASE)
_INSTALL_EVENTS: Final = ("preinstall", "install", "postinstall")


class ResolvedPolicy(msgspec.Struct, frozen=True):
    policy: Policy | None
    source: PolicySource | None


class Unreviewed(msgspec.Struct, frozen=True):
    """A dependency with install scripts the policy neither allows nor denies."""

    node: BuildNode
    scripts: Mapping[str, str]


# ── identity ───────────────────────────────────────────────────────────────────────────────────────
def version_from_tgz(name: str, tgz: str) -> tuple[str, str] | None:
    """arborist's version-from-tgz: (name, version) from a tarball URL or file name."""
    base = tgz.rsplit("/", 1)[-1]
    if not base.endswith(".tgz"):
        return None
    if tgz.startswith(("http:/", "https:/")):
        url = parse_url(tgz)
        if url is not None:
            parts = url.pathname[1:].split("/-/")
            if len(parts) > 1 and parts[-1] == base:
                pre = _SCOPE_SPLIT.split(parts[-2])
                project = pre.pop()
                scope = pre.pop() if pre else None
                return _version_from_base(base, scope, project)
    split = _SCOPE_SPLIT.split(name)
    project = split.pop()
    scope = split.pop() if split else None
    return _version_from_base(base, scope, project)


def _version_from_base(base: str, scope: str | None, name: str) -> tuple[str, str] | None:
    if not base.startswith(name + "-"):
        return None
    parsed = parse_version(base[len(name) + 1 : -4])
    if parsed is None:
        return None
    full = f"{scope}/{name}" if scope and scope.startswith("@") else name
    return full, parsed.version


def _name_from_edges(node: BuildNode) -> str | None:
    for name, spec in node.edges_in:
        try:
            parsed = resolve_spec(name, spec)
        except SpecError:
            continue
        if parsed.type == "alias" and parsed.sub_spec.registry:
            return parsed.sub_spec.name
        if parsed.registry:
            return parsed.name
    return None


def trusted_identity(node: BuildNode) -> tuple[str, str | None] | None:
    """(name, version) from the resolved URL, else (name from an incoming edge, None)."""
    if node.resolved:
        found = version_from_tgz("", node.resolved)
        if found is not None:
            return found
    name = _name_from_edges(node)
    return (name, None) if name else None


def trusted_display(node: BuildNode) -> tuple[str | None, str | None]:
    """The name and version shown to users: trusted identity, falling back to the package's own."""
    trusted = trusted_identity(node)
    name = (trusted[0] if trusted else None) or node.name or None
    version = (trusted[1] if trusted else None) or node.version or None
    return name, version


def _is_registry_node(node: BuildNode) -> bool:
    if node.is_registry_dependency is not None:
        return node.is_registry_dependency
    if not node.resolved:
        return bool(node.version)
    return _REGISTRY_TARBALL.match(node.resolved) is not None


def _has_non_registry_shape(node: BuildNode) -> bool:
    """install-scripts.js: whether `prepare` counts (non-registry sources only; unknown = registry)."""
    if node.is_registry_dependency is not None:
        return not node.is_registry_dependency
    if not node.resolved:
        return False
    return _REGISTRY_TARBALL.match(node.resolved) is None


def is_exact_version_disjunction(range_spec: str) -> bool:
    """One or more exact versions joined by `||` (no ^, ~, >=, <, *)."""
    if not range_spec.strip():
        return False
    return all(p.strip() and valid(p.strip()) is not None for p in range_spec.split("||"))


# ── matching ───────────────────────────────────────────────────────────────────────────────────────
def _resolved_source_specs(node: BuildNode) -> list[str]:
    specs: list[str] = []

    def add(spec: str | None) -> None:
        if spec and spec not in specs:
            specs.append(spec)

    add(node.resolved)
    if not node.resolved and node.links_in:
        for resolved in node.links_in:
            add(resolved)
        # a link's target has no `resolved`: hand-written `file:` entries name the real folder
        add(node.realpath or node.path)
        add(node.path)
    return specs


def _match_registry(node: BuildNode, parsed: PackageSpec, fail_closed: bool) -> bool:
    if not _is_registry_node(node) or parsed.type not in ("range", "version"):
        return False
    trusted = trusted_identity(node)
    if trusted is None or trusted[0] != parsed.name:
        return False
    name_version = trusted[1]
    fetch_spec = parsed.fetch_spec or ""
    if parsed.type == "range":
        if fetch_spec == "*" or parsed.raw_spec in ("", "*"):
            return True
        if not is_exact_version_disjunction(fetch_spec):
            return False
        if not name_version:
            return fail_closed
        return satisfies(name_version, fetch_spec, loose=True)
    if not name_version:
        return fail_closed
    return name_version == fetch_spec


def _match_git(node: BuildNode, parsed: GitSpec) -> bool:
    if not node.resolved or not node.resolved.startswith("git"):
        return False
    try:
        node_parsed = parse_spec(node.resolved)
    except SpecError:
        return False
    if not isinstance(node_parsed, GitSpec):
        return False
    key_host = parsed.hosted.ssh(no_committish=True) if parsed.hosted else None
    node_host = node_parsed.hosted.ssh(no_committish=True) if node_parsed.hosted else None
    if key_host and node_host:
        if key_host != node_host:
            return False
    elif parsed.fetch_spec and node_parsed.fetch_spec:
        if parsed.fetch_spec != node_parsed.fetch_spec:
            return False
    else:
        return False
    key_committish = parsed.git_committish or (parsed.hosted.committish if parsed.hosted else None)
    if not key_committish:
        return True
    node_committish = node_parsed.git_committish or (
        node_parsed.hosted.committish if node_parsed.hosted else None
    )
    return bool(node_committish) and str(node_committish).startswith(key_committish)


def matches(node: BuildNode, key: str, fail_closed: bool, *, where: str | None = None) -> bool:
    """Whether one policy key names this node (script-allowed.js `matches`)."""
    try:
        parsed = parse_spec(key, where)
    except SpecError:
        return False
    if parsed.type in ("tag", "range", "version"):
        return _match_registry(node, parsed, fail_closed)
    if isinstance(parsed, GitSpec):
        return _match_git(node, parsed)
    if parsed.type in ("file", "directory", "remote"):
        wanted = {parsed.save_spec, parsed.fetch_spec}
        return any(spec in wanted for spec in _resolved_source_specs(node))
    return False  # aliases never match: the policy must name the real package


def is_script_allowed(node: BuildNode, policy: Policy | None, *, where: str | None = None) -> bool | None:
    """True: allowed (and nothing denies it); False: denied (deny wins); None: unreviewed."""
    if node.in_bundle or not policy:
        return None
    any_allow = any_deny = False
    for key, value in policy.items():
        if not matches(node, key, value is False, where=where):
            continue
        if value is False:
            any_deny = True
        elif value is True:
            any_allow = True
    if any_deny:
        return False
    return True if any_allow else None


# ── scripts and the unreviewed list ───────────────────────────────────────────────────────────────
def _pick_install_scripts(node: BuildNode, scripts: Mapping[str, JsonValue]) -> dict[str, str]:
    collected = {e: v for e in _INSTALL_EVENTS if isinstance(v := scripts.get(e), str) and v}
    prepare = scripts.get("prepare")
    if isinstance(prepare, str) and prepare and _has_non_registry_shape(node):
        collected["prepare"] = prepare
    return collected


def install_scripts_of(
    node: BuildNode, read_package: Callable[[str], Mapping[str, JsonValue]]
) -> dict[str, str]:
    """install-scripts.js: the install-relevant scripts that would run for the node ({} if none).

    Includes the synthetic `node-gyp rebuild`; a node the lockfile flags as having install scripts
    but whose scripts are unknown is read from disk (`read_package(path)`, {} if unreadable), and
    gets the `(install scripts present)` sentinel when even that tells nothing.
    """
    # run_script (the shell runner) loads only when a tree has install scripts to look at
    from snpm.lifecycle.run_script import DEFAULT_GYP_INSTALL_SCRIPT, is_node_gyp_package

    collected = _pick_install_scripts(node, node.scripts)
    if (
        not collected.get("preinstall")
        and not collected.get("install")
        and node.package.get("gypfile") is not False
        and is_node_gyp_package(node.path)
    ):
        collected["install"] = DEFAULT_GYP_INSTALL_SCRIPT
    if not collected and node.has_install_script:
        raw = read_package(node.path).get("scripts")
        collected = _pick_install_scripts(node, raw if isinstance(raw, dict) else {})
        if not collected:
            collected["install"] = "(install scripts present)"
    return collected


def collect_unreviewed_scripts(
    nodes: Iterable[BuildNode],
    policy: Policy | None,
    read_package: Callable[[str], Mapping[str, JsonValue]],
    *,
    ignore_scripts: bool = False,
    dangerously_allow_all_scripts: bool = False,
    include_when_ignored: bool = False,
    where: str | None = None,
) -> list[Unreviewed]:
    """The tree's dependencies with install scripts not yet covered by the policy, in tree order."""
    if (ignore_scripts and not include_when_ignored) or dangerously_allow_all_scripts:
        return []
    found: list[Unreviewed] = []
    for node in nodes:
        if node.is_project_root or node.is_workspace or node.is_link or node.in_bundle or node.inert:
            continue
        if is_script_allowed(node, policy, where=where) is not None:
            continue
        scripts = install_scripts_of(node, read_package)
        if scripts:
            found.append(Unreviewed(node, scripts))
    return found


def _label(entry: Unreviewed) -> str:
    events = "; ".join(f"{event}: {body}" for event, body in entry.scripts.items())
    name = entry.node.package.get("name") or entry.node.name
    version = entry.node.version
    return f"  {name}@{version} ({events})" if version else f"  {name} ({events})"


def allow_scripts_remediation(names: Sequence[str]) -> str:
    """The `npm config set` command suggested to global users (allow-scripts-remediation.js)."""
    return f"npm config set allow-scripts={','.join(names)} --location=user"


def strict_allow_scripts_error(unreviewed: Sequence[Unreviewed], *, global_: bool) -> SnpmError:
    """ESTRICTALLOWSCRIPTS for `--strict-allow-scripts` (thrown before any script runs)."""
    lines = "\n".join(_label(entry) for entry in unreviewed)
    names = [trusted_display(entry.node)[0] or "" for entry in unreviewed]
    if global_:
        remediation = (
            "Allow them with `--allow-scripts`, persist them with "
            f"`{allow_scripts_remediation(names)}`, or bypass this check with `--dangerously-allow-all-scripts`."
        )
    else:
        remediation = (
            "Approve them with `npm install-scripts approve`, deny them with `npm install-scripts deny`, "
            "or bypass this check with `--dangerously-allow-all-scripts`."
        )
    return SnpmError(
        f"--strict-allow-scripts: {len(unreviewed)} package(s) have install scripts not covered by "
        f"allowScripts:\n{lines}\n{remediation}",
        code="ESTRICTALLOWSCRIPTS",
    )


def unreviewed_json(unreviewed: Sequence[Unreviewed]) -> list[JsonValue]:
    """The `unreviewedScripts` list of npm's --json install summary (a missing name or version is
    left out, as JSON.stringify drops undefined)."""
    entries: list[JsonValue] = []
    for entry in unreviewed:
        name, version = trusted_display(entry.node)
        item: dict[str, JsonValue] = {}
        if name is not None:
            item["name"] = name
        if version is not None:
            item["version"] = version
        item["path"] = entry.node.path
        item["scripts"] = dict(entry.scripts)
        entries.append(item)
    return entries


def unreviewed_scripts_message(unreviewed: Sequence[Unreviewed], *, global_: bool) -> str | None:
    """The `npm warn install-scripts …` advisory printed after install (None when nothing to say)."""
    if not unreviewed:
        return None
    count = len(unreviewed)
    header = f"{count} {'package has' if count == 1 else 'packages have'} install scripts not yet covered by allowScripts:"
    names: list[str] = []
    lines: list[str] = []
    for entry in unreviewed:
        name, version = trusted_display(entry.node)
        display = name or "<unknown>"
        names.append(display)
        events = "; ".join(f"{event}: {body}" for event, body in entry.scripts.items())
        lines.append(f"  {display}{'@' + version if version else ''} ({events})")
    if global_:
        remediation = (
            f"Run `npm install -g --allow-scripts={','.join(names)}` to allow these scripts once, or "
            f"`{allow_scripts_remediation(names)}` to allow them for all global installs."
        )
    else:
        remediation = (
            "Run `npm install-scripts ls` to review, or `npm install-scripts approve <pkg>` to allow."
        )
    return "\n".join([header, *lines, "", remediation])


def workspace_allow_scripts_warnings(nodes: Iterable[BuildNode]) -> list[str]:
    """warn-workspace-allow-scripts.js: a workspace's own allowScripts field is ignored."""
    return [
        f"allowScripts in workspace {node.package.get('name') or node.name} ({node.path}) is ignored. "
        "Move the field to the project root package.json."
        for node in nodes
        if node.is_workspace and not node.is_project_root and "allowScripts" in node.package
    ]


# ── resolving the policy from config ──────────────────────────────────────────────────────────────
def parse_allow_scripts_list(raw: JsonValue) -> list[str]:
    """@npmcli/config parse-allow-scripts-list: comma-separated entries, trimmed, empties dropped."""
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, str) else []
    return [
        part.strip()
        for entry in entries
        if isinstance(entry, str)
        for part in entry.split(",")
        if part.strip()
    ]


def validate_policy(
    policy: Policy | None, source_label: str, warn: Warn, *, where: str | None = None
) -> Policy | None:
    """Drop (with a warning) entries npm refuses: unparseable, dist-tags and semver ranges."""
    if not policy:
        return None
    cleaned: dict[str, JsonValue] = {}
    for key, value in policy.items():
        try:
            parsed = parse_spec(key, where)
        except SpecError:
            warn("install-scripts", f'{source_label}: ignoring unparseable entry "{key}"')
            continue
        if parsed.type == "tag":
            warn(
                "install-scripts",
                f'{source_label}: ignoring "{key}" — dist-tag specs (@latest, @next, ...) are not allowed; '
                'use exact versions joined by "||", or the bare package name, instead',
            )
            continue
        if parsed.type == "range":
            name_only = parsed.fetch_spec == "*" or parsed.raw_spec in ("", "*")
            if not name_only and not is_exact_version_disjunction(parsed.fetch_spec or ""):
                warn(
                    "install-scripts",
                    f'{source_label}: ignoring "{key}" — semver ranges (^, ~, >=, <) are not allowed; '
                    'use exact versions joined by "||" instead',
                )
                continue
        cleaned[key] = value
    return cleaned or None


def _policy_from_sources(
    layer_value: Callable[[str], JsonValue | None], sources: Sequence[str]
) -> Policy | None:
    for where in sources:
        value = layer_value(where)
        if value is None:
            continue
        names = parse_allow_scripts_list(value)
        if names:
            return dict.fromkeys(names, True)
    return None


def resolve_allow_scripts(
    layer_value: Callable[[str], JsonValue | None],
    project_manifest: Mapping[str, JsonValue] | None,
    *,
    global_: bool,
    warn: Warn,
    skip_project_config: bool = False,
    where: str | None = None,
) -> ResolvedPolicy:
    """The effective policy: `--allow-scripts` (cli/env), else the root package.json's `allowScripts`,
    else `allow-scripts` from the .npmrc files; the first source with entries wins.

    `layer_value(where)` is the raw `allow-scripts` value set in one config layer (None when that
    layer does not set it); `project_manifest` is the project root's package.json (None if absent).
    The command-line flag is refused in project-scoped installs (EALLOWSCRIPTS).
    """
    cli_policy = _policy_from_sources(layer_value, ("cli", "env"))
    rc_policy = _policy_from_sources(layer_value, ("project", "user", "global", "builtin"))
    if cli_policy and not global_ and not skip_project_config:
        raise SnpmError(
            "--allow-scripts is not allowed in project-scoped installs. Add the entries to the "
            '"allowScripts" field in package.json, or to .npmrc, instead.',
            code="EALLOWSCRIPTS",
        )
    pkg_policy: Policy | None = None
    if not global_ and not skip_project_config and project_manifest is not None:
        raw = project_manifest.get("allowScripts")
        if isinstance(raw, dict) and raw:
            pkg_policy = dict(raw)
    cli = validate_policy(cli_policy, "CLI flag", warn, where=where)
    pkg = validate_policy(pkg_policy, "package.json", warn, where=where)
    rc = validate_policy(rc_policy, ".npmrc", warn, where=where)
    if cli:
        if rc:
            warn(
                "install-scripts",
                ".npmrc allow-scripts setting is being ignored because --allow-scripts was passed on the command line",
            )
        return ResolvedPolicy(cli, "cli")
    if pkg:
        if rc:
            warn(
                "install-scripts",
                ".npmrc allow-scripts setting is being ignored because package.json declares its own allowScripts field",
            )
        return ResolvedPolicy(pkg, "package.json")
    if rc:
        return ResolvedPolicy(rc, ".npmrc")
    return ResolvedPolicy(None, None)

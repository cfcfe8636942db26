"""Package scripts: how npm runs them (@npmcli/run-script), which install scripts run for which
installed packages and in what order (arborist's rebuild.js), and npm 11's allowScripts policy.

environment      the npm_* environment of a script, PATH with every node_modules/.bin above it
run_script       one script through the configured shell; banner, stdio, signals, ScriptError
build_node       BuildNode: the arborist Node fields the build and the policy read
install_scripts  Builder (preinstall → [prepare] → bins → install → postinstall), root and
                 dependencies scripts around a reify, a directory dep's prepare
allow_scripts    the allowScripts policy: resolve it from config, match nodes, list the unreviewed

Layer 3: imports the vocabulary (manifest, spec, semver) and nothing from config or reify; bins are
linked through the callback the caller gives the Builder (`snpm.reify.bin_links`). The names below
load their module on first use, so `snpm run` does not pay for the policy matcher's imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snpm.lifecycle.allow_scripts import (
        Policy,
        ResolvedPolicy,
        Unreviewed,
        collect_unreviewed_scripts,
        install_scripts_of,
        is_script_allowed,
        resolve_allow_scripts,
        strict_allow_scripts_error,
        unreviewed_json,
        unreviewed_scripts_message,
        workspace_allow_scripts_warnings,
    )
    from snpm.lifecycle.build_node import BuildNode
    from snpm.lifecycle.environment import NODE_GYP_BIN, npm_environment, package_envs, script_environment
    from snpm.lifecycle.install_scripts import (
        DEPENDENCIES_EVENTS,
        ROOT_INSTALL_EVENTS,
        Builder,
        BuildHooks,
        BuildOptions,
        BuildQueues,
        read_installed_package,
        run_dependencies_scripts,
        run_prepare,
        run_root_install_scripts,
    )
    from snpm.lifecycle.run_script import (
        Banner,
        ScriptError,
        ScriptResult,
        SignalForwarder,
        Stdio,
        banner_text,
        run_script,
        sh_quote,
    )

# public name → the module that defines it
_MODULES: dict[str, str] = {
    "Policy": "snpm.lifecycle.allow_scripts",
    "ResolvedPolicy": "snpm.lifecycle.allow_scripts",
    "Unreviewed": "snpm.lifecycle.allow_scripts",
    "collect_unreviewed_scripts": "snpm.lifecycle.allow_scripts",
    "install_scripts_of": "snpm.lifecycle.allow_scripts",
    "is_script_allowed": "snpm.lifecycle.allow_scripts",
    "resolve_allow_scripts": "snpm.lifecycle.allow_scripts",
    "strict_allow_scripts_error": "snpm.lifecycle.allow_scripts",
    "unreviewed_json": "snpm.lifecycle.allow_scripts",
    "unreviewed_scripts_message": "snpm.lifecycle.allow_scripts",
    "workspace_allow_scripts_warnings": "snpm.lifecycle.allow_scripts",
    "BuildNode": "snpm.lifecycle.build_node",
    "NODE_GYP_BIN": "snpm.lifecycle.environment",
    "npm_environment": "snpm.lifecycle.environment",
    "package_envs": "snpm.lifecycle.environment",
    "script_environment": "snpm.lifecycle.environment",
    "DEPENDENCIES_EVENTS": "snpm.lifecycle.install_scripts",
    "ROOT_INSTALL_EVENTS": "snpm.lifecycle.install_scripts",
    "Builder": "snpm.lifecycle.install_scripts",
    "BuildHooks": "snpm.lifecycle.install_scripts",
    "BuildOptions": "snpm.lifecycle.install_scripts",
    "BuildQueues": "snpm.lifecycle.install_scripts",
    "read_installed_package": "snpm.lifecycle.install_scripts",
    "run_dependencies_scripts": "snpm.lifecycle.install_scripts",
    "run_prepare": "snpm.lifecycle.install_scripts",
    "run_root_install_scripts": "snpm.lifecycle.install_scripts",
    "Banner": "snpm.lifecycle.run_script",
    "ScriptError": "snpm.lifecycle.run_script",
    "ScriptResult": "snpm.lifecycle.run_script",
    "SignalForwarder": "snpm.lifecycle.run_script",
    "Stdio": "snpm.lifecycle.run_script",
    "banner_text": "snpm.lifecycle.run_script",
    "run_script": "snpm.lifecycle.run_script",
    "sh_quote": "snpm.lifecycle.run_script",
}


__all__ = [
    "DEPENDENCIES_EVENTS",
    "NODE_GYP_BIN",
    "ROOT_INSTALL_EVENTS",
    "Banner",
    "BuildHooks",
    "BuildNode",
    "BuildOptions",
    "BuildQueues",
    "Builder",
    "Policy",
    "ResolvedPolicy",
    "ScriptError",
    "ScriptResult",
    "SignalForwarder",
    "Stdio",
    "Unreviewed",
    "banner_text",
    "collect_unreviewed_scripts",
    "install_scripts_of",
    "is_script_allowed",
    "npm_environment",
    "package_envs",
    "read_installed_package",
    "resolve_allow_scripts",
    "run_dependencies_scripts",
    "run_prepare",
    "run_root_install_scripts",
    "run_script",
    "script_environment",
    "sh_quote",
    "strict_allow_scripts_error",
    "unreviewed_json",
    "unreviewed_scripts_message",
    "workspace_allow_scripts_warnings",
]


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'snpm.lifecycle' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this hook
    return value

"""`--strict-allow-scripts`: refuse to install when a dependency's install scripts are not covered
by the allowScripts policy (npm's lib/utils/strict-allow-scripts-preflight.js).

Runs before anything is written: on the ideal tree for install, ci, update and link (the tree the
reify is about to make), on the actual tree for rebuild. Nothing to do unless the setting is on;
--dangerously-allow-all-scripts and --ignore-scripts bypass it (nothing would run unreviewed).
Global commands are pointed at `--allow-scripts` and `npm config set`, since `npm install-scripts`
needs a project package.json.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from snpm.config import Config
from snpm.ops.allow_scripts_check import check_allow_scripts

if TYPE_CHECKING:
    from snpm.lifecycle import Policy
    from snpm.tree.node import Node

__all__ = ["strict_allow_scripts_preflight"]


def strict_allow_scripts_preflight(
    config: Config, nodes: Iterable[Node], policy: Policy | None, *, global_: bool | None = None
) -> None:
    """Raise ESTRICTALLOWSCRIPTS listing the unreviewed nodes among `nodes` (a tree's inventory)
    when --strict-allow-scripts is set. `global_` defaults to the config's -g."""
    if not config.flat.get("strictAllowScripts"):
        return
    unreviewed = check_allow_scripts(nodes, policy, config)
    if unreviewed:
        from snpm.lifecycle import strict_allow_scripts_error

        raise strict_allow_scripts_error(unreviewed, global_=config.is_global if global_ is None else global_)

"""The allowScripts policy a command works under, from config (npm's lib/utils/resolve-allow-scripts.js).

Three layers, the first with entries winning for the whole command: `--allow-scripts` (command
line or environment), the project root's `package.json#allowScripts`, then `allow-scripts` from
the .npmrc files. The command-line flag is refused in a project (EALLOWSCRIPTS: team policy belongs
in package.json or .npmrc); a global command (and `npm exec`, `skip_project_config`) never reads a
package.json. The rules themselves live in `snpm.lifecycle.allow_scripts.resolve_allow_scripts`;
this module only reads the config layers and the root package.json for it.
"""

from __future__ import annotations

from collections.abc import Callable

from snpm.config import Config
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.lifecycle import ResolvedPolicy, resolve_allow_scripts
from snpm.manifest import read_package_json

__all__ = ["resolve_policy"]

LogFn = Callable[[str, str, str], None]


def resolve_policy(config: Config, log: LogFn, *, skip_project_config: bool = False) -> ResolvedPolicy:
    """`resolveAllowScripts(npm)`: the effective policy and the layer it came from.

    `log(level, title, message)` receives the warnings about entries dropped or layers ignored.
    """
    global_ = config.is_global

    def layer_value(where: str) -> JsonValue | None:
        if "allow-scripts" not in config.layer(where):
            return None
        value = config.get("allow-scripts", where)
        return value if isinstance(value, str | list) else None  # type: ignore[return-value]

    manifest: JsonObject | None = None
    if not global_ and not skip_project_config:
        # npm.prefix, not the workspace folder: a workspace's own allowScripts is never read
        try:
            manifest = read_package_json(config.local_prefix).content
        except SnpmError as err:
            log("silly", "install-scripts", f"no package.json at prefix {err.message}")
    return resolve_allow_scripts(
        layer_value,
        manifest,
        global_=global_,
        skip_project_config=skip_project_config,
        warn=lambda title, message: log("warn", title, message),
    )

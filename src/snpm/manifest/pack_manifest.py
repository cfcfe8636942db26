"""package.json as npm-packlist reads it before packing: the manifest, its bins, its bundled deps.

`normalize_bins` is npm-normalize-package-bin (with @npmcli/package-json's `directories.bin`
step) and `normalize_bundle_dependencies` npm's bundleDependencies rules; the packlist walk and
`npm pack` use both. Reads the package folder only.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path

from snpm.ecmascript.json import JSONParseError, parse_json
from snpm.errors import SnpmError, from_os_error
from snpm.json_types import JsonObject, JsonValue

__all__ = ["normalize_bins", "normalize_bundle_dependencies", "read_manifest"]


def read_manifest(directory: Path) -> JsonObject:
    """package.json of `directory` as a JSON object (ENOENT/EJSONPARSE like npm)."""
    path = Path(directory) / "package.json"
    try:
        text = path.read_bytes()
    except OSError as err:
        raise from_os_error(err, "open") from err
    try:
        data = parse_json(text).value
    except JSONParseError as err:
        message = f"Invalid package.json: JSONParseError: {err.message}"
        raise SnpmError(message, code="EJSONPARSE") from None
    if not isinstance(data, dict):
        raise SnpmError("Invalid package.json: not an object", code="EJSONPARSE", path=str(path))
    return data


def _secure_path(value: str) -> str:
    # npm-normalize-package-bin: join('/', p) then drop the leading slash (no escaping via ..).
    return posixpath.normpath("/" + value.replace("\\", "/")).lstrip("/")


def normalize_bins(manifest: JsonObject, directory: Path | None = None) -> dict[str, str]:
    """The manifest's bins as npm sees them: {name: "path/in/package"} (npm-normalize-package-bin).

    With `directories.bin` and no `bin`, every non-dot entry under that folder is a bin, like
    @npmcli/package-json's binDir step.
    """
    bin_value = manifest.get("bin")
    directories = manifest.get("directories")
    if not bin_value and isinstance(directories, dict) and isinstance(directories.get("bin"), str):
        if directory is None:
            return {}
        bin_dir = _secure_path(str(directories["bin"]))
        found: dict[str, str] = {}
        for rel in _walk_non_dot(Path(directory) / bin_dir):
            found[posixpath.basename(rel)] = f"{bin_dir}/{rel}"
        return found
    source: dict[str, JsonValue]
    if not bin_value:
        return {}
    if isinstance(bin_value, str):
        name = manifest.get("name")
        if not isinstance(name, str) or not name:
            return {}
        source = {name: bin_value}
    elif isinstance(bin_value, list):
        source = {posixpath.basename(str(v)): v for v in bin_value}
    elif isinstance(bin_value, dict):
        source = bin_value
    else:
        return {}
    clean: dict[str, str] = {}
    for key, target in source.items():
        bin_name = _secure_path(posixpath.basename(re.sub(r"[\\:]", "/", key)))
        if not isinstance(target, str) or not bin_name:
            continue
        cleaned = _secure_path(target)
        if cleaned:
            clean[bin_name] = cleaned
    return clean


def _walk_non_dot(base: Path) -> Iterable[str]:
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        return
    for name in entries:
        if name.startswith("."):
            continue
        yield name
        if (base / name).is_dir():
            for sub in _walk_non_dot(base / name):
                yield f"{name}/{sub}"


def normalize_bundle_dependencies(manifest: JsonObject) -> list[str]:
    """bundleDependencies (or bundledDependencies): true → all dependencies, object → its keys."""
    value = manifest.get("bundleDependencies")
    if value is None and "bundledDependencies" in manifest:
        value = manifest.get("bundledDependencies")
    if value is True:
        deps = manifest.get("dependencies")
        return list(deps) if isinstance(deps, dict) else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return list(value)
    return []

"""package.json as npm reads and writes it. Local files only; imports layer 0 only (JavaScript's JSON
and collation come from `snpm.ecmascript`).

model         Manifest: typed view (dependency groups, bin, engines, os/cpu/libc, workspaces, …)
normalize     npm's read-time normalisations (@npmcli/package-json normalize, npm-normalize-package-bin)
files         read/update/save package.json keeping indent, newline and key order
dependencies  adding/removing dependency specs (arborist add-rm-pkg-deps)
packlist      files that belong in a tarball (imported on its own: `snpm.manifest.packlist`)

`Manifest`, `DependencySpec` and `read_manifest` (the typed view, which no command's hot path uses)
load their module on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.manifest.dependencies import SAVE_TYPES, add_dependencies, infer_save_type, remove_dependencies
from snpm.manifest.files import (
    DEPENDENCY_TYPES,
    UNDEFINED,
    PackageJsonFile,
    Undefined,
    format_package_json,
    package_sort,
    parse_package_json,
    read_package_json,
    save_package_json,
    update_package_json,
)
from snpm.manifest.normalize import (
    NORMALIZE_STEPS,
    PREPARE_STEPS,
    REGISTRY_STEPS,
    has_install_script,
    normalize,
    normalize_bin_for_links,
    secure_and_unixify_path,
)

if TYPE_CHECKING:
    from snpm.manifest.model import DependencySpec, Manifest, read_manifest

__all__ = [
    "DEPENDENCY_TYPES",
    "NORMALIZE_STEPS",
    "PREPARE_STEPS",
    "REGISTRY_STEPS",
    "SAVE_TYPES",
    "UNDEFINED",
    "DependencySpec",
    "Manifest",
    "PackageJsonFile",
    "Undefined",
    "add_dependencies",
    "format_package_json",
    "has_install_script",
    "infer_save_type",
    "normalize",
    "normalize_bin_for_links",
    "package_sort",
    "parse_package_json",
    "read_manifest",
    "read_package_json",
    "remove_dependencies",
    "save_package_json",
    "secure_and_unixify_path",
    "update_package_json",
]


def __getattr__(name: str) -> object:
    if name not in ("DependencySpec", "Manifest", "read_manifest"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from snpm.manifest import model

    value = getattr(model, name)
    globals()[name] = value
    return value

"""A typed, read-only view over a package.json (the content npm has after reading it).

`Manifest.from_content` takes the object as it is (normalise first with `snpm.manifest.normalize`;
`read_manifest` does both the way npm reads installed packages and the root). Fields whose JSON has
the wrong type read as empty, as npm's own code treats them (an array `engines` has no `.node`);
`os`/`cpu`/`libc` given as one string count as a one-item list (npm-install-checks). The raw object
stays in `content` for everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec

from snpm.json_types import JsonObject, JsonValue
from snpm.manifest.files import read_package_json
from snpm.manifest.normalize import NORMALIZE_STEPS, has_install_script, normalize

__all__ = ["DependencySpec", "Manifest", "read_manifest"]


class DependencySpec(msgspec.Struct, frozen=True):
    """One dependency a package declares (an arborist edge before it is resolved)."""

    name: str
    spec: str
    type: str  # prod | dev | optional | peer | peerOptional | workspace
    accept: str | None = None  # acceptDependencies[name]: another range the edge also accepts


def _str_map(value: JsonValue) -> Mapping[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, str)}


def _str_list(value: JsonValue) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _workspaces(value: JsonValue) -> tuple[str, ...]:
    # map-workspaces: an array, or `{packages: [...]}` (yarn's form)
    if isinstance(value, dict):
        value = value.get("packages")
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _license(value: JsonValue) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return value["type"]  # type: ignore[return-value]
    return None


class Manifest(msgspec.Struct, frozen=True):
    """package.json fields npm's installer reads, typed."""

    content: Mapping[str, JsonValue]
    name: str | None = None
    version: str | None = None
    dependencies: Mapping[str, str] = msgspec.field(default_factory=dict)
    dev_dependencies: Mapping[str, str] = msgspec.field(default_factory=dict)
    optional_dependencies: Mapping[str, str] = msgspec.field(default_factory=dict)
    peer_dependencies: Mapping[str, str] = msgspec.field(default_factory=dict)
    peer_dependencies_meta: Mapping[str, JsonObject] = msgspec.field(default_factory=dict)
    accept_dependencies: Mapping[str, str] = msgspec.field(default_factory=dict)
    bundle_dependencies: tuple[str, ...] = ()
    bin: Mapping[str, str] = msgspec.field(default_factory=dict)
    man: tuple[str, ...] = ()
    engines: Mapping[str, str] = msgspec.field(default_factory=dict)
    os: tuple[str, ...] = ()
    cpu: tuple[str, ...] = ()
    libc: tuple[str, ...] = ()
    workspaces: tuple[str, ...] = ()
    overrides: JsonValue = None
    scripts: Mapping[str, str] = msgspec.field(default_factory=dict)
    funding: JsonValue = None
    license: str | None = None
    deprecated: str | None = None
    publish_config: Mapping[str, JsonValue] = msgspec.field(default_factory=dict)
    private: bool = False

    @classmethod
    def from_content(cls, content: Mapping[str, JsonValue]) -> Manifest:
        get = content.get
        name, version, deprecated = get("name"), get("version"), get("deprecated")
        meta = get("peerDependenciesMeta")
        publish = get("publishConfig")
        return cls(
            content=content,
            name=name if isinstance(name, str) else None,
            version=version if isinstance(version, str) else None,
            dependencies=_str_map(get("dependencies")),
            dev_dependencies=_str_map(get("devDependencies")),
            optional_dependencies=_str_map(get("optionalDependencies")),
            peer_dependencies=_str_map(get("peerDependencies")),
            peer_dependencies_meta={k: v for k, v in meta.items() if isinstance(v, dict)}
            if isinstance(meta, dict)
            else {},
            accept_dependencies=_str_map(get("acceptDependencies")),
            bundle_dependencies=_str_list(get("bundleDependencies")),
            bin=_str_map(get("bin")),
            man=_str_list(get("man")),
            engines=_str_map(get("engines")),
            os=_str_list(get("os")),
            cpu=_str_list(get("cpu")),
            libc=_str_list(get("libc")),
            workspaces=_workspaces(get("workspaces")),
            overrides=get("overrides"),
            scripts=_str_map(get("scripts")),
            funding=get("funding"),
            license=_license(get("license")),
            deprecated=deprecated if isinstance(deprecated, str) else None,
            publish_config=publish if isinstance(publish, dict) else {},
            private=bool(get("private")),
        )

    @property
    def has_install_script(self) -> bool:
        """Whether npm runs install scripts for it (and writes `hasInstallScript` in lockfiles)."""
        return has_install_script(self.content)

    @property
    def has_shrinkwrap(self) -> bool:
        return bool(self.content.get("_hasShrinkwrap"))

    def optional_peer_names(self) -> frozenset[str]:
        """peerDependencies marked optional in peerDependenciesMeta."""
        return frozenset(
            n
            for n, m in self.peer_dependencies_meta.items()
            if m.get("optional") and n in self.peer_dependencies
        )

    def dependency_specs(
        self,
        *,
        include_dev: bool,
        legacy_peer_deps: bool = False,
        workspaces: Mapping[str, str] | None = None,
    ) -> dict[str, DependencySpec]:
        """The edges npm's Node#loadDeps creates, by name: workspaces first (never replaced), then
        peer/peerOptional, prod, optional and (for tops, `include_dev`) dev, each kind replacing
        the one before for the same name. `workspaces` maps a workspace name to its path."""
        accept = self.accept_dependencies
        edges: dict[str, DependencySpec] = {}
        for name, path in (workspaces or {}).items():
            edges[name] = DependencySpec(name, f"file:{path}", "workspace")

        def load(deps: Mapping[str, str], kind: str) -> None:
            for name, spec in deps.items():
                current = edges.get(name)
                if current is None or current.type != "workspace":
                    edges[name] = DependencySpec(name, spec, kind, accept.get(name))

        if self.peer_dependencies and not legacy_peer_deps:
            optional = self.optional_peer_names()
            load({n: s for n, s in self.peer_dependencies.items() if n not in optional}, "peer")
            load({n: s for n, s in self.peer_dependencies.items() if n in optional}, "peerOptional")
        load(self.dependencies, "prod")
        load(self.optional_dependencies, "optional")
        if include_dev:
            load(self.dev_dependencies, "dev")
        return edges


def read_manifest(folder: Path | str, *, steps: tuple[str, ...] = NORMALIZE_STEPS) -> Manifest:
    """Read `<folder>/package.json` as npm reads packages it installs (`PackageJson.normalize`)."""
    file = read_package_json(folder)
    return Manifest.from_content(normalize(file.content, steps=steps, path=folder))

"""Reading and writing package.json the way npm does (@npmcli/package-json `load`, `update`, `save`).

npm parses with json-parse-even-better-errors, which strips a BOM and remembers the file's indent and
newline; `save()` writes `JSON.stringify(content, null, indent) + "\\n"` with every `\\n` turned into
that newline, and writes nothing when the result equals what was read apart from surrounding
whitespace (so an unchanged file keeps its exact bytes, BOM and all). A one-line file has an empty
indent and newline, so it stays one line with no trailing newline. Keys keep their order (JavaScript
object order: integer-like keys first); `update()` changes dependency maps the way
update-dependencies.js does: each map sorted with `localeCompare`, an existing map keeps its place,
a new one goes last, an empty one is removed, names in optionalDependencies leave dependencies.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from snpm.ecmascript.collation import locale_compare_key
from snpm.ecmascript.json import JSONParseError, parse_json, stringify
from snpm.ecmascript.strings import trim
from snpm.ecmascript.values import truthy
from snpm.errors import SnpmError, from_os_error
from snpm.json_types import JsonObject, JsonValue
from snpm.record import Record

__all__ = [
    "DEPENDENCY_TYPES",
    "UNDEFINED",
    "PackageJsonFile",
    "Undefined",
    "format_package_json",
    "package_sort",
    "parse_package_json",
    "read_package_json",
    "save_package_json",
    "update_package_json",
]

# update-dependencies.js `depTypes`, in its iteration order
DEPENDENCY_TYPES: Final = ("dependencies", "optionalDependencies", "devDependencies", "peerDependencies")


class Undefined(enum.Enum):
    """JavaScript's `undefined` as an update value: the key is dropped from the written file."""

    UNDEFINED = "undefined"


UNDEFINED: Final = Undefined.UNDEFINED


class PackageJsonFile(Record):
    """A package.json as read (not normalised), with what npm needs to save it again.

    `content` must not be mutated; `update_package_json` returns a new value.
    """

    _FIELDS = ("path", "content", "indent", "newline", "text", "dropped")
    __slots__ = _FIELDS

    def __init__(
        self,
        path: Path,
        content: JsonObject,
        indent: str | None,
        newline: str | None,
        text: str = "",
        dropped: frozenset[str] = frozenset(),
    ) -> None:
        self.path: Final = path  # the package.json file itself
        self.content: Final = content
        # Symbol.for('indent'); None for a file created from scratch ("  " on save)
        self.indent: Final = indent
        self.newline: Final = newline  # Symbol.for('newline'); None → "\n"
        self.text: Final = text  # the text read (npm compares against it before writing)
        self.dropped: Final = dropped  # keys set to `undefined` by an update


def parse_package_json(text: str | bytes, path: Path | str = "package.json") -> PackageJsonFile:
    """Parse package.json text; invalid JSON raises SnpmError EJSONPARSE with npm's message
    ("Invalid package.json: JSONParseError: … while parsing …")."""
    raw = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    try:
        parsed = parse_json(raw)
    except JSONParseError as err:
        # @npmcli/package-json's parse(): `Invalid package.json: ${err}`, and no `path` on the error
        # (arborist's loadActual adds one for the nodes it loads; npm prints a `path` line only then)
        raise SnpmError(f"Invalid package.json: {err}", code="EJSONPARSE") from None
    value = parsed.value
    if isinstance(value, list):
        # an array is an object to npm: its keys are the indexes (`{...content}` when it saves)
        value = {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise SnpmError("Invalid package.json: not a JSON object", code="EJSONPARSE", path=str(path))
    return PackageJsonFile(Path(path), value, parsed.indent, parsed.newline, raw)


def read_package_json(folder: Path | str, *, create: bool = False) -> PackageJsonFile:
    """`PackageJson.load(folder, {create})`: read `<folder>/package.json`; with `create`, a missing
    file gives empty content that can be saved."""
    path = Path(folder) / "package.json"
    try:
        raw = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as err:
        if create and isinstance(err, FileNotFoundError):
            return PackageJsonFile(path, {}, None, None, "")
        wrapped = from_os_error(err, "open")
        wrapped.message = f"Could not read package.json: Error: {wrapped.message}"
        raise wrapped from None
    return parse_package_json(raw, path)


def package_sort(content: Mapping[str, JsonValue]) -> JsonObject:
    """@npmcli/package-json sort.js: the conventional key order used by `save({sort: true})`."""
    head = {key: content[key] for key in _SORT_ORDER if key in content}
    head.update((k, v) for k, v in content.items() if k not in head)
    return head


_SORT_ORDER: Final = (
    "name", "version", "private", "description", "keywords", "homepage", "bugs", "repository",
    "funding", "license", "author", "maintainers", "contributors", "type", "imports", "exports",
    "main", "browser", "types", "bin", "man", "directories", "files", "workspaces", "scripts",
    "config", "dependencies", "devDependencies", "peerDependencies", "peerDependenciesMeta",
    "optionalDependencies", "bundledDependencies", "bundleDependencies", "engines", "os", "cpu",
    "publishConfig", "devEngines", "licenses", "overrides",
)  # fmt: skip


def format_package_json(
    content: Mapping[str, JsonValue],
    *,
    indent: str | None = None,
    newline: str | None = None,
    sort: bool = False,
) -> str:
    """The text `PackageJson#save` writes for `content` with the remembered indent and newline."""
    body: JsonObject = package_sort(content) if sort else dict(content)
    text = stringify(body, "  " if indent is None else indent) + "\n"
    eol = "\n" if newline is None else newline
    return text if eol == "\n" else text.replace("\n", eol)


def _truthy(value: JsonValue | Undefined) -> bool:
    """JavaScript truthiness of an update value (`{}` and `[]` are true, `0`, NaN and `""` false)."""
    return not isinstance(value, Undefined) and truthy(value)


def _sorted_deps(deps: JsonValue) -> JsonValue:
    if not isinstance(deps, dict):
        return deps
    return {name: deps[name] for name in sorted(deps, key=locale_compare_key)}


def _update_dependencies(changes: Mapping[str, JsonValue | Undefined], original: JsonObject) -> JsonObject:
    pkg = {t: _sorted_deps(v) for t, v in changes.items() if t in DEPENDENCY_TYPES and _truthy(v)}  # type: ignore[arg-type]
    prod, optional = pkg.get("dependencies"), pkg.get("optionalDependencies")
    if isinstance(prod, dict) and isinstance(optional, dict):
        for name in optional:
            prod.pop(name, None)
    result = dict(original)
    for dep_type in DEPENDENCY_TYPES:
        value = pkg.get(dep_type)
        if value is None:
            continue
        if isinstance(value, dict) and not value:
            # an empty map (truthy in JS) replaces the old one and is then pruned
            result.pop(dep_type, None)
        else:
            result[dep_type] = value
    orig_prod, orig_peer, new_peer = (
        original.get("dependencies"),
        original.get("peerDependencies"),
        result.get("peerDependencies"),
    )
    if (
        isinstance(orig_prod, dict)
        and isinstance(orig_peer, dict)
        and isinstance(new_peer, dict)
        and orig_peer
        and new_peer
    ):
        # a name that was both a peer and a prod dependency stays both
        for name in orig_peer:
            if name in orig_prod and name in new_peer:
                current = result.get("dependencies")
                deps = dict(current) if isinstance(current, dict) else {}
                deps[name] = new_peer[name]
                result["dependencies"] = deps
    return result


def update_package_json(
    file: PackageJsonFile, changes: Mapping[str, JsonValue | Undefined]
) -> PackageJsonFile:
    """`PackageJson#update(changes)`: dependency maps, scripts and workspaces by npm's rules, any
    other key overwritten (UNDEFINED drops it). Raises ESCRIPTSINVALID / EWORKSPACESINVALID."""
    content = _update_dependencies(changes, file.content)
    scripts = changes.get("scripts")
    if _truthy(scripts):
        if not isinstance(scripts, dict) or not all(isinstance(v, str) for v in scripts.values()):
            raise SnpmError(
                "package.json scripts should be a key-value pair of strings.", code="ESCRIPTSINVALID"
            )
        content["scripts"] = dict(scripts)
    workspaces = changes.get("workspaces")
    if _truthy(workspaces):
        if (
            not isinstance(workspaces, list)
            or not workspaces
            or not all(isinstance(w, str) for w in workspaces)
        ):
            raise SnpmError("workspaces should be an array of strings.", code="EWORKSPACESINVALID")
        content["workspaces"] = list(workspaces)
    dropped = set(file.dropped)
    for key, value in changes.items():
        if key in DEPENDENCY_TYPES or key in ("scripts", "workspaces"):
            continue
        if isinstance(value, Undefined):
            # JS keeps the key (with value undefined); JSON.stringify leaves it out
            if key in content:
                dropped.add(key)
        else:
            content[key] = value
            dropped.discard(key)
    return file._replace(content=content, dropped=frozenset(dropped))


def save_package_json(file: PackageJsonFile, *, sort: bool = False) -> tuple[PackageJsonFile, bool]:
    """`PackageJson#save`: write the file unless only surrounding whitespace would change.

    Returns the file as it now is on disk and whether it was written.
    """
    content = (
        {k: v for k, v in file.content.items() if k not in file.dropped} if file.dropped else file.content
    )
    text = format_package_json(content, indent=file.indent, newline=file.newline, sort=sort)
    if trim(text) == trim(file.text):
        return file, False
    try:
        file.path.write_text(text, encoding="utf-8", newline="")
    except OSError as err:
        raise from_os_error(err, "open") from None
    return file._replace(text=text), True

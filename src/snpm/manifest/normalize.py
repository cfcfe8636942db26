"""npm's read-time normalisation of package.json (@npmcli/package-json normalize.js), and the bin
normalisation bin-links applies when linking (npm-normalize-package-bin).

npm reads every package.json it installs from (the root, workspaces, node_modules, file: folders)
with `PackageJson.normalize` (NORMALIZE_STEPS); registry manifests get the same steps except
`_attributes`; `npm pack`/publish read with `prepare` (PREPARE_STEPS), which also fills the default
`node-gyp rebuild` install script when a `*.gyp` file exists, `start: node server.js`, man pages from
`directories.man`, the readme, contributors from AUTHORS, gitHead and types. Steps run in npm's
order: the filesystem steps first, then the pure ones. Not supported here (they need semver or
hosted-git-info, i.e. `npm pkg fix` and normalize-package-data): fixName, fixNameField,
fixVersionField, fixRepositoryField, fixDependencies, normalizeData.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from snpm.json_types import JsonObject, JsonValue

__all__ = [
    "NORMALIZE_STEPS",
    "PREPARE_STEPS",
    "REGISTRY_STEPS",
    "has_install_script",
    "normalize",
    "normalize_bin_for_links",
    "secure_and_unixify_path",
]

NORMALIZE_STEPS: Final = (
    "_id",
    "_attributes",
    "bundledDependencies",
    "bundleDependencies",
    "optionalDedupe",
    "scripts",
    "funding",
    "bin",
    "binDir",
)
# pacote's registry manifests keep `_`-prefixed fields (`_resolved`, `_integrity`, …)
REGISTRY_STEPS: Final = tuple(s for s in NORMALIZE_STEPS if s != "_attributes")
PREPARE_STEPS: Final = (
    "_id",
    "_attributes",
    "bundledDependencies",
    "bundleDependencies",
    "bundleDependenciesDeleteFalse",
    "gypfile",
    "serverjs",
    "scriptpath",
    "authors",
    "readme",
    "mans",
    "binDir",
    "gitHead",
    "fillTypes",
    "binRefs",
)
_SUPPORTED: Final = frozenset(NORMALIZE_STEPS + PREPARE_STEPS)
_SCRIPT_BIN_PATH = re.compile(r"^(\.[/\\])?node_modules[/\\].bin[\\/]")
_README_MD = re.compile(r"\.m?a?r?k?d?o?w?n?$", re.IGNORECASE)
_MAN_FILE = re.compile(r"\.[0-9]$")
_NO_README = "ERROR: No README data found!"


# ── node's posix path functions (Python's differ on trailing slashes and "//") ─────────────────────
def _normalize_string(path: str, allow_above_root: bool) -> str:
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif allow_above_root:
                parts.append("..")
        else:
            parts.append(segment)
    return "/".join(parts)


def js_normalize(path: str) -> str:
    """node's `path.posix.normalize` (keeps a trailing slash)."""
    if not path:
        return "."
    absolute = path.startswith("/")
    trailing = path.endswith("/")
    body = _normalize_string(path, not absolute)
    if not body:
        return "/" if absolute else ("./" if trailing else ".")
    if trailing:
        body += "/"
    return "/" + body if absolute else body


def js_join(*parts: str) -> str:
    """node's `path.posix.join`."""
    joined = "/".join(p for p in parts if p)
    return js_normalize(joined) if joined else "."


def js_basename(path: str) -> str:
    """node's `path.posix.basename` (ignores trailing slashes)."""
    stripped = path.rstrip("/")
    return stripped.rsplit("/", 1)[-1] if stripped else ""


def js_dirname(path: str) -> str:
    """node's `path.posix.dirname`."""
    if not path:
        return "."
    stripped = path.rstrip("/") or "/"
    cut = stripped.rfind("/")
    if cut < 0:
        return "."
    return "/" if cut == 0 else stripped[:cut]


def _unixify(ref: str) -> str:
    return ref.replace("\\", "/").replace(":", "/")


def secure_and_unixify_path(ref: str) -> str:
    """A path kept inside the package: `\\` and `:` become `/`, `..` cannot climb out; '' if empty."""
    secured = _unixify(js_join(".", js_join("/", _unixify(ref))))
    return "" if secured.startswith("./") else secured


# ── bin and man ────────────────────────────────────────────────────────────────────────────────────
def _normalize_package_bin(data: JsonObject, changes: list[str] | None) -> None:
    bin_ = data.get("bin")
    if bin_:
        name = data.get("name")
        if isinstance(bin_, str) and name:
            _note(changes, '"bin" was converted to an object')
            bin_ = {str(name): bin_}
        elif isinstance(bin_, list):
            _note(changes, '"bin" was converted to an object')
            bin_ = {js_basename(str(k)): k for k in bin_}
        if isinstance(bin_, dict):
            clean: JsonObject = dict(bin_)
            for key in list(bin_):
                if key not in clean:
                    continue
                target = clean[key]
                if not isinstance(target, str):
                    del clean[key]
                    _note(changes, f'removed invalid "bin[{key}]"')
                    continue
                base = js_basename(secure_and_unixify_path(key))
                secured = secure_and_unixify_path(target)
                if not base or not secured:
                    del clean[key]
                    _note(changes, f'removed invalid "bin[{key}]"')
                    continue
                if base != key:
                    del clean[key]
                    _note(changes, f'"bin[{key}]" was renamed to "bin[{base}]"')
                # compared after the rename deleted the key, as npm does: a renamed bin always notes it
                if secured != clean.get(key):
                    _note(changes, f'"bin[{base}]" script name {secured} was invalid and removed')
                clean[base] = secured
            if clean:
                data["bin"] = clean
                return
            _note(changes, 'empty "bin" was removed')
    data.pop("bin", None)


def normalize_bin_for_links(bin_: JsonValue, name: str | None) -> dict[str, str]:
    """npm-normalize-package-bin, as bin-links applies it before linking: name → target path."""
    if not bin_:
        return {}
    if isinstance(bin_, str):
        if not name:
            return {}
        bin_ = {name: bin_}
    elif isinstance(bin_, list):
        bin_ = {js_basename(str(k)): k for k in bin_}
    if not isinstance(bin_, dict):
        return {}
    clean: dict[str, str] = {}
    for key, target in bin_.items():
        base = js_join("/", js_basename(key.replace("\\", "/").replace(":", "/")))[1:]
        if not isinstance(target, str) or not base:
            continue
        secured = js_join("/", target.replace("\\", "/"))[1:]
        if secured:
            clean[base] = secured
    return clean


def _normalize_package_man(data: JsonObject, changes: list[str] | None) -> None:
    man = data.get("man")
    if man:
        mans: list[JsonValue] = []
        for item in man if isinstance(man, list) else [man]:
            if isinstance(item, str):
                mans.append(secure_and_unixify_path(item))
            else:
                _note(changes, f'removed invalid "man [{item}]"')
        if mans:
            data["man"] = mans
            return
        _note(changes, 'empty "man" was removed')
    data.pop("man", None)


def _note(changes: list[str] | None, message: str) -> None:
    if changes is not None:
        changes.append(message)


# ── filesystem steps ───────────────────────────────────────────────────────────────────────────────
def _walk_files(folder: Path) -> list[str]:
    """glob('**', {cwd}) without dot entries: every file and folder below, relative, `/`-separated."""
    found: list[str] = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(current, folder)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.extend(prefix + d for d in dirs)
        found.extend(prefix + f for f in sorted(files) if not f.startswith("."))
    return found


def _read(path: Path) -> str:
    """A file as node's `readFile(…, 'utf8')` gives it: no newline translation."""
    return path.read_bytes().decode("utf-8", errors="replace")


def _list_dir(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _git_head(start: Path, root: Path | None) -> str | None:
    """@npmcli/git find + the HEAD reading of the gitHead step."""
    current = start.resolve()
    while not (current / ".git").exists():
        if (root is not None and current == root.resolve()) or current.parent == current:
            return None
        current = current.parent
    git = current / ".git"
    try:
        head = _read(git / "HEAD")
    except OSError:
        return None
    if not head.startswith("ref: "):
        return head.strip() or None
    ref = head[5:].strip()
    try:
        found = _read(git / ref).removeprefix("ref: ").strip()
        if found:
            return found
    except OSError:
        pass
    try:
        for line in _read(git / "packed-refs").split("\n"):
            match = re.match(r"^([0-9a-f]{40}) (.+)$", line)
            if match and match.group(2).strip() == ref:
                return match.group(1)
    except OSError:
        pass
    return None


def _filesystem_steps(
    data: JsonObject, steps: Sequence[str], path: Path | None, root: Path | None, changes: list[str] | None
) -> None:
    raw_scripts = data.get("scripts")
    scripts: JsonObject = dict(raw_scripts) if isinstance(raw_scripts, dict) else {}
    if (
        "gypfile" in steps
        and path is not None
        and not scripts.get("install")
        and not scripts.get("preinstall")
        and data.get("gypfile") is not False
        and any(fnmatch.fnmatchcase(f, "*.gyp") and not f.startswith(".") for f in _list_dir(path))
    ):
        scripts["install"] = "node-gyp rebuild"
        data["scripts"] = scripts
        data["gypfile"] = True
        _note(changes, '"scripts.install" was set to "node-gyp rebuild"')
        _note(changes, '"gypfile" was set to "true"')
    if (
        "serverjs" in steps
        and path is not None
        and not scripts.get("start")
        and (path / "server.js").exists()
    ):
        scripts["start"] = "node server.js"
        data["scripts"] = scripts
        _note(changes, '"scripts.start" was set to "node server.js"')
    if "authors" in steps and path is not None and not data.get("contributors"):
        try:
            lines = re.split(r"\r?\n", _read(path / "AUTHORS"))
            authors = [re.sub(r"^\s*#.*$", "", line).strip() for line in lines]
            data["contributors"] = [a for a in authors if a]
            _note(changes, '"contributors" was auto-populated with the contents of the "AUTHORS" file')
        except OSError:
            pass
    if "readme" in steps and path is not None and not data.get("readme"):
        _read_readme(data, path, changes)
    if "mans" in steps:
        directories = data.get("directories")
        man_dir = directories.get("man") if isinstance(directories, dict) else None
        if man_dir and not data.get("man") and path is not None:
            folder = path / secure_and_unixify_path(str(man_dir))
            pages = [f for f in _walk_files(folder) if _MAN_FILE.search(f)]
            data["man"] = [os.path.relpath(folder / f, path).replace(os.sep, "/") for f in pages]
        _normalize_package_man(data, changes)
    directories = data.get("directories")
    bin_dir = directories.get("bin") if isinstance(directories, dict) else None
    if "binDir" in steps and bin_dir and not data.get("bin") and path is not None:
        bin_path = secure_and_unixify_path(str(bin_dir))
        bins: JsonObject = {}
        for found in _walk_files(path / bin_path):
            bins[js_basename(found)] = f"{bin_path}/{secure_and_unixify_path(found)}"
        data["bin"] = bins
    elif "bin" in steps or "binDir" in steps or "binRefs" in steps:
        _normalize_package_bin(data, changes)
    if "gitHead" in steps and path is not None and not data.get("gitHead"):
        head = _git_head(path, root)
        if head:
            data["gitHead"] = head
    if "fillTypes" in steps and path is not None:
        _fill_types(data, path)


def _read_readme(data: JsonObject, path: Path, changes: list[str] | None) -> None:
    chosen: str | None = None
    for name in _list_dir(path):
        upper = name.upper()
        if upper != "README" and not upper.startswith("README."):
            continue
        if (path / name).is_dir():
            continue
        if _README_MD.search(name):
            chosen = name
            break
        if name.endswith("README"):
            chosen = name
    if chosen is not None:
        data["readme"] = _read(path / chosen)
        data["readmeFilename"] = chosen
        _note(changes, f'"readme" was set to the contents of {chosen}')
        _note(changes, f'"readmeFilename" was set to {chosen}')
    if not data.get("readme"):
        data["readme"] = _NO_README


def _fill_types(data: JsonObject, path: Path) -> None:
    index = data.get("main") or "index.js"
    if not isinstance(index, str):
        raise TypeError('The "main" attribute must be of type string.')
    base = js_basename(index)
    stem = base[: base.rfind(".")] if base.rfind(".") > 0 else base
    dts = f"./{js_join(js_dirname(index), stem)}.d.ts"
    if "types" not in data and "typings" not in data and (path / dts).exists():
        data["types"] = dts


# ── pure steps ─────────────────────────────────────────────────────────────────────────────────────
def _pure_steps(data: JsonObject, steps: Sequence[str], changes: list[str] | None) -> None:
    name, version = data.get("name"), data.get("version")
    pkg_id = f"{'' if name is None else name}@{'' if version is None else version}"
    if "_attributes" in steps:
        for key in [k for k in data if k.startswith("_")]:
            _note(changes, f'"{key}" was removed')
            del data[key]
    if "_id" in steps and data.get("name") and data.get("version"):
        _note(changes, f'"_id" was set to {pkg_id}')
        data["_id"] = pkg_id
    if "bundledDependencies" in steps:
        if "bundleDependencies" not in data and "bundledDependencies" in data:
            data["bundleDependencies"] = data["bundledDependencies"]
            _note(changes, 'Deleted incorrect "bundledDependencies"')
        data.pop("bundledDependencies", None)
    if "bundleDependencies" in steps:
        bundled = data.get("bundleDependencies")
        if bundled is False and "bundleDependenciesDeleteFalse" not in steps:
            _note(changes, '"bundleDependencies" was changed from "false" to "[]"')
            data["bundleDependencies"] = []
        elif bundled is True:
            _note(changes, '"bundleDependencies" was auto-populated from "dependencies"')
            deps = data.get("dependencies")
            data["bundleDependencies"] = list(deps) if isinstance(deps, dict) else []
        elif isinstance(bundled, dict):
            _note(changes, '"bundleDependencies" was changed from an object to an array')
            data["bundleDependencies"] = list(bundled)
        elif not isinstance(bundled, list) and "bundleDependencies" in data:
            _note(changes, '"bundleDependencies" was removed')
            del data["bundleDependencies"]
    if "optionalDedupe" in steps:
        deps, optional = data.get("dependencies"), data.get("optionalDependencies")
        if isinstance(deps, dict) and isinstance(optional, dict):
            kept = {k: v for k, v in deps.items() if k not in optional}
            for dep_name in optional:
                _note(changes, f'optionalDependencies."{dep_name}" was removed')
            if kept:
                data["dependencies"] = kept
            else:
                _note(changes, 'Empty "optionalDependencies" was removed')
                del data["dependencies"]
    if ("scripts" in steps or "scriptpath" in steps) and "scripts" in data:
        _clean_scripts(data, "scriptpath" in steps, changes)
    if "funding" in steps:
        funding = data.get("funding")
        if isinstance(funding, str) and funding:
            data["funding"] = {"url": funding}
            _note(changes, '"funding" was changed to an object with a url attribute')


def _clean_scripts(data: JsonObject, fix_paths: bool, changes: list[str] | None) -> None:
    scripts = data["scripts"]
    if scripts is None:
        return  # typeof null is "object": npm leaves it
    if not isinstance(scripts, dict):
        _note(changes, 'Removed invalid "scripts"')
        del data["scripts"]
        return
    clean: JsonObject = {}
    for key, value in scripts.items():
        if not isinstance(value, str):
            _note(changes, f'Invalid scripts."{key}" was removed')
        elif fix_paths and _SCRIPT_BIN_PATH.search(value):
            clean[key] = _SCRIPT_BIN_PATH.sub("", value, count=1)
            _note(changes, f'scripts entry "{key}" was fixed to remove node_modules/.bin reference')
        else:
            clean[key] = value
    data["scripts"] = clean


def normalize(
    content: Mapping[str, JsonValue],
    *,
    steps: Sequence[str] = NORMALIZE_STEPS,
    path: Path | str | None = None,
    root: Path | str | None = None,
    changes: list[str] | None = None,
) -> JsonObject:
    """A normalised copy of package.json `content` (`content` is not changed).

    `path` is the package folder for the steps that look at files (binDir, gypfile, …; skipped without
    it); `root` bounds the search for `.git` (gitHead). `changes` collects npm's change notes.
    """
    unknown = [s for s in steps if s not in _SUPPORTED]
    if unknown:
        raise ValueError(f"unsupported package.json normalize steps: {', '.join(unknown)}")
    data: JsonObject = dict(content)
    folder = Path(path) if path is not None else None
    _filesystem_steps(data, steps, folder, Path(root) if root is not None else None, changes)
    _pure_steps(data, steps, changes)
    return data


def has_install_script(content: Mapping[str, JsonValue]) -> bool:
    """arborist Node#hasInstallScript: `hasInstallScript`, or an install/preinstall/postinstall script
    (prepare alone does not count)."""
    if content.get("hasInstallScript"):
        return True
    scripts = content.get("scripts")
    if not isinstance(scripts, dict):
        return False
    return any(scripts.get(event) for event in ("install", "preinstall", "postinstall"))

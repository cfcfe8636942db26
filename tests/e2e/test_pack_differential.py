"""`npm pack` vs snpm's packlist + tarball writer, on the fixture packages in tests/fixtures/packages.

For each `pack-*` fixture the real npm packs a copy (isolated HOME, userconfig, globalconfig and
cache); the test then compares the file list (npm's archive order and `--json` order), the
uncompressed tar stream byte for byte, and `npm pack --dry-run --json`'s list. The gzip layer is
compared only for its header: node's bundled (Chromium) zlib deflates differently from the system
zlib that CPython uses, so the compressed bytes and the integrity differ (see snpm.tarball.pack).

Fixture folders escape names git would not keep: a path component `_dot_x` becomes `.x` and
`_raw_x` becomes `x` (for `build/` and `node_modules/`, which the repository ignores).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from snpm.json_types import JsonObject
from snpm.manifest.packlist import locale_compare_key, packlist
from snpm.tarball import gunzip, iter_members, pack_directory

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "packages"
NPM = shutil.which("npm")


def _unescape(name: str) -> str:
    if name.startswith("_dot_"):
        return "." + name[len("_dot_") :]
    if name.startswith("_raw_"):
        return name[len("_raw_") :]
    return name


def materialize(source: Path, dest: Path) -> Path:
    """Copy a fixture folder, turning escaped names into the real ones."""
    for dirpath, _dirnames, filenames in os.walk(source):
        rel = Path(dirpath).relative_to(source)
        target_dir = dest.joinpath(*(_unescape(p) for p in rel.parts))
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            shutil.copyfile(Path(dirpath) / name, target_dir / _unescape(name))
    return dest


def _exec_bits(root: Path) -> None:
    (root / "cli.js").chmod(0o755)
    (root / "scripts" / "cli.js").chmod(0o700)
    (root / "bin" / "tool.js").chmod(0o664)


def _links(root: Path) -> None:
    (root / "index.js").write_text("x\n")
    (root / "linked-file.js").symlink_to("index.js")
    (root / "linked-dir").symlink_to("lib")
    os.link(root / "lib" / "x.js", root / "hard-copy.js")


def _star_name(root: Path) -> None:
    (root / "star*.js").write_text("x\n")


# Things git cannot carry in a fixture (modes, links), applied after copying.
SETUP: dict[str, Callable[[Path], None]] = {
    "pack-bins-and-main": _exec_bits,
    "pack-workspaces-root": _links,
    "pack-odd-names-and-order": _star_name,
}

FIXTURE_DIRS = sorted(p for p in FIXTURES.glob("pack-*/*") if p.is_dir()) if FIXTURES.is_dir() else []


@pytest.fixture
def npm_env(tmp_path: Path) -> dict[str, str]:
    if NPM is None:
        pytest.skip("npm is not installed")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_")}
    env.update(
        HOME=str(home),
        npm_config_userconfig=str(home / ".npmrc"),
        npm_config_globalconfig=str(home / "global-npmrc"),
        npm_config_cache=str(home / "cache"),
        npm_config_prefix=str(home / "prefix"),
        npm_config_update_notifier="false",
        npm_config_fund="false",
        npm_config_audit="false",
    )
    return env


def _npm(args: list[str], cwd: Path, env: dict[str, str]) -> list[JsonObject]:
    assert NPM is not None
    proc = subprocess.run([NPM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert isinstance(data, list)
    return data


def json_order(paths: list[str]) -> list[str]:
    """npm pack's report order (lib/utils/tar.js): names starting upper-case first, each part sorted
    (stably, from archive order) by Intl.Collator('en', {sensitivity: 'case', numeric: true})."""

    def is_upper(p: str) -> bool:
        return p[:1] == p[:1].upper()

    def key(p: str) -> tuple[object, ...]:
        return locale_compare_key(p, numeric=True, accents=False)

    uppers = [p for p in paths if is_upper(p)]
    others = [p for p in paths if not is_upper(p)]
    return sorted(uppers, key=key) + sorted(others, key=key)


@pytest.mark.parametrize("fixture", FIXTURE_DIRS, ids=[p.parent.name for p in FIXTURE_DIRS])
def test_pack_matches_npm(fixture: Path, tmp_path: Path, npm_env: dict[str, str]) -> None:
    pkg = materialize(fixture, tmp_path / "pkg")
    if fixture.parent.name in SETUP:
        SETUP[fixture.parent.name](pkg)
    out = tmp_path / "out"
    out.mkdir()

    dry = _npm(["pack", "--dry-run", "--json", "--ignore-scripts"], pkg, npm_env)[0]
    report = _npm(["pack", "--json", "--ignore-scripts", "--pack-destination", str(out)], pkg, npm_env)[0]
    npm_tgz = (out / str(report["filename"])).read_bytes()
    npm_tar = gunzip(npm_tgz)
    npm_order = [m.path.removeprefix("package/") for m in iter_members(npm_tgz)]

    result = pack_directory(pkg)
    ours = gunzip(result.tarball)

    # 1. the file list in archive order (npm-packlist's order) and its length
    assert [e.path for e in result.files] == npm_order
    assert [p.removeprefix("./") for p in packlist(pkg)] == npm_order
    # 2. the uncompressed tar stream, byte for byte
    assert ours == npm_tar
    # 3. npm's JSON report: files in report order with size and mode, counts and sizes
    npm_files = report["files"]
    assert isinstance(npm_files, list)
    assert [f["path"] for f in npm_files if isinstance(f, dict)] == json_order([e.path for e in result.files])
    by_path = {e.path: e for e in result.files}
    for item in npm_files:
        assert isinstance(item, dict)
        entry = by_path[str(item["path"])]
        assert (entry.size, entry.mode) == (item["size"], item["mode"])
    assert report["entryCount"] == result.entry_count
    assert report["unpackedSize"] == result.unpacked_size
    assert report["bundled"] == list(result.bundled)
    # 4. --dry-run lists the same files
    assert dry["files"] == npm_files
    # 5. gzip: same header (level 9 → XFL 2, OS byte 0xff, no mtime); the deflate body differs
    assert result.tarball[:10] == npm_tgz[:10]


EXTRACT_SCRIPT = r"""
const [pacoteDir, tgz, dest, cache] = process.argv.slice(1)
const pacote = require(pacoteDir)
const fs = require('fs'), path = require('path')
pacote.extract('file:' + tgz, dest, { cache }).then(() => {
  const out = {}
  const walk = (d, p) => {
    for (const e of fs.readdirSync(d)) {
      const f = path.join(d, e), st = fs.lstatSync(f)
      out[p + e] = (st.isDirectory() ? 'dir ' : st.isSymbolicLink() ? 'link ' : 'file ') + (st.mode & 0o7777).toString(8)
      if (st.isDirectory()) walk(f, p + e + '/')
    }
  }
  walk(dest, '')
  console.log(JSON.stringify(out))
})
"""


def _hostile_tarball() -> bytes:
    import gzip
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(
            name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, mode: int = 0o644, link: str = ""
        ) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.linkname = kind, mode, link
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if info.size else None)

        add("package/package.json", b'{"name":"hostile","version":"1.0.0","bin":{"h":"bin/h.js"}}')
        add("package/bin/h.js", b"x", mode=0o600)
        add("package/../escape.txt", b"x")
        add("/abs/file.txt", b"x")
        add("package//abs2.txt", b"x")
        add("package/link", kind=tarfile.SYMTYPE, link="/etc")
        add("package/link/passwd", b"x")
        add("package/hard", kind=tarfile.LNKTYPE, link="/etc/passwd")
        add("package/dev", kind=tarfile.CHRTYPE)
        add("package/fifo", kind=tarfile.FIFOTYPE)
        add("package/dir", kind=tarfile.DIRTYPE, mode=0o700)
        add("package/dir/f.txt", b"x", mode=0o400)
        add("package/exec.sh", b"x", mode=0o755)
        add("package/.gitignore", b"g")
        add("package/sub/.npmignore", b"n")
        add("package/sub/.gitignore", b"g2")
        add("package/" + "x" * 150 + "/long.txt", b"x")
        add("package/ünï.txt", b"u")
        add("package/odd", b"x", mode=0o4777)
    return gzip.compress(buf.getvalue())


def _our_tree(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            st = full.lstat()
            kind = "link" if full.is_symlink() else "dir" if full.is_dir() else "file"
            out[str(full.relative_to(root))] = f"{kind} {st.st_mode & 0o7777:o}"
    return out


@pytest.mark.parametrize("fixture", ["hostile", *(p.parent.name for p in FIXTURE_DIRS[:4])])
def test_extract_matches_pacote(fixture: str, tmp_path: Path, npm_env: dict[str, str]) -> None:
    from snpm.manifest.packlist import normalize_bins
    from snpm.tarball import extract

    assert NPM is not None
    pacote_dir = Path(os.path.realpath(NPM)).parents[1] / "node_modules" / "pacote"
    node = shutil.which("node")
    if node is None or not pacote_dir.is_dir():
        pytest.skip("node or npm's bundled pacote not found")
    if fixture == "hostile":
        tgz = _hostile_tarball()
    else:
        pkg = materialize(FIXTURES / fixture / "1.0.0", tmp_path / "pkg")
        tgz = pack_directory(pkg).tarball
    tgz_path = tmp_path / "in.tgz"
    tgz_path.write_bytes(tgz)
    proc = subprocess.run(
        [
            node,
            "-e",
            EXTRACT_SCRIPT,
            str(pacote_dir),
            str(tgz_path),
            str(tmp_path / "npm"),
            str(tmp_path / "cache"),
        ],
        env=npm_env,
        capture_output=True,
        text=True,
        timeout=120,
        umask=0o022,
    )
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads(proc.stdout)

    manifest = json.loads(next(e.data for e in iter_members(tgz) if e.path == "package/package.json"))
    old = os.umask(0o022)
    try:
        extract(tgz, tmp_path / "ours", bins=set(normalize_bins(manifest).values()))
    finally:
        os.umask(old)
    assert _our_tree(tmp_path / "ours") == theirs

"""snpm.reify.bin_links and snpm.lifecycle's Builder against npm's own bin-links and arborist.

Bin links: each scenario is a folder of hand-made packages (package.json + bin files, some links
and files already in place). The same calls — link (binLinks), checkBins, getPaths — run through
npm's bin-links 6 in one node process and through snpm's BinLinker in this one, each on its own copy
of the folder. Compared: the outcome of every call (ok, or the error's code and message, with the
copy's path replaced by `<root>`), the lists getPaths returns, and the resulting tree: every entry's
kind, symlink text, permission bits and content.

Build order: arborist's `rebuild()` (Arborist 9, the build step of reify and `npm rebuild`) on a
hand-made node_modules against snpm's Builder over the same nodes: which scripts ran in which order
(each appends to a log), the environment each script saw, and the bins linked. Filtered from the
environments, because they name each program's own files: PATH's node-gyp-bin entry and
`npm_config_node_gyp` (arborist's dependency builds always point it at run-script's bundled
node-gyp; snpm passes on the one from npm's environment, i.e. the `node-gyp` setting). `node-gyp
rebuild` finds a stand-in in node_modules/.bin, which comes first on PATH for both.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.lifecycle import Builder, BuildHooks, BuildNode, BuildOptions
from snpm.lifecycle.environment import NODE_GYP_BIN
from snpm.manifest import normalize, read_package_json
from snpm.reify.bin_links import BinLinker, check_bins, get_paths
from support.node import NODE, npm_root

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NODE is None, reason="node is not installed")]

CRLF = "#!/usr/bin/env node\r\nconsole.log('x')\r\n"

# scenario → files ("->target" makes a symlink) and the calls: (kind, location, top, global, force)
SCENARIOS: dict[str, dict[str, object]] = {
    "local": {
        "files": {
            "node_modules/a/package.json": {
                "name": "a",
                "bin": {"a": "bin/a.js", "a-two": "./bin/a.js", "miss": "no.js"},
            },
            "node_modules/a/bin/a.js": CRLF,
            "node_modules/@s/b/package.json": {"name": "@s/b", "bin": "cli.js"},
            "node_modules/@s/b/cli.js": "#!/bin/sh\necho b\n",
            "node_modules/c/package.json": {"name": "c", "bin": ["tools/c1.js", "tools/c2"]},
            "node_modules/c/tools/c1.js": "",
            "node_modules/c/tools/c2": "",
            "node_modules/evil/package.json": {
                "name": "evil",
                "bin": {"../../escape": "../../../etc/passwd", "x\\y": "in.js", "w:z": "in.js"},
            },
            "node_modules/evil/in.js": "",
            "node_modules/evil/etc/passwd": "",
            "node_modules/a/node_modules/d/package.json": {"name": "d", "bin": {"d": "d.js", "a": "d.js"}},
            "node_modules/a/node_modules/d/d.js": "",
            "node_modules/dup/package.json": {"name": "dup", "bin": {"a": "dup.js", "dup": "dup.js"}},
            "node_modules/dup/dup.js": "",
            "node_modules/nobin/package.json": {"name": "nobin", "bin": {"": "x.js", "n": 5}},
            "node_modules/noname/package.json": {"bin": "x.js"},
            "node_modules/noname/x.js": "",
        },
        "calls": [
            ("link", "node_modules/a", False, False, False),
            ("link", "node_modules/@s/b", False, False, False),
            ("link", "node_modules/c", False, False, False),
            ("link", "node_modules/evil", False, False, False),
            ("link", "node_modules/a/node_modules/d", False, False, False),
            ("link", "node_modules/dup", False, False, False),
            ("link", "node_modules/nobin", False, False, False),
            ("link", "node_modules/noname", False, False, False),
            ("paths", "node_modules/a", False, False, False),
            ("paths", "node_modules/@s/b", False, False, False),
            ("paths", "node_modules/evil", False, False, False),
        ],
    },
    "conflicts": {
        "files": {
            "node_modules/a/package.json": {
                "name": "a",
                "bin": {"file": "a.js", "other": "a.js", "mine": "a.js", "same": "a.js", "dir": "a.js"},
            },
            "node_modules/a/a.js": "a",
            "node_modules/a/old.js": "old",
            "node_modules/b/b.js": "b",
            "node_modules/.bin/file": "a plain file",
            "node_modules/.bin/other": "->../b/b.js",
            "node_modules/.bin/mine": "->../a/old.js",
            "node_modules/.bin/same": "->../a/a.js",
            "node_modules/.bin/dir/inside": "x",
        },
        "calls": [("link", "node_modules/a", False, False, False)],
    },
    "global": {
        "files": {
            "lib/node_modules/g/package.json": {
                "name": "g",
                "_id": "g@1.0.0",
                "bin": {"g": "cli.js", "g2": "cli2.js"},
                "man": ["man/g.1", "./man/g.5.gz", "man/g.1", "man/sub/x.10"],
            },
            "lib/node_modules/g/cli.js": CRLF,
            "lib/node_modules/g/cli2.js": "",
            "lib/node_modules/g/man/g.1": "",
            "lib/node_modules/g/man/g.5.gz": "",
            "lib/node_modules/g/man/sub/x.10": "",
            "lib/node_modules/@sc/h/package.json": {"name": "@sc/h", "bin": "h.js"},
            "lib/node_modules/@sc/h/h.js": "",
            "lib/node_modules/taken/package.json": {
                "name": "taken",
                "bin": {"taken": "t.js", "free": "t.js"},
            },
            "lib/node_modules/taken/t.js": "",
            "bin/taken": "a system binary",
            "lib/node_modules/badman/package.json": {
                "name": "badman",
                "_id": "badman@1.0.0",
                "bin": "b.js",
                "man": ["README.md"],
            },
            "lib/node_modules/badman/b.js": "",
            "lib/node_modules/badman/README.md": "",
            "lib/node_modules/owned/package.json": {"name": "owned", "bin": "o.js"},
            "lib/node_modules/owned/o.js": "",
            "bin/owned": "->../lib/node_modules/owned/previous.js",
        },
        "calls": [
            ("check", "lib/node_modules/g", True, True, False),
            ("link", "lib/node_modules/g", True, True, False),
            ("link", "lib/node_modules/@sc/h", True, True, False),
            ("check", "lib/node_modules/taken", True, True, False),
            ("check", "lib/node_modules/taken", True, True, True),
            ("link", "lib/node_modules/taken", True, True, False),
            ("check", "lib/node_modules/owned", True, True, False),
            ("link", "lib/node_modules/owned", True, True, False),
            ("link", "lib/node_modules/badman", True, True, False),
            ("paths", "lib/node_modules/g", True, True, False),
            ("paths", "lib/node_modules/badman", True, True, False),
            ("paths", "lib/node_modules/g", True, False, False),
        ],
    },
    "global-force": {
        "files": {
            "lib/node_modules/taken/package.json": {"name": "taken", "bin": {"taken": "t.js"}},
            "lib/node_modules/taken/t.js": "",
            "bin/taken": "a system binary",
        },
        "calls": [("link", "lib/node_modules/taken", True, True, True)],
    },
}

NODE_SCRIPT = r"""
const fs = require('fs');
const path = require('path');
const binLinks = require(NPM + '/node_modules/bin-links');
const normalizeBin = require(NPM + '/node_modules/npm-normalize-package-bin');
const { root, calls } = input;
(async () => {
  const out = [];
  for (const [kind, location, top, global, force] of calls) {
    const p = path.join(root, location);
    const pkg = JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8'));
    try {
      if (kind === 'link') await binLinks({ pkg, path: p, top, global, force });
      if (kind === 'check') await binLinks.checkBins({ pkg, path: p, top, global, force });
      // arborist's node.package went through the `bin` normalize step when it was read
      if (kind === 'paths') { out.push({ paths: binLinks.getPaths({ pkg: normalizeBin(pkg), path: p, top, global }) }); continue; }
      out.push({ ok: true });
    } catch (er) {
      out.push({ code: er.code, message: er.message });
    }
  }
  console.log(JSON.stringify(out));
})();
"""


def _materialize(root: Path, files: dict[str, object]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str) and content.startswith("->"):
            os.symlink(content[2:], target)
        elif isinstance(content, dict):
            target.write_text(json.dumps(content))
        else:
            target.write_bytes(str(content).encode())
            target.chmod(0o644)


def _tree(root: Path) -> dict[str, tuple[str, str, int]]:
    state: dict[str, tuple[str, str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = str(full.relative_to(root))
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                state[rel] = ("link", os.readlink(full), 0)
            elif stat.S_ISDIR(st.st_mode):
                state[rel] = ("dir", "", stat.S_IMODE(st.st_mode))
            else:
                state[rel] = ("file", full.read_bytes().decode("utf-8", "replace"), stat.S_IMODE(st.st_mode))
    return state


def _snpm_calls(root: Path, calls: list[tuple[str, str, bool, bool, bool]]) -> list[JsonObject]:
    linker = BinLinker()
    out: list[JsonObject] = []
    for kind, location, top, global_, force in calls:
        path = str(root / location)
        pkg = json.loads((root / location / "package.json").read_text())
        try:
            if kind == "link":
                linker.link(pkg, path, top=top, global_=global_, force=force)
            elif kind == "check":
                check_bins(pkg, path, top=top, global_=global_, force=force)
            else:
                out.append({"paths": list(get_paths(pkg, path, global_=global_, top=top))})
                continue
            out.append({"ok": True})
        except SnpmError as err:
            out.append({"code": err.code, "message": err.message})
    return out


def _scrub(value: JsonValue, root: Path) -> JsonValue:
    return json.loads(json.dumps(value).replace(str(root), "<root>"))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_bin_links_match_npm(scenario: str, tmp_path: Path) -> None:
    spec = SCENARIOS[scenario]
    files = spec["files"]
    calls = spec["calls"]
    assert isinstance(files, dict) and isinstance(calls, list)
    npm_root_dir, snpm_root_dir = tmp_path / "npm", tmp_path / "snpm"
    for root in (npm_root_dir, snpm_root_dir):
        root.mkdir()
        _materialize(root, files)
    wrapper = f"const input = {json.dumps({'root': str(npm_root_dir), 'calls': calls})};\nconst NPM = {json.dumps(str(npm_root()))};\n{NODE_SCRIPT}"
    done = subprocess.run([str(NODE), "-e", wrapper], capture_output=True, text=True, check=True)
    expected = _scrub(json.loads(done.stdout), npm_root_dir)
    got = _scrub(_snpm_calls(snpm_root_dir, calls), snpm_root_dir)  # type: ignore[arg-type]
    assert got == expected
    assert _tree(snpm_root_dir) == _tree(npm_root_dir)
    print(f"bin-links {scenario}: {len(calls)} calls and {len(_tree(npm_root_dir))} entries match npm")


# ── the build: arborist rebuild() vs Builder ───────────────────────────────────────────────────────
def _logging_scripts(name: str, events: tuple[str, ...]) -> dict[str, str]:
    return {e: f'echo "{e} {name}" >> "$LOG"; env | LC_ALL=C sort > "$ENVS/{name}.{e}"' for e in events}


BUILD_FILES: dict[str, object] = {
    "package.json": {"name": "root", "version": "1.0.0", "dependencies": {"a": "1", "b": "1", "gyp": "1"}},
    "node_modules/b/package.json": {
        "name": "b",
        "version": "1.0.0",
        "bin": {"b": "b.js"},
        "scripts": _logging_scripts("b", ("preinstall", "install", "postinstall", "prepare")),
        "config": {"x": 1},
    },
    "node_modules/b/b.js": CRLF,
    "node_modules/a/package.json": {
        "name": "a",
        "version": "2.0.0",
        "bin": "a.js",
        "scripts": _logging_scripts("a", ("postinstall", "preinstall")),
    },
    "node_modules/a/a.js": "",
    "node_modules/a/node_modules/c/package.json": {
        "name": "c",
        "version": "1.0.0",
        "bin": {"c": "c.js", "b": "c.js"},
        "scripts": _logging_scripts("c", ("install",)),
    },
    "node_modules/a/node_modules/c/c.js": "",
    "node_modules/gyp/package.json": {
        "name": "gyp",
        "version": "1.0.0",
        "scripts": {"postinstall": 'echo "postinstall gyp" >> "$LOG"'},
    },
    "node_modules/gyp/binding.gyp": "{}",
    "node_modules/quiet/package.json": {"name": "quiet", "version": "1.0.0"},
    # found on PATH before the node-gyp-bin wrapper, so `node-gyp rebuild` needs no compiler here
    "node_modules/.bin/node-gyp": '#!/bin/sh\necho "node-gyp $* in ${PWD##*/}" >> "$LOG"\n',
}

ARBORIST_SCRIPT = r"""
const Arborist = require(NPM + '/node_modules/@npmcli/arborist');
(async () => {
  const arb = new Arborist({ path: input.root });
  await arb.rebuild();
  console.log(JSON.stringify([...arb.scriptsRun].map(s => [s.event, s.pkg.name])));
})();
"""


def _build_nodes(root: Path) -> list[BuildNode]:
    """A minimal actual-tree loader for the test: every package folder under node_modules. As in
    arborist's actual tree without a lockfile, nothing is resolved, and a package nobody depends
    on (extraneous) keeps the dev/optional/peer flags every node starts with."""
    contents = {
        pkg_json.parent: normalize(read_package_json(pkg_json.parent).content, path=str(pkg_json.parent))
        for pkg_json in sorted(root.glob("**/package.json"))
    }
    wanted = {name for content in contents.values() for name in dict(content.get("dependencies") or {})}  # type: ignore[call-overload]
    nodes: list[BuildNode] = []
    for folder, content in contents.items():
        location = str(folder.relative_to(root)) if folder != root else ""
        extraneous = folder != root and content.get("name") not in wanted
        nodes.append(
            BuildNode(
                path=str(folder),
                location=location,
                depth=location.split("/").count("node_modules"),
                package=content,
                name=str(content.get("name")),
                is_top=folder == root,
                is_project_root=folder == root,
                dev=extraneous,
                optional=extraneous,
                peer=extraneous,
                dev_optional=extraneous,
            )
        )
    return nodes


def test_build_order_env_and_bins_match_arborist(tmp_path: Path) -> None:
    results: dict[str, tuple[list[str], dict[str, list[str]], dict[str, tuple[str, str, int]]]] = {}
    for who in ("npm", "snpm"):
        root = tmp_path / who / "proj"
        root.mkdir(parents=True)
        _materialize(root, BUILD_FILES)
        (root / "node_modules/.bin/node-gyp").chmod(0o755)
        envs = tmp_path / who / "envs"
        envs.mkdir()
        log = tmp_path / who / "log.txt"
        env = {
            "PATH": f"{os.path.dirname(str(NODE))}:/usr/bin:/bin",
            "LOG": str(log),
            "ENVS": str(envs),
            "HOME": str(tmp_path),
        }
        if who == "npm":
            wrapper = f"const input = {json.dumps({'root': str(root)})};\nconst NPM = {json.dumps(str(npm_root()))};\n{ARBORIST_SCRIPT}"
            subprocess.run(
                [str(NODE), "-e", wrapper], capture_output=True, text=True, check=True, env=env, cwd=str(root)
            )
        else:
            linker = BinLinker()

            def link(node: BuildNode, linker: BinLinker = linker) -> None:
                linker.link(
                    node.package,
                    node.path,
                    top=node.is_top or node.global_top,
                    global_=node.global_top,
                    force=False,
                )

            builder = Builder(BuildOptions(), BuildHooks(env=env, link_bins=link))
            asyncio.run(builder.rebuild(_build_nodes(root)))
        seen_envs: dict[str, list[str]] = {}
        for file in sorted(envs.iterdir()):
            lines = file.read_text().replace(str(tmp_path / who), "<world>").splitlines()
            lines = [line.replace(f"{NODE_GYP_BIN}:", "<node-gyp-bin>:") for line in lines]
            lines = [
                ":".join(
                    "<node-gyp-bin>" if p.endswith("run-script/lib/node-gyp-bin") else p
                    for p in line.split(":")
                )
                if line.startswith("PATH=")
                else line
                for line in lines
            ]
            skipped = ("_=", "SHLVL=", "PWD=", "OLDPWD=", "npm_config_node_gyp=")
            seen_envs[file.name] = [line for line in lines if not line.startswith(skipped)]
        results[who] = (log.read_text().splitlines(), seen_envs, _tree(root))
    npm_log, npm_envs, npm_tree = results["npm"]
    snpm_log, snpm_envs, snpm_tree = results["snpm"]
    assert snpm_log == npm_log
    assert snpm_envs == npm_envs
    assert snpm_tree == npm_tree
    print(
        f"build: {len(npm_log)} scripts, {len(npm_envs)} environments, {len(npm_tree)} entries match arborist"
    )


def test_node_binary_is_the_one_on_path() -> None:
    assert NODE is not None and shutil.which("node") == NODE

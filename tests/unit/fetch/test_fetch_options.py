"""snpm.fetch.options: npm's settings → FetchOptions."""

from __future__ import annotations

import os
from pathlib import Path

from snpm.config import load_config
from snpm.fetch.options import FetchOptions, fetch_options, process_umask, public_registry_host


def test_from_config(tmp_path: Path) -> None:
    (tmp_path / "u").write_text("")
    (tmp_path / "g").write_text("")
    env = {
        "HOME": str(tmp_path),
        "PATH": os.environ.get("PATH", ""),
        "npm_config_userconfig": str(tmp_path / "u"),
        "npm_config_globalconfig": str(tmp_path / "g"),
    }
    argv = ["install", "--before=2020-06-01", "--umask=0o27", "--replace-registry-host=always", "--tag=next"]
    argv += ["--allow-git=none", "--registry=http://127.0.0.1:9/"]
    options = fetch_options(load_config(argv, env=env, cwd=tmp_path))
    assert options.before_ms == 1590969600000.0
    assert (options.umask, options.replace_registry_host, options.default_tag) == (0o27, "always", "next")
    assert options.allow["git"] == "none" and options.allow["remote"] == "all"
    assert options.registry == "http://127.0.0.1:9/" and options.registry_base == "http://127.0.0.1:9"
    assert options.full_metadata and options.wants_full_metadata
    assert options.process_umask == process_umask()


def test_replace_host_and_full_metadata() -> None:
    options = FetchOptions(registry="http://127.0.0.1:9/", full_metadata=False)
    assert options.replace_host == public_registry_host() and "." in public_registry_host()
    assert FetchOptions(registry="x", replace_registry_host="mirror.test").replace_host == "mirror.test"
    assert not options.wants_full_metadata
    assert FetchOptions(registry="x", full_metadata=False, before_ms=1.0).wants_full_metadata

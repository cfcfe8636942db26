"""`snpm-registry org …` and `snpm-registry advisory …`, and the settings of the second slice."""

from __future__ import annotations

import io
import json
from pathlib import Path

from snpm.registry_server.__main__ import run
from snpm.registry_server.settings import load_settings

FAST = {"password-hashing": {"time-cost": 1, "memory-cost-kib": 8192, "parallelism": 1}}


def _cli(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = run(list(argv), out=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


def _config(tmp_path: Path) -> tuple[str, str]:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"data": str(tmp_path / "data"), **FAST}))
    return ("--config", str(config))


def test_org_commands(tmp_path: Path) -> None:
    common = _config(tmp_path)
    for name in ("alice", "bob"):
        assert (
            _cli(
                "user",
                "add",
                name,
                "--email",
                f"{name}@example.test",
                "--password-stdin",
                *common,
                stdin="password-123\n",
            )[0]
            == 0
        )
    assert _cli("org", "create", "acme", "--owner", "alice", *common) == (
        0,
        "created org acme (scope @acme) with owner alice\n",
    )
    assert _cli("org", "create", "acme", "--owner", "alice", *common)[0] == 1  # taken
    assert _cli("org", "create", "bob", "--owner", "alice", *common)[0] == 1  # a user's name
    assert _cli("org", "create", "other", "--owner", "nobody", *common)[0] == 1
    assert _cli("org", "set", "acme", "bob", "admin", *common) == (0, "bob is now admin of acme\n")
    code, out = _cli("org", "list", "--json", *common)
    assert code == 0 and json.loads(out) == {"acme": {"alice": "owner", "bob": "admin"}}
    assert _cli("org", "list", *common) == (0, "acme\talice (owner), bob (admin)\n")
    assert _cli("org", "remove", "acme", *common)[0] == 0
    assert _cli("org", "remove", "acme", *common)[0] == 1
    assert _cli("org")[0] == 1  # no action: the help


def test_advisory_commands(tmp_path: Path) -> None:
    common = _config(tmp_path)
    code, out = _cli(
        "advisory",
        "add",
        "left-pad",
        "<1.2.0",
        "--severity",
        "critical",
        "--title",
        "Bad padding",
        "--url",
        "https://example.test/a/1",
        "--cwe",
        "CWE-400",
        "--cvss-score",
        "9.1",
        *common,
    )
    assert (code, out) == (0, "added advisory 1: left-pad <1.2.0 (critical)\n")
    assert _cli("advisory", "add", "left-pad", "not a range!!", *common)[0] == 1
    file = tmp_path / "more.json"
    file.write_text(
        json.dumps([{"name": "right-pad", "vulnerable_versions": "*", "severity": "low", "id": 50}])
    )
    assert _cli("advisory", "import", str(file), *common) == (0, "imported 1 advisories\n")
    code, out = _cli("advisory", "list", "--json", *common)
    listed = json.loads(out)
    assert [(a["id"], a["name"], a["cwe"]) for a in listed] == [
        (1, "left-pad", ["CWE-400"]),
        (50, "right-pad", []),
    ]
    assert listed[0]["cvss"] == {"score": 9.1, "vectorString": None}
    assert _cli("advisory", "list", *common) == (
        0,
        "1\tleft-pad\t<1.2.0\tcritical\tBad padding\n50\tright-pad\t*\tlow\t\n",
    )
    assert _cli("advisory", "remove", "50", *common) == (0, "removed advisory 50\n")
    assert _cli("advisory", "remove", "50", *common)[0] == 1
    assert _cli("advisory", "import", str(tmp_path / "missing.json"), *common)[0] == 1


def test_second_slice_settings(tmp_path: Path) -> None:
    config = tmp_path / "registry.toml"
    config.write_text('web-login = false\nadvisories-file = "advisories.json"\n')
    settings = load_settings(config)
    assert settings.web_login is False
    assert settings.advisories_file == str(tmp_path / "advisories.json")  # relative to the config file
    assert load_settings().web_login is True and load_settings().advisories_file is None
    flags = load_settings(None, {"web_login": False, "advisories_file": "/srv/a.json"})
    assert flags.web_login is False and flags.advisories_file == "/srv/a.json"

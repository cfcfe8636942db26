"""npm-package-arg 13.0.2 conformance: every row of tests/conformance/data/npm-package-arg/npa.generated.json.

The table was generated on posix with where `/project` and home `/home/user`; the same values are
passed explicitly here. (The win32 table is deliberately not used: snpm follows npa's posix rules.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from snpm.errors import SpecError
from snpm.spec import AliasSpec, GitSpec, PackageSpec, parse_spec, resolve

pytestmark = pytest.mark.conformance

DATA = Path(__file__).parents[1] / "data" / "npm-package-arg" / "npa.generated.json"
TABLE = json.loads(DATA.read_text(encoding="utf-8"))
WHERE = TABLE["where"]
HOME = TABLE["home"]


def describe(spec: PackageSpec) -> dict[str, Any]:
    """The fields the generator recorded for one npa Result (undefined and null are both None)."""
    git = spec if isinstance(spec, GitSpec) else None
    hosted = git.hosted if git is not None else None
    result: dict[str, Any] = {
        "type": spec.type,
        "registry": True if spec.registry else None,
        "name": spec.name,
        "escapedName": spec.escaped_name,
        "scope": spec.scope,
        "raw": spec.raw,
        "rawSpec": spec.raw_spec,
        "saveSpec": spec.save_spec,
        "fetchSpec": spec.fetch_spec,
        "gitRange": git.git_range if git else None,
        "gitCommittish": git.git_committish if git else None,
        "gitSubdir": git.git_subdir if git else None,
        "hosted": None
        if hosted is None
        else {
            "type": hosted.type,
            "user": hosted.user,
            "project": hosted.project,
            "committish": hosted.committish,
            "auth": hosted.auth,
            "default": hosted.default,
            "shortcut": hosted.shortcut(),
            "https": hosted.https(),
            "ssh": hosted.ssh(),
            "sshurl": hosted.sshurl(),
            "git": hosted.git(),
            "browse": hosted.browse(),
            "tarball": hosted.tarball(),
        },
        "toString": str(spec),
    }
    if isinstance(spec, AliasSpec):
        result["subSpec"] = describe(spec.sub_spec)
    return result


def describe_error(error: SpecError) -> dict[str, Any]:
    return {
        "code": error.code,
        "name": "TypeError" if error.code == "ERR_INVALID_URL" else "Error",
        "message": error.message,
    }


def _check(label: str, expected_case: dict[str, Any], run: Any, failures: list[str]) -> None:
    try:
        got: dict[str, Any] = {"result": describe(run())}
    except SpecError as error:
        got = {"error": describe_error(error)}
    expected = {key: expected_case[key] for key in ("result", "error") if key in expected_case}
    if got != expected:
        failures.append(f"{label}: expected {expected}, got {got}")


def _report(table: str, failures: list[str], total: int) -> None:
    print(f"npm-package-arg {table}: {total - len(failures)}/{total} rows pass")
    assert not failures, f"{len(failures)} of {total} {table} rows differ:\n" + "\n".join(failures[:50])


def test_npa_all_rows() -> None:
    cases = TABLE["cases"]
    assert len(cases) == TABLE["count"] == 366
    failures: list[str] = []
    for case in cases:
        spec = case["spec"]
        _check(repr(spec), case, lambda spec=spec: parse_spec(spec, WHERE, home=HOME), failures)
    _report("npa()", failures, len(cases))


def test_npa_resolve_all_rows() -> None:
    cases = TABLE["resolve_cases"]
    assert len(cases) == TABLE["resolve_count"] == 22
    failures: list[str] = []
    for case in cases:
        name, spec = case["name"], case["spec"]
        _check(
            f"resolve({name!r}, {spec!r})",
            case,
            lambda name=name, spec=spec: resolve(name, spec, WHERE, home=HOME),
            failures,
        )
    _report("npa.resolve()", failures, len(cases))

"""validate-npm-package-name 7.0.2 conformance: every row of
tests/conformance/data/validate-npm-package-name/vnpn.generated.json, in one test with a count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from snpm.spec import NameValidity, validate_package_name
from snpm.spec.names import validate_undefined_name

pytestmark = pytest.mark.conformance

DATA = Path(__file__).parents[1] / "data" / "validate-npm-package-name" / "vnpn.generated.json"
TABLE = json.loads(DATA.read_text(encoding="utf-8"))


def as_js_result(validity: NameValidity) -> dict[str, Any]:
    """The object `validate()` returns: `warnings`/`errors` only when non-empty."""
    result: dict[str, Any] = {
        "validForNewPackages": validity.valid_for_new_packages,
        "validForOldPackages": validity.valid_for_old_packages,
    }
    if validity.warnings:
        result["warnings"] = list(validity.warnings)
    if validity.errors:
        result["errors"] = list(validity.errors)
    return result


def test_validate_all_rows() -> None:
    cases = TABLE["cases"]
    assert len(cases) == TABLE["count"] == 201
    failures: list[str] = []
    for case in cases:
        name = case["name"]
        if isinstance(name, dict) and name.get("$type") == "undefined":
            got = as_js_result(validate_undefined_name())
        else:
            got = as_js_result(validate_package_name(name))
        if got != case["result"]:
            failures.append(f"{name!r}: expected {case['result']}, got {got}")
    print(f"validate-npm-package-name: {len(cases) - len(failures)}/{len(cases)} rows pass")
    assert not failures, f"{len(failures)} of {len(cases)} rows differ:\n" + "\n".join(failures)

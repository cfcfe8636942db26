"""snpm.audit_report and snpm.ops.audit_output against every row of the tables npm's own code made
(tests/conformance/audit/generate_tables.js, npm 11.19.1):

- advisories.generated.json: @npmcli/metavuln-calculator's Advisory loaded with seeded random
  packuments: the versions tested, the vulnerable ones, the (metavuln) range, the JSON npm shows
  under `via`, and testVersion/testSpec answers;
- reports.generated.json: npm-audit-report's detail and install reports, plain and coloured, the
  JSON reporter and the exit code at every audit level.

One test per table; each runs all rows, reports every failing row together and prints the count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snpm.audit_report import Advisory
from snpm.ops.audit_output import audit_exit_code, detail_report, install_report, render_report
from snpm.ops.inspect.chalk import Chalk

DATA = Path(__file__).resolve().parent / "data"


def _cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((DATA / name).read_text())["cases"]
    return cases


def _advisory(case: dict[str, Any]) -> Advisory:
    source = dict(case["source"])
    dependency = case.get("dependency")
    if dependency is None:
        return Advisory(case["name"], source).load(case["packument"])
    dep = Advisory(dependency["name"], source).load(dependency["packument"])
    return Advisory(case["name"], dep).load(case["packument"])


def test_advisory_table() -> None:
    cases = _cases("advisories.generated.json")
    failures: list[str] = []
    for index, case in enumerate(cases):
        expected = case["expected"]
        advisory = _advisory(case)
        got = {
            "type": advisory.type,
            "title": advisory.title,
            "severity": advisory.severity,
            "range": advisory.range,
            "versions": advisory.versions,
            "vulnerableVersions": advisory.vulnerable_versions,
            "json": {k: v for k, v in advisory.to_json().items() if k != "source"},
        }
        want_json = {k: v for k, v in expected["json"].items() if k != "source"}
        want = {**{k: expected[k] for k in got if k != "json"}, "json": want_json}
        if got != want:
            failures.append(f"row {index} ({case['name']}): {got} != {want}")
            continue
        spec = "^1.0.0" if case.get("dependency") else None
        for version, answer in expected["tests"]["versions"]:
            if advisory.test_version(version, spec) != answer:
                failures.append(f"row {index}: testVersion({version}) != {answer}")
        for spec_text, answer in expected["tests"]["specs"]:
            if advisory.test_spec(spec_text) != answer:
                failures.append(f"row {index}: testSpec({spec_text}) != {answer}")
    print(f"audit advisories: {len(cases) - len(failures)}/{len(cases)} rows")
    assert not failures, "\n".join(failures)


def test_report_table() -> None:
    cases = _cases("reports.generated.json")
    failures: list[str] = []
    checks = 0
    for case in cases:
        data = case["data"]
        for key, enabled in (("plain", False), ("color", True)):
            chalk = Chalk(enabled)
            for reporter, render in (("detail", detail_report), ("install", install_report)):
                checks += 1
                want = case[reporter][key]
                try:
                    got: Any = render(data, chalk)
                except Exception as err:  # npm fails on an info-only report too
                    got = {"error": str(err)}
                if got != want:
                    failures.append(f"{case['name']} {reporter} {key}:\n{got!r}\n!=\n{want!r}")
        for level, code in case["exitCodes"].items():
            checks += 1
            got_code = audit_exit_code(data, level if level != "null" else "low")
            if got_code != code:
                failures.append(f"{case['name']} exit code at {level}: {got_code} != {code}")
        checks += 1
        if render_report(data, "json", Chalk(False), None).report != case["json"]:
            failures.append(f"{case['name']} json reporter")
    print(f"audit reports: {checks - len(failures)}/{checks} checks over {len(cases)} rows")
    assert not failures, "\n\n".join(failures)

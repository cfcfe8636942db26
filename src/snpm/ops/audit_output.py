"""How npm prints an audit report: the npm-audit-report package (reporters `detail`, `install`,
`json`, `quiet`, and the exit code for `--audit-level`).

    detail    `npm audit`: `# npm audit report`, one block per vulnerable package that has an
              advisory of its own (its effects nested under it, indented), then the summary
    install   after `npm install` & co: the summary and `Run \\`npm audit\\` for details.`
    json      the report object, two-space JSON

The summary is `found 0 vulnerabilities`, or `N <sev> severity vulnerabilit(y|ies)`, or
`N vulnerabilities (a low, b moderate, …)`, then which `npm audit fix` to run. Colours are chalk's
(green/red/yellow/magenta bold, dim paths) when stdout is coloured. npm's quirks are kept: a
package already printed as another's effect leaves an empty line where its block would be, and a
report whose vulnerabilities are all `info` fails as it does in npm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from snpm.ecmascript.json import stringify
from snpm.ecmascript.values import to_string
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.inspect.chalk import Chalk

if TYPE_CHECKING:
    from snpm.audit_report import AuditReport

__all__ = [
    "AuditRender",
    "ReifyAudit",
    "audit_exit_code",
    "detail_report",
    "install_report",
    "js_numbers",
    "reify_audit",
    "render_report",
]

_LEVELS: Final = ("info", "low", "moderate", "high", "critical", "none")
_COUNTED: Final = ("low", "moderate", "high", "critical")


def _text(value: JsonValue | None, *, present: bool = True) -> str:
    return "undefined" if not present else to_string(value)


class _Colors:
    """npm-audit-report's colors.js."""

    def __init__(self, chalk: Chalk) -> None:
        self.chalk = chalk

    def green(self, text: str) -> str:
        return self.chalk.style(text, "green", "bold")

    def red(self, text: str) -> str:
        return self.chalk.style(text, "red", "bold")

    def yellow(self, text: str) -> str:
        return self.chalk.style(text, "yellow", "bold")

    def white(self, text: str) -> str:
        return self.chalk.style(text, "bold")

    def dim(self, text: str) -> str:
        return self.chalk.style(text, "dim")

    def severity(self, sev: str, text: str | None = None) -> str:
        shown = text or sev
        lowered = sev.lower()
        if lowered == "moderate":
            return self.yellow(shown)
        if lowered == "high":
            return self.red(shown)
        if lowered == "critical":
            return self.chalk.style(shown, "magenta", "bold")
        return self.white(shown)


def _obj(value: JsonValue) -> JsonObject:
    return value if isinstance(value, dict) else {}


def _count(value: JsonValue) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _summary(data: JsonObject, c: _Colors) -> str:
    """install.js `calculate(...).summary`."""
    counts = _obj(_obj(data.get("metadata")).get("vulnerabilities"))
    total = _count(counts.get("total"))
    if total == 0:
        return f"found {c.green('0')} vulnerabilities"
    some_fixable = some_force_fixable = force_major = some_unfixable = False
    for vuln in _obj(data.get("vulnerabilities")).values():
        fix = _obj(vuln).get("fixAvailable")
        some_fixable = some_fixable or fix is True
        some_unfixable = some_unfixable or fix is False
        if isinstance(fix, dict) or fix is None:  # typeof null === "object"
            some_force_fixable = True
            force_major = force_major or bool(_obj(fix).get("isSemVerMajor"))
    sevs = [(s, _count(counts.get(s))) for s in counts if s in _COUNTED and _count(counts.get(s)) > 0]
    lines: list[str] = []
    if len(sevs) > 1:
        severities = ", ".join(f"{count} {c.severity(sev)}" for sev, count in sevs)
        lines.append(f"{c.red(str(total))} vulnerabilities ({severities})")
    elif sevs:
        sev, count = sevs[0]
        lines.append(f"{count} {c.severity(sev)} severity vulnerabilit{'y' if count == 1 else 'ies'}")
    else:
        # `const [sev, count] = sevs[0]` with only `info` vulnerabilities
        raise SnpmError("undefined is not iterable (cannot read property Symbol(Symbol.iterator))")
    if some_fixable:
        scope = (
            "issues that do not require attention" if some_force_fixable or some_unfixable else "all issues"
        )
        lines += ["", f"To address {scope}, run:\n  npm audit fix"]
    if some_force_fixable:
        lines += [
            "",
            "To address all issues"
            + (" possible" if some_unfixable else "")
            + (" (including breaking changes)" if force_major else "")
            + ", run:\n  npm audit fix --force",
        ]
    if some_unfixable:
        lines += ["", "Some issues need review, and may require choosing", "a different dependency."]
    return "\n".join(lines)


def install_report(data: JsonObject, chalk: Chalk) -> str:
    """The install reporter: the summary, and a pointer to `npm audit` when something was found."""
    summary = _summary(data, _Colors(chalk))
    total = _count(_obj(_obj(data.get("metadata")).get("vulnerabilities")).get("total"))
    return f"{summary}\n\nRun `npm audit` for details." if total > 0 else summary


def detail_report(data: JsonObject, chalk: Chalk) -> str:
    """The detail reporter (`npm audit`)."""
    c = _Colors(chalk)
    summary = _summary(data, c)
    if _count(_obj(_obj(data.get("metadata")).get("vulnerabilities")).get("total")) == 0:
        return summary
    vulnerabilities = _obj(data.get("vulnerabilities"))
    output = [c.white("# npm audit report"), ""]
    printed: set[str] = set()
    for key, vuln in vulnerabilities.items():
        via = _obj(vuln).get("via")
        if isinstance(via, list) and any(not isinstance(v, str) for v in via):
            # an already printed block leaves `null` in the list, which join() makes an empty line
            output.append(_print_vuln(key, c, vulnerabilities, printed) or "")
    output.append(summary)
    return "\n".join(output)


def _print_vuln(
    key: str, c: _Colors, vulnerabilities: JsonObject, printed: set[str], indent: str = ""
) -> str | None:
    if key in printed:
        return None
    printed.add(key)
    vuln = _obj(vulnerabilities.get(key))
    output: list[str] = [
        c.white(_text(vuln.get("name"), present="name" in vuln)) + "  " + _text(vuln.get("range"))
    ]
    severity = vuln.get("severity")
    if indent == "" and severity != "low":
        output.append(f"Severity: {c.severity(_text(severity))}")
    via = vuln.get("via")
    for item in via if isinstance(via, list) else []:
        if isinstance(item, str):
            output.append(f"Depends on vulnerable versions of {c.white(item)}")
        elif indent == "":
            advisory = _obj(item)
            title = _text(advisory.get("title"), present="title" in advisory)
            url = _text(advisory.get("url"), present="url" in advisory)
            output.append(f"{c.white(title)} - {url}")
    if indent == "":
        fix = vuln.get("fixAvailable")
        if fix is False:
            output.append(c.red("No fix available"))
        elif fix is True:
            output.append(c.green("fix available") + " via `npm audit fix`")
        elif isinstance(fix, dict):
            breaking = (
                "a breaking change" if fix.get("isSemVerMajor") else "outside the stated dependency range"
            )
            name = _text(fix.get("name"), present="name" in fix)
            version = _text(fix.get("version"), present="version" in fix)
            output.append(f"{c.yellow('fix available')} via `npm audit fix --force`")
            output.append(f"Will install {name}@{version}, which is {breaking}")
    nodes = vuln.get("nodes")
    for path in nodes if isinstance(nodes, list) else []:
        output.append(c.dim(_text(path)))
    effects = vuln.get("effects")
    for effect in effects if isinstance(effects, list) else []:
        nested = _print_vuln(_text(effect), c, vulnerabilities, printed, "  ")
        if nested:
            output.extend(nested.split("\n"))
    if indent == "":
        output.append("")
    return "\n".join(f"{indent}{line}" for line in output)


def audit_exit_code(data: JsonObject, level: str) -> int:
    """exit-code.js: 1 when any severity at or above `level` (default low) has a vulnerability."""
    threshold = _LEVELS.index(level) if level in _LEVELS else None
    counts = _obj(_obj(data.get("metadata")).get("vulnerabilities"))
    for sev, count in counts.items():
        if _count(count) > 0 and sev in _LEVELS and threshold is not None and _LEVELS.index(sev) >= threshold:
            return 1
    return 0


class AuditRender(msgspec.Struct, frozen=True):
    report: str
    exit_code: int


def render_report(data: JsonObject, reporter: str, chalk: Chalk, audit_level: str | None) -> AuditRender:
    """npm-audit-report's entry point: the report text for `reporter` and the exit code."""
    level = audit_level or "low"
    if reporter == "json":
        text = stringify(data, 2)
    elif reporter == "detail":
        text = detail_report(data, chalk)
    elif reporter == "install":
        text = install_report(data, chalk)
    else:
        text = ""
    return AuditRender(text, audit_exit_code(data, level))


class ReifyAudit(msgspec.Struct, frozen=True):
    """What reify-output.js prints about an audit after a reify: the `audited N packages` count,
    the `audit` member of the --json summary, the report (after a blank line) and, for `npm audit
    fix` only, the exit code."""

    audited: int
    json: JsonValue
    report: str
    exit_code: int


def js_numbers(value: JsonValue) -> JsonValue:
    """The value as JSON.parse would hold it: integral floats are plain integers (`0`, not `0.0`)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [js_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: js_numbers(v) for k, v in value.items()}
    return value


def reify_audit(
    report: AuditReport | None,
    audited: int,
    *,
    command: str,
    chalk: Chalk,
    audit_level: str | None,
    json: bool,
    silent: bool,
) -> ReifyAudit | None:
    """None when no audit ran or it failed (an install says nothing about a failed audit); `npm
    audit fix` prints the detail report and fails at `audit-level` (default low), the install
    family prints the install report and never fails."""
    if report is None or report.error is not None:
        return None
    is_audit = command == "audit"
    data = js_numbers(report.to_json())
    assert isinstance(data, dict)
    reporter = "quiet" if silent or json else "detail" if is_audit else "install"
    rendered = render_report(data, reporter, chalk, audit_level or ("low" if is_audit else "none"))
    return ReifyAudit(
        audited=audited,
        json=data if is_audit else data.get("metadata"),
        report=rendered.report,
        exit_code=rendered.exit_code if is_audit else 0,
    )

"""Maps the JS values of the semver conformance tables to snpm.semver's Python arguments.

The tables record node-semver calls with JS values (see tests/conformance/data/README.md). The
library takes keywords (`loose=`, `include_prerelease=`, `rtl=`), so node-semver's `options`
argument rules live here, not in the library:

* missing, `undefined` or falsy (`null`, `false`, `0`, NaN) -> no options;
* any other non-object (`true`, `420`, a string) -> `{loose: true}`;
* an object is used as is, so `{loose: 420}` is loose and `{loose: null}` is not; a RegExp is an
  object with no flags set.

Tagged values (`{"$type": ...}`) become Python stand-ins: an already parsed SemVer becomes a
snpm Version, the other non-strings become objects the library must reject like JS does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snpm.semver import SemVer

DATA = Path(__file__).resolve().parent.parent / "data" / "semver"


class Undefined:
    """JS `undefined`: an argument that was not passed."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = Undefined()


class ObjectWithToString:
    """A plain JS object whose toString() returns a version: still not a string to semver."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class JsFunction:
    """A JS function value (typeof "function")."""

    def __init__(self, returns: object) -> None:
        self.returns = returns

    def __call__(self) -> object:
        return self.returns


@dataclass(frozen=True)
class JsRegExp:
    """A JS RegExp: an object with no semver flags."""

    source: str
    flags: str = ""


def decode(value: Any) -> Any:
    """Turns the README's tagged values into Python stand-ins (recursively)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        tag = value.get("$type")
        if tag == "undefined":
            return UNDEFINED
        if tag == "NaN":
            return math.nan
        if tag == "RegExp":
            return JsRegExp(value["source"], value["flags"])
        if tag == "ObjectWithToString":
            return ObjectWithToString(value["toString"])
        if tag == "Function":
            return JsFunction(value["returns"])
        if tag == "SemVer":
            parsed = SemVer(value["raw"])
            assert parsed.version == value["version"]
            return parsed
        return {k: decode(v) for k, v in value.items()}
    return value


def truthy(value: Any) -> bool:
    """JS truthiness."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, int | float) and (value == 0 or (isinstance(value, float) and math.isnan(value))):
        return False
    return not (isinstance(value, str) and value == "")


def options(value: Any) -> dict[str, bool]:
    """node-semver's `parseOptions(value)` as keywords for snpm.semver."""
    if not truthy(value):
        return {}
    if isinstance(value, dict):
        return {
            "loose": truthy(value.get("loose")),
            "include_prerelease": truthy(value.get("includePrerelease")),
        }
    if isinstance(value, JsRegExp | ObjectWithToString | JsFunction | list):
        return {}
    return {"loose": True}


def coerce_options(value: Any) -> dict[str, bool]:
    """coerce() reads `rtl`/`includePrerelease` off `options || {}` and passes options to parse()."""
    keywords = options(value)
    if isinstance(value, dict):
        keywords["rtl"] = truthy(value.get("rtl"))
    return keywords


def load_fixture(name: str) -> list[list[Any]]:
    rows = json.loads((DATA / name).read_text(encoding="utf-8"))
    return [decode(row) for row in rows]


def load_generated(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    document = json.loads((DATA / name).read_text(encoding="utf-8"))
    return document, [decode(row) for row in document["cases"]]


def optional(row: list[Any], index: int) -> Any:
    """A trailing optional tuple element: UNDEFINED when absent."""
    return row[index] if len(row) > index else UNDEFINED


@dataclass
class Outcome:
    """Row results of one table, so a test can report every failure at once."""

    table: str
    total: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, row: Any, run: Callable[[], Iterator[tuple[Any, Any]]]) -> None:
        """Runs one row; `run` yields (got, expected) pairs, all of which must be equal."""
        self.total += 1
        try:
            for got, expected in run():
                if got != expected:
                    self.failures.append(f"{row!r}: got {got!r}, expected {expected!r}")
                    return
        except Exception as error:  # a row that raises is a failure, reported with the rest
            self.failures.append(f"{row!r}: raised {type(error).__name__}: {error}")

    def summary(self) -> str:
        passed = self.total - len(self.failures)
        return f"{self.table}: {passed}/{self.total} rows passed"


def raised(call: Callable[[], Any]) -> Any:
    """The call's result, or {"name", "message"} of the TypeError it raised (the tables' error form)."""
    try:
        return call()
    except TypeError as error:
        return {"error": {"name": "TypeError", "message": str(error)}}


def result_or_error(row: dict[str, Any]) -> Any:
    """What a generated row expects, in the form `raised()` produces."""
    if "error" in row:
        return {"error": row["error"]}
    return row["result"]

"""Every row of the JSON.parse error tables, generated from node 20 and npm's bundled
json-parse-even-better-errors by `node tests/conformance/json_parse/generate.js`:

- data/v8_messages.generated.json: `snpm.ecmascript.json_errors.json_parse_error_message` gives the
  message of V8's SyntaxError exactly (None where JSON.parse accepts the text);
- data/even_better_errors.generated.json: `snpm.ecmascript.json.parse_json` (the fast decoder, then
  V8's message wrapped by `snpm.ecmascript.even_better_errors`) raises a JSONParseError with the
  library's name, code, message and position, or parses where the library parses; for non-string
  values, `non_string_error_message` gives its TypeError message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from snpm.ecmascript.even_better_errors import non_string_error_message
from snpm.ecmascript.json import JSONParseError, parse_json
from snpm.ecmascript.json_errors import json_parse_error_message

pytestmark = pytest.mark.conformance

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict[str, Any]]:
    table = json.loads((DATA / name).read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = table["rows"]
    return rows


def _show(text: str) -> str:
    return repr(text if len(text) <= 120 else text[:120] + "…")


def test_v8_messages_table() -> None:
    rows = _rows("v8_messages.generated.json")
    failures: list[str] = []
    for row in rows:
        got = json_parse_error_message(row["input"])
        if got != row["message"]:
            failures.append(f"{_show(row['input'])}\n  node: {row['message']!r}\n  snpm: {got!r}")
    invalid = sum(1 for row in rows if row["message"] is not None)
    print(
        f"json_parse v8_messages: {len(rows) - len(failures)}/{len(rows)} rows passed "
        f"({invalid} invalid, {len(rows) - invalid} valid inputs)"
    )
    assert not failures, f"{len(failures)} of {len(rows)} rows differ:\n" + "\n".join(failures[:40])


def _parse_outcome(text: str) -> dict[str, Any] | None:
    try:
        parse_json(text)
    except JSONParseError as err:
        return {"name": err.name, "code": err.code, "message": err.message, "position": err.position}
    return None


def test_even_better_errors_table() -> None:
    rows = _rows("even_better_errors.generated.json")
    failures: list[str] = []
    for row in rows:
        if "value" in row:
            want = row["error"]["message"] if row["error"] else None
            got_message = non_string_error_message(row["value"])
            if got_message != want:
                failures.append(f"value {row['value']!r}\n  npm:  {want!r}\n  snpm: {got_message!r}")
            continue
        got = _parse_outcome(row["input"])
        if got != row["error"]:
            failures.append(f"{_show(row['input'])}\n  npm:  {row['error']!r}\n  snpm: {got!r}")
    print(f"json_parse even_better_errors: {len(rows) - len(failures)}/{len(rows)} rows passed")
    assert not failures, f"{len(failures)} of {len(rows)} rows differ:\n" + "\n".join(failures[:40])

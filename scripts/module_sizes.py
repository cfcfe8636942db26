"""STYLE.md rule 7: list modules over 500 lines; fail for one over 800 without a written reason.

A reason is a line in the module docstring starting with "Size:".
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def main() -> int:
    failed = False
    for path in sorted(Path("src").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines <= 500:
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        has_reason = any(line.startswith("Size:") for line in doc.splitlines())
        print(f"{path}: {lines} lines{' (reason given)' if has_reason else ''}")
        if lines > 800 and not has_reason:
            print(f"  {path} is over 800 lines and its docstring gives no 'Size:' reason", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

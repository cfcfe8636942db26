"""`python -m snpm` runs the CLI."""

from __future__ import annotations

from snpm.cli.main import main

if __name__ == "__main__":
    main()

"""`snpm-registry` / `python -m snpm.registry_server`: the registry server's command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from snpm import __version__

USAGE = """snpm-registry <command>

Usage:

snpm-registry serve [--host 127.0.0.1] [--port 4873] [--data DIR] [--config FILE]
                    [--uplink URL | --no-uplink] [--workers N] [--database URL]
snpm-registry user add|list|remove|reset-password
snpm-registry token list|revoke
snpm-registry config
snpm-registry --version

The server itself arrives with the registry issue; this build only answers --version and --help."""


def run(argv: Sequence[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)  # noqa: T201 - this is the server's own CLI
        return 0 if argv else 1
    if argv[0] in ("-v", "--version"):
        print(__version__)  # noqa: T201
        return 0
    print(f"snpm-registry: unknown command {argv[0]!r}\n\n{USAGE}", file=sys.stderr)  # noqa: T201
    return 1


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()

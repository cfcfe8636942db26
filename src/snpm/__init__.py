"""snpm: npm, rebuilt in Python. Importing snpm stays cheap: only version strings live here."""

from __future__ import annotations

__version__ = "0.1.0"

# The npm release whose behaviour snpm reproduces; it appears where npm prints its own version
# (user-agent, npm_config_npm_version, `snpm --version`) so that tools reading it see npm 11.
NPM_VERSION = "11.19.1"

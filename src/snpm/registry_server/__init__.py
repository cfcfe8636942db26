"""snpm-registry: a self-hosted npm registry. Imports only snpm's vocabulary layers (STYLE.md)."""

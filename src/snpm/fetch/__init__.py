"""Fetchers: a spec to its manifest and tarball (pacote's shape)."""

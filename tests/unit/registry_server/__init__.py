"""Unit tests of the registry server: services and storage without HTTP."""

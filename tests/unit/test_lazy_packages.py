"""`snpm.tree` and `snpm.lockfile` load their names on first use (PEP 562). A name that is also a
submodule's would resolve to that submodule once it is imported; none may be."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest


@pytest.mark.parametrize("package", ["snpm.tree", "snpm.lockfile"])
def test_every_exported_name_is_what_it_names(package: str) -> None:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
        importlib.import_module(info.name)
    for name in module.__all__:
        value = getattr(module, name)
        assert not isinstance(value, types.ModuleType), f"{package}.{name} is a module"

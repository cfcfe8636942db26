"""One config layer: its own values, what its file held, where it came from.

A layer is npm's `ConfigData`. JavaScript layers are chained by prototype (a layer sees the values
of the layers below it); here the chain is walked by `Config`, and a layer only holds its own
values. The default layer's `globalconfig` is lazy: `<effective prefix>/etc/npmrc` until set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping

from snpm.config.values import UNDEFINED, ConfigValue

WHERES: tuple[str, ...] = ("default", "builtin", "global", "user", "project", "env", "cli")
FILE_WHERES: frozenset[str] = frozenset({"global", "user", "project"})


class _LazyGlobalconfig:
    """The default layer's `globalconfig`: `<effective prefix>/etc/npmrc` until something sets it."""


_LAZY = _LazyGlobalconfig()


class Layer:
    """One layer's own values (`data`), what was read from its file (`raw`), and where it came from."""

    __slots__ = ("where", "_data", "raw", "source", "load_error", "valid", "_resolve_lazy")

    def __init__(self, where: str, resolve_lazy: Callable[[], ConfigValue]) -> None:
        self.where = where
        self._data: dict[str, ConfigValue | _LazyGlobalconfig] = {}
        self.raw: dict[str, ConfigValue] = {}
        self.source: str | None = None
        self.load_error: OSError | None = None
        # None: changed since last validated (npm's dirty state)
        self.valid: bool | None = True
        self._resolve_lazy = resolve_lazy

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str) -> ConfigValue:
        value = self._data.get(key, UNDEFINED)
        return self._resolve_lazy() if isinstance(value, _LazyGlobalconfig) else value

    def put(self, key: str, value: ConfigValue) -> None:
        self._data[key] = value

    def put_lazy_globalconfig(self) -> None:
        self._data["globalconfig"] = _LAZY

    def is_lazy(self, key: str) -> bool:
        return isinstance(self._data.get(key), _LazyGlobalconfig)

    def remove(self, key: str) -> None:
        self._data.pop(key, None)

    def keys(self) -> list[str]:
        return list(self._data)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def items(self) -> Iterator[tuple[str, ConfigValue]]:
        for key in list(self._data):
            yield key, self.get(key)

    def data(self) -> dict[str, ConfigValue]:
        """A plain copy of the own values (lazy ones resolved)."""
        return dict(self.items())

    def __len__(self) -> int:
        return len(self._data)


class LayerMapping(MutableMapping[str, ConfigValue]):
    """A Layer as the MutableMapping that types.clean edits in place."""

    def __init__(self, layer: Layer) -> None:
        self._layer = layer

    def __getitem__(self, key: str) -> ConfigValue:
        return self._layer.get(key)

    def __setitem__(self, key: str, value: ConfigValue) -> None:
        self._layer.put(key, value)

    def __delitem__(self, key: str) -> None:
        self._layer.remove(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layer.keys())

    def __len__(self) -> int:
        return len(self._layer)

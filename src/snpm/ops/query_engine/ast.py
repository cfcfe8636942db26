"""postcss-selector-parser's node classes, as one `AstNode` with a `type`.

Containers (`root`, `selector`, `pseudo`) hold `nodes`; the others are leaves: `tag`, `class`,
`id`, `attribute`, `universal`, `combinator`, `string`, `nesting`, `comment`. `str(node)` is the
library's toString (in lossy mode spaces are mostly gone): a class is `.value`, an id `#value`, a
pseudo `:name(arg,arg)`, a selector its nodes joined, the root its selectors joined by commas.
`raws` keeps the escaped spelling of a value when unescaping changed it, and toString prefers it.

@npmcli/query hangs its pre-digested arguments on the nodes (`nested`, `lookup_properties`,
`attribute_matcher`, `semver_*`, `type_value`, `path_value`, `outdated_kind`, `vulns`).
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["CONTAINERS", "AstNode", "AttributeMatcher", "ARRAY_DELIMITER"]

CONTAINERS = frozenset({"root", "selector", "pseudo"})


class _ArrayDelimiter:
    """@npmcli/query's `arrayDelimiter` Symbol in a `:attr` lookup path."""

    def __repr__(self) -> str:
        return "arrayDelimiter"


ARRAY_DELIMITER = _ArrayDelimiter()


class AttributeMatcher(msgspec.Struct, eq=False):
    qualified_attribute: str
    operator: str | None = None
    value: str | None = None
    insensitive: bool = False


class AstNode(msgspec.Struct, eq=False):
    type: str
    value: str = ""
    raws: dict[str, Any] = msgspec.field(default_factory=dict)
    space_before: str = ""
    space_after: str = ""
    nodes: list[AstNode] = msgspec.field(default_factory=list)
    parent: AstNode | None = None
    # attribute selectors
    attribute: str | None = None
    namespace: str | bool | None = None
    operator: str | None = None
    attr_value: str | None = None
    quote_mark: str | None = None
    insensitive: bool = False
    # root
    trailing_comma: bool = False
    # @npmcli/query's fix-ups
    nested: AstNode | None = None
    lookup_properties: list[object] = msgspec.field(default_factory=list)
    attribute_matcher: AttributeMatcher | None = None
    semver_func: str | None = None
    semver_value: str | None = None
    semver_position: int | None = None
    type_value: str | None = None
    path_value: str | None = None
    outdated_kind: str | None = None
    vulns: list[dict[str, list[str]]] | None = None

    # ── tree ──

    @property
    def is_container(self) -> bool:
        return self.type in CONTAINERS

    def append(self, node: AstNode) -> None:
        node.parent = self
        self.nodes.append(node)

    @property
    def last(self) -> AstNode | None:
        return self.nodes[-1] if self.nodes else None

    def prev(self) -> AstNode | None:
        """`node.prev()`: None before the first (JS `nodes[-1]` is undefined)."""
        parent = self.parent
        if parent is None:
            return None
        index = next((i for i, n in enumerate(parent.nodes) if n is self), -1)
        return parent.nodes[index - 1] if index > 0 else None

    def walk(self, callback: Any) -> None:
        """Container.walk: each child, then its children, re-reading the list as it changes."""
        i = 0
        while i < len(self.nodes):
            node = self.nodes[i]
            callback(node)
            if node.is_container and node.nodes:
                node.walk(callback)
            i += 1

    # ── toString ──

    @property
    def raw_space_before(self) -> str:
        spaces = self.raws.get("spaces")
        raw = spaces.get("before") if isinstance(spaces, dict) else None
        return str(raw if raw is not None else self.space_before or "")

    @property
    def raw_space_after(self) -> str:
        spaces = self.raws.get("spaces")
        raw = spaces.get("after") if isinstance(spaces, dict) else None
        return str(raw if raw is not None else self.space_after or "")

    def _stringify_value(self) -> str:
        raw = self.raws.get("value")
        return str(raw) if raw else self.value

    @property
    def qualified_attribute(self) -> str:
        name = self.raws.get("attribute") or self.attribute or ""
        return self._qualified_name(str(name))

    def _qualified_name(self, value: str) -> str:
        if self.namespace:
            ns = self.raws.get("namespace") or self.namespace
            return f"{'' if ns is True else ns}|{value}"
        return value

    def __str__(self) -> str:
        kind = self.type
        if kind == "root":
            text = ",".join(str(n) for n in self.nodes)
            return text + "," if self.trailing_comma else text
        if kind == "selector":
            return "".join(str(n) for n in self.nodes)
        if kind == "pseudo":
            params = f"({','.join(str(n) for n in self.nodes)})" if self.nodes else ""
            return f"{self.raw_space_before}{self._stringify_value()}{params}{self.raw_space_after}"
        if kind == "attribute":
            return self._attribute_string()
        value = self._stringify_value()
        if kind == "class":
            value = "." + value
        elif kind == "id":
            value = "#" + value
        elif kind in ("tag", "universal"):
            value = self._qualified_name(value)
        return f"{self.raw_space_before}{value}{self.raw_space_after}"

    def _attribute_string(self) -> str:
        out = [self.raw_space_before, "[", self.qualified_attribute]
        if self.operator and self.attr_value is not None:
            out.append(self.raws.get("operator") or self.operator)
            raw_value = self.raws.get("value")
            if raw_value:
                out.append(str(raw_value))
            else:
                quote = self.quote_mark or ""
                out.append(f"{quote}{self.attr_value}{quote}")
            flag = self.raws.get("insensitiveFlag") or ("i" if self.insensitive else "")
            if flag:
                out.append(flag if self.quote_mark else f" {flag}")
        out.append("]")
        out.append(self.raw_space_after)
        return "".join(out)

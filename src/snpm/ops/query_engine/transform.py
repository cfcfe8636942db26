"""@npmcli/query 4: parse a query and pre-digest the pseudo-class arguments arborist evaluates.

`/` is escaped before parsing (so `@scope/name` stays one word) and unescaped where values are
read back. `:attr(a, b, [c=d])` becomes a lookup path (`a`, `b`) and an attribute matcher; `:is`,
`:not` and `:has` keep their selector list as a separate root (`nested`); `:semver(value, [attr],
fn)` finds its static value, function and attribute; `:path`, `:type` and `:outdated` keep their
argument as text; `:vuln([severity=high], [cwe=79])` becomes lists of wanted severities and CWEs.
The errors (EQUERYATTR, ESEMVERFUNC, ESEMVERVALUE) are @npmcli/query's; where it trips over a
missing argument, npm shows JavaScript's TypeError text, which is reproduced.
"""

from __future__ import annotations

from snpm.errors import SnpmError
from snpm.ops.query_engine.ast import ARRAY_DELIMITER, AstNode, AttributeMatcher
from snpm.ops.query_engine.parser import parse_selector

__all__ = ["js_value", "parse_query"]


def js_value(node: AstNode) -> str | None:
    """`astNode.value`: an attribute selector's value is its (unescaped) attribute value."""
    return node.attr_value if node.type == "attribute" else node.value


def _type_error(reading: str) -> SnpmError:
    return SnpmError(f"Cannot read properties of undefined (reading '{reading}')")


def _unescape_slashes(text: str) -> str:
    return text.replace("\\/", "/")


def _first(node: AstNode | None) -> AstNode | None:
    if node is None:
        raise _type_error("nodes")
    return node.nodes[0] if node.nodes else None


def _fixup_attr(node: AstNode) -> AstNode:
    properties: list[object] = []
    for selector in node.nodes:
        first = _first(selector)
        if first is None:
            raise _type_error("type")
        if first.type == "tag":
            properties.append(first.value)
    last_selector = node.nodes.pop() if node.nodes else None
    attribute = _first(last_selector)
    if attribute is None:
        raise _type_error("value")
    if js_value(attribute) == ":attr":
        inner = _fixup_attr(attribute)
        properties.append(ARRAY_DELIMITER)
        properties.extend(inner.lookup_properties)
        inner_matcher = inner.attribute_matcher
        assert inner_matcher is not None
        matcher = AttributeMatcher(
            inner_matcher.qualified_attribute,
            inner_matcher.operator,
            inner_matcher.value,
            inner_matcher.insensitive,
        )
    else:
        if attribute.type != "attribute":
            raise SnpmError(
                "`:attr` pseudo-class expects an attribute matcher as the last value", code="EQUERYATTR"
            )
        matcher = AttributeMatcher(
            _unescape_slashes(attribute.qualified_attribute),
            attribute.operator,
            attribute.attr_value,
            attribute.insensitive,
        )
    node.lookup_properties = properties
    node.attribute_matcher = matcher
    node.nodes = []
    return node


def _fixup_nested(node: AstNode) -> None:
    root = AstNode("root")
    root.nodes = list(node.nodes)
    node.nodes = []
    for child in root.nodes:
        child.parent = root
    node.nested = root
    _transform(root)


def _selector_text(selector: AstNode) -> str:
    return "".join(str(n) for n in selector.nodes)


def _fixup_semver(node: AstNode) -> None:
    if len(node.nodes) == 3:
        func = _first(node.nodes.pop())
        if func is None:
            raise _type_error("type")
        if func.type == "tag":
            node.semver_func = func.value
        elif func.type == "string":
            node.semver_func = func.value[1:-1]
        else:
            raise SnpmError(
                "`:semver` pseudo-class expects a function name as last value", code="ESEMVERFUNC"
            )
    if len(node.nodes) == 1:
        node.semver_value = _selector_text(node.nodes.pop())
    elif len(node.nodes) == 2:
        for i, selector in enumerate(node.nodes):
            first = _first(selector)
            if first is None:
                raise _type_error("type")
            if first.type in ("tag", "combinator"):
                node.semver_value = _selector_text(node.nodes.pop(i))
                node.semver_position = i
                break
        if node.semver_value is None:
            raise SnpmError(
                "`:semver` pseudo-class expects a static value in the first or second position",
                code="ESEMVERVALUE",
            )
    if len(node.nodes) == 1:
        _fixup_attr(node)
    else:
        node.attribute_matcher = AttributeMatcher("version")
        node.lookup_properties = []
    node.nodes = []


def _fixup_types(node: AstNode) -> None:
    if not node.nodes:
        raise _type_error("nodes")
    first = _first(node.nodes[0])
    node.type_value = js_value(first) if first is not None else None
    node.nodes = []


def _fixup_paths(node: AstNode) -> None:
    node.path_value = _unescape_slashes(str(node.nodes[0]) if node.nodes else "undefined")
    node.nodes = []


def _fixup_outdated(node: AstNode) -> None:
    if node.nodes:
        node.outdated_kind = str(node.nodes[0])
        node.nodes = []


def _fixup_vuln(node: AstNode) -> None:
    if not node.nodes:
        return
    vulns: list[dict[str, list[str]]] = []
    for selector in node.nodes:
        vuln: dict[str, list[str]] = {}
        for item in selector.nodes:
            if item.type != "attribute":
                raise SnpmError(
                    ':vuln pseudo-class only accepts attribute matchers or "cwe" tag', code="EQUERYATTR"
                )
            name = item.attribute or ""
            if name not in ("severity", "cwe"):
                raise SnpmError(
                    ':vuln pseudo-class only matches "severity" and "cwe" attributes', code="EQUERYATTR"
                )
            if not item.operator:
                item.operator, item.attr_value = "=", "*"
            if item.operator != "=":
                raise SnpmError(
                    ':vuln pseudo-class attribute selector only accepts "=" operator', code="EQUERYATTR"
                )
            vuln.setdefault(name, []).append(item.attr_value or "")
        vulns.append(vuln)
    node.vulns = vulns
    node.nodes = []


_FIXUPS = {
    ":attr": _fixup_attr,
    ":is": _fixup_nested,
    ":has": _fixup_nested,
    ":not": _fixup_nested,
    ":path": _fixup_paths,
    ":semver": _fixup_semver,
    ":type": _fixup_types,
    ":outdated": _fixup_outdated,
    ":vuln": _fixup_vuln,
}


def _transform(root: AstNode) -> None:
    def visit(node: AstNode) -> None:
        fixup = _FIXUPS.get(js_value(node) or "")
        if fixup is not None:
            fixup(node)

    root.walk(visit)


def parse_query(query: str) -> AstNode | None:
    """The transformed AST of `query` (None for an empty query: no results)."""
    if not query:
        return None
    root = parse_selector(query.replace("/", "\\/"))
    _transform(root)
    return root

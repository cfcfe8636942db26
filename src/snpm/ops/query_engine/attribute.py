"""An attribute selector's tokens → its AST node (postcss-selector-parser's Parser#attribute,
lossy mode): `[ns|name op value flag]` with the library's rules for which word is the name, the
value (unescaped; quoted strings keep their quote mark) and the `i`/`I` flag, and its errors.
"""

from __future__ import annotations

from collections.abc import Callable

from snpm.errors import SnpmError
from snpm.ops.query_engine import tokenize as t
from snpm.ops.query_engine.ast import AstNode
from snpm.ops.query_engine.escapes import unesc, unescape_value
from snpm.ops.query_engine.tokenize import Token

__all__ = ["attribute_node"]


def _type(token: Token | None) -> int:
    if token is None:
        raise SnpmError("Cannot read properties of undefined (reading '0')")
    return token.type


def attribute_node(attr: list[Token], content_of: Callable[[Token], str]) -> AstNode:
    """The tokens between `[` and `]`."""
    node = AstNode("attribute")
    last_added: str | None = None
    space_after_meaningful = False
    value_set = False
    for pos, token in enumerate(attr):
        content = content_of(token)
        nxt = attr[pos + 1] if pos + 1 < len(attr) else None
        kind = token.type
        if kind == t.SPACE:
            space_after_meaningful = True
        elif kind == t.ASTERISK:
            if _type(nxt) == t.EQUALS:
                node.operator, last_added = content, "operator"
            elif (not node.namespace or (last_added == "namespace" and not space_after_meaningful)) and nxt:
                node.namespace = (node.namespace if isinstance(node.namespace, str) else "") + content
                last_added = "namespace"
            space_after_meaningful = False
        elif kind in (t.DOLLAR, t.CARET):
            if kind == t.DOLLAR and last_added == "value":
                node.attr_value = (node.attr_value or "") + "$"
                if node.raws.get("value"):
                    node.raws["value"] += "$"
                continue
            if _type(nxt) == t.EQUALS:
                node.operator, last_added = content, "operator"
            space_after_meaningful = False
        elif kind == t.COMBINATOR:
            if content == "~" and _type(nxt) == t.EQUALS:
                node.operator, last_added = content, "operator"
            if content != "|":
                space_after_meaningful = False
                continue
            if _type(nxt) == t.EQUALS:
                node.operator, last_added = content, "operator"
            elif not node.namespace and not node.attribute:
                node.namespace = True
            space_after_meaningful = False
        elif kind == t.WORD:
            after = attr[pos + 2] if pos + 2 < len(attr) else None
            if (
                nxt is not None
                and content_of(nxt) == "|"
                and after is not None
                and after.type != t.EQUALS
                and not node.operator
                and not node.namespace
            ):
                node.namespace, last_added = content, "namespace"
            elif not node.attribute or (last_added == "attribute" and not space_after_meaningful):
                node.attribute = (node.attribute or "") + content
                last_added = "attribute"
            elif not value_set or (last_added == "value" and not (space_after_meaningful or node.quote_mark)):
                unescaped = unesc(content)
                old_raw = node.raws.get("value") or ""
                old_value = node.attr_value or ""
                node.attr_value = old_value + unescaped
                value_set = True
                node.quote_mark = None
                if unescaped != content or old_raw:
                    node.raws["value"] = (old_raw or old_value) + content
                last_added = "value"
            else:
                insensitive = content in ("i", "I")
                if node.quote_mark or space_after_meaningful:
                    node.insensitive = insensitive
                    if not insensitive or content == "I":
                        node.raws["insensitiveFlag"] = content
                    last_added = "insensitive"
                else:
                    last_added = "value"
                    node.attr_value = (node.attr_value or "") + content
                    if node.raws.get("value"):
                        node.raws["value"] += content
            space_after_meaningful = False
        elif kind == t.STRING:
            if not node.attribute or not node.operator:
                raise SnpmError("Expected an attribute followed by an operator preceding the string.")
            node.attr_value, node.quote_mark = unescape_value(content)
            value_set = True
            last_added = "value"
            node.raws["value"] = content
            space_after_meaningful = False
        elif kind == t.EQUALS:
            if not node.attribute:
                raise SnpmError(f'Expected an attribute, found "{content}" instead.')
            if node.attr_value:
                raise SnpmError('Unexpected "=" found; an operator was already defined.')
            node.operator = (node.operator or "") + content
            last_added = "operator"
            space_after_meaningful = False
        elif kind == t.COMMENT:
            pass
        else:
            raise SnpmError(f'Unexpected "{content}" found.')
    if node.attribute and "\\" in node.attribute:
        node.raws["attribute"] = node.attribute
        node.attribute = unesc(node.attribute)
    if isinstance(node.namespace, str) and "\\" in node.namespace:
        node.raws["namespace"] = node.namespace
        node.namespace = unesc(node.namespace)
    return node

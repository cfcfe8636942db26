"""postcss-selector-parser 7's Parser in lossy mode (`astSync(query, { lossless: false })`).

A port of dist/parser.js for what a selector can contain: words split into tag/class/id at `.` and
`#`, attribute selectors with operators, quotes and the `i` flag, pseudos with parenthesised
selector lists, combinators (a run of `+>~|`, or whitespace for the descendant one), `*`, `&`,
strings, comments and commas. Errors carry the library's messages (npm prints them as they are).
"""

from __future__ import annotations

import re
from typing import Final

from snpm.errors import SnpmError
from snpm.ops.query_engine import tokenize as t
from snpm.ops.query_engine.ast import AstNode
from snpm.ops.query_engine.attribute import attribute_node
from snpm.ops.query_engine.escapes import unesc
from snpm.ops.query_engine.tokenize import Token

__all__ = ["parse_selector"]

_WHITESPACE: Final = frozenset({t.SPACE, t.CR, t.FEED, t.NEWLINE, t.TAB})
_WHITESPACE_EQUIV: Final = _WHITESPACE | {t.COMMENT}
_KEYFRAMES_PERCENT: Final = re.compile(r"^\d+\.\d+%$")
_MAX_NESTING: Final = 256


def _error(message: str) -> SnpmError:
    return SnpmError(message)


class _Parser:
    def __init__(self, css: str) -> None:
        self.css = css
        self.tokens = t.tokenize(css)
        self.position = 0
        self.nesting_depth = 0
        self.spaces = ""
        self.root = AstNode("root")
        selector = AstNode("selector")
        self.root.append(selector)
        self.current = selector

    # ── token access ──

    @property
    def curr(self) -> Token | None:
        return self.tokens[self.position] if 0 <= self.position < len(self.tokens) else None

    @property
    def next_token(self) -> Token | None:
        i = self.position + 1
        return self.tokens[i] if i < len(self.tokens) else None

    @property
    def prev_token(self) -> Token | None:
        i = self.position - 1
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def content(self, token: Token | None = None) -> str:
        token = token if token is not None else self.curr
        if token is None:
            raise _error("Cannot read properties of undefined (reading '5')")
        return self.css[token.start : token.end]

    def _type(self, token: Token | None, reading: str = "0") -> int:
        if token is None:
            raise _error(f"Cannot read properties of undefined (reading '{reading}')")
        return token.type

    def new_node(self, node: AstNode, namespace: str | bool | None = None) -> None:
        if namespace:
            if isinstance(namespace, str) and re.fullmatch(r" +", namespace):
                namespace = True
            node.namespace = namespace
            if isinstance(namespace, str) and "\\" in namespace:
                node.raws["namespace"] = namespace
                node.namespace = unesc(namespace)
        if self.spaces:
            node.space_before = self.spaces
            self.spaces = ""
        self.current.append(node)

    # ── the loop ──

    def loop(self) -> AstNode:
        while self.position < len(self.tokens):
            self.parse(True)
        return self.root

    def parse(self, throw_on_parenthesis: bool = False) -> None:
        kind = self._type(self.curr)
        if kind == t.SPACE:
            self.space()
        elif kind == t.COMMENT:
            self.comment()
        elif kind == t.OPEN_PAREN:
            self.parentheses()
        elif kind == t.CLOSE_PAREN:
            if throw_on_parenthesis:
                raise _error("Expected an opening parenthesis.")
        elif kind == t.OPEN_SQUARE:
            self.attribute()
        elif kind in (t.DOLLAR, t.CARET, t.EQUALS, t.WORD):
            self.word()
        elif kind == t.COLON:
            self.pseudo()
        elif kind == t.COMMA:
            self.comma()
        elif kind == t.ASTERISK:
            self.universal()
        elif kind == t.AMPERSAND:
            self.nesting()
        elif kind in (t.SLASH, t.COMBINATOR):
            self.combinator()
        elif kind == t.STRING:
            self.string()
        elif kind == t.CLOSE_SQUARE:
            raise _error("Expected an opening square bracket.")
        elif kind == t.SEMICOLON:
            raise _error("Expected a backslash preceding the semicolon.")
        else:
            self.unexpected()

    def unexpected(self) -> None:
        raise _error(f"Unexpected '{self.content()}'. Escaping special characters with \\ may help.")

    # ── node kinds ──

    def attribute(self) -> None:
        attr: list[Token] = []
        self.position += 1
        while self.position < len(self.tokens) and self._type(self.curr) != t.CLOSE_SQUARE:
            attr.append(self.tokens[self.position])
            self.position += 1
        if self._type(self.curr) != t.CLOSE_SQUARE:
            raise _error("Expected a closing square bracket.")
        if len(attr) == 1 and attr[0].type != t.WORD:
            raise _error("Expected an attribute.")
        self.new_node(attribute_node(attr, self.content))
        self.position += 1

    def space(self) -> None:
        prev = self.prev_token
        nxt = self.next_token
        if (
            self.position == 0
            or (prev is not None and prev.type in (t.COMMA, t.OPEN_PAREN))
            or all(n.type == "comment" for n in self.current.nodes)
        ):
            self.spaces = ""
            self.position += 1
        elif self.position == len(self.tokens) - 1 or (
            nxt is not None and nxt.type in (t.COMMA, t.CLOSE_PAREN)
        ):
            last = self.current.last
            if last is None:
                raise _error("Cannot read properties of undefined (reading 'spaces')")
            last.space_after = ""
            self.position += 1
        else:
            self.combinator()

    def _next_meaningful(self, start: int) -> int:
        i = start
        while i < len(self.tokens):
            if self.tokens[i].type in _WHITESPACE_EQUIV:
                i += 1
                continue
            return i
        return -1

    def _whitespace_equivalent(self, stop: int) -> list[AstNode]:
        if stop < 0:
            stop = len(self.tokens)
        nodes: list[AstNode] = []
        while True:
            token = self.curr
            if token is not None and token.type == t.COMMENT:
                nodes.append(AstNode("comment", value=self.content()))
            self.position += 1
            if self.position >= stop:
                break
        return nodes

    def _is_named_combinator(self, position: int) -> bool:
        toks = self.tokens
        return (
            position + 2 < len(toks)
            and toks[position].type == t.SLASH
            and toks[position + 1].type == t.WORD
            and toks[position + 2].type == t.SLASH
        )

    def combinator(self) -> None:
        if self.content() == "|":
            self.namespace()
            return
        next_sig = self._next_meaningful(self.position)
        if next_sig < 0 or self.tokens[next_sig].type in (t.COMMA, t.CLOSE_PAREN):
            nodes = self._whitespace_equivalent(next_sig)
            if nodes and self.current.last is None:
                for n in nodes:
                    self.new_node(n)
            return
        space_nodes: list[AstNode] | None = None
        if next_sig > self.position:
            space_nodes = self._whitespace_equivalent(next_sig)
        node: AstNode | None = None
        curr = self.curr
        if self._is_named_combinator(self.position):
            name_raw = self.content(self.tokens[self.position + 1])
            node = AstNode("combinator", value=f"/{unesc(name_raw).lower()}/")
            if unesc(name_raw).lower() != name_raw:
                node.raws["value"] = f"/{name_raw}/"
            self.position += 3
        elif curr is not None and curr.type == t.COMBINATOR:
            node = AstNode("combinator", value=self.content())
            self.position += 1
        elif curr is not None and curr.type in _WHITESPACE:
            pass
        elif space_nodes is None:
            self.unexpected()
        if node is None:
            # the descendant combinator
            node = AstNode("combinator", value=" ", raws={"spaces": {}, "value": ""})
        curr = self.curr
        if curr is not None and curr.type == t.SPACE:
            node.space_after = ""
            self.position += 1
        self.new_node(node)

    def comma(self) -> None:
        if self.position == len(self.tokens) - 1:
            self.root.trailing_comma = True
            self.position += 1
            return
        selector = AstNode("selector")
        parent = self.current.parent
        assert parent is not None
        parent.append(selector)
        self.current = selector
        self.position += 1

    def comment(self) -> None:
        self.new_node(AstNode("comment", value=self.content()))
        self.position += 1

    def namespace(self) -> None:
        prev = self.prev_token
        before: str | bool = (self.content(prev) if prev is not None else "") or True
        nxt = self._type(self.next_token)
        if nxt == t.WORD:
            self.position += 1
            self.word(before)
            return
        if nxt == t.ASTERISK:
            self.position += 1
            self.universal(before)
            return
        raise _error("Unexpected '|'.")

    def nesting(self) -> None:
        nxt = self.next_token
        if nxt is not None and self.content(nxt) == "|":
            self.position += 1
            return
        self.new_node(AstNode("nesting", value=self.content()))
        self.position += 1

    def parentheses(self) -> None:
        last = self.current.last
        unbalanced = 1
        self.position += 1
        if self.curr is None:
            # npm reads the (missing) next token's position: a TypeError in JS
            raise _error("Cannot read properties of undefined (reading '1')")
        if last is not None and last.type == "pseudo":
            selector = AstNode("selector")
            cache = self.current
            last.append(selector)
            self.current = selector
            self.nesting_depth += 1
            try:
                if self.nesting_depth > _MAX_NESTING:
                    raise _error(
                        f"Cannot parse selector: nesting depth exceeds the maximum of {_MAX_NESTING}."
                    )
                while self.position < len(self.tokens) and unbalanced:
                    kind = self._type(self.curr)
                    if kind == t.OPEN_PAREN:
                        unbalanced += 1
                    if kind == t.CLOSE_PAREN:
                        unbalanced -= 1
                    if unbalanced:
                        self.parse()
                    else:
                        self.position += 1
            finally:
                self.nesting_depth -= 1
            self.current = cache
        else:
            paren_value = "("
            while self.position < len(self.tokens) and unbalanced:
                kind = self._type(self.curr)
                if kind == t.OPEN_PAREN:
                    unbalanced += 1
                if kind == t.CLOSE_PAREN:
                    unbalanced -= 1
                content = self.content()
                paren_value += " " if kind == t.SPACE else content
                self.position += 1
            if last is not None:
                last.value += paren_value
            else:
                self.new_node(AstNode("string", value=paren_value))
        if unbalanced:
            if self.curr is None:
                raise _error("Cannot read properties of undefined (reading '5')")
            raise _error("Expected a closing parenthesis.")

    def pseudo(self) -> None:
        pseudo = ""
        while self.curr is not None and self.curr.type == t.COLON:
            pseudo += self.content()
            self.position += 1
        if self.curr is None:
            raise _error("Expected a pseudo-class or pseudo-element.")
        if self.curr.type != t.WORD:
            raise _error("Expected a pseudo-class or pseudo-element.")

        def first(value: str, length: int) -> None:
            self.new_node(AstNode("pseudo", value=pseudo + value))
            nxt = self.next_token
            if length > 1 and nxt is not None and nxt.type == t.OPEN_PAREN:
                raise _error("Misplaced parenthesis.")

        self.split_word(None, first)

    def string(self) -> None:
        self.new_node(AstNode("string", value=self.content()))
        self.position += 1

    def universal(self, namespace: str | bool | None = None) -> None:
        nxt = self.next_token
        if nxt is not None and self.content(nxt) == "|":
            self.position += 1
            self.namespace()
            return
        self.new_node(AstNode("universal", value=self.content()), namespace)
        self.position += 1

    def word(self, namespace: str | bool | None = None) -> None:
        nxt = self.next_token
        if nxt is not None and self.content(nxt) == "|":
            self.position += 1
            self.namespace()
            return
        self.split_word(namespace)

    def split_word(self, namespace: str | bool | None, first_callback: object = None) -> None:
        nxt = self.next_token
        word = self.content()
        while nxt is not None and nxt.type in (t.DOLLAR, t.CARET, t.EQUALS, t.WORD):
            self.position += 1
            current = self.content()
            word += current
            if current.endswith("\\"):
                after = self.next_token
                if after is not None and after.type == t.SPACE:
                    word += " "
                    self.position += 1
            nxt = self.next_token
        keyframes = bool(_KEYFRAMES_PERCENT.match(word))
        has_class = [
            i
            for i, ch in enumerate(word)
            if ch == "." and not (i > 0 and word[i - 1] == "\\") and not keyframes
        ]
        has_id = [i for i, ch in enumerate(word) if ch == "#" and not (i > 0 and word[i - 1] == "\\")]
        interpolations = {i for i in range(len(word)) if word.startswith("#{", i)}
        has_id = [i for i in has_id if i not in interpolations]
        indices = sorted({0, *has_class, *has_id})
        for i, ind in enumerate(indices):
            end = indices[i + 1] if i + 1 < len(indices) else len(word)
            value = word[ind:end]
            if i == 0 and first_callback is not None:
                first_callback(value, len(indices))  # type: ignore[operator]
                continue
            if ind in has_class:
                node = AstNode("class", value=value[1:])
            elif ind in has_id:
                node = AstNode("id", value=value[1:])
            else:
                node = AstNode("tag", value=value)
            if "\\" in node.value:
                node.raws["value"] = node.value
                node.value = unesc(node.value)
            self.new_node(node, namespace)
            namespace = None
        self.position += 1


def parse_selector(css: str) -> AstNode:
    """`parser().astSync(css, { lossless: false })`."""
    return _Parser(css).loop()

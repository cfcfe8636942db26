"""archy 1.0: draw a labelled tree with box characters (`npm ls`, `npm fund`).

A node is an `ArchyNode` (label plus children) or a bare string (a leaf). Multi-line labels keep
their continuation lines under the node, behind `│ ` when it has children. `unicode=False` swaps
the box characters for `| \\` + - -`.
"""

from __future__ import annotations

from typing import Final

import msgspec

__all__ = ["ArchyNode", "archy"]

_ASCII: Final = {"│": "|", "└": "`", "├": "+", "─": "-", "┬": "-"}


class ArchyNode(msgspec.Struct, eq=False):
    label: str = ""
    nodes: list[ArchyNode | str] = msgspec.field(default_factory=list)


def archy(obj: ArchyNode | str, prefix: str = "", *, unicode: bool = True) -> str:
    node = ArchyNode(obj) if isinstance(obj, str) else obj

    def chr_(s: str) -> str:
        return s if unicode else _ASCII[s]

    nodes = node.nodes
    lines = (node.label or "").split("\n")
    splitter = "\n" + prefix + (chr_("│") if nodes else " ") + " "
    out = [prefix, splitter.join(lines), "\n"]
    last_index = len(nodes) - 1
    for ix, child in enumerate(nodes):
        last = ix == last_index
        more = isinstance(child, ArchyNode) and bool(child.nodes)
        child_prefix = prefix + (" " if last else chr_("│")) + " "
        out.append(
            prefix
            + (chr_("└") if last else chr_("├"))
            + chr_("─")
            + (chr_("┬") if more else chr_("─"))
            + " "
            + archy(child, child_prefix, unicode=unicode)[len(prefix) + 2 :]
        )
    return "".join(out)

"""chalk, archy and text-table as npm's ls / fund / outdated use them (outputs checked against node)."""

from __future__ import annotations

from snpm.ops.inspect.archy import ArchyNode, archy
from snpm.ops.inspect.chalk import Chalk
from snpm.ops.inspect.text_table import strip_vt_control_characters, text_table
from snpm.ops.query_engine.escapes import unesc
from snpm.ops.query_engine.tokenize import COMBINATOR, SPACE, STRING, WORD, tokenize

ON = Chalk(True)
OFF = Chalk(False)


def test_chalk_plain_when_disabled_and_empty_strings() -> None:
    assert OFF.red("x") == "x"
    assert ON.red("") == ""
    assert ON.red("x") == "\x1b[31mx\x1b[39m"


def test_chalk_line_breaks_close_and_reopen() -> None:
    # chalk.dim('\nnode_modules/x')
    assert ON.dim("\nnode_modules/x") == "\x1b[2m\x1b[22m\n\x1b[2mnode_modules/x\x1b[22m"
    assert ON.reset("a\r\nb") == "\x1b[0ma\x1b[0m\r\n\x1b[0mb\x1b[0m"


def test_chalk_nested_styles_reopen_after_inner_close() -> None:
    assert ON.style("h", "bold", "underline") == "\x1b[1m\x1b[4mh\x1b[24m\x1b[22m"
    inner = ON.dim("d")
    assert ON.red(f"a {inner} b") == "\x1b[31ma \x1b[2md\x1b[22m b\x1b[39m"
    assert ON.dim(f"a {ON.red('r')}") == "\x1b[2ma \x1b[31mr\x1b[39m\x1b[22m"
    assert ON.style(f"x{ON.dim('y')}z", "bold") == "\x1b[1mx\x1b[2my\x1b[22m\x1b[1mz\x1b[22m"


def test_chalk_explain_roles() -> None:
    assert ON("peer", "peer") == "\x1b[95mpeer\x1b[39m"
    assert ON("bundled", "bundled") == "\x1b[4m\x1b[36mbundled\x1b[39m\x1b[24m"
    assert ON("peerOptional", "peerOptional") == "peerOptional"


def test_archy_unicode_ascii_and_multiline_labels() -> None:
    tree = ArchyNode("root", [ArchyNode("a\nmore", [ArchyNode("b")]), "c"])
    assert archy(tree) == "root\n├─┬ a\n│ │ more\n│ └── b\n└── c\n"
    assert archy(tree, unicode=False) == "root\n+-- a\n| | more\n| `-- b\n`-- c\n"
    assert archy("leaf") == "leaf\n"


def test_text_table_alignment_ignores_colour_codes() -> None:
    rows = [["Package", "Current"], [ON.red("a"), "1.0.0"], ["long-name", "10.0.0"]]
    assert text_table(rows, align=["l", "r"]) == "\n".join(
        [
            "Package    Current",
            "\x1b[31ma\x1b[39m            1.0.0",
            "long-name   10.0.0",
        ]
    )
    assert text_table([["a", ""], ["b", ""]]) == "a\nb"  # trailing whitespace trimmed
    assert strip_vt_control_characters("\x1b[1m\x1b[4mx\x1b[24m\x1b[22m") == "x"


def test_tokenizer_and_css_unescape() -> None:
    kinds = [t.type for t in tokenize("#a > b 'q'")]
    assert kinds == [WORD, SPACE, COMBINATOR, SPACE, WORD, SPACE, STRING]
    assert unesc("a\\/b") == "a/b"
    assert unesc("\\31 23") == "123"
    assert unesc("x\\\\y") == "x\\y"
    assert unesc("end\\") == "end\\"

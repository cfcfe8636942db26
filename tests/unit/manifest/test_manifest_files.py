"""package.json read/update/save keeps bytes, indent, newline and key order like @npmcli/package-json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.manifest import (
    UNDEFINED,
    format_package_json,
    package_sort,
    parse_package_json,
    read_package_json,
    save_package_json,
    update_package_json,
)

SAMPLES = {
    "two-spaces": '{\n  "name": "x",\n  "version": "1.0.0",\n  "dependencies": {\n    "a": "^1.0.0"\n  }\n}\n',
    "tabs": '{\n\t"name": "x",\n\t"scripts": {\n\t\t"test": "t"\n\t}\n}\n',
    "four-spaces-crlf": '{\r\n    "name": "x",\r\n    "files": [\r\n        "lib"\r\n    ]\r\n}\r\n',
    "no-trailing-newline": '{\n  "name": "x"\n}',
    "one-line": '{"name":"x","dependencies":{"a":"1"}}',
    "bom": '\ufeff{\n  "name": "x"\n}\n',
    "extra-blank-lines": '\n{\n  "name": "x"\n}\n\n\n',
}


@pytest.mark.parametrize("text", SAMPLES.values(), ids=SAMPLES.keys())
def test_unchanged_file_is_not_rewritten(tmp_path: Path, text: str) -> None:
    path = tmp_path / "package.json"
    path.write_bytes(text.encode())
    file = read_package_json(tmp_path)
    saved, written = save_package_json(file)
    assert not written and saved is file
    assert path.read_bytes() == text.encode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SAMPLES["tabs"], SAMPLES["tabs"]),
        (SAMPLES["four-spaces-crlf"], SAMPLES["four-spaces-crlf"]),
        (SAMPLES["no-trailing-newline"], SAMPLES["no-trailing-newline"] + "\n"),
        (SAMPLES["one-line"], SAMPLES["one-line"]),
        (SAMPLES["bom"], SAMPLES["bom"][1:]),
    ],
)
def test_format_reproduces_npm_output(text: str, expected: str) -> None:
    file = parse_package_json(text)
    assert format_package_json(file.content, indent=file.indent, newline=file.newline) == expected


def test_update_dependencies_sorts_places_and_prunes(tmp_path: Path) -> None:
    text = '{\n\t"name": "x",\n\t"devDependencies": {"z": "1", "b": "1"},\n\t"dependencies": {"b": "2"},\n\t"x": 1\n}'
    (tmp_path / "package.json").write_text(text)
    file = read_package_json(tmp_path)
    updated = update_package_json(
        file,
        {
            "dependencies": {"b": "2", "A": "1", "a": "1", "_c": "1", "c-d": "1", "@s/p": "1"},
            "devDependencies": {},
            "optionalDependencies": {"a": "1"},
            "peerDependencies": {},
            "bundleDependencies": UNDEFINED,
        },
    )
    # existing maps keep their place, new ones are appended, empty ones removed, optional names
    # leave dependencies, and each map is in localeCompare order
    assert list(updated.content) == ["name", "dependencies", "x", "optionalDependencies"]
    assert list(updated.content["dependencies"]) == ["_c", "@s/p", "A", "b", "c-d"]  # type: ignore[arg-type]
    saved, written = save_package_json(updated)
    assert written
    assert (tmp_path / "package.json").read_text() == (
        '{\n\t"name": "x",\n\t"dependencies": {\n\t\t"_c": "1",\n\t\t"@s/p": "1",\n\t\t"A": "1",\n\t\t"b": "2",\n'
        '\t\t"c-d": "1"\n\t},\n\t"x": 1,\n\t"optionalDependencies": {\n\t\t"a": "1"\n\t}\n}\n'
    )
    assert not save_package_json(saved)[1]


def test_update_keeps_names_that_are_peer_and_prod() -> None:
    file = parse_package_json(
        json.dumps({"dependencies": {"p": "1"}, "peerDependencies": {"p": "1", "q": "1"}})
    )
    updated = update_package_json(file, {"peerDependencies": {"p": "2", "q": "2"}, "dependencies": {}})
    assert updated.content["dependencies"] == {"p": "2"}
    assert updated.content["peerDependencies"] == {"p": "2", "q": "2"}


def test_update_scripts_workspaces_and_other_keys() -> None:
    file = parse_package_json('{"a": 1, "scripts": {"x": "1"}, "b": 2}')
    updated = update_package_json(
        file, {"scripts": {"y": "2"}, "workspaces": ["w"], "b": UNDEFINED, "c": [1]}
    )
    assert updated.content["scripts"] == {"y": "2"}
    assert (
        format_package_json(
            {k: v for k, v in updated.content.items() if k not in updated.dropped}, indent="", newline=""
        )
        == '{"a":1,"scripts":{"y":"2"},"workspaces":["w"],"c":[1]}'
    )
    again = update_package_json(updated, {"b": 3})
    assert list(again.content) == ["a", "scripts", "b", "workspaces", "c"] and not again.dropped
    with pytest.raises(SnpmError) as info:
        update_package_json(file, {"scripts": {"x": 1}})
    assert info.value.code == "ESCRIPTSINVALID"
    with pytest.raises(SnpmError) as info:
        update_package_json(file, {"workspaces": []})
    assert info.value.code == "EWORKSPACESINVALID"


def test_integer_keys_come_first_like_js_objects() -> None:
    file = parse_package_json('{"name": "x", "scripts": {"b": "1", "2": "2", "1": "1"}}')
    assert (
        format_package_json(file.content, indent="", newline="")
        == '{"name":"x","scripts":{"1":"1","2":"2","b":"1"}}'
    )


def test_package_sort() -> None:
    content = {"z": 1, "scripts": {}, "name": "x", "overrides": {}, "version": "1", "bin": "b"}
    assert list(package_sort(content)) == ["name", "version", "bin", "scripts", "overrides", "z"]
    assert format_package_json(content, sort=True).startswith('{\n  "name": "x",\n  "version": "1",')


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(SnpmError) as info:
        read_package_json(tmp_path)
    assert info.value.code == "ENOENT"
    assert info.value.message.startswith(
        "Could not read package.json: Error: ENOENT: no such file or directory"
    )
    created = read_package_json(tmp_path, create=True)
    assert created.content == {}
    _, written = save_package_json(created)
    assert written and (tmp_path / "package.json").read_text() == "{}\n"
    (tmp_path / "package.json").write_text("{ bad")
    with pytest.raises(SnpmError) as info:
        read_package_json(tmp_path)
    assert info.value.code == "EJSONPARSE" and info.value.message.startswith("Invalid package.json")
    # an array is an object to npm, keyed by its indexes; other values are refused
    (tmp_path / "package.json").write_text('["x", {"y": 1}]')
    assert read_package_json(tmp_path).content == {"0": "x", "1": {"y": 1}}
    (tmp_path / "package.json").write_text('"x"')
    with pytest.raises(SnpmError):
        read_package_json(tmp_path)

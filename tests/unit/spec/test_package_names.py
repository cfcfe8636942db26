"""snpm.spec.names: validation details beyond the conformance table, scope splitting, escaping."""

from __future__ import annotations

import pytest

from snpm.spec.names import (
    NameValidity,
    escape_name,
    scope_of,
    split_scope,
    unescape_name,
    validate_package_name,
)


def test_valid_name() -> None:
    assert validate_package_name("some-package") == NameValidity(True, True)


def test_warnings_keep_old_packages_valid() -> None:
    validity = validate_package_name("Http")
    assert validity.valid_for_old_packages
    assert not validity.valid_for_new_packages
    assert validity.warnings == ("Http is a core module name", "name can no longer contain capital letters")


def test_scoped_name_with_unsafe_characters_in_the_scope_or_name() -> None:
    assert validate_package_name("@scope/pkg").valid_for_new_packages
    assert validate_package_name("@sc ope/pkg").errors == ("name can only contain URL-friendly characters",)
    # the unscoped branch compares encodeURIComponent(undefined), so it always fails
    assert validate_package_name("pk g").errors == ("name can only contain URL-friendly characters",)


def test_length_counts_utf16_units() -> None:
    assert validate_package_name("a" * 214).valid_for_new_packages
    assert validate_package_name("a" * 215).warnings == (
        "name can no longer contain more than 214 characters",
    )


@pytest.mark.parametrize(
    ("name", "scope", "bare"),
    [("@scope/pkg", "@scope", "pkg"), ("pkg", None, "pkg"), ("@scope", None, "@scope")],
)
def test_split_scope(name: str, scope: str | None, bare: str) -> None:
    assert split_scope(name) == (scope, bare)


def test_scope_of_keeps_npas_slice_quirk() -> None:
    assert scope_of("@scope/pkg") == "@scope"
    assert scope_of("pkg") is None
    assert scope_of("@scope") == "@scop"  # name.slice(0, -1) when there is no slash


def test_escape_and_unescape() -> None:
    assert escape_name("@scope/pkg") == "@scope%2fpkg"
    assert escape_name("pkg") == "pkg"
    assert unescape_name("@scope%2fpkg") == "@scope/pkg"
    assert unescape_name("@scope%2Fpkg") == "@scope/pkg"
    assert unescape_name("pkg") == "pkg"

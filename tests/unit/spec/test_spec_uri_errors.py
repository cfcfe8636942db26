"""snpm.spec.ecmascript: encode/decodeURIComponent raise SpecError("URI malformed") inside snpm.spec,
as npm-package-arg lets JavaScript's URIError escape (expected values from node 20)."""

from __future__ import annotations

import pytest

from snpm.errors import SpecError
from snpm.spec import parse_spec
from snpm.spec.ecmascript import decode_uri_component, encode_uri_component, is_uri_component_safe


def test_encode_uri_component_refuses_lone_surrogates_with_a_spec_error() -> None:
    with pytest.raises(SpecError, match="URI malformed"):
        encode_uri_component("\ud800")
    assert encode_uri_component("@scope/x") == "%40scope%2Fx"


@pytest.mark.parametrize("text", ["%e9", "%", "%zz", "%C0%80", "%ED%A0%80", "%E2%82"])
def test_decode_uri_component_throws_uri_error_as_spec_error(text: str) -> None:
    with pytest.raises(SpecError) as raised:
        decode_uri_component(text)
    assert raised.value.code is None
    assert raised.value.message == "URI malformed"


def test_decode_uri_component_decodes() -> None:
    assert decode_uri_component("a%20b%2F%E2%82%AC") == "a b/€"


def test_is_uri_component_safe_is_still_importable_here() -> None:
    # the registry server imports it from this module
    assert is_uri_component_safe("abc-~") and not is_uri_component_safe("a b")


def test_npa_lets_the_uri_error_escape() -> None:
    with pytest.raises(SpecError, match="URI malformed"):
        parse_spec("x@git+ssh://h/x#semver:%E0")

"""Packuments decoded lazily: the top-level fields at once, each version's manifest when asked.

A full packument is mostly version manifests (and readmes) that a run never looks at: `next` is
21 MB of JSON for the one or two versions an install picks. Decoding it whole costs ~85 ms and
~80 MB of Python objects; decoding into a typed Struct that keeps `versions` as undecoded
`msgspec.Raw` slices costs a few ms and keeps only the body (spec/dependencies.md §2). Picking a
version then decodes just the fields npm-pick-manifest reads (`version`, `deprecated`, `engines`)
of the versions the spec can match, and the picked manifest in full.

A body the typed decode refuses (a `versions` that is not an object, invalid JSON) is decoded the
ordinary way instead, so every error and every odd document behaves exactly as before.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from snpm.fetch.pick_manifest import PackumentView
from snpm.json_types import JsonObject, JsonValue
from snpm.registry_client import RegistryResponse
from snpm.registry_client.packuments import content_length, packument_object

__all__ = ["PackumentDoc"]


class _Document(msgspec.Struct):
    """The top level of a packument; `Any` fields are decoded as they are (npm reads them loosely)."""

    name: Any = None
    dist_tags: Any = msgspec.field(default=None, name="dist-tags")
    time: Any = None
    versions: dict[str, msgspec.Raw] = msgspec.field(default_factory=dict)
    stagedVersions: Any = None  # noqa: N815 (the registry's field name)
    policyRestrictions: Any = None  # noqa: N815


class _PickFields(msgspec.Struct):
    """What npm-pick-manifest reads of a candidate version."""

    version: Any = msgspec.UNSET
    deprecated: Any = msgspec.UNSET
    engines: Any = msgspec.UNSET


_DOCUMENT = msgspec.json.Decoder(_Document)
_PICK_FIELDS = msgspec.json.Decoder(_PickFields)
_ANY = msgspec.json.Decoder()


class _Partial(dict[str, JsonValue]):
    """A version's pick fields (not its whole manifest); `key` is its key in `versions`. It is as
    truthy as the whole manifest would be (the picker writes `versions[v] or staged[v]`)."""

    __slots__ = ("key", "_truthy")

    def __init__(self, key: str, fields: JsonObject, truthy: bool) -> None:
        super().__init__(fields)
        self.key = key
        self._truthy = truthy

    def __bool__(self) -> bool:
        return self._truthy


class _LazyVersions(Mapping[str, JsonValue]):
    """`versions` for the picker: keys at once, values (pick fields only) on access."""

    __slots__ = ("_raw", "_fields")

    def __init__(self, raw: dict[str, msgspec.Raw]) -> None:
        self._raw = raw
        self._fields: dict[str, JsonValue] = {}

    def __getitem__(self, key: str) -> JsonValue:
        found = self._fields.get(key)
        if found is None:
            raw = self._raw[key]
            try:
                fields = _PICK_FIELDS.decode(raw)
            except msgspec.ValidationError:  # not an object: the picker sees it as it is
                found = _ANY.decode(raw)
            else:
                partial: JsonObject = {}
                if fields.version is not msgspec.UNSET:
                    partial["version"] = fields.version
                if fields.deprecated is not msgspec.UNSET:
                    partial["deprecated"] = fields.deprecated
                if fields.engines is not msgspec.UNSET:
                    partial["engines"] = fields.engines
                truthy = bool(partial) or bool(_ANY.decode(raw))
                found = _Partial(key, partial, truthy)
            self._fields[key] = found
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class PackumentDoc:
    """One packument of a run. `view()` feeds npm-pick-manifest; `to_json()` is the whole document."""

    __slots__ = ("_body", "_doc", "_eager", "_view", "content_length", "url")

    def __init__(self, response: RegistryResponse) -> None:
        self.url = response.url
        self.content_length = content_length(response)
        self._body = response.body
        self._doc: _Document | None = None
        self._eager: JsonObject | None = None
        self._view: PackumentView | None = None
        try:
            self._doc = _DOCUMENT.decode(response.body)
        except (msgspec.DecodeError, UnicodeDecodeError):  # ValidationError is a DecodeError
            self._eager = self.to_json()
            self._body = b""

    @property
    def body(self) -> bytes | None:
        """The response body as it came (None when it was not JSON and only its value is kept)."""
        return self._body if self._doc is not None else None

    def to_json(self) -> JsonObject:
        """The document as npm-registry-fetch's `res.json()` gives it (plus `_contentLength`)."""
        if self._eager is not None:
            return dict(self._eager)
        document = packument_object(RegistryResponse(200, self.url, {}, self._body).json(), self.url)
        if self.content_length is not None:
            document["_contentLength"] = self.content_length
        return document

    def view(self) -> PackumentView:
        if self._view is None:
            if self._doc is not None:
                doc = self._doc
                self._view = PackumentView(
                    name=doc.name,
                    dist_tags=doc.dist_tags,
                    time=doc.time,
                    versions=_LazyVersions(doc.versions),
                    staged_versions=doc.stagedVersions,
                    policy_restrictions=doc.policyRestrictions,
                    # not a bound method: the view must not point back at this object (a cycle
                    # would keep every body alive until a full garbage collection)
                    complete=functools.partial(_complete, doc),
                )
            else:
                assert self._eager is not None
                self._view = PackumentView.of(self._eager)
        return self._view


def _complete(doc: _Document, manifest: JsonObject) -> JsonObject:
    """The whole manifest of a version the picker chose from its pick fields."""
    if not isinstance(manifest, _Partial):
        return manifest
    value = _ANY.decode(doc.versions[manifest.key])
    return value if isinstance(value, dict) else manifest

"""Semantic versions and ranges with node-semver 7.8.5's behaviour (the semver npm bundles).

Names are node-semver's in snake_case; its `options` argument is the keywords `loose` and
`include_prerelease` (plus `rtl` for `coerce`). Functions that return null in JS return None;
those that throw TypeError in JS raise TypeError with the same message. Parsed versions and
ranges are cached, so passing strings repeatedly costs a dictionary lookup.
"""

from __future__ import annotations

from snpm.semver.functions import (
    clean,
    cmp,
    coerce,
    compare,
    compare_build,
    compare_loose,
    diff,
    eq,
    gt,
    gte,
    inc,
    lt,
    lte,
    major,
    minor,
    neq,
    parse,
    patch,
    prerelease,
    rcompare,
    rsort,
    sort,
    truncate,
    valid,
)
from snpm.semver.range import ANY, Comparator, Range, satisfies
from snpm.semver.select import (
    gtr,
    intersects,
    ltr,
    max_satisfying,
    min_satisfying,
    min_version,
    outside,
    simplify_range,
    to_comparators,
    valid_range,
)
from snpm.semver.subset import subset
from snpm.semver.tokens import RELEASE_TYPES, SEMVER_SPEC_VERSION
from snpm.semver.version import SemVer, Version, compare_identifiers, rcompare_identifiers

__all__ = [
    "ANY",
    "RELEASE_TYPES",
    "SEMVER_SPEC_VERSION",
    "Comparator",
    "Range",
    "SemVer",
    "Version",
    "clean",
    "cmp",
    "coerce",
    "compare",
    "compare_build",
    "compare_identifiers",
    "compare_loose",
    "diff",
    "eq",
    "gt",
    "gte",
    "gtr",
    "inc",
    "intersects",
    "lt",
    "lte",
    "ltr",
    "major",
    "max_satisfying",
    "min_satisfying",
    "min_version",
    "minor",
    "neq",
    "outside",
    "parse",
    "patch",
    "prerelease",
    "rcompare",
    "rcompare_identifiers",
    "rsort",
    "satisfies",
    "simplify_range",
    "sort",
    "subset",
    "to_comparators",
    "truncate",
    "valid",
    "valid_range",
]

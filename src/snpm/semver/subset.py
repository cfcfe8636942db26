"""subset(sub, dom): whether every version in range `sub` is also in range `dom` (ranges/subset.js).

Complex range `r1 || r2 || ...` is a subset of `R1 || R2 || ...` iff every simple range `r` that is
not a null set is a subset of some `R`. For simple ranges (`c1 c2 ...` against `C1 C2 ...`) the
rules of node-semver's comments are followed literally, including its prerelease exceptions:
`>=1.2.3-pre` is not a subset of `>=1.0.0` (it admits prereleases of 1.2.3), and `<1.2.3-0` counts
as `<1.2.3`.
"""

from __future__ import annotations

from functools import cache

from snpm.semver.range import ANY, Comparator, ComparatorSet, Range, satisfies
from snpm.semver.version import Version, compare_versions


# made on first use: parsing a comparator compiles the comparator regex, which importing should not
@cache
def _minimum(include_prerelease: bool) -> ComparatorSet:
    return (Comparator(">=0.0.0-0" if include_prerelease else ">=0.0.0"),)


def subset(
    sub: str | Range | Comparator,
    dom: str | Range | Comparator,
    *,
    loose: bool = False,
    include_prerelease: bool = False,
) -> bool:
    """Whether `sub` is a subset of `dom`; TypeError for an invalid range."""
    if sub is dom or (isinstance(sub, str) and isinstance(dom, str) and sub == dom):
        return True
    sub_range = Range(sub, loose=loose, include_prerelease=include_prerelease)
    dom_range = Range(dom, loose=loose, include_prerelease=include_prerelease)
    saw_non_null = False
    for simple_sub in sub_range.set:
        for simple_dom in dom_range.set:
            is_sub = _simple_subset(simple_sub, simple_dom, loose, include_prerelease)
            saw_non_null = saw_non_null or is_sub is not None
            if is_sub:
                break
        else:
            # The null set is a subset of everything, but null simple ranges in a complex range
            # are ignored: a non-null one that fits nowhere means "not a subset".
            if saw_non_null:
                return False
    return True


def _semver(comparator: Comparator) -> Version:
    assert isinstance(comparator.semver, Version)
    return comparator.semver


def _higher_gt(a: Comparator | None, b: Comparator) -> Comparator:
    """The stricter lower bound; `>1.2.3` beats `>=1.2.3`."""
    if a is None:
        return b
    comp = compare_versions(_semver(a), _semver(b))
    if comp > 0:
        return a
    if comp < 0:
        return b
    return b if b.operator == ">" and a.operator == ">=" else a


def _lower_lt(a: Comparator | None, b: Comparator) -> Comparator:
    """The stricter upper bound; `<1.2.3` beats `<=1.2.3`."""
    if a is None:
        return b
    comp = compare_versions(_semver(a), _semver(b))
    if comp < 0:
        return a
    if comp > 0:
        return b
    return b if b.operator == "<" and a.operator == "<=" else a


def _has_pre_of(comparator: Comparator, version: Version) -> bool:
    bound = comparator.semver
    return (
        isinstance(bound, Version)
        and bool(bound.prerelease)
        and (bound.major, bound.minor, bound.patch) == (version.major, version.minor, version.patch)
    )


def _simple_subset(
    sub: ComparatorSet, dom: ComparatorSet, loose: bool, include_prerelease: bool
) -> bool | None:
    """True/False for subset or not; None when `sub` is a null set."""
    if sub is dom:
        return True
    if len(sub) == 1 and sub[0].semver is ANY:
        if len(dom) == 1 and dom[0].semver is ANY:
            return True
        sub = _minimum(include_prerelease)
    if len(dom) == 1 and dom[0].semver is ANY:
        if include_prerelease:
            return True
        dom = _minimum(False)

    equal: list[Version] = []
    gt: Comparator | None = None
    lt: Comparator | None = None
    for c in sub:
        if c.operator in (">", ">="):
            gt = _higher_gt(gt, c)
        elif c.operator in ("<", "<="):
            lt = _lower_lt(lt, c)
        elif not any(c.semver is seen for seen in equal):
            assert isinstance(c.semver, Version)
            equal.append(c.semver)
    if len(equal) > 1:
        return None

    gtlt_comp: int | None = None
    if gt is not None and lt is not None:
        gtlt_comp = compare_versions(_semver(gt), _semver(lt))
        if gtlt_comp > 0:
            return None
        if gtlt_comp == 0 and (gt.operator != ">=" or lt.operator != "<="):
            return None

    for eq in equal:  # zero or one time
        if gt is not None and not satisfies(eq, str(gt), loose=loose, include_prerelease=include_prerelease):
            return None
        if lt is not None and not satisfies(eq, str(lt), loose=loose, include_prerelease=include_prerelease):
            return None
        return all(satisfies(eq, str(c), loose=loose, include_prerelease=include_prerelease) for c in dom)

    # if the subset has a prerelease, the superset needs a comparator with the same tuple and a
    # prerelease, or it is not a subset
    need_dom_lt_pre: Version | None = None
    if lt is not None and not include_prerelease and _semver(lt).prerelease:
        need_dom_lt_pre = _semver(lt)
    need_dom_gt_pre: Version | None = None
    if gt is not None and not include_prerelease and _semver(gt).prerelease:
        need_dom_gt_pre = _semver(gt)
    # exception: <1.2.3-0 is the same as <1.2.3
    if (
        need_dom_lt_pre is not None
        and lt is not None
        and need_dom_lt_pre.prerelease == (0,)
        and lt.operator == "<"
    ):
        need_dom_lt_pre = None

    has_dom_lt = False
    has_dom_gt = False
    for c in dom:
        has_dom_gt = has_dom_gt or c.operator in (">", ">=")
        has_dom_lt = has_dom_lt or c.operator in ("<", "<=")
        if gt is not None:
            if need_dom_gt_pre is not None and _has_pre_of(c, need_dom_gt_pre):
                need_dom_gt_pre = None
            if c.operator in (">", ">="):
                higher = _higher_gt(gt, c)
                if higher is c and higher is not gt:
                    return False
            elif gt.operator == ">=" and not c.test(_semver(gt)):
                return False
        if lt is not None:
            if need_dom_lt_pre is not None and _has_pre_of(c, need_dom_lt_pre):
                need_dom_lt_pre = None
            if c.operator in ("<", "<="):
                lower = _lower_lt(lt, c)
                if lower is c and lower is not lt:
                    return False
            elif lt.operator == "<=" and not c.test(_semver(lt)):
                return False
        if not c.operator and (lt is not None or gt is not None) and gtlt_comp != 0:
            return False

    # a < or > with nothing in the dom in that direction fails, UNLESS the other direction
    # limits it: >1.0.0 <1.0.1 is still a subset of <2.0.0
    if gt is not None and has_dom_lt and lt is None and gtlt_comp != 0:
        return False
    if lt is not None and has_dom_gt and gt is None and gtlt_comp != 0:
        return False
    # a prerelease range in a specific tuple was needed but not found
    return need_dom_gt_pre is None and need_dom_lt_pre is None

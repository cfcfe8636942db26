"""`permissions.can`: who may read, write, create and administer which package (pure, table-driven)."""

from __future__ import annotations

import pytest

from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.permissions import Action, Actor, PackageFacts, can, require
from snpm.registry_server.storage.records import Grants

ALICE = Actor("alice", "alice@example.test")
BOB = Actor("bob", "bob@example.test")
R, W, C, A = Action.READ, Action.WRITE, Action.CREATE, Action.ADMIN


def _package(
    name: str,
    *,
    maintainers: tuple[str, ...] = ("alice",),
    restricted: bool = False,
    exists: bool = True,
    owner: str = "none",
    role: str | None = None,
    team: str | None = None,
) -> PackageFacts:
    scope = name[1 : name.index("/")] if name.startswith("@") else None
    grants = Grants(scope, owner, role, team)  # type: ignore[arg-type]
    return PackageFacts(name, frozenset(maintainers), restricted, exists, grants)


CASES: list[tuple[str, Actor | None, Action, PackageFacts, bool]] = [
    # public packages: anyone reads; maintainers write and administer
    ("anonymous reads public", None, R, _package("demo"), True),
    ("anonymous never writes", None, W, _package("demo"), False),
    ("maintainer writes", ALICE, W, _package("demo"), True),
    ("outsider cannot write", BOB, W, _package("demo"), False),
    ("maintainer administers", ALICE, A, _package("demo"), True),
    ("outsider cannot administer", BOB, A, _package("demo"), False),
    # new names
    ("anyone creates an unscoped name", BOB, C, _package("new", exists=False, maintainers=()), True),
    ("nobody creates an existing name", ALICE, C, _package("demo"), False),
    ("an unowned scope is open", BOB, C, _package("@free/x", exists=False, maintainers=()), True),
    ("own user scope", ALICE, C, _package("@alice/x", exists=False, owner="user"), True),
    ("another user's scope", BOB, C, _package("@alice/x", exists=False, owner="user"), False),
    ("org member creates", BOB, C, _package("@acme/x", exists=False, owner="org", role="developer"), True),
    ("non-member cannot create in an org", BOB, C, _package("@acme/x", exists=False, owner="org"), False),
    # a user scope's owner may do everything there, even on packages others maintain
    ("scope owner writes", ALICE, W, _package("@alice/x", maintainers=("bob",), owner="user"), True),
    (
        "scope owner reads restricted",
        ALICE,
        R,
        _package("@alice/x", maintainers=(), restricted=True, owner="user"),
        True,
    ),
    # restricted packages
    ("anonymous cannot read restricted", None, R, _package("@acme/x", restricted=True, owner="org"), False),
    ("outsider cannot read restricted", BOB, R, _package("@acme/x", restricted=True, owner="org"), False),
    ("maintainer reads restricted", ALICE, R, _package("@acme/x", restricted=True, owner="org"), True),
    (
        "read-only team reads",
        BOB,
        R,
        _package("@acme/x", restricted=True, owner="org", team="read-only"),
        True,
    ),
    (
        "read-only team cannot write",
        BOB,
        W,
        _package("@acme/x", restricted=True, owner="org", team="read-only"),
        False,
    ),
    ("read-write team writes", BOB, W, _package("@acme/x", owner="org", team="read-write"), True),
    (
        "developer without grant cannot read",
        BOB,
        R,
        _package("@acme/x", restricted=True, owner="org", role="developer"),
        False,
    ),
    # org owners/admins do everything in their scope; maintainers of org packages do not administer
    ("org owner reads", BOB, R, _package("@acme/x", restricted=True, owner="org", role="owner"), True),
    ("org admin writes", BOB, W, _package("@acme/x", owner="org", role="admin"), True),
    ("org admin administers", BOB, A, _package("@acme/x", owner="org", role="admin"), True),
    (
        "org developer cannot administer",
        BOB,
        A,
        _package("@acme/x", owner="org", role="developer", team="read-write"),
        False,
    ),
    (
        "org package maintainer cannot administer",
        ALICE,
        A,
        _package("@acme/x", owner="org", role="developer"),
        False,
    ),
]


@pytest.mark.parametrize(
    ("actor", "action", "package", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_can(actor: Actor | None, action: Action, package: PackageFacts, expected: bool) -> None:
    assert can(actor, action, package) is expected


def test_require_answers_like_npms_registry() -> None:
    secret = _package("@acme/x", restricted=True, owner="org")
    with pytest.raises(RegistryError) as hidden:
        require(BOB, W, secret)
    assert hidden.value.status == 404  # a restricted package does not exist for outsiders
    with pytest.raises(RegistryError) as anonymous:
        require(None, W, _package("demo"))
    assert anonymous.value.status == 401
    with pytest.raises(RegistryError) as publishing:
        require(BOB, W, _package("demo"), publishing=True)
    assert publishing.value.status == 403
    assert (
        publishing.value.message
        == 'You do not have permission to publish "demo". Are you logged in as the correct user?'
    )
    with pytest.raises(RegistryError) as admin:
        require(BOB, A, _package("demo"))
    assert admin.value.status == 403 and "access" in admin.value.message
    require(ALICE, W, _package("demo"))  # allowed: no error

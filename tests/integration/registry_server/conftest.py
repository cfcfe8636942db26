"""Every in-process registry test here runs twice: on SQLite and on PostgreSQL (a throwaway cluster
per session; the PostgreSQL runs skip when PostgreSQL is not installed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import support.registry
from support.postgres import PostgresCluster, postgres_cluster  # noqa: F401  (a pytest fixture)


@pytest.fixture(params=["sqlite", "postgres"], autouse=True)
def storage_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "postgres":
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        monkeypatch.setattr(
            support.registry,
            "POSTGRES_DATABASES",
            support.registry.PostgresDatabases(cluster.create_database),
        )
    yield str(request.param)

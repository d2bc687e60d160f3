"""Storage on SQLite and PostgreSQL: migrations up, down and up again; API keys."""

from __future__ import annotations

from sqlalchemy import inspect

from policywarden.store.db import downgrade, engine_for, sessions, upgrade
from policywarden.store.keys import KeyStore


def _tables(url):
    engine_for(url).dispose()
    return set(inspect(engine_for(url)).get_table_names()) - {"alembic_version"}


def test_migrations_round_trip(db_url):
    """Upgrade from empty, downgrade to nothing, upgrade again; the schema matches the models."""
    from policywarden.store.models import Base

    upgrade(db_url)
    assert _tables(db_url) == set(Base.metadata.tables)
    downgrade(db_url, "0001")
    assert _tables(db_url) == {"api_keys"}
    downgrade(db_url, "base")
    assert _tables(db_url) == set()
    upgrade(db_url)
    assert _tables(db_url) == set(Base.metadata.tables)


def test_keys_lifecycle(db_url):
    upgrade(db_url)
    store = KeyStore(sessions(db_url))
    assert not store.any_active()
    key, info = store.create("svc")
    assert key.startswith("pw_") and len(key) >= 40
    assert store.any_active()
    assert store.verify(key).id == info.id
    assert store.verify(key + "x") is None
    assert store.revoke(info.id) and not store.revoke(info.id)
    assert store.verify(key) is None and not store.any_active()
    assert [k.name for k in store.list()] == ["svc"]


def test_unreachable_database_is_a_clear_error():
    import pytest

    from policywarden.store.db import DatabaseError

    with pytest.raises(DatabaseError, match="cannot migrate"):
        upgrade("postgresql://nobody@127.0.0.1:1/none")


def test_verified_keys_are_cached_briefly_and_revocation_here_is_immediate(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    upgrade(url)
    mine = KeyStore(sessions(url), sessions(url, write=True), cache_seconds=60)
    other = KeyStore(sessions(url), sessions(url, write=True))  # another process, in effect
    key, info = mine.create("svc")
    assert mine.verify(key).id == info.id
    other.revoke(info.id)
    assert other.verify(key) is None
    assert mine.verify(key).id == info.id  # still remembered here, for at most cache_seconds
    key2, info2 = mine.create("svc2")
    mine.verify(key2)
    assert mine.revoke(info2.id) and mine.verify(key2) is None


def _migrate(url: str) -> str:
    upgrade(url)
    return "ok"


def test_processes_that_migrate_one_fresh_database_at_once_all_succeed(db_url):
    """`serve --workers N` starts N processes that each migrate on startup; two creating the same
    table at once used to fail one of them ("table audit_log already exists")."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert pool.map(_migrate, [db_url] * 4) == ["ok"] * 4
    from policywarden.store.models import Base

    assert _tables(db_url) == set(Base.metadata.tables)

"""Storage on SQLite and PostgreSQL: migrations up, down and up again; API keys."""

from __future__ import annotations

from sqlalchemy import inspect

from policywarden.store.db import downgrade, engine_for, sessions, upgrade
from policywarden.store.keys import KeyStore


def test_migrations_round_trip(db_url):
    upgrade(db_url)
    assert "api_keys" in inspect(engine_for(db_url)).get_table_names()
    downgrade(db_url, "base")
    engine_for(db_url).dispose()
    assert "api_keys" not in inspect(engine_for(db_url)).get_table_names()
    upgrade(db_url)
    assert "api_keys" in inspect(engine_for(db_url)).get_table_names()


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

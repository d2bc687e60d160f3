"""Engines, sessions and migrations."""

from __future__ import annotations

import contextlib
import fcntl
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be reached or used; the message says which and why, without secrets."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # We issue BEGIN ourselves (see _sqlite_begin), so the driver must not.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def normalise_url(url: str) -> str:
    # Plain "postgresql://" means psycopg2 to SQLAlchemy; we ship psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url: str) -> bool:
    return normalise_url(url).startswith("sqlite")


@lru_cache(maxsize=16)
def engine_for(url: str, write: bool = False) -> Engine:
    """The engine for `url`. On SQLite a separate `write` engine begins every transaction
    with BEGIN IMMEDIATE: a transaction that reads and then writes takes the write lock
    up front, so two processes never both read the same state and then race to write it.
    PostgreSQL uses row and advisory locks instead, and one engine."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    if write:
        return engine_for(url, False)  # positionally, so lru_cache hands back the same engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def sessions(url: str, write: bool = False) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url, write), expire_on_commit=False)


def dispose(url: str) -> None:
    for write in (False, True):
        engine_for(url, write).dispose()


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


@contextlib.contextmanager
def _sqlite_migration_lock(url: str):
    """One migrating process at a time on a SQLite file: the workers of `serve --workers N` all
    start by migrating, and two that create the same table at once fail. PostgreSQL takes an
    advisory lock instead (migrations/env.py)."""
    from sqlalchemy.engine import make_url

    database = make_url(normalise_url(url)).database if is_sqlite(url) else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with open(f"{database}.migrate-lock", "a") as f:  # beside the database, where the process may write
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database schema to `revision` (creates the SQLite file if needed). Safe to call
    from several processes at once: they migrate one after another, the later ones finding
    nothing to do."""
    from alembic import command

    try:
        with _sqlite_migration_lock(url):
            command.upgrade(_alembic_config(url), revision)
    except Exception as exc:  # connection refused, bad URL, permissions
        raise DatabaseError(f"cannot migrate the database: {type(exc).__name__}: {str(exc).splitlines()[0]}") from exc


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(_alembic_config(url), revision)

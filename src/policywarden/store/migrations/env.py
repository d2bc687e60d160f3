from alembic import context
from sqlalchemy import engine_from_config, pool, text

from policywarden.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # One migrating process at a time (serve --workers N): held to the transaction's end,
                # so the next one reads the version this one wrote. The key is arbitrary and fixed.
                connection.execute(text("SELECT pg_advisory_xact_lock(7264001)"))
            context.run_migrations()


run()

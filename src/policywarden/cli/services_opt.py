"""The services a CLI command works on: settings from the environment, the database from
--database-url when given; migrated before use, errors as one line."""

from __future__ import annotations

import typer

from ..enforce.config import EnforcementConfigError
from ..privacy.secrets import SecretError
from ..services import Services
from ..settings import get_settings
from ..store.db import DatabaseError
from .common import fail

DB_OPT = typer.Option(None, "--database-url", help="Database URL (default: POLICYWARDEN_DATABASE_URL or the SQLite file).")


def services(database_url: str | None) -> Services:
    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    sv = Services(settings)
    try:
        sv.migrate()
        sv.enforcement_config  # noqa: B018 - validate the config file now, in one line
    except (DatabaseError, EnforcementConfigError, SecretError) as exc:
        fail(str(exc))
    return sv

"""Persistence: SQLAlchemy models and Alembic migrations. Nothing else talks SQL."""

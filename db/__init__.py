"""Storage: SQLAlchemy models and sessions.  SQLite by default, PostgreSQL in production."""

from db import review_models  # noqa: F401  (the review app's tables, for Alembic)
from db.models import Base, Candidate, Decision, Hit, Page, Query, Run, Source
from db.session import Database, default_database_url

__all__ = [
    "Base",
    "Candidate",
    "Database",
    "Decision",
    "Hit",
    "Page",
    "Query",
    "Run",
    "Source",
    "default_database_url",
]

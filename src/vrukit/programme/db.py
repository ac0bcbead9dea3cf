"""Connecting to the programme store and bringing its schema up to date with Alembic.

``upgrade(url)`` applies every migration in ``vrukit/migrations`` (the same ones on
SQLite and PostgreSQL); ``session(url)`` opens a session on an up-to-date store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from vrukit.errors import ConfigError

__all__ = ["MIGRATIONS", "alembic_config", "engine", "session", "sqlite_url", "upgrade"]

MIGRATIONS = Path(__file__).parents[1] / "migrations"


def sqlite_url(path: Path | str) -> str:
    """The URL of a SQLite store file."""
    return f"sqlite:///{Path(path).resolve()}"


def engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys enforced, as PostgreSQL has them."""
    if not url.startswith(("sqlite", "postgresql")):
        raise ConfigError(f"store URL {url!r}: expected sqlite:///FILE or postgresql+psycopg://...")
    eng = create_engine(url)
    if eng.dialect.name == "sqlite":

        @event.listens_for(eng, "connect")
        def _fk(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA foreign_keys = ON")

    return eng


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (default: all)."""
    command.upgrade(alembic_config(url), revision)


@contextmanager
def session(url: str) -> Iterator[Session]:
    """A session on the store at ``url`` (migrated first); commits on success."""
    upgrade(url)
    eng = engine(url)
    try:
        with sessionmaker(eng)() as s, s.begin():
            yield s
    finally:
        eng.dispose()

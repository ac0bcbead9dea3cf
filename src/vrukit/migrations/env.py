"""Alembic environment for the programme store (online migrations only)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import event

from vrukit.directory import models as _directory  # noqa: F401 - its tables share the store
from vrukit.programme.db import engine
from vrukit.programme.models import Base
from vrukit.referrals import models as _referrals  # noqa: F401 - so do the referrals

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "the programme store URL is set by vrukit.programme.db.alembic_config"
eng = engine(url)
if eng.dialect.name == "sqlite":
    # Python's sqlite3 runs DDL outside any transaction, so a migration that failed half-way
    # would leave its first tables behind; begin explicitly, and a failed upgrade changes nothing
    @event.listens_for(eng, "connect")
    def _manual(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(eng, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


with eng.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
eng.dispose()

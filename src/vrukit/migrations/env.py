"""Alembic environment for the programme store (online migrations only)."""

from __future__ import annotations

from alembic import context

from vrukit.commissioning import models as _commissioning  # noqa: F401 - so do the rounds
from vrukit.directory import models as _directory  # noqa: F401 - its tables share the store
from vrukit.incidents import models as _incidents  # noqa: F401 - so do the incidents
from vrukit.partnerships import models as _partnerships  # noqa: F401 - and the partnerships
from vrukit.programme.db import engine
from vrukit.programme.models import Base
from vrukit.qualitative import models as _qualitative  # noqa: F401 - and the interviews
from vrukit.referrals import models as _referrals  # noqa: F401 - so do the referrals
from vrukit.voice import models as _voice  # noqa: F401 - and young people's voice

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "the programme store URL is set by vrukit.programme.db.alembic_config"
eng = engine(url)  # on SQLite, BEGIN is explicit (DDL included): a failed upgrade changes nothing


with eng.connect() as connection:
    # a write transaction from the start: two processes migrating at once take turns
    connection.execution_options(vrukit_write=True)
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
eng.dispose()

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
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from vrukit.errors import ConfigError

__all__ = [
    "MIGRATIONS", "alembic_config", "engine", "lock_row", "session", "sqlite_url", "upgrade",
    "writing",
]  # fmt: skip

MIGRATIONS = Path(__file__).parents[1] / "migrations"


def sqlite_url(path: Path | str) -> str:
    """The URL of a SQLite store file."""
    return f"sqlite:///{Path(path).resolve()}"


#: How long a SQLite writer waits for another to finish before giving up (seconds).
SQLITE_BUSY_SECONDS = 30


#: PostgreSQL: the longest a statement waits for another transaction's lock.
PG_LOCK_SECONDS = 30
#: PostgreSQL: the longest a transaction may sit idle holding its locks.
PG_IDLE_SECONDS = 300


def engine(url: str) -> Engine:
    """An engine for ``url``. SQLite gets foreign keys enforced, as PostgreSQL has them, and is
    set up for several writers at once: write-ahead logging (readers never wait for a writer),
    a busy timeout (a writer waits its turn instead of failing), and a write transaction that
    takes the write lock when it begins (``writing``), so two writers never deadlock on
    upgrading read locks. The pool holds enough connections for a busy worker's threads."""
    if not url.startswith(("sqlite", "postgresql")):
        raise ConfigError(f"store URL {url!r}: expected sqlite:///FILE or postgresql+psycopg://...")
    if not url.startswith("sqlite"):
        # a request never waits on another's row lock for longer than PG_LOCK_SECONDS (it is
        # told the store is busy), and a transaction left idle is ended rather than holding
        # its locks
        options = (f"-c lock_timeout={PG_LOCK_SECONDS * 1000} "
                   f"-c idle_in_transaction_session_timeout={PG_IDLE_SECONDS * 1000}")  # fmt: skip
        return create_engine(url, pool_size=10, max_overflow=30, pool_timeout=60,
                             connect_args={"options": options})  # fmt: skip
    eng = create_engine(
        url, pool_size=10, max_overflow=30, pool_timeout=60,
        connect_args={"timeout": SQLITE_BUSY_SECONDS},
    )  # fmt: skip

    @event.listens_for(eng, "connect")
    def _setup(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # BEGIN is ours to send (below)
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
        if url not in ("sqlite://", "sqlite:///:memory:"):
            dbapi_conn.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(eng, "begin")
    def _begin(conn):
        write = conn.get_execution_options().get("vrukit_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return eng


@contextmanager
def writing(maker: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction is for writing: on SQLite it holds the write lock from its
    first statement (other writers wait, none fails), elsewhere it is an ordinary one.
    Commits on success."""
    with maker() as s, s.begin():
        s.connection(execution_options={"vrukit_write": True})
        yield s


def lock_row(s: Session, row: object, *, everything: bool = False) -> None:
    """Hold ``row``'s lock until the transaction ends, then read it (``everything``: every
    object of the session) again: a decision that reads a status and then writes (award,
    decline, a referral's next step) must wait for a decision made at the same moment and see
    what it committed. PostgreSQL takes the row lock (SELECT ... FOR UPDATE under READ
    COMMITTED). On SQLite it does nothing: one writer at a time holds the whole store (a write
    transaction begun as a read is refused, never interleaved), and a transaction reads one
    snapshot, so reading again would find nothing new (it cost the demo's referral loader 12 s).
    Changes not yet flushed are flushed first, so that reading again loses none."""
    if s.get_bind().dialect.name != "postgresql":
        return
    s.flush()  # a row just added gets its key
    state = inspect(row)
    keys = state.mapper.primary_key
    where = [c == v for c, v in zip(keys, state.identity or (), strict=True)]
    s.execute(select(*keys).where(*where).with_for_update())
    if everything:
        s.expire_all()
    else:
        s.refresh(row)


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
    """A session on the store at ``url`` (migrated first), for writing; commits on success."""
    upgrade(url)
    eng = engine(url)
    try:
        with writing(sessionmaker(eng)) as s:
            yield s
    finally:
        eng.dispose()

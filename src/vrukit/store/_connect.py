"""Opening a warehouse file: a DuckDB connection through Ibis, with DuckDB's refusals (a file
another program holds, a file that is not a database) turned into sentences."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import ibis

import vrukit.store._duckdb_compat  # noqa: F401  (Ibis 12 on DuckDB 2)
from vrukit.errors import VrukitError

if TYPE_CHECKING:
    from ibis.backends.duckdb import Backend as DuckDBBackend

__all__ = ["connect"]


#: DuckDB's refusal when another process has the file open: "Could not set lock on file
#: "<path>": Conflicting lock is held in <program> (PID <n>)".
_HELD = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def _is_a_warehouse(path: str) -> None:
    """Refuse a ``--db`` that names a folder or a file that is not a DuckDB database (a CSV, a
    PDF): DuckDB would stop with a traceback, or open an in-memory database and lose the work."""
    p = Path(path)
    if path == ":memory:":
        return
    if p.suffix.lower() in (".csv", ".parquet", ".json", ".gz"):
        raise VrukitError(f"--db {path}: a warehouse file ends in .duckdb, e.g. myforce.duckdb")
    if not p.exists():
        return
    if p.is_dir():
        raise VrukitError(f"--db {path} is a folder: give a file in it, e.g. {p / 'vru.duckdb'}")
    with p.open("rb") as fh:
        head = fh.read(12)
    if p.stat().st_size and head[8:12] != b"DUCK":
        raise VrukitError(
            f"--db {path} is not a vrukit warehouse (a DuckDB file): give a new file name, such "
            "as myforce.duckdb, or the warehouse an earlier command made"
        )


def connect(path: str, *, read_only: bool = False) -> DuckDBBackend:
    """An Ibis DuckDB connection to ``path``; a file another program holds is refused in a
    sentence saying which program, instead of DuckDB's traceback."""
    _is_a_warehouse(path)
    try:
        return ibis.duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as e:
        held = _HELD.search(str(e))
        if held is None:
            raise
        raise VrukitError(
            f"the warehouse {path} is open in another program ({held['program']}, PID "
            f"{held['pid']}). DuckDB lets several programs read a warehouse file at once, but "
            "none while one writes it. Close it there (a notebook's connection, another vrukit "
            "command) or wait for it to finish, and run this again."
        ) from None
    except duckdb.Error as e:
        raise VrukitError(f"the warehouse {path} cannot be opened: {e}") from None

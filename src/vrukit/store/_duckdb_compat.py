"""Ibis 12 on DuckDB 2: the two connection methods DuckDB 2.0 removed, given back as aliases.

Ibis 12.0.0 (the latest release, February 2026) fetches results with
``DuckDBPyConnection.fetch_arrow_table()`` and ``.fetch_record_batch()``. DuckDB 1.5 deprecated
both and 2.0 removed them, in favour of ``to_arrow_table()`` and ``to_arrow_reader()``, which do
the same. Ibis's own fix (ibis-project/ibis#12001, merged in May 2026) is not in a release yet.
Until it is, :func:`apply` puts the old names back on the connection class, calling the new
ones (without DuckDB's warning that Arrow output from a DB-API result copies the rows: Ibis
asks this only of catalogue queries and batch readers), and changes nothing else; on a DuckDB
that still has them it does nothing.
``tests/test_store.py::test_the_duckdb_compatibility_aliases_are_still_needed`` fails once an
Ibis release no longer needs them, so that this module is then removed.
"""

from __future__ import annotations

import warnings

import duckdb

__all__ = ["ADDED", "apply"]


def _fetch_arrow_table(self: duckdb.DuckDBPyConnection, rows_per_batch: int = 1_000_000) -> object:
    with warnings.catch_warnings():  # "makes an extra copy": Ibis asks this of small results
        warnings.simplefilter("ignore", UserWarning)
        return self.to_arrow_table(batch_size=rows_per_batch)


def _fetch_record_batch(self: duckdb.DuckDBPyConnection, rows_per_batch: int = 1_000_000) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return self.to_arrow_reader(batch_size=rows_per_batch)


#: Old name -> what stands for it (the DuckDB 1.x signature, calling the DuckDB 2 method).
_ALIASES = {"fetch_arrow_table": _fetch_arrow_table, "fetch_record_batch": _fetch_record_batch}


def apply() -> list[str]:
    """Add each missing old name to ``duckdb.DuckDBPyConnection``; returns the names added."""
    cls = duckdb.DuckDBPyConnection
    added = []
    for old, alias in _ALIASES.items():
        if not hasattr(cls, old):
            setattr(cls, old, alias)
            added.append(old)
    return added


#: The names this process added (empty on a DuckDB that still has them).
ADDED = apply()

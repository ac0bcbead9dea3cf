"""Where the relational steps run: DuckDB (embedded, the default) or Spark (a cluster, or local).

An :class:`Engine` is an Ibis backend plus the one engine-specific step, reading the Parquet lake
(:mod:`vrukit.store.lake`) into the canonical crimes table. Everything after that read is an Ibis
expression from :mod:`vrukit.store.relational`, the same on both engines.

Spark comes with the optional extra (``pip install 'vrukit[spark]'``) and needs Java 17 or 21.
``spark_master`` is any Spark master URL: ``local[2]`` runs in this process's JVM;
``spark://host:7077`` (or ``yarn``, ``k8s://...``) sends the work to a cluster, whose executors must
see the lake at the same path (a shared file system or object store).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

import vrukit.store._duckdb_compat  # noqa: F401  (Ibis 12 on DuckDB 2)
from vrukit.errors import ConfigError, VrukitError
from vrukit.schemas import CRIMES

__all__ = ["ENGINES", "LAKE_CRIME_COLUMNS", "Engine"]

ENGINES = ("duckdb", "spark")

#: Columns of the crimes table read from the lake: the warehouse's, without its bookkeeping
#: (``lsoa_unknown`` is derived against the loaded areas; the lake has no ``ingest_log``).
LAKE_CRIME_COLUMNS = [
    c for c in CRIMES.names if c not in ("lsoa_unknown", "ingest_id", "lsoa_published")
]


@dataclass
class Engine:
    """An Ibis backend that the relational steps run on; ``name`` is 'duckdb' or 'spark'."""

    name: str
    con: ibis.BaseBackend
    master: str | None = None
    _session: Any = None

    @classmethod
    def connect(
        cls,
        name: str = "duckdb",
        *,
        spark_master: str = "local[2]",
        memory: str = "2GB",
        spark_conf: dict[str, str] | None = None,
    ) -> Engine:
        """Start an engine. ``memory`` caps DuckDB, or sizes Spark's driver in local mode."""
        if name == "duckdb":
            con = ibis.duckdb.connect()
            con.raw_sql(f"SET memory_limit = '{memory}'")
            con.raw_sql("SET enable_progress_bar = false")
            return cls("duckdb", con)
        if name == "spark":
            session = _spark_session(spark_master, memory, spark_conf or {})
            return cls("spark", ibis.pyspark.connect(session), spark_master, session)
        raise ConfigError(f"engine {name!r} is not one of: {', '.join(ENGINES)}")

    def crimes(self, lake: Path | str) -> ir.Table:
        """The lake's crimes as the canonical table (``LAKE_CRIME_COLUMNS``, month a date)."""
        root = Path(lake) / "crimes"
        if not any(root.glob("force=*/month=*/*.parquet")):
            raise VrukitError(
                f"the lake {lake} holds no crimes: load police.uk files with `vrukit lake ingest`"
            )
        if self.name == "duckdb":
            t = self.con.read_parquet(
                str(root / "force=*" / "month=*" / "*.parquet"),
                hive_partitioning=True,
                hive_types_autocast=False,
            )
        else:
            t = self.con.read_parquet(str(root))
        t = t.mutate(
            force=t.force.cast("string"), month=(t.month.cast("string") + "-01").cast("date")
        )
        return t.select(LAKE_CRIME_COLUMNS)

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        """Run an expression on this engine and bring the (small) result back as a frame."""
        return self.con.execute(expr)

    def close(self) -> None:
        if self._session is not None:
            self._session.stop()
        self.con.disconnect()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spark_session(master: str, memory: str, conf: dict[str, str]) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "the Spark engine needs PySpark: pip install 'vrukit[spark]' (and Java 17 or 21)"
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ConfigError("the Spark engine needs Java 17 or 21 (on Debian: default-jre-headless)")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    driver = memory.lower().replace("gb", "g").replace("mb", "m")
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.session.timeZone": "UTC",
        # Partition values stay text ('2022-01'), as DuckDB reads them; the expression casts.
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.driver.memory": driver,
        **conf,
    }
    builder = SparkSession.builder.master(master).appName("vrukit")
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session

"""Where analysis data are kept: the warehouse (one DuckDB file, through Ibis), the partitioned
Parquet lake, the engines that run the relational steps (DuckDB or Spark) and those steps
themselves (``relational``), and the ingest reports they return (``reports``).

Modules are imported by name (``from vrukit.store.warehouse import Warehouse``): importing the
package loads no database driver.
"""

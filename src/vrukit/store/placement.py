"""Placing police.uk records in the loaded areas of one LSOA vintage by their map points, when
they were published on codes of the other vintage (``vrukit build``'s conversion)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis.expr.types as ir
import pandas as pd

if TYPE_CHECKING:
    from vrukit.store.warehouse import Warehouse

__all__ = ["known_codes", "place_by_point"]


def known_codes(wh: Warehouse, vintage: int) -> ir.Table:
    """The LSOA codes known to be of ``vintage``: its areas, and the codes of the population
    and deprivation loaded for it (national files list every code of their vintage)."""
    a, p, d = wh.table("areas"), wh.table("population"), wh.table("deprivation")
    edition = {2011: "IoD2019", 2021: "IoD2025"}.get(vintage, "")
    return (
        a.filter(a.vintage == vintage).select("lsoa_code")
        .union(p.filter(p.vintage == vintage).select("lsoa_code"))
        .union(d.filter(d.edition == edition).select("lsoa_code"))
    )  # fmt: skip


def place_by_point(wh: Warehouse, vintage: int) -> pd.DataFrame:
    """Convert crimes published on LSOA codes of the other vintage to the loaded areas of
    ``vintage`` by their map point - police.uk's own rule, an LSOA being where the record's
    snap point lies - keeping the published code in ``lsoa_published``. A code is of the
    other vintage when neither the areas, nor the population or deprivation loaded for
    ``vintage`` (national files: every code of it), know it; a code of ``vintage`` outside
    the areas is over the border and stays. Returns the crimes converted per file
    (``source_file``, ``converted``)."""
    c = wh.table("crimes")
    todo = c.filter(c.lsoa_code.notnull() & c.longitude.notnull() & c.latitude.notnull())
    todo = todo.anti_join(known_codes(wh, vintage), "lsoa_code")
    todo = todo.select("ingest_id", "source_file", "source_line", "longitude", "latitude")
    frame = todo.to_pandas()
    if frame.empty:
        return pd.DataFrame({"source_file": [], "converted": []})
    placed = wh.lsoa_at(frame.longitude, frame.latitude, vintage=vintage)
    frame = frame.assign(
        lsoa_code=placed.lsoa_code.to_numpy(), lsoa_name=placed.lsoa_name.to_numpy()
    )
    frame = frame[frame.lsoa_code.notna()]
    if frame.empty:
        return pd.DataFrame({"source_file": [], "converted": []})
    cols = ["ingest_id", "source_line", "lsoa_code", "lsoa_name"]
    typed = frame[cols].astype({"lsoa_code": "string", "lsoa_name": "string"})
    wh.con.create_table("_placed", typed, temp=True, overwrite=True)
    wh.con.raw_sql(
        "UPDATE crimes SET lsoa_published = crimes.lsoa_code, lsoa_code = p.lsoa_code, "
        "lsoa_name = p.lsoa_name FROM _placed p WHERE crimes.ingest_id = p.ingest_id "
        "AND crimes.source_line = p.source_line"
    )
    wh.refresh_lsoa_flags()
    return frame.groupby("source_file").size().rename("converted").reset_index()

"""Column contracts and settings are declared once, and the docs are generated from them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vrukit.errors import SchemaError, VrukitError
from vrukit.schemas import CRIMES, TABLES, data_model_markdown, validate_frame
from vrukit.settings import Settings, settings_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_data_model_doc_matches_the_code():
    assert (DOCS / "data-model.md").read_text() == data_model_markdown(), (
        "run: python -m vrukit.schemas > docs/data-model.md"
    )


def test_settings_doc_lists_every_setting():
    text = (DOCS / "settings.md").read_text()
    assert text == settings_markdown(), "run: python -m vrukit.settings > docs/settings.md"
    for name in Settings.model_fields:
        assert f"`VRUKIT_{name.upper()}`" in text


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VRUKIT_DB", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("VRUKIT_BATCH_ROWS", "1234")
    s = Settings()
    assert s.db == tmp_path / "x.duckdb" and s.batch_rows == 1234


def test_crimes_columns_are_fixed():
    assert CRIMES.names == [
        "crime_id",
        "month",
        "force",
        "reported_by",
        "falls_within",
        "longitude",
        "latitude",
        "location",
        "lsoa_code",
        "lsoa_name",
        "crime_type",
        "last_outcome",
        "context",
        "no_crime_id",
        "no_location",
        "lsoa_unknown",
        "source_file",
        "source_line",
        "ingest_id",
        "lsoa_published",  # added last (issue 28): older warehouses gain it on open
    ]


def test_validate_frame_names_the_wrong_columns():
    frame = pd.DataFrame({"lsoa_code": ["E01000001"], "oops": [1]})
    with pytest.raises(SchemaError, match=r"missing \[.*'vintage'.*\], unexpected \['oops'\]") as e:
        validate_frame(frame, "areas", where="boundaries.geojson")
    assert isinstance(e.value, VrukitError) and isinstance(e.value, ValueError)


def test_validate_frame_rejects_null_keys():
    cols = {c: [None] for c in TABLES["population"].names}
    with pytest.raises(SchemaError, match="'lsoa_code' of 'population' has 1 NULL"):
        validate_frame(pd.DataFrame(cols), "population")


def test_the_duckdb_compatibility_aliases_are_still_needed():
    """vrukit.store._duckdb_compat gives Ibis 12 the two connection methods DuckDB 2 removed.
    When an Ibis release stops calling them (ibis-project/ibis#12001), this fails: remove the
    module and its imports, and raise the Ibis floor in pyproject."""
    import inspect

    import ibis
    import ibis.backends.duckdb as backend

    from vrukit.store import _duckdb_compat

    source = inspect.getsource(backend)
    calls = [name for name in ("fetch_arrow_table", "fetch_record_batch") if name in source]
    assert calls, f"Ibis {ibis.__version__} no longer calls the removed methods: drop the aliases"
    assert set(calls) <= set(_duckdb_compat._ALIASES)
    # the aliases do what Ibis expects of them, on this DuckDB
    con = ibis.duckdb.connect()
    assert con.execute(ibis.memtable({"a": [1, 2, 3]}).a.sum()) == 6
    batches = con.con.execute("SELECT range AS x FROM range(5)").fetch_record_batch(2)
    assert sum(len(b) for b in batches) == 5

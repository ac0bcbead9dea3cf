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

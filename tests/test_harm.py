"""Harm tables: shipped ones are complete and sourced; user tables are checked line by line."""

from __future__ import annotations

import pandas as pd
import pytest

from vrukit.analysis.harm import BUILTIN_TABLES, harm_weighted, load_harm_table
from vrukit.errors import InputFileError, SchemaError
from vrukit.schemas import CRIME_TYPES


@pytest.mark.parametrize("name", sorted(BUILTIN_TABLES))
def test_shipped_tables_cover_every_type_and_say_where_from(name):
    t = load_harm_table(name)
    assert set(t.weights) == set(CRIME_TYPES)
    assert t.edition and t.source and "NOT" in t.approximation and t.unit
    assert all(t.notes[c] for c in CRIME_TYPES)
    assert t.weights["Anti-social behaviour"] == 0
    assert t.weights["Robbery"] > t.weights["Shoplifting"]


def test_user_table_and_its_errors(tmp_path):
    good = tmp_path / "mine.csv"
    good.write_text("crime_type,weight\nRobbery,10\nDrugs,2.5\n")
    t = load_harm_table(good)
    out = harm_weighted(pd.DataFrame({"crime_type": ["Robbery", "Drugs"], "count": [3, 2]}), t)
    assert out.harm.tolist() == [30.0, 5.0]
    with pytest.raises(SchemaError, match="no weight for 'Burglary'"):
        harm_weighted(pd.DataFrame({"crime_type": ["Burglary"], "count": [1]}), t)
    bad = tmp_path / "bad.csv"
    bad.write_text("crime_type,weight\nRobbery,10\nDrugs,lots\n")
    with pytest.raises(InputFileError, match="line 3") as e:
        load_harm_table(bad)
    assert e.value.column == "weight" and e.value.value == "lots"
    odd = tmp_path / "odd.csv"
    odd.write_text("crime_type,weight\nKnife crime,10\n")
    with pytest.raises(InputFileError, match=r"'Knife crime' is not a police\.uk category"):
        load_harm_table(odd)
    with pytest.raises(SchemaError, match="neither a shipped table"):
        load_harm_table(tmp_path / "missing.csv")

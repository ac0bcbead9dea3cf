"""Reading a VRU's own indicator and pilot files: numbers in, clear errors out."""

from __future__ import annotations

import numpy as np
import pytest

from vrukit.errors import InputFileError, SchemaError
from vrukit.ingest.indicators import read_indicators, read_pilots

GOOD = "area_code,exclusions,admissions\nE01006412,3.5,*\nE01006413,,12\nE01006414,0,4\n"


def test_numbers_and_suppression_marks_are_read(tmp_path):
    p = tmp_path / "ind.csv"
    p.write_text(GOOD)
    out = read_indicators(p)
    assert list(out.columns) == ["area_code", "exclusions", "admissions"]
    assert out.exclusions.tolist()[0] == 3.5 and np.isnan(out.exclusions[1])
    assert np.isnan(out.admissions[0]) and out.admissions[1] == 12


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (GOOD.replace(",0,4", ",zero,4"), "line 4: expected a number"),
        (GOOD.replace("E01006414", "E0100641"), "line 4: expected an LSOA code"),
        (GOOD.replace("E01006414", "E01006412"), "line 4: each area may appear once"),
        (GOOD.replace("area_code", "ward"), "no area code column"),
        ("area_code\nE01006412\n", "no indicator column"),
    ],
)
def test_one_defect_each_is_named(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(SchemaError, match=match) as e:
        read_indicators(p)
    assert str(p) in str(e.value)


def test_pilots_long_format_and_errors(tmp_path):
    p = tmp_path / "pilots.csv"
    p.write_text("pilot_name,lsoa_code\nNorth,E01006412\nNorth,E01006413\nSouth,E01006412\n")
    out = read_pilots(p)
    assert list(out.columns) == ["pilot", "area_code"] and len(out) == 3
    p.write_text("pilot,area_code\n,E01006412\n")
    with pytest.raises(SchemaError, match="line 2: a pilot needs a name"):
        read_pilots(p)
    p.write_text("pilot,area_code\nNorth,X1\n")
    with pytest.raises(SchemaError, match="line 2: expected an LSOA code"):
        read_pilots(p)
    p.write_text("name,area_code\nNorth,E01006412\n")
    with pytest.raises(SchemaError, match="no pilot name column"):
        read_pilots(p)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        read_indicators(tmp_path / "nowhere.csv")

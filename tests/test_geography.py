"""LSOA 2011-2021 lookup (derived and published), best fit and rollups."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import shared_path
from vrukit.analysis import best_fit, rollup
from vrukit.errors import SchemaError
from vrukit.ingest.geography import derive_lsoa_lookup, read_area_lookup, read_lsoa_lookup
from vrukit.ingest.reference import read_boundaries
from vrukit.store.warehouse import Warehouse


@pytest.fixture(scope="module")
def wm():
    a = read_boundaries(
        shared_path("geography", "lsoa11_boundaries_bgc_west-midlands_E47000007.geojson")
    )
    b = read_boundaries(
        shared_path("geography", "lsoa21_boundaries_bgc_west-midlands_E47000007.geojson")
    )
    return a, b, derive_lsoa_lookup(a, b)


def test_derived_lookup_covers_both_vintages(wm):
    a, b, lk = wm
    assert set(lk.lsoa11_code) == set(a.lsoa_code) and len(a) == 1680
    assert set(lk.lsoa21_code) == set(b.lsoa_code) and len(b) == 1719
    assert lk.groupby("lsoa11_code").weight.sum().round(9).eq(1).all()
    unchanged = lk[lk.change == "U"]
    # ONS keeps the code of an unchanged LSOA: planted truth in the real data
    assert (unchanged.lsoa11_code == unchanged.lsoa21_code).mean() > 0.99
    split = lk[lk.change == "S"]
    assert len(split) and (split.lsoa11_code != split.lsoa21_code).any()


def test_warehouse_derives_and_stores_the_lookup(wm, tmp_path):
    _, _, lk = wm
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for vintage in ("lsoa11", "lsoa21"):
            p = shared_path(
                "geography", f"{vintage}_boundaries_bgc_west-midlands_E47000007.geojson"
            )
            wh.load_reference("boundaries", read_boundaries(p), table="areas", source=p)
        assert wh.derive_lsoa_lookup() == len(lk)
        assert wh.counts()["lsoa_lookup"] == len(lk)


@given(st.lists(st.integers(0, 50), min_size=20, max_size=20))
def test_best_fit_preserves_totals(values):
    lookup = pd.DataFrame(
        {
            "lsoa11_code": [f"A{i}" for i in range(20)] + ["A0", "A1"],
            "lsoa21_code": [f"B{i}" for i in range(20)] + ["B20", "B21"],
            "weight": [0.5, 0.3] + [1.0] * 18 + [0.5, 0.7],
        }
    )
    counts = pd.DataFrame({"lsoa_code": [f"A{i}" for i in range(20)], "n": values})
    out = best_fit(counts, lookup, values=["n"])
    assert out.n.sum() == pytest.approx(sum(values))
    assert out.attrs["unmatched"].empty


def test_rollup_to_local_authority_and_unknown_codes():
    areas = pd.DataFrame(
        {
            "lsoa_code": ["L1", "L2", "L3"],
            "lad_code": ["X", "X", "Y"],
            "lad_name": ["Ex", "Ex", "Why"],
        }
    )
    counts = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3"], "n": [1, 2, 4]})
    out = rollup(counts, areas, level="lad", values=["n"])
    assert out.to_dict("list") == {"lad_code": ["X", "Y"], "lad_name": ["Ex", "Why"], "n": [3, 4]}
    with pytest.raises(SchemaError, match=r"1 LSOA code.*'L9'"):
        rollup(pd.DataFrame({"lsoa_code": ["L9"], "n": [1]}), areas, values=["n"])


def test_ons_lookup_reader(tmp_path):
    p = tmp_path / "lk.csv"
    p.write_text("LSOA11CD,LSOA21CD,CHGIND\nE1,E1,U\nE2,E5,S\nE2,E6,S\n")
    lk = read_lsoa_lookup(p)
    assert list(lk.weight) == [1.0, 0.5, 0.5] and set(lk.method) == {"ons"}
    p.write_text("LSOA11CD,LSOA21CD,CHGIND\nE1,E1,Q\n")
    with pytest.raises(SchemaError, match=r"lk.csv line 2: CHGIND is 'Q', expected U, S, M or X"):
        read_lsoa_lookup(p)


def test_oa_lookup_gives_msoa_and_la():
    p = shared_path(
        "geography",
        "OA11_LSOA11_MSOA11_LAD17_RGN11_lookup_with_OAC_fe6c55f0924b4734adf1cf7104a0173e_0.csv.gz",
    )
    lk = read_area_lookup(p).set_index("lsoa_code")
    assert lk.loc["E01011966", "msoa_code"] == "E02002488"
    assert lk.loc["E01011966", "lad_name"] == "Hartlepool"
    assert lk.index.str.startswith("E01").sum() == 32_844

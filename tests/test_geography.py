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


def test_population_converts_between_vintages_keeping_every_resident():
    """2011 to 2021 and back through a hand-made lookup: U carries over, a split shares by
    weight with largest-remainder rounding (whole residents, each source area's total kept),
    a merge adds up, and 2011 -> 2021 -> 2011 gives the 2011 figures back."""
    from vrukit.ingest.vintage import convert_population

    lookup = pd.DataFrame(
        {
            "lsoa11_code": ["A", "B", "B", "B", "C", "D"],
            "lsoa21_code": ["A", "B1", "B2", "B3", "CD", "CD"],
            "change": ["U", "S", "S", "S", "M", "M"],
            "weight": [1.0, 0.5, 0.3, 0.2, 1.0, 1.0],
        }
    )
    pop11 = pd.DataFrame(
        {
            "lsoa_code": ["A", "B", "C", "D", "E", "B"],
            "vintage": 2011,
            "year": [2019, 2019, 2019, 2019, 2019, 2019],
            "age_band": ["all", "all", "all", "all", "all", "10-17"],
            "residents": [1500, 1001, 700, 800, 999, 7],
            "source": "mid2019:x.csv",
        }
    ).astype({"vintage": "int32", "year": "int32", "residents": "int64"})
    to21 = convert_population(pop11, lookup, to=2021)
    got = to21.set_index(["lsoa_code", "age_band"]).residents.to_dict()
    # 1001 x (.5, .3, .2) = 500.5, 300.3, 200.2: floors 500+300+200, the one left to B1
    assert got == {
        ("A", "all"): 1500, ("B1", "all"): 501, ("B2", "all"): 300, ("B3", "all"): 200,
        ("CD", "all"): 1500, ("B1", "10-17"): 4, ("B2", "10-17"): 2, ("B3", "10-17"): 1,
    }  # fmt: skip
    assert (to21.vintage == 2021).all() and to21.residents.dtype == "int64"
    assert (
        to21.attrs["rows_in"] == 5
        and "1 codes not in the lookup left out" in (to21.attrs["message"])
    )
    back = convert_population(to21, lookup, to=2011).set_index(["lsoa_code", "age_band"])
    # B comes back whole; the merged CD is shared equally between C and D (ONS gives no weights)
    assert back.residents.to_dict() == {
        ("A", "all"): 1500, ("B", "all"): 1001, ("C", "all"): 750, ("D", "all"): 750,
        ("B", "10-17"): 7,
    }  # fmt: skip
    assert back.source.str.endswith("(converted to LSOA 2011)").all()


def test_real_wards_are_found_for_the_real_lsoas_they_hold():
    """Issue 32, item 1 on real files: the West Midlands' 192 wards (2025) and its LSOAs
    (2021): the maps' search gets a ward for nearly every area's inside point."""
    from types import SimpleNamespace

    from vrukit.ingest.reference import read_boundaries, read_wards
    from vrukit.publish.site import _wards

    wards_file = shared_path("geography", "ward_boundaries_west-midlands_E47000007.geojson")
    lsoas_file = shared_path("geography", "lsoa21_boundaries_bgc_west-midlands_E47000007.geojson")
    wards = read_wards(wards_file)
    assert len(wards) == 192 and wards.ward_name.str.len().min() > 0
    areas = read_boundaries(lsoas_file)
    found = _wards(SimpleNamespace(wards=wards), list(areas.geometry_wkb))
    assert len(found) >= 185  # a ward or two may hold no LSOA's inside point
    bablake = next(w for w in found if w["name"] == "Bablake")
    west, south, east, north = bablake["box"]
    assert -1.7 < west < east < -1.4 and 52.3 < south < north < 52.5  # Coventry, WGS84


def test_a_postcode_lookup_keeps_the_live_postcodes_of_the_areas(tmp_path):
    """ONSPD's own columns: a terminated postcode, one with no grid reference (99.999999) and
    one of an area outside the site are left out; postcodes come out in one spelling."""
    from vrukit.ingest.reference import read_postcodes

    path = tmp_path / "ONSPD_sample.csv"
    path.write_text(
        "pcd,pcd2,pcds,dointr,doterm,lsoa21,lat,long\n"
        "B1  1AA,B1   1AA,B1 1AA,198001,,E01033620,52.480,-1.903\n"
        "B1  1AB,B1   1AB,B1 1AB,198001,202106,E01033620,52.481,-1.904\n"
        "B1  1AD,B1   1AD,b11ad,198001,,E01033620,99.999999,0.000000\n"
        "CV1 2AA,CV1  2AA,CV1 2AA,198001,,E01009999,52.408,-1.510\n"
        "B151TT,B15  1TT,B15 1TT,198001,,E01033620,52.470,-1.930\n"
    )
    out = read_postcodes(path, {"E01033620"})
    assert list(out.postcode) == ["B1 1AA", "B15 1TT"]
    assert list(out.columns) == ["postcode", "lsoa_code", "lat", "lon"]
    bad = tmp_path / "no_lsoa.csv"
    bad.write_text("pcds,lat,long\nB1 1AA,52.4,-1.9\n")
    with pytest.raises(SchemaError, match="lsoa_code column"):
        read_postcodes(bad, {"E01033620"})

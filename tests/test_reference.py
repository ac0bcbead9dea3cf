"""Reference loaders on the real shared files, and their header errors."""

from __future__ import annotations

import pytest

from conftest import shared_path
from vrukit.errors import SchemaError
from vrukit.ingest.reference import read_boundaries, read_iod, read_population
from vrukit.store.warehouse import Warehouse


def test_iod_files_2_and_6_together():
    f2 = shared_path("imd2019", "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz")
    f6 = shared_path("imd2019", "File_6_-_IoD2019_Population_Denominators.csv.gz")
    d = read_iod([f2, f6]).set_index("lsoa_code")
    assert len(d) == 32_844
    row = d.loc["E01000001"]
    assert (row.imd_rank, row.imd_decile, row.living_environment_rank) == (29199, 9, 7789)
    assert row.denominator_total == 1296, "thousands separators are parsed"
    assert d.imd_score.isna().all(), "File 2 has no scores: NULL, not invented"


def test_iod_file_1_xlsx():
    f1 = shared_path("imd2019", "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx")
    d = read_iod([f1]).set_index("lsoa_code")
    assert len(d) == 32_844 and d.loc["E01000003", "imd_rank"] == 14915


def test_iod_wrong_column_is_named(tmp_path):
    bad = tmp_path / "iod.csv"
    bad.write_text("LSOA code (2011),IMD Rnak\nE01000001,1\n")
    with pytest.raises(
        SchemaError, match=r"iod.csv line 1: column 'IMD Rnak' is not an IoD2019 column"
    ):
        read_iod([bad])


def test_iod_bad_number_is_located(tmp_path):
    bad = tmp_path / "iod.csv"
    bad.write_text(
        "LSOA code (2011),Income Rank (where 1 is most deprived)\nE01000001,1\nE01000002,n/a\n"
    )
    with pytest.raises(SchemaError, match=r"line 3: 'income_rank' is 'n/a', expected a number"):
        read_iod([bad])


def test_boundaries_to_british_national_grid():
    p = shared_path("geography", "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson")
    a = read_boundaries(p)
    assert len(a) == 989 and set(a.vintage) == {2011}
    assert a.lad_code.str.startswith("E0").all()
    # Liverpool City Region: Southport to Halton, Wirral to St Helens
    assert a.centroid_easting.between(320_000, 370_000).all()
    assert a.centroid_northing.between(370_000, 430_000).all()
    assert a.centroid_lat.between(53.2, 53.8).all() and a.centroid_lon.between(-3.3, -2.5).all()


def test_boundaries_without_lsoa_code(tmp_path):
    p = tmp_path / "b.geojson"
    p.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"CODE":"E01000001"},"geometry":{"type":"Point","coordinates":[0,51]}}]}'
    )
    with pytest.raises(SchemaError, match=r"b.geojson: no LSOA code .* among \['CODE'\]"):
        read_boundaries(p)


def test_population_ts001_and_mid2019():
    ts = read_population(shared_path("population", "TS001_usual_residents_LSOA2021.csv"))
    assert len(ts) == 35_672 and set(ts.vintage) == {2021}
    mid = read_population(
        shared_path("population", "uk_lsoa_dz_soa_population_mid2019_mysociety.csv")
    )
    assert mid.set_index("lsoa_code").loc["E01011949", "residents"] == 1954


def test_reference_reload_is_idempotent(tmp_path):
    p = shared_path("geography", "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.load_reference("boundaries", read_boundaries(p), table="areas", source=p)
        before = wh.counts()
        wh.load_reference("boundaries", read_boundaries(p), table="areas", source=p)
        assert wh.counts() == before

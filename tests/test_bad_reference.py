"""Hand-made bad reference files, as real downloads break: invalid polygons are repaired and
listed, a truncated file or a file of the other LSOA vintage is refused with its name and the
cure, and nothing loaded before is lost. Plus IoD2025 beside IoD2019, and strict JSON out."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from conftest import shared_path
from vrukit.cli import app
from vrukit.errors import InputFileError, SchemaError
from vrukit.ingest.reference import read_boundaries, read_iod, read_population
from vrukit.jsonio import dumps
from vrukit.store.warehouse import Warehouse

runner = CliRunner()

# three small squares in Liverpool (WGS84), 0.01 degrees apart
X0, Y0, D = -2.98, 53.40, 0.004


def _square(i: int, size: float = D) -> list[list[float]]:
    x, y = X0 + i * 0.01, Y0
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def _bow_tie(i: int) -> list[list[float]]:
    x, y = X0 + i * 0.01, Y0
    return [[x, y], [x + D, y + D], [x + D, y], [x, y + D], [x, y]]


def _nested(i: int) -> list[list[list[list[float]]]]:
    """A MultiPolygon whose second shell lies inside the first (as in an ONS BGC file)."""
    outer = _square(i)
    x, y = X0 + i * 0.01 + D / 4, Y0 + D / 4
    inner = [[x, y], [x + D / 4, y], [x + D / 4, y + D / 4], [x, y + D / 4], [x, y]]
    return [[outer], [inner]]


def _feature(code: str, geometry: dict) -> dict:
    props = {"LSOA11CD": code, "LSOA11NM": f"Area {code}", "LAD11CD": "E08000012",
             "LAD11NM": "Liverpool"}  # fmt: skip
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _boundaries(path, *, bad: bool = True):
    feats = [_feature("E01000001", {"type": "Polygon", "coordinates": [_square(0)]})]
    if bad:
        feats += [
            _feature("E01000002", {"type": "Polygon", "coordinates": [_bow_tie(1)]}),
            _feature("E01000003", {"type": "MultiPolygon", "coordinates": _nested(2)}),
        ]
    else:
        feats += [
            _feature("E01000002", {"type": "Polygon", "coordinates": [_square(1)]}),
            _feature("E01000003", {"type": "Polygon", "coordinates": [_square(2)]}),
        ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_invalid_polygons_are_repaired_and_listed(tmp_path):
    raw = [shapely.Polygon(_bow_tie(1)), shapely.MultiPolygon([shapely.Polygon(p[0]) for p in
                                                               _nested(2)])]  # fmt: skip
    assert not any(g.is_valid for g in raw), "the fixtures are invalid to begin with"
    a = read_boundaries(_boundaries(tmp_path / "b.geojson"))
    geoms = shapely.from_wkb(a.geometry_wkb.to_numpy())
    assert shapely.is_valid(geoms).all() and len(a) == 3
    repairs = {r["lsoa_code"]: r for r in a.attrs["repairs"]}
    assert set(repairs) == {"E01000002", "E01000003"}
    assert repairs["E01000002"]["reason"].startswith("Self-intersection")
    assert repairs["E01000003"]["reason"].startswith("Nested shells")
    # the bow-tie keeps both triangles (half the square); the nested shell stays land: the
    # outer square's area, not the square with a hole
    square = shapely.area(geoms[0])
    assert shapely.area(geoms[1]) == pytest.approx(square / 2, rel=0.02)
    assert shapely.area(geoms[2]) == pytest.approx(square, rel=0.02)


def test_repairs_reach_the_ingest_log_and_the_analysis_runs(tmp_path):
    from vrukit.analysis.hexes import region_cells

    db = tmp_path / "w.duckdb"
    res = runner.invoke(app, ["ingest", "boundaries", str(_boundaries(tmp_path / "b.geojson")),
                              "--db", str(db)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "2 invalid polygon(s) mended on load" in res.output and "E01000003" in res.output
    with Warehouse(db) as wh:
        log = wh.table("ingest_log").to_pandas()
        geoms = shapely.from_wkb(wh.table("areas").to_pandas().geometry_wkb.to_numpy())
    assert "repaired 2 invalid polygon(s): E01000002 (Self-intersection" in log.message.iloc[0]
    assert len(region_cells(geoms, 10)) > 0, "the hexagon cover, which crashed, now runs"


def test_a_truncated_geojson_is_refused_and_nothing_is_lost(tmp_path):
    db = tmp_path / "w.duckdb"
    good = _boundaries(tmp_path / "good.geojson", bad=False)
    assert runner.invoke(app, ["ingest", "boundaries", str(good), "--db", str(db)]).exit_code == 0
    cut = tmp_path / "cut.geojson"
    text = good.read_text()
    cut.write_text(text[: len(text) // 2])
    res = runner.invoke(app, ["ingest", "boundaries", str(cut), "--db", str(db)])
    assert res.exit_code != 0 and isinstance(res.exception, InputFileError), res.output
    assert "cut.geojson" in str(res.exception) and "truncated" in str(res.exception)
    with Warehouse(db) as wh:
        assert wh.counts()["areas"] == 3


def test_reloading_boundaries_keeps_the_rollups(tmp_path):
    p = _boundaries(tmp_path / "b.geojson", bad=False)
    frame = read_boundaries(p)
    frame = frame.assign(msoa_code=None, lad_code=None, lad_name=None)  # as LSOA 2011 BGC files
    lookup = pd.DataFrame({
        "lsoa_code": ["E01000001", "E01000002", "E01000003"], "msoa_code": ["E02000001"] * 3,
        "msoa_name": ["Liverpool 001"] * 3, "lad_code": ["E08000012"] * 3,
        "lad_name": ["Liverpool"] * 3,
    })  # fmt: skip
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.load_reference("boundaries", frame, table="areas", source=p)
        wh.apply_area_lookup(lookup, source=p)
        wh.load_reference("boundaries", frame, table="areas", source=p)
        areas = wh.table("areas").to_pandas()
        kinds = set(wh.table("ingest_log").to_pandas().kind)
    assert areas.lad_code.eq("E08000012").all() and areas.msoa_code.eq("E02000001").all()
    assert {"boundaries", "rollups"} <= kinds, "loading rollups is logged"


def test_population_of_the_other_vintage_is_refused(tmp_path):
    p = _boundaries(tmp_path / "b.geojson", bad=False)
    ts001 = tmp_path / "TS001.csv"  # Census 2021: LSOA 2021
    ts001.write_text("total,LSOA21NM,mnemonic\n1500,A,E01000001\n1600,B,E01000002\n"
                     "1700,C,E01000003\n")  # fmt: skip
    mid = tmp_path / "mid2019.csv"  # LSOA 2011, one area missing
    mid.write_text("lsoa,pop\nE01000001,1400\nE01000002,1450\n")
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        wh.load_reference("boundaries", read_boundaries(p), table="areas", source=p)
        wh.load_reference("population", read_population(mid), table="population", source=mid)
    res = runner.invoke(app, ["ingest", "population", str(ts001), "--db", str(db)])
    assert res.exit_code != 0 and isinstance(res.exception, InputFileError), res.output
    said = str(res.exception)
    assert "TS001.csv" in said and "LSOA 2021 codes" in said and "boundaries are LSOA 2011" in said
    with Warehouse(db) as wh:
        pop = wh.table("population").to_pandas()
        log = wh.table("ingest_log").to_pandas().set_index("source_key")
    assert sorted(pop.residents) == [1400, 1450], "nothing loaded before is lost"
    assert (
        "1 of 3 loaded LSOA 2011 areas have no row in this file: E01000003"
        in (log.loc["mid2019.csv", "message"])
    )
    assert "`vrukit ingest lookup FILE`" in said, "the refusal names the command that converts"
    # with ONS's change lookup loaded, the same file is converted: E01000003 (2011) was split
    # into two 2021 areas, one of which (E01000002 here, for the test) is also another's part
    lookup = tmp_path / "LSOA11_LSOA21.csv"
    lookup.write_text(
        "LSOA11CD,LSOA21CD,CHGIND\nE01000001,E01000001,U\n"
        "E01000002,E01000002,M\nE01000003,E01000002,M\n"
    )
    res = runner.invoke(app, ["ingest", "lookup", str(lookup), "--db", str(db)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["ingest", "population", str(ts001), "--db", str(db)])
    assert res.exit_code == 0, res.output
    with Warehouse(db) as wh:
        pop = wh.table("population").to_pandas()
        areas = wh.table("areas").to_pandas().set_index("lsoa_code")
        log = wh.table("ingest_log").to_pandas().set_index("source_key")
    census = pop[pop.year == 2021].set_index("lsoa_code").residents
    # U carries over; the merged 2021 area's 1600 is shared equally by its two 2011 parts;
    # E01000003 (2021) is in no lookup row and is left out, counted
    assert census.to_dict() == {"E01000001": 1500, "E01000002": 800, "E01000003": 800}
    assert areas.population.to_dict() == {"E01000001": 1500, "E01000002": 800, "E01000003": 800}
    row = log.loc["TS001.csv"]
    assert (row.rows_read, row.rows_accepted, row.rows_quarantined) == (3, 2, 1)
    assert "converted from LSOA 2021 to LSOA 2011 through the change lookup" in row.message
    assert "1 codes not in the lookup left out" in row.message


def test_deprivation_with_unknown_or_welsh_codes(tmp_path):
    bad = tmp_path / "iod.csv"
    bad.write_text("LSOA code (2011),Income Rank (where 1 is most deprived)\nE01000001,1\n"
                   "LSOA-X,2\n")  # fmt: skip
    with pytest.raises(SchemaError, match=r"iod.csv line 3: .*'LSOA-X', expected a code like"):
        read_iod([bad])
    welsh = tmp_path / "iod_w.csv"
    welsh.write_text("LSOA code (2011),Income Rank (where 1 is most deprived)\n"
                     "W01000001,1\nW01000002,2\n")  # fmt: skip
    p = _boundaries(tmp_path / "b.geojson", bad=False)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.load_reference("boundaries", read_boundaries(p), table="areas", source=p)
        with pytest.raises(InputFileError, match=r"only 0 of the 3 loaded LSOA 2011 areas"):
            wh.load_reference("iod2019", read_iod([welsh]), table="deprivation", source=welsh)
        assert wh.counts()["deprivation"] == 0


def test_iod2025_loads_beside_iod2019(tmp_path):
    f1 = shared_path("deprivation", "iod2025", "File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx")
    scores = shared_path("deprivation", "iod2025", "imd2025_england_lsoa21_humaniverse.csv.gz")
    f19 = shared_path("imd2019", "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx")
    d25 = read_iod([f1, scores])
    assert len(d25) == 33_755 and set(d25.edition) == {"IoD2025"}
    row = d25.set_index("lsoa_code").loc["E01000001"]
    assert (row.imd_rank, row.imd_decile, row.lsoa_name) == (26525, 8, "City of London 001A")
    assert row.income_score == pytest.approx(0.013)
    with pytest.raises(SchemaError, match="load one edition at a time"):
        read_iod([f19, f1])
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.load_reference("iod2019", read_iod([f19]), table="deprivation", source=f19)
        wh.load_reference("iod2025", d25, table="deprivation", source=scores)
        d = wh.table("deprivation").to_pandas()
        log = wh.table("ingest_log").to_pandas()
    assert d.groupby("edition").size().to_dict() == {"IoD2019": 32_844, "IoD2025": 33_755}
    assert set(log.source_key) >= {f1.name, scores.name, f19.name}, "one log row per file"


def test_an_old_warehouse_gains_the_edition_column(tmp_path):
    import duckdb

    from vrukit.schemas import DEPRIVATION, Table

    db = tmp_path / "old.duckdb"
    with Warehouse(db):
        pass
    old = Table("deprivation", "", DEPRIVATION.columns[:-1], key=("lsoa_code",))
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE deprivation")
    con.execute(old.ddl())
    con.execute("INSERT INTO deprivation (lsoa_code, imd_rank, source) VALUES "
                "('E01000001', 29199, 'File_1')")  # fmt: skip
    con.close()
    f1 = shared_path("deprivation", "iod2025", "File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx")
    with Warehouse(db) as wh:
        assert "edition" in wh.table("deprivation").columns
        wh.load_reference("iod2025", read_iod([f1]), table="deprivation", source=f1)
        d = wh.table("deprivation").to_pandas().set_index(["lsoa_code", "edition"])
    assert d.loc[("E01000001", "IoD2019"), "imd_rank"] == 29199, "the old rows are kept"
    assert d.loc[("E01000001", "IoD2025"), "imd_rank"] == 26525


def test_an_old_warehouse_gains_the_published_lsoa_column(tmp_path):
    """Crimes loaded before ``lsoa_published`` existed keep their rows; the column is added."""
    import duckdb

    db = tmp_path / "old.duckdb"
    with Warehouse(db):
        pass
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE crimes DROP COLUMN lsoa_published")
    con.close()
    with Warehouse(db, read_only=True) as wh:  # as `vrukit sna` opens it: upgraded first
        assert wh.table("crimes").columns[-1] == "lsoa_published"


def test_json_out_is_strict():
    text = dumps({"rate": float("nan"), "ratio": float("inf"), "n": [1.5, float("-inf")]})
    parsed = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-finite {c}"))
    assert parsed == {"rate": None, "ratio": None, "n": [1.5, None]}
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in parsed["n"] if v)


def test_the_2021_formats_a_newcomer_downloads(tmp_path):
    """IoD2025 File 7 (its 2025 denominators and any column a new edition adds), Nomis's bulk
    TS001 file and ONS's OA21-LSOA21-MSOA21-LAD22 lookup are read and recognised."""
    from vrukit.ingest.geography import read_area_lookup
    from vrukit.ingest.recognise import recognise

    f7 = tmp_path / "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"
    f7.write_text(
        "LSOA code (2021),LSOA name (2021),Local Authority District code (2024),"
        "Local Authority District name (2024),Index of Multiple Deprivation (IMD) Score,"
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
        "Income Score (rate),Total population: mid 2022 (excluding prisoners),"
        "Working age population 18-66 (for use with Employment Deprivation Domain) "
        "(excluding prisoners),A column added in 2025\n"
        'E01000001,City of London 001A,E09000001,City of London,8.7,26525,0.013,"1,612",1100,x\n'
    )
    d = read_iod([f7]).iloc[0]
    assert (d.edition, d.imd_rank, d.denominator_total, d.denominator_working_age) == (
        "IoD2025", 26525, 1612, 1100)  # fmt: skip
    assert recognise(f7).vintage == 2021
    bulk = tmp_path / "census2021-ts001-lsoa.csv"
    bulk.write_text(
        "date,geography,geography code,Residence type: Total; measures: Value,"
        "Residence type: Lives in a household; measures: Value\n"
        "2021,City of London 001A,E01000001,1473,1465\n"
    )
    p = read_population(bulk)
    assert (p.residents.item(), p.vintage.item()) == (1473, 2021)
    assert recognise(bulk).kind == "population"
    oa21 = tmp_path / "OA21_LSOA21_MSOA21_LAD22_EW_LU.csv"
    oa21.write_text(
        "OA21CD,LSOA21CD,LSOA21NM,MSOA21CD,MSOA21NM,LAD22CD,LAD22NM\n"
        "E00000001,E01000001,City of London 001A,E02000001,City of London 001,E09000001,"
        "City of London\n"
        "E00000003,E01000001,City of London 001A,E02000001,City of London 001,E09000001,"
        "City of London\n"
    )
    lk = read_area_lookup(oa21)
    assert lk.attrs["vintage"] == 2021 and lk.to_dict("records") == [{
        "lsoa_code": "E01000001", "msoa_code": "E02000001", "msoa_name": "City of London 001",
        "lad_code": "E09000001", "lad_name": "City of London"}]  # fmt: skip
    assert (recognise(oa21).kind, recognise(oa21).vintage) == ("rollups", 2021)


@pytest.mark.parametrize("what", ["folder", "csv", "pdf"])
def test_a_db_that_is_not_a_warehouse_is_refused(tmp_path, what):
    from vrukit.errors import VrukitError

    target = {"folder": tmp_path, "csv": tmp_path / "budget.csv", "pdf": tmp_path / "plan.pdf"}[
        what
    ]
    if what == "csv":
        target.write_text("a,b\n1,2\n")
    if what == "pdf":
        target.write_bytes(b"%PDF-1.4 not a database")
    before = target.read_bytes() if target.is_file() else None
    with pytest.raises(VrukitError, match=str(target.name)):
        Warehouse(target)
    assert before is None or target.read_bytes() == before, "nothing written over it"


def test_welsh_areas_get_no_english_deprivation_but_a_reason(tmp_path):
    wales = tmp_path / "w.geojson"
    feats = []
    for k, code in enumerate(["W01000001", "W01000002"]):
        feats.append(_feature(code, {"type": "Polygon", "coordinates": [_square(k)]}))
    wales.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    iod = tmp_path / "iod.csv"
    iod.write_text("LSOA code (2011),Income Rank (where 1 is most deprived)\nE01000001,1\n")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.load_reference("boundaries", read_boundaries(wales), table="areas", source=wales)
        with pytest.raises(InputFileError, match="cover England only"):
            wh.load_reference("iod2019", read_iod([iod]), table="deprivation", source=iod)

"""``vrukit build``: one command from published files to a warehouse, and one ``sna`` to a site,
on the two real Merseyside cases of ../shared/data (LSOA 2011 with IoD2019 and mid-2019
population; LSOA 2021 with IoD2025 and Census 2021), and on a hand-made police file whose
LSOA codes mix the two vintages."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import SHARED, csv_bytes, shared_path, strict_outputs
from vrukit.cli import app
from vrukit.errors import VrukitError
from vrukit.ingest.recognise import recognise
from vrukit.jobs.build import build
from vrukit.store.warehouse import Warehouse

runner = CliRunner()

CASES = {
    # police folder, LSOA vintage, areas, IoD edition, population source
    "2022": ("merseyside", 2011, 910, "IoD2019", "mid2019"),
    "2023-25": ("merseyside-lsoa21", 2021, 923, "IoD2025", "census2021-ts001"),
}


def _rows(folder) -> int:
    """Data rows in a folder's street files (.csv or .csv.gz), header lines not counted."""
    total = 0
    for f in sorted(folder.rglob("*-street.csv*")):
        with gzip.open(f, "rt") if f.suffix == ".gz" else f.open() as fh:
            total += sum(1 for _ in fh) - 1
    return total


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_real_force_builds_to_a_site_in_two_commands(case, tmp_path):
    folder, vintage, n_areas, edition, pop_source = CASES[case]
    police = shared_path("policeuk", folder)
    db, site = tmp_path / "w.duckdb", tmp_path / "site"
    res = runner.invoke(app, ["build", "--police", str(police), "--reference", str(SHARED),
                              "--db", str(db)])  # fmt: skip
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert f"{n_areas} LSOA {vintage} areas in 5 local authorities" in said
    assert "(balanced)" in said
    with Warehouse(db) as wh:
        areas = wh.table("areas").to_pandas()
        dep = wh.table("deprivation").to_pandas()
        crimes = int(wh.table("crimes").count().execute())
    assert len(areas) == n_areas and set(areas.vintage) == {vintage}
    assert areas.population.gt(0).all(), "every area has residents"
    assert areas.lad_name.notna().all() and areas.lad_name.nunique() == 5
    assert areas.population_source.str.startswith(pop_source).all()
    assert set(dep.edition) == {edition} and areas.lsoa_code.isin(dep.lsoa_code).all()
    assert crimes == _rows(police), "every row of every police file is in the warehouse"

    again = runner.invoke(app, ["build", "--police", str(police), "--reference", str(SHARED),
                                "--db", str(db)])  # fmt: skip
    assert again.exit_code == 0 and "unchanged" in again.output, "a rebuild reloads nothing"

    res = runner.invoke(app, ["sna", "--db", str(db), "--out", str(site), "--region", "Mersey",
                              "--language", "en", "--work", str(tmp_path / "work")])  # fmt: skip
    assert res.exit_code == 0, res.output
    data = (site / "en" / "data.html").read_text()
    assert f"English Indices of Deprivation {edition[3:]}" in data
    assert f"English Indices of Deprivation {edition[3:]}" in (site / "en" / "why.html").read_text()
    manifest = json.loads((site / "data" / "manifest.json").read_text())
    assert len(manifest["tables"]) > 5, "the site publishes its data"
    assert strict_outputs(site, tmp_path / "work") > 20, "strict JSON, finite rates"


def _boundary_file(path, field, codes):
    feats = []
    for k, code in enumerate(codes):
        x, y = -2.98 + 0.01 * k, 53.40
        ring = [[x, y], [x + 0.004, y], [x + 0.004, y + 0.004], [x, y + 0.004], [x, y]]
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                      "properties": {field: code, "LAD21CD": "E08000012"}})  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_a_police_file_mixing_vintages_is_built_on_the_one_most_crimes_use(tmp_path):
    ref = tmp_path / "ref"
    ref.mkdir()
    _boundary_file(ref / "b11.geojson", "LSOA11CD", ["E01000001", "E01000002", "E01000003"])
    _boundary_file(ref / "b21.geojson", "LSOA21CD", ["E01000001", "E01000002", "E01035001"])
    assert recognise(ref / "b21.geojson").vintage == 2021
    month = tmp_path / "police" / "2023-03"
    month.mkdir(parents=True)
    rows = []
    codes = ["E01000001"] * 5 + ["E01035001"] * 6 + ["E01000003"] * 2 + ["E01000002"]
    for i, code in enumerate(codes):
        # the 2011-coded records' map points lie in E01035001's square; the last one's nowhere
        lon, lat = ("-2.958", "53.402") if code == "E01000003" else ("-2.978", "53.402")
        if i == len(codes) - 1:
            lon, lat = ("-1.5", "52.0")
        rows.append([f"id{i}", "2023-03", "Merseyside Police", "Merseyside Police", lon, lat,
                     "On or near A Street", code, "Liverpool 001A",
                     "Violence and sexual offences", "Under investigation", ""])  # fmt: skip
    (month / "2023-03-merseyside-street.csv").write_bytes(csv_bytes(rows))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        report = build(wh, [tmp_path / "police"], [ref])
        areas = set(wh.table("areas").to_pandas().lsoa_code)
        crimes = wh.table("crimes").to_pandas()
    assert report.vintage == 2021 and areas == {"E01000001", "E01000002", "E01035001"}
    assert report.other_vintage_crimes == 2 and report.crimes_read == 14
    assert report.other_vintage_files == {"2023-03-merseyside-street.csv": 2}
    # the two 2011-coded records are placed by their map points, their published code kept
    assert report.converted == {"2023-03-merseyside-street.csv": 2}
    moved = crimes[crimes.lsoa_published.notna()]
    assert list(moved.lsoa_published) == ["E01000003"] * 2
    assert set(moved.lsoa_code) == {"E01035001"} and not crimes.lsoa_unknown.any()
    with Warehouse(tmp_path / "w.duckdb") as wh:  # a rebuild reports the same, converts nothing
        again = build(wh, [tmp_path / "police"], [ref])
        assert int(wh.table("crimes").lsoa_published.notnull().sum().execute()) == 2
    assert again.converted == report.converted and again.outside_crimes == report.outside_crimes
    assert crimes.lsoa_code.value_counts()["E01035001"] == 8
    notes = {r.file: r.note for r in report.rows}
    assert notes["b11.geojson"] == "other LSOA vintage"


def test_one_csp_builds_with_its_local_authority_code(tmp_path):
    police = shared_path("policeuk", "merseyside-lsoa21")
    db = tmp_path / "liverpool.duckdb"
    res = runner.invoke(app, ["build", "--police", str(police), "--reference", str(SHARED),
                              "--force", "merseyside", "--area", "E08000012",
                              "--db", str(db)])  # fmt: skip
    assert res.exit_code == 0, res.output
    with Warehouse(db) as wh:
        areas = wh.table("areas").to_pandas()
    assert len(areas) == 302 and set(areas.lad_code) == {"E08000012"}
    res = runner.invoke(app, ["status", "--db", str(db)])
    said = " ".join(res.output.split())
    assert "Reference files loaded" in said and "24 policeuk-street files" in said
    # from a zip as data.police.uk delivers it, each row's source is the zip and its member
    import zipfile

    archive = tmp_path / "police.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(police.glob("*.csv.gz"))[:2]:
            z.writestr(
                f"{f.name[:7]}/{f.name.removesuffix('.gz')}", gzip.decompress(f.read_bytes())
            )
    zdb = tmp_path / "zip.duckdb"
    res = runner.invoke(app, ["build", "--police", str(archive), "--reference", str(SHARED),
                              "--force", "merseyside", "--db", str(zdb)])  # fmt: skip
    assert res.exit_code == 0, res.output
    with Warehouse(zdb) as wh:
        sources = set(wh.table("crimes").select("source_file").distinct().to_pandas().source_file)
    assert len(sources) == 2 and all(s.startswith(f"{archive}!") for s in sources), sources
    bad = runner.invoke(app, ["build", "--police", str(police), "--reference", str(SHARED),
                              "--force", "west-midlands", "--db", str(db)])  # fmt: skip
    assert isinstance(bad.exception, VrukitError) and "merseyside" in str(bad.exception)


def test_one_site_per_csp_in_one_run(tmp_path):
    """``sna --each csp``: a site per local authority on its own areas, and an index."""
    import pandas as pd

    police = shared_path("policeuk", "merseyside-lsoa21")
    db, out = tmp_path / "w.duckdb", tmp_path / "sites"
    res = runner.invoke(app, ["build", "--police", str(police), "--reference", str(SHARED),
                              "--db", str(db)])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["sna", "--db", str(db), "--each", "csp", "--out", str(out),
                              "--language", "en", "--region", "Merseyside"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "5 of 5 sites written" in " ".join(res.output.split())
    index = (out / "index.html").read_text()
    assert "Strategic needs assessments in Merseyside by Community Safety Partnership" in index
    sizes = {"knowsley": 100, "liverpool": 302, "st_helens": 121, "sefton": 191, "wirral": 209}
    for name, n in sizes.items():
        folder = next(out.glob(f"{name}_e0800*"))
        assert f'href="{folder.name}/index.html"' in index
        areas = pd.read_csv(folder / "data" / "areas.csv")
        assert len(areas) == n and areas.lad_code.nunique() == 1, name
        overview = (folder / "en" / "index.html").read_text()
        assert "Serious violence" in overview
        assert "Violence rate by local authority" not in overview, "one LA: nothing to compare"
    with pytest.raises(Exception, match="choose one of csp, force"):
        from vrukit.jobs.sna_each import area_groups

        with Warehouse(db, read_only=True) as wh:
            area_groups(wh, "ward")


def _merseyside21(ref, *, file1_only=False):
    """A downloads folder for Merseyside on LSOA 2021 (links to ../shared/data)."""
    ref.mkdir()
    for f in shared_path("geography", "lsoa21_merseyside").glob("*.geojson"):
        (ref / f.name).symlink_to(f)
    pop = shared_path("population", "TS001_usual_residents_LSOA2021.csv")
    (ref / pop.name).symlink_to(pop)
    iod = ["File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx"]
    if not file1_only:
        iod.append("imd2025_england_lsoa21_humaniverse.csv.gz")
    for name in iod:
        (ref / name).symlink_to(shared_path("deprivation", "iod2025", name))
    return ref


def test_what_a_careless_download_folder_gets(tmp_path):
    """A cut-short boundary file stops the build by name (it would lose its areas); files that
    are not reference data are named; IoD File 1 alone (ranks, no scores) is named as the
    reason the risk model cannot run; too small an area is refused in a sentence."""
    police = shared_path("policeuk", "merseyside-lsoa21")
    ref = _merseyside21(tmp_path / "downloads")
    (ref / "budget_2024.csv").write_text("line,amount\nstaff,10\n")
    db = tmp_path / "w.duckdb"
    res = runner.invoke(app, ["build", "--police", str(police), "--reference", str(ref),
                              "--db", str(db)])  # fmt: skip
    said = " ".join(res.output.split())
    assert res.exit_code == 0 and "budget_2024.csv" in said, said
    assert "fall in LSOAs outside these areas" in said, "crimes over the border are counted"

    cut = tmp_path / "cut"
    _merseyside21(cut)
    liverpool = cut / "lsoa21_boundaries_bgc_E08000012.geojson"
    text = liverpool.read_text()
    liverpool.unlink()
    liverpool.write_text(text[: len(text) // 3])
    res = runner.invoke(app, ["build", "--police", str(police), "--reference", str(cut),
                              "--db", str(tmp_path / "cut.duckdb")])  # fmt: skip
    assert isinstance(res.exception, VrukitError)
    assert liverpool.name in str(res.exception) and "Download the file again" in str(res.exception)

    f1 = _merseyside21(tmp_path / "f1", file1_only=True)
    db1 = tmp_path / "f1.duckdb"
    res = runner.invoke(app, ["build", "--police", str(police), "--reference", str(f1),
                              "--db", str(db1)])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["sna", "--db", str(db1), "--out", str(tmp_path / "s1"),
                              "--language", "en"])  # fmt: skip
    assert isinstance(res.exception, VrukitError) and "File 7" in str(res.exception)

    res = runner.invoke(app, ["build", "--police", str(police), "--reference", str(ref),
                              "--area", "E01006512",
                              "--db", str(tmp_path / "one.duckdb")])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["sna", "--db", str(tmp_path / "one.duckdb"), "--out",
                              str(tmp_path / "s2"), "--language", "en"])  # fmt: skip
    assert isinstance(res.exception, VrukitError) and "need at least 30" in str(res.exception)
    res = runner.invoke(app, ["sna", "--db", str(db), "--out", str(ref / "budget_2024.csv")])
    assert "is a file" in str(res.exception)


def test_a_period_across_the_vintage_change_builds_as_one(tmp_path):
    """Merseyside 2022 (LSOA 2011 codes) and 2023-10..2025-09 (LSOA 2021) in one build: on 2021
    areas, the 2022 records on changed codes are placed by their map points (their published
    code kept), so the 2022 months count (nearly) all their crimes."""
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        report = build(wh, [shared_path("policeuk")], [SHARED], force="merseyside")
        c = wh.table("crimes")
        per_month = c.filter(c.lsoa_unknown == False).group_by("month").count().to_pandas()  # noqa: E712
        published = int(c.lsoa_published.notnull().sum().execute())
    assert report.vintage == 2021 and report.other_vintage_crimes > 10_000
    converted = sum(report.converted.values())
    assert converted == published and converted > 0.99 * report.other_vintage_crimes
    assert set(report.converted) == set(report.other_vintage_files)
    in_areas = per_month.set_index("month").iloc[:, 0]
    for f in sorted(shared_path("policeuk", "merseyside").glob("*-street.csv*")):
        month = pd.Timestamp(f.name[:7] + "-01")
        with gzip.open(f, "rt") if f.suffix == ".gz" else f.open() as fh:
            published = sum(1 for _ in fh) - 1
        assert in_areas[month] > 0.97 * published, (f.name, in_areas[month], published)


def test_a_small_local_authority_of_the_force_is_kept_and_a_neighbour_is_not():
    """The area rule: an LA holding 1% of the force's crimes, or with crimes in most of its
    LSOAs (a small island authority), is the force's; a neighbour with records on a few border
    LSOAs is not."""
    from vrukit.jobs.build import _choose_areas

    codes = [f"E0100{k:04d}" for k in range(31)]
    las = ["E08000012"] * 10 + ["E06000053"] + ["E06000006"] * 20
    frames = pd.DataFrame({"lsoa_code": codes, "lad_code": las})
    counts = pd.Series([100] * 10 + [4] + [3] + [0] * 19, index=codes)  # 1,007 crimes
    kept = _choose_areas(frames, counts, (), 0.01)
    assert set(kept.lad_code) == {"E08000012", "E06000053"}


def test_population_of_the_other_vintage_is_converted_through_a_derived_lookup(tmp_path):
    """Merseyside 2022 (LSOA 2011) with only Census 2021 population (LSOA 2021): the build
    derives the change lookup from the two vintages' boundaries and converts the population;
    every area gets residents, and the residents of every 2021 area in the lookup are kept."""
    ref = tmp_path / "ref"
    ref.mkdir()
    links = [
        shared_path("geography", "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson"),
        *shared_path("geography", "lsoa21_merseyside").glob("*.geojson"),
        *shared_path("geography").glob("OA11_LSOA11_*lookup*.csv.gz"),
        shared_path("population", "TS001_usual_residents_LSOA2021.csv"),
    ]
    for f in links:
        (ref / f.name).symlink_to(f)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        report = build(wh, [shared_path("policeuk", "merseyside")], [ref])
        areas = wh.table("areas").to_pandas()
        lookup = wh.table("lsoa_lookup").to_pandas()
        log = wh.table("ingest_log").to_pandas()
    assert report.vintage == 2011 and len(areas) == 910
    assert areas.population.notna().all() and (areas.population > 0).all()
    ts001 = pd.read_csv(shared_path("population", "TS001_usual_residents_LSOA2021.csv"))
    kept = ts001[ts001.mnemonic.isin(lookup.lsoa21_code)].total.sum()  # Nomis's query layout
    # every 2021 area the lookup knows is shared out whole among 2011 areas, all of them loaded
    assert set(lookup.lsoa11_code) <= set(areas.lsoa_code)
    assert int(areas.population.sum()) == int(kept)
    assert set(lookup.change) >= {"U", "S", "M"} and (lookup.method == "spatial").all()
    rows = {r.kind: r for r in report.rows}
    assert rows["population"].note == "converted to LSOA 2011 through the change lookup"
    assert "lsoa-lookup (derived)" in rows
    pop_log = log[log.kind == "population"].iloc[0]
    assert "converted from LSOA 2021 to LSOA 2011" in pop_log.message
    assert pop_log.rows_read == pop_log.rows_accepted + pop_log.rows_quarantined

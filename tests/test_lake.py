"""National scale: the partitioned lake, the engine switch and the national synthetic region."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import csv_bytes, good_rows, holding
from vrukit.analysis.harm import load_harm_table
from vrukit.cli import app, main
from vrukit.demo import DemoFiles
from vrukit.demo.national import NATIONAL_FORCES, build_national
from vrukit.errors import VrukitError
from vrukit.ingest.forces import FORCES
from vrukit.jobs.analyse import area_picture, areas_of_vintage
from vrukit.schemas import CRIME_TYPES, VIOLENCE_TYPES
from vrukit.store.engine import Engine
from vrukit.store.lake import Lake
from vrukit.store.relational import AREA_MONTH_COLUMNS, Selection, area_month, counts
from vrukit.store.warehouse import Warehouse

runner = CliRunner()
EVERY_TYPE = Selection(crime_types=CRIME_TYPES)


def _spark_or_skip() -> None:
    """Skip without PySpark or Java, unless CI requires them (then fail)."""
    why = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        why = "PySpark is not installed (make test EXTRAS='dev spark'; .ci/run does)"
    if why is None and not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        why = "Java is not installed (apt-get install default-jre-headless; .ci/run does)"
    if why is None:
        return
    if os.environ.get("VRUKIT_REQUIRE_SPARK"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def demo_lake(demo_region: DemoFiles, tmp_path_factory) -> Path:
    """The demo region's police.uk files stored in a lake."""
    lake = tmp_path_factory.mktemp("lake") / "lake"
    report = Lake(lake).ingest_police([demo_region.policeuk])
    assert report.balanced and (report.files.status == "loaded").all()
    return lake


@pytest.fixture(scope="module")
def demo_areas(demo_region: DemoFiles) -> pd.DataFrame:
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        c = wh.table("crimes")
        return areas_of_vintage(wh, c.select("lsoa_code").distinct().to_pandas().lsoa_code)


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def test_the_lake_holds_what_the_warehouse_holds(demo_region: DemoFiles, demo_lake: Path) -> None:
    """Same files, same checks: every partition's accounting and every count equal the
    warehouse's, and the layout is one hive partition per force and month."""
    manifest = Lake(demo_lake).manifest()
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        log = wh.table("ingest_log").to_pandas()
        embedded = counts(wh.table("crimes"), EVERY_TYPE).to_pandas()
    log = log[log.kind == "policeuk-street"].set_index("source_key")
    assert sorted(manifest) == sorted(log.index) and len(manifest) == 36
    for key, entry in manifest.items():
        assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_quarantined"]
        assert (entry["rows_read"], entry["rows_accepted"], entry["rows_quarantined"]) == tuple(
            int(log.at[key, c]) for c in ("rows_read", "rows_accepted", "rows_quarantined")
        )
        force, month = key.split("/")
        part = demo_lake / "crimes" / f"force={force}" / f"month={month}"
        assert [p.name for p in part.iterdir()] == ["part-0.parquet"]
    with Engine.connect("duckdb") as e:
        crimes = e.crimes(demo_lake)
        in_lake = e.execute(counts(crimes, EVERY_TYPE))
        n = int(e.execute(crimes.count().as_table()).iloc[0, 0])
    assert (
        n == sum(int(v["rows_accepted"]) for v in manifest.values()) == demo_region.crimes_written
    )
    keys = ["lsoa_code", "month", "crime_type"]
    pd.testing.assert_frame_equal(_sorted(in_lake, keys), _sorted(embedded, keys))


def test_the_aggregation_on_spark_equals_duckdb_row_for_row(
    demo_region: DemoFiles, demo_lake: Path, demo_areas: pd.DataFrame
) -> None:
    """The Done-when line: the same expression on Spark (local mode) and on DuckDB, over the
    same lake, gives identical rows - and both equal it run on the embedded warehouse."""
    _spark_or_skip()
    weights = load_harm_table("css").weights
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        embedded = area_month(wh.table("crimes"), demo_areas, weights, Selection()).to_pandas()
        with Engine.connect("duckdb") as e:
            crimes = e.crimes(demo_lake)
            on_duckdb = e.execute(area_month(crimes, demo_areas, weights, Selection()))
            pic_duckdb = area_picture(wh, permutations=99, crimes=crimes)
        with Engine.connect("spark", spark_master="local[2]", memory="1GB") as e:
            crimes = e.crimes(demo_lake)
            on_spark = e.execute(area_month(crimes, demo_areas, weights, Selection()))
            pic_spark = area_picture(wh, permutations=99, crimes=crimes)
        pic_embedded = area_picture(wh, permutations=99)
    assert list(on_spark.columns) == AREA_MONTH_COLUMNS
    assert len(on_duckdb) > 80_000 and on_duckdb["count"].sum() > 400_000
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_exact=True)
    pd.testing.assert_frame_equal(embedded, on_duckdb, check_exact=True)
    # and the values are what they should be, from the warehouse's own counts
    row = on_duckdb.iloc[len(on_duckdb) // 2]
    pop = int(demo_areas.set_index("lsoa_code").population[row.lsoa_code])
    assert row.harm == row["count"] * weights[row.crime_type]
    assert row.rate_per_1000 == row["count"] * 1000.0 / pop and row.population == pop
    # the surveillance job's first step on each: same areas, rates, harm and hotspots
    for pic in (pic_spark, pic_duckdb):
        pd.testing.assert_frame_equal(pic.area_table, pic_embedded.area_table, check_exact=True)
        pd.testing.assert_frame_equal(pic.hotspots, pic_embedded.hotspots, check_exact=True)


def _month_file(folder: Path, month: str, rows: list[list[str]] | None = None) -> Path:
    path = folder / month / f"{month}-merseyside-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(rows if rows is not None else good_rows(40, month=month)))
    return path


def _stamp(lake: Path, month: str) -> tuple[int, int]:
    f = lake / "crimes" / "force=merseyside" / f"month={month}" / "part-0.parquet"
    st = f.stat()
    return st.st_ino, st.st_mtime_ns


def test_a_new_month_touches_only_its_partition(tmp_path: Path) -> None:
    src, lake = tmp_path / "files", tmp_path / "lake"
    for m in ("2022-01", "2022-02"):
        _month_file(src, m)
    first = Lake(lake).ingest_police([src])
    assert list(first.files.status) == ["loaded", "loaded"] and first.rows_accepted == 80
    before = {m: _stamp(lake, m) for m in ("2022-01", "2022-02")}
    _month_file(src, "2022-03")
    again = Lake(lake).ingest_police([src])
    assert dict(zip(again.files.source_key, again.files.status, strict=True)) == {
        "merseyside/2022-01": "unchanged",
        "merseyside/2022-02": "unchanged",
        "merseyside/2022-03": "loaded",
    }
    assert {m: _stamp(lake, m) for m in before} == before
    assert sorted(Lake(lake).manifest()) == [f"merseyside/2022-0{k}" for k in (1, 2, 3)]
    assert not list(lake.glob(".staging/*"))


def test_lake_progress_counts_the_files_to_store(tmp_path: Path) -> None:
    src, lake = tmp_path / "files", tmp_path / "lake"
    for m in ("2022-01", "2022-02", "2022-03"):
        _month_file(src, m)
    seen: list[tuple[str, int]] = []
    Lake(lake, batch_rows=1).ingest_police(
        [src], total=lambda n: seen.append(("total", n)), progress=lambda d, n: seen.append((d, n))
    )
    assert seen == [("total", 3)] + [(f"police.uk 2022-0{k}", 1) for k in (1, 2, 3)]
    _month_file(src, "2022-04")
    seen.clear()
    Lake(lake).ingest_police(
        [src], total=lambda n: seen.append(("total", n)), progress=lambda d, n: seen.append((d, n))
    )
    assert seen == [("total", 1), ("police.uk 2022-04", 1)]  # the stored three are unchanged


def test_a_corrected_file_replaces_its_partition_and_quarantines_with_reasons(
    tmp_path: Path,
) -> None:
    src, lake = tmp_path / "files", tmp_path / "lake"
    for m in ("2022-01", "2022-02"):
        _month_file(src, m)
    Lake(lake).ingest_police([src])
    kept = _stamp(lake, "2022-01")
    rows = good_rows(40, month="2022-02")
    rows[3][9] = "Jaywalking"  # an unknown crime type, on line 5
    rows[8][1] = "2021-12"  # a month that disagrees with the file, on line 10
    _month_file(src, "2022-02", rows)
    report = Lake(lake).ingest_police([src])
    row = report.files.set_index("source_key").loc["merseyside/2022-02"]
    assert (row.status, row.rows_read, row.rows_accepted, row.rows_quarantined) == (
        "replaced", 40, 38, 2,
    )  # fmt: skip
    assert "line 5" in row.message and "Jaywalking" in row.message
    assert _stamp(lake, "2022-01") == kept
    q = pd.read_parquet(lake / "quarantine" / "force=merseyside" / "month=2022-02")
    assert sorted(zip(q.line, q.reason, q.value, strict=True)) == [
        (5, "unknown_crime_type", "Jaywalking"),
        (10, "month_mismatch", "2021-12"),
    ]
    stored = pd.read_parquet(lake / "crimes" / "force=merseyside" / "month=2022-02")
    assert len(stored) == 38 and 5 not in set(stored.source_line)
    # the file is corrected again: its quarantine partition goes with the bad rows
    _month_file(src, "2022-02")
    Lake(lake).ingest_police([src])
    assert not (lake / "quarantine" / "force=merseyside" / "month=2022-02").exists()
    entry = Lake(lake).manifest()["merseyside/2022-02"]
    assert (entry["rows_accepted"], entry["rows_quarantined"]) == (40, 0)


def test_a_file_with_a_wrong_header_is_quarantined_whole(tmp_path: Path) -> None:
    src, lake = tmp_path / "files", tmp_path / "lake"
    _month_file(src, "2022-01")
    path = src / "2022-02" / "2022-02-merseyside-street.csv"
    path.parent.mkdir()
    path.write_bytes(csv_bytes(good_rows(12, month="2022-02"), header=None))
    report = Lake(lake).ingest_police([src])
    row = report.files.set_index("source_key").loc["merseyside/2022-02"]
    assert (row.status, row.rows_read, row.rows_accepted, row.rows_quarantined) == (
        "rejected", 12, 0, 12,
    )  # fmt: skip
    assert report.balanced
    assert not (lake / "crimes" / "force=merseyside" / "month=2022-02").exists()
    q = pd.read_parquet(lake / "quarantine" / "force=merseyside" / "month=2022-02")
    assert list(q.line) == list(range(1, 13)) and set(q.reason) == {"missing_header"}
    with Engine.connect("duckdb") as e:
        assert int(e.execute(e.crimes(lake).count().as_table()).iloc[0, 0]) == 40


def test_an_empty_lake_and_a_spark_run_without_a_lake_say_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Engine.connect("duckdb") as e, pytest.raises(VrukitError, match="vrukit lake ingest"):
        e.crimes(tmp_path / "nothing")
    result = runner.invoke(app, ["analyse", "--engine", "spark", "--db", str(tmp_path / "x")])
    assert result.exit_code != 0 and "give --lake" in str(result.exception)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VRUKIT_DB", raising=False)
    for command in (["analyse", "--lake", str(tmp_path)], ["lake", "aggregate"]):
        result = runner.invoke(app, command)
        assert result.exit_code != 0 and "--lake needs --db" in str(result.exception), command
    assert not list(tmp_path.glob("*.duckdb"))  # and no empty warehouse was left behind
    monkeypatch.setattr("sys.argv", ["vrukit", "analyse", "--engine", "spork", "--db", "x"])
    with pytest.raises(SystemExit) as stop:
        main()
    said = " ".join(capsys.readouterr().err.split())
    assert stop.value.code == 2 and "setting engine (--engine or VRUKIT_ENGINE) is 'spork'" in said
    with pytest.raises(VrukitError, match="not one of: duckdb, spark"):
        Engine.connect("polars")


def test_the_national_region_streams_valid_police_files(tmp_path: Path) -> None:
    """A small national region (3 forces, 900 areas, 2 months): one file per force and month in
    police.uk's layout with the real force names, codes unique across forces, every record
    accepted by the lake's checks, and the reference data covering every area."""
    files = build_national(tmp_path / "nat", months=2, n_areas=900, forces=3)
    names = sorted(p.relative_to(files.policeuk).as_posix() for p in files.policeuk.rglob("*.csv"))
    forces = NATIONAL_FORCES[:3]
    assert names == sorted(
        f"{m}/{m}-{f}-street.csv" for m in ("2019-04", "2019-05") for f in forces
    )
    report = Lake(tmp_path / "lake").ingest_police([files.policeuk])
    assert report.rows_quarantined == 0 and report.rows_accepted == files.crimes_written
    iod = pd.read_csv(files.deprivation)
    codes = iod["LSOA code (2011)"]
    assert len(codes) == codes.nunique() == files.areas == 900
    assert sorted(iod.filter(like="Index of Multiple Deprivation (IMD) Rank").iloc[:, 0]) == list(
        range(1, 901)
    )
    with Engine.connect("duckdb") as e:
        c = e.crimes(tmp_path / "lake")
        per_force = e.execute(
            c.group_by("force").aggregate(areas=c.lsoa_code.nunique(), by=c.reported_by.max())
        )
    assert set(per_force.force) == set(forces)
    assert all(FORCES[f] == by for f, by in zip(per_force.force, per_force.by, strict=True))
    assert codes.str.match(r"^E01\d{6}$").all()
    truth = json.loads(files.truth.read_text())
    assert sorted(truth["forces"]) == sorted(forces) and truth["areas"] == 900
    # the files carry the model's counts: Poisson draws around the expected total
    expected = sum(f["expected_crimes"] for f in truth["forces"].values())
    assert abs(files.crimes_written - expected) < 4 * expected**0.5


def test_the_lake_commands(tmp_path: Path) -> None:
    """`vrukit lake ingest`, `status` and `aggregate` on a small lake (areas from a warehouse)."""
    src, lake, db = tmp_path / "files", tmp_path / "lake", tmp_path / "wh.duckdb"
    files = build_national(src, months=2, n_areas=300, forces=2)
    result = runner.invoke(app, ["lake", "ingest", str(files.policeuk), "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    assert "loaded" in result.output and f"{files.crimes_written:,}" in result.output
    result = runner.invoke(app, ["lake", "status", "--lake", str(lake)])
    assert result.exit_code == 0 and "4 partitions" in result.output
    from vrukit.jobs.demo import load_reference

    with Warehouse(db) as wh:
        load_reference(wh, files.boundaries, files.population, files.deprivation)
    out = tmp_path / "area_month.csv"
    args = ["lake", "aggregate", "--lake", str(lake), "--db", str(db), "--out", str(out)]
    result = runner.invoke(app, [*args, "--crime-type", "Robbery"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == AREA_MONTH_COLUMNS and set(frame.crime_type) == {"Robbery"}
    with Engine.connect("duckdb") as e:
        c = e.crimes(lake)
        placed = c.filter((c.crime_type == "Robbery") & c.lsoa_code.notnull())
        robberies = int(e.execute(placed.count().as_table()).iloc[0, 0])
    assert frame["count"].sum() == robberies > 0  # every robbery with an area, none without
    # the surveillance job counts the same lake from the command line
    result = runner.invoke(
        app,
        ["analyse", "--db", str(db), "--lake", str(lake), "--out", str(tmp_path / "sna"),
         "--permutations", "99", "--kde-cell", "1000", "--hex-resolution", "7"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Counting crimes in the lake" in " ".join(result.output.split())
    areas = pd.read_csv(tmp_path / "sna" / "areas.csv")
    with Engine.connect("duckdb") as e:
        c = e.crimes(lake)
        violent = c.filter(c.crime_type.isin(list(VIOLENCE_TYPES)) & c.lsoa_code.notnull())
        n = int(e.execute(violent.count().as_table()).iloc[0, 0])
    assert areas["count"].sum() == n > 0  # every violent crime with an area, both months


def test_a_second_ingest_on_a_lake_being_written_is_refused(tmp_path: Path) -> None:
    src, lake = tmp_path / "files", tmp_path / "lake"
    _month_file(src, "2022-01")
    # another process in the middle of writing the lake (``held`` keeps its lock alive)
    other = holding(
        "from vrukit.store.lake import Lake\n"
        f"held = Lake({str(lake)!r}).writing()\nheld.__enter__()"
    )
    try:
        with pytest.raises(VrukitError, match="being written by another ingest"):
            Lake(lake).ingest_police([src])
        res = runner.invoke(app, ["lake", "ingest", str(src), "--lake", str(lake)])
        assert isinstance(res.exception, VrukitError)
    finally:
        other.kill()
        other.wait()
    assert Lake(lake).manifest() == {}  # the refused runs wrote nothing
    report = Lake(lake).ingest_police([src])  # the lock went with the process that held it
    assert list(report.files.status) == ["loaded"]


def test_sna_reads_the_lake_and_builds_one_site_per_csp(demo_region, demo_lake, tmp_path):
    """``vrukit sna --lake --each csp``: the groups come from the lake's crimes, and a CSP's
    site counts the same crimes from the lake as from the warehouse."""
    from vrukit.jobs.sna_each import area_groups, run_sna_each
    from vrukit.publish.site import SiteOptions

    options = SiteOptions(languages=("en",))
    db = demo_region.folder / "vrukit.duckdb"
    with Engine.connect("duckdb") as engine, Warehouse(db, read_only=True) as wh:
        crimes = engine.crimes(demo_lake)
        groups = area_groups(wh, "csp", crimes)
        assert len(groups) == 7 and sum(len(g.areas) for g in groups) == 1750
        first = groups[0]
        lake = run_sna_each(wh, tmp_path / "lake", "csp", options=options, crimes=crimes,
                            only=[first.slug])  # fmt: skip
    with Warehouse(db, read_only=True) as wh:
        assert area_groups(wh, "csp") == groups
        warehouse = run_sna_each(wh, tmp_path / "wh", "csp", options=options, only=[first.slug])
    assert [e.pages for e in lake] == [e.pages for e in warehouse] and lake[0].pages
    a = pd.read_csv(tmp_path / "lake" / first.slug / "data" / "areas.csv")
    b = pd.read_csv(tmp_path / "wh" / first.slug / "data" / "areas.csv")
    assert len(a) == len(first.areas)
    pd.testing.assert_frame_equal(a, b)
    assert first.name in (tmp_path / "lake" / "index.html").read_text()

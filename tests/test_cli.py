"""The CLI is a thin shell: it loads, reports the accounting and exits non-zero on bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import holding
from vrukit.cli import app
from vrukit.errors import VrukitError
from vrukit.store.warehouse import Warehouse

runner = CliRunner()


def test_ingest_police_reports_balanced_accounting(street_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    res = runner.invoke(app, ["ingest", "police", str(street_dir), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "rows read 30 = accepted 30 + quarantined 0 (balanced)" in res.output
    res = runner.invoke(app, ["status", "--db", str(db)])
    assert res.exit_code == 0 and "crimes" in res.output and "30" in res.output


def test_help_loads_no_data_libraries():
    # `vrukit --help` took 2.2 s when the CLI imported the warehouse at the top; 0.9 s without.
    check = (
        "import sys; from typer.testing import CliRunner; from vrukit.cli import app; "
        "r = CliRunner().invoke(app, ['analyse', '--help']); assert r.exit_code == 0, r.output; "
        "print(sorted({'pandas', 'ibis', 'duckdb', 'pyarrow'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_istv_score_loads_only_what_it_uses():
    # When vrukit.jobs.istv imported every ISTV job's libraries (statsmodels for triangulation,
    # the demo generator), `vrukit istv score` took 10-11 s on the demo and `istv share` 11-12 s;
    # each imports only its own job's now: 9 s and under 7 s.
    check = (
        "import sys; import vrukit.jobs.istv; "
        "from vrukit.analysis.istv_quality import scorecard; "
        "from vrukit.publish.istv_reports import write_feedback; "
        "print(sorted({'statsmodels', 'vrukit.demo', 'vrukit.analysis.triangulate', "
        "'vrukit.analysis.locate', 'vrukit.jobs.analyse'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bad_path_gives_a_clear_error(tmp_path):
    res = runner.invoke(
        app, ["ingest", "police", str(tmp_path / "nope"), "--db", str(tmp_path / "w.duckdb")]
    )
    assert res.exit_code != 0
    assert "does not exist" in str(res.exception)


def test_ingest_population_loads_and_reports(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text(
        "lsoa_code,year,age_band,residents\nE01000001,2020,0-9,120\nE01000001,2020,10-17,95\n"
    )
    db = tmp_path / "w.duckdb"
    res = runner.invoke(app, ["ingest", "population", str(p), "--db", str(db)])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())  # Rich wraps long lines at the test terminal's width
    assert "2 rows loaded into population" in said
    p.write_text("lsoa_code,year,age_band,residents\nE01000001,2020,0-9,lots\n")
    res = runner.invoke(app, ["ingest", "population", str(p), "--db", str(db)])
    assert res.exit_code != 0
    assert "line 2: 'residents' is 'lots', expected a number" in str(res.exception)


def test_an_empty_selection_says_what_to_do(street_dir, tmp_path):
    """No warehouse, an empty one, a month range the wrong way round or a bad month: a sentence
    each."""
    db = str(tmp_path / "w.duckdb")
    out = str(tmp_path / "out")

    def refused(*args: str) -> str:
        res = runner.invoke(app, ["analyse", "--db", db, "--out", out, *args])
        assert res.exit_code != 0 and isinstance(res.exception, VrukitError), res.output
        return " ".join(str(res.exception).split())

    assert f"no warehouse at {db}: load data into it first" in refused()
    assert not (tmp_path / "w.duckdb").exists(), "a reader does not leave an empty warehouse"
    (tmp_path / "nothing").mkdir()
    res = runner.invoke(app, ["ingest", "police", str(tmp_path / "nothing"), "--db", db])
    assert res.exit_code == 0 and "rows read 0" in res.output, res.output
    said = refused()
    assert "no crimes of the types Violence and sexual offences, Robbery" in said
    assert "load police.uk files (`vrukit ingest police`, or `vrukit demo`" in said
    runner.invoke(app, ["ingest", "police", str(street_dir), "--db", db])  # January 2022
    assert "from 2023-01 to the last" in refused("--first-month", "2023-01")
    assert "the first month (2022-06) is after the last (2022-01)" in refused(
        "--first-month", "2022-06", "--last-month", "2022-01"
    )
    assert "month '2022-13' is not YYYY-MM" in refused("--first-month", "2022-13")


def test_a_warehouse_another_program_holds_is_refused_in_a_sentence(tmp_path):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    other = holding(f"import duckdb; con = duckdb.connect({str(db)!r})")
    try:
        res = runner.invoke(app, ["status", "--db", str(db)])
        with pytest.raises(VrukitError, match=rf"open in another program \(.*PID {other.pid}\)"):
            Warehouse(db)
    finally:
        other.kill()
        other.wait()
    assert res.exit_code != 0 and isinstance(res.exception, VrukitError)
    with Warehouse(db) as wh:  # free again once the other program has gone
        assert wh.counts()["crimes"] == 0


def test_readers_share_a_warehouse_and_a_writer_waits_for_them(tmp_path):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    # another program reading it, as a notebook with duckdb.connect(..., read_only=True) does
    other = holding(f"import duckdb; con = duckdb.connect({str(db)!r}, read_only=True)")
    try:
        res = runner.invoke(app, ["status", "--db", str(db)])  # a reader: opens it too
        with pytest.raises(VrukitError, match="none while one writes it"):
            Warehouse(db)  # a writer (an ingest) is refused while anyone reads
    finally:
        other.kill()
        other.wait()
    assert res.exit_code == 0, res.output
    assert "crimes" in res.output


def test_a_reader_adds_the_tables_an_older_warehouse_lacks(tmp_path):
    db = tmp_path / "old.duckdb"
    with Warehouse(db) as wh:
        wh.con.raw_sql("DROP TABLE istv_venues")  # as if made before the table existed
    with Warehouse(db, read_only=True) as wh:
        assert not wh.read_only and "istv_venues" in wh.con.list_tables()
    with Warehouse(db, read_only=True) as wh:
        assert wh.read_only
        with pytest.raises(Exception, match="read-only"):
            wh.con.raw_sql("CREATE TABLE x (a INTEGER)")

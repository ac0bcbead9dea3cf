"""police.uk street ingest: accounting, flags, idempotence, and one test per bad-input case."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import csv_bytes, good_rows
from vrukit.errors import InputFileError
from vrukit.store.warehouse import Warehouse

GOOD = "2022-01-merseyside-street.csv"


@pytest.fixture
def wh():
    w = Warehouse(":memory:")
    yield w
    w.close()


def quarantine(wh: Warehouse):
    return wh.table("quarantine").order_by("line").to_pandas()


def test_good_file_is_loaded_whole_with_flags(wh, street_dir):
    report = wh.ingest_police([street_dir])
    row = report.files.iloc[0]
    assert (row.rows_read, row.rows_accepted, row.rows_quarantined) == (30, 30, 0)
    crimes = wh.table("crimes").order_by("source_line").to_pandas()
    assert list(crimes.source_line) == list(range(2, 32))
    asb = crimes.crime_type == "Anti-social behaviour"
    assert (crimes.no_crime_id == asb).all() and crimes.crime_id[asb].isna().all()
    assert crimes.no_location.sum() == 3 and crimes.longitude[crimes.no_location].isna().all()
    assert crimes.lsoa_unknown.isna().all(), "no areas loaded: the flag must be unknown (NULL)"


def test_reingest_changes_no_table(wh, street_dir):
    wh.ingest_police([street_dir])
    before = wh.counts()
    report = wh.ingest_police([street_dir])
    assert wh.counts() == before
    assert list(report.files.status) == ["unchanged"]


def test_corrected_republication_replaces_the_force_month(wh, street_dir):
    wh.ingest_police([street_dir])
    (street_dir / GOOD).write_bytes(csv_bytes(good_rows(12)))
    report = wh.ingest_police([street_dir])
    assert list(report.files.status) == ["replaced"]
    assert wh.counts()["crimes"] == 12
    assert wh.counts()["ingest_log"] == 1


def test_progress_is_told_the_rows_to_load_first_and_reaches_them(wh, street_dir):
    """`vrukit ingest police` draws a bar with a length: ``total`` comes once, before any
    batch, and the batches' advances add up to it; each step names its months."""
    for m in ("2022-02", "2022-03"):
        (street_dir / f"{m}-merseyside-street.csv").write_bytes(csv_bytes(good_rows(month=m)))
    (street_dir / "2022-04-merseyside-street.csv").write_bytes(b"Not,a,police.uk,header\r\n")

    def run(batch_rows: int) -> list[tuple[str, int]]:
        seen: list[tuple[str, int]] = []
        wh.ingest_police(
            [street_dir],
            batch_rows=batch_rows,
            total=lambda n: seen.append(("total", n)),
            progress=lambda d, n: seen.append((d, n)),
        )
        return seen

    seen = run(batch_rows=1)  # one file per batch
    (first, total), steps = seen[0], seen[1:]
    assert first == "total" and total == sum(n for _, n in steps) > 0
    assert [d for d, _ in steps] == [f"police.uk 2022-0{k}" for k in (1, 2, 3)]
    # Estimated from file sizes, erring high: the 90 rows read, or a little more.
    assert 90 <= total <= 2 * 90
    assert run(batch_rows=1) == [("total", 0)]  # all unchanged: nothing to load
    for m in ("2022-01", "2022-02", "2022-03"):  # corrected re-publications, one batch
        (street_dir / f"{m}-merseyside-street.csv").write_bytes(csv_bytes(good_rows(20, month=m)))
    seen = run(batch_rows=1_000_000)
    assert [d for d, _ in seen[1:]] == ["police.uk 2022-01 to 2022-03"]
    assert seen[0][1] == seen[1][1]


def test_lsoa_unknown_flag_follows_loaded_areas(wh, street_dir):
    wh.ingest_police([street_dir])
    wh.con.raw_sql("INSERT INTO areas (lsoa_code, vintage) VALUES ('E01006400', 2011)")
    wh.refresh_lsoa_flags()
    c = wh.table("crimes").to_pandas()
    known = c.lsoa_code == "E01006400"
    assert not c.lsoa_unknown[known].any()
    assert c.lsoa_unknown[~known & c.lsoa_code.notna()].all()
    assert not c.lsoa_unknown[c.lsoa_code.isna()].any()


def test_batches_are_sized_from_the_files_uncompressed_bytes(tmp_path):
    """The row estimate behind ``batch_rows`` reads a .gz file's size trailer, not its bytes."""
    import gzip

    from vrukit.ingest._sources import BYTES_PER_ROW, find_street_files

    data = csv_bytes(good_rows(400))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / GOOD).write_bytes(data)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / (GOOD + ".gz")).write_bytes(gzip.compress(data))
    (tmp_path / "c").mkdir()  # two gzip members: the trailer holds only the last one's size
    two = gzip.compress(data) + gzip.compress(b"")
    (tmp_path / "c" / (GOOD + ".gz")).write_bytes(two)
    (plain,), (gz,), (multi,) = (
        find_street_files([tmp_path / d], workdir=tmp_path).files for d in "abc"
    )
    assert plain.estimated_rows() == gz.estimated_rows() == len(data) // BYTES_PER_ROW
    assert multi.estimated_rows() == 4 * len(two) // BYTES_PER_ROW, (
        "a trailer smaller than the file falls back to 4x the compressed size"
    )


# -- bad input: one defect each, derived from the good fixture --------------------------------


def _write(street_dir: Path, data: bytes, name: str = GOOD) -> Path:
    (street_dir / name).write_bytes(data)
    return street_dir


def _only_file(report):
    assert report.balanced
    assert len(report.files) == 1
    return report.files.iloc[0]


def test_wrong_header(wh, street_dir):
    header = [
        "Crime ID",
        "Month",
        "Reported_by",
        *[c for c in csv_bytes([]).decode().strip().split(",")[3:]],
    ]
    _write(street_dir, csv_bytes(good_rows(), header=header))
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.status, f.rows_read, f.rows_accepted, f.rows_quarantined) == ("rejected", 30, 0, 30)
    assert GOOD in f.message and "line 1, column 3" in f.message
    assert "'Reported_by'" in f.message and "expected 'Reported by'" in f.message
    q = quarantine(wh)
    assert set(q.reason) == {"bad_header"} and list(q.line) == list(range(2, 32))
    assert (q.column_name == "Reported by").all() and (q.value == "Reported_by").all()


def test_missing_header(wh, street_dir):
    _write(street_dir, csv_bytes(good_rows(), header=None))
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (30, 0, 30)
    assert "line 1: no header" in f.message
    q = quarantine(wh)
    assert set(q.reason) == {"missing_header"} and list(q.line) == list(range(1, 31))


def test_file_of_another_force_in_a_force_folder(wh, street_dir):
    (street_dir / GOOD).unlink()
    rows = good_rows(force="Cheshire Constabulary")
    _write(street_dir, csv_bytes(rows), "2022-01-cheshire-street.csv")
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (30, 0, 30)
    assert "2022-01-cheshire-street.csv line 2" in f.message
    assert "folder of force 'merseyside'" in f.message
    assert set(quarantine(wh).reason) == {"force_mismatch"}


def test_rows_reported_by_another_force(wh, street_dir):
    rows = good_rows()
    rows[4][2] = "Cheshire Constabulary"
    _write(street_dir, csv_bytes(rows))
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.rows_accepted, f.rows_quarantined) == (29, 1)
    q = quarantine(wh).iloc[0]
    assert (q.line, q.column_name, q.value, q.reason) == (
        6,
        "Reported by",
        "Cheshire Constabulary",
        "force_mismatch",
    )
    assert q.message == (
        f"{street_dir / GOOD} line 6: 'Reported by' is 'Cheshire Constabulary', "
        "expected 'Merseyside Police' for a merseyside file"
    )


def test_non_utf8_bytes(wh, street_dir):
    rows = good_rows()
    rows[9][6] = "On or near CAFE_MARK"
    data = csv_bytes(rows).replace(b"CAFE_MARK", b"Caf\xe9")
    _write(street_dir, data)
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (30, 29, 1)
    q = quarantine(wh).iloc[0]
    assert (q.line, q.column_name, q.reason) == (11, "Location", "invalid_encoding")
    assert f"{GOOD} line 11: bytes that are not valid UTF-8 in column 'Location'" in q.message
    lines = wh.table("crimes").order_by("source_line").to_pandas().source_line
    assert list(lines) == [*range(2, 11), *range(12, 32)], "lines after a rejected one stay exact"


def test_truncated_last_line(wh, street_dir):
    data = csv_bytes(good_rows())
    _write(street_dir, data[: len(data) - 120])
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (30, 29, 1)
    q = quarantine(wh).iloc[0]
    assert (q.line, q.reason) == (31, "wrong_column_count")
    assert f"{GOOD} line 31: Expected Number of Columns: 12" in q.message
    assert "truncated download" in q.message


def test_unknown_crime_type(wh, street_dir):
    rows = good_rows()
    rows[2][9] = "Violent crime"
    _write(street_dir, csv_bytes(rows))
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.rows_accepted, f.rows_quarantined) == (29, 1)
    q = quarantine(wh).iloc[0]
    assert (q.line, q.column_name, q.value, q.reason) == (
        4,
        "Crime type",
        "Violent crime",
        "unknown_crime_type",
    )
    assert "line 4: 'Crime type' is 'Violent crime', expected one of the 14" in q.message


def test_month_in_file_name_disagrees_with_rows(wh, street_dir):
    _write(street_dir, csv_bytes(good_rows(month="2022-02")))
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.rows_read, f.rows_accepted, f.rows_quarantined) == (30, 0, 30)
    q = quarantine(wh)
    assert set(q.reason) == {"month_mismatch"} and set(q.value) == {"2022-02"}
    assert q.message.iloc[0].endswith("line 2: 'Month' is '2022-02' but the file name says 2022-01")


def test_bad_coordinate(wh, street_dir):
    rows = good_rows()
    rows[0][4] = "west"
    _write(street_dir, csv_bytes(rows))
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.rows_accepted, f.rows_quarantined) == (29, 1)
    q = quarantine(wh).iloc[0]
    assert (q.line, q.column_name, q.value, q.reason) == (2, "Longitude", "west", "bad_coordinate")


def test_empty_file(wh, street_dir):
    _write(street_dir, b"")
    f = _only_file(wh.ingest_police([street_dir]))
    assert (f.status, f.rows_read, f.rows_accepted, f.rows_quarantined) == ("rejected", 0, 0, 0)
    assert GOOD in f.message and "line 1: file is empty" in f.message


def test_zip_that_is_not_a_policeuk_archive(wh, tmp_path):
    z = tmp_path / "download.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(
        InputFileError, match=r"download.zip: is not a police.uk archive.*readme.txt"
    ):
        wh.ingest_police([z])
    assert wh.counts()["crimes"] == 0


def test_police_archive_zip_is_read(wh, tmp_path):
    z = tmp_path / "police.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("2022-01/2022-01-merseyside-street.csv", csv_bytes(good_rows()))
        zf.writestr("2022-01/2022-01-merseyside-outcomes.csv", "x")
    report = wh.ingest_police([z])
    assert report.rows_accepted == 30
    assert report.files.source_file.iloc[0] == f"{z}!2022-01/2022-01-merseyside-street.csv"
    assert any("outcomes" in s for s, _ in report.skipped)


def test_file_that_is_not_a_street_file(wh, tmp_path):
    p = tmp_path / "crimes.csv"
    p.write_bytes(csv_bytes(good_rows()))
    with pytest.raises(
        InputFileError, match=r"expected a name like 2022-01-merseyside-street\.csv"
    ):
        wh.ingest_police([p])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    defects=st.dictionaries(
        st.integers(min_value=0, max_value=39),
        st.sampled_from(["crime_type", "month", "short", "bytes", "force"]),
        max_size=8,
    )
)
def test_accounting_holds_for_any_mix_of_defects(tmp_path_factory, defects):
    d = tmp_path_factory.mktemp("h") / "merseyside"
    d.mkdir()
    rows = good_rows(40)
    for i, kind in defects.items():
        if kind == "crime_type":
            rows[i][9] = "Mugging"
        elif kind == "month":
            rows[i][1] = "2021-12"
        elif kind == "force":
            rows[i][2] = "Kent Police"
        elif kind == "short":
            rows[i] = rows[i][:5]
        else:
            rows[i][6] = "BYTES_HERE"
    data = csv_bytes(rows).replace(b"BYTES_HERE", b"\xff\xfe")
    (d / GOOD).write_bytes(data)
    with Warehouse(":memory:") as w:
        report = w.ingest_police([d])
        f = report.files.iloc[0]
        assert f.rows_read == 40 == f.rows_accepted + f.rows_quarantined
        q = w.table("quarantine").to_pandas()
        assert sorted(q.line) == sorted(i + 2 for i in defects)
        lines = w.table("crimes").to_pandas().source_line
        assert sorted(lines) == sorted(set(range(2, 42)) - {i + 2 for i in defects})

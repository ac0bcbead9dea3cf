"""Every shared police.uk month loads whole: accepted + quarantined = data lines, 0 quarantined."""

from __future__ import annotations

import csv
import gzip
import io

import pytest

from conftest import POLICEUK, shared_path
from vrukit.ingest.reference import read_boundaries
from vrukit.warehouse import Warehouse


def _data_lines(path) -> int:
    text = (
        gzip.decompress(path.read_bytes()).decode("utf-8")
        if path.suffix == ".gz"
        else path.read_text()
    )
    return sum(1 for _ in csv.reader(io.StringIO(text))) - 1


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    shared_path("policeuk")
    folders = sorted(p for p in POLICEUK.iterdir() if p.is_dir())
    wh = Warehouse(tmp_path_factory.mktemp("real") / "w.duckdb")
    report = wh.ingest_police(folders)
    yield wh, report, folders
    wh.close()


def test_every_file_accounts_for_every_line(loaded):
    wh, report, folders = loaded
    files = {str(p): p for f in folders for p in f.glob("*-street.csv*")}
    assert len(report.files) == len(files) >= 11
    for r in report.files.itertuples():
        lines = _data_lines(files[r.source_file])
        assert r.rows_accepted + r.rows_quarantined == lines == r.rows_read, r.source_file
        assert r.rows_quarantined == 0, r.message
    assert wh.counts()["crimes"] == report.rows_read


def test_reingest_leaves_every_table_unchanged(loaded):
    wh, _, folders = loaded
    before = wh.counts()
    again = wh.ingest_police(folders)
    assert set(again.files.status) == {"unchanged"}
    assert wh.counts() == before


def test_crime_ids_and_flags_as_published(loaded):
    wh, _, _ = loaded
    c = wh.table("crimes")
    asb = c.filter(c.crime_type == "Anti-social behaviour")
    assert asb.crime_id.isnull().all().execute() and asb.no_crime_id.all().execute()
    other = c.filter(c.crime_type != "Anti-social behaviour")
    assert other.crime_id.length().min().execute() == 64
    assert c.filter(c.no_location & c.longitude.notnull()).count().execute() == 0
    assert c.filter(~c.no_location & c.longitude.isnull()).count().execute() == 0


def test_unknown_lsoas_are_flagged_once_geography_is_loaded(loaded):
    wh, _, _ = loaded
    p = shared_path("geography", "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson")
    wh.load_reference("boundaries", read_boundaries(p), table="areas", source=p)
    c = wh.table("crimes")
    with_code = c.filter(c.lsoa_code.notnull())
    assert with_code.lsoa_unknown.notnull().all().execute()
    share = with_code.lsoa_unknown.mean().execute()
    assert 0 < share < 0.05, (
        f"Merseyside crimes outside Liverpool City Region should be few: {share}"
    )

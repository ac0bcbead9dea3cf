"""Every shared police.uk month loads whole: accepted + quarantined = data lines, 0 quarantined."""

from __future__ import annotations

import csv
import gzip
import io

import numpy as np
import pandas as pd
import pytest

from conftest import POLICEUK, published_exposures, shared_path
from vrukit.ingest.reference import read_boundaries
from vrukit.store.warehouse import Warehouse


def _data_lines(path) -> int:
    text = (
        gzip.decompress(path.read_bytes()).decode("utf-8")
        if path.suffix == ".gz"
        else path.read_text()
    )
    return sum(1 for _ in csv.reader(io.StringIO(text))) - 1


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    # Merseyside 2022, on LSOA 2011 codes like the boundaries these tests load; the LSOA 2021
    # months beside it (merseyside-lsoa21/) need LSOA 2021 boundaries, so they are not mixed in.
    folders = [shared_path("policeuk", "merseyside")]
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


def test_row_estimates_of_real_files_err_a_little_high(loaded):
    """Batches of ``batch_rows`` are planned from estimates: about right, and never far under."""
    from vrukit.ingest._sources import find_street_files

    _, report, folders = loaded
    found = find_street_files(folders, workdir=POLICEUK).files
    lines = report.files.set_index("source_file").rows_read
    ratios = [sf.estimated_rows() / lines[sf.display] for sf in found]
    assert len(ratios) == len(lines) and all(1.0 <= r <= 1.3 for r in ratios), ratios


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


@pytest.fixture(scope="module")
def referenced(loaded):
    """The real police.uk warehouse with LSOA boundaries (Liverpool City Region), mid-2019
    population and IoD2019 Files 1, 2 and 6 loaded."""
    from vrukit.ingest.reference import read_iod, read_population

    wh, _, _ = loaded
    b = shared_path("geography", "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson")
    pop = shared_path("population", "uk_lsoa_dz_soa_population_mid2019_mysociety.csv")
    iod = [
        shared_path("imd2019", "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"),
        shared_path("imd2019", "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"),
        shared_path("imd2019", "File_6_-_IoD2019_Population_Denominators.csv.gz"),
    ]
    wh.load_reference("boundaries", read_boundaries(b), table="areas", source=b)
    wh.load_reference("population", read_population(pop), table="population", source=pop)
    wh.load_reference("iod2019", read_iod(iod), table="deprivation", source=iod[-1])
    return wh


def test_risk_model_fits_on_real_merseyside_data(referenced, tmp_path):
    """`run_risk` on real police.uk violence, LSOA boundaries, mid-2019 population and IoD2019
    Files 1, 2 and 6: the model fits and every table is written (docs/methods.md, "On real
    data")."""
    from vrukit.jobs.risk import RiskOptions, run_risk

    wh = referenced
    run = run_risk(wh, tmp_path, options=RiskOptions(draws=50), permutations=999)
    factors = pd.read_csv(tmp_path / "risk_factors.csv").set_index("factor")
    assert run.model is not None and run.model.areas == 989
    assert set(factors.index) == {
        f"{d}_centile" for d in ("income", "employment", "education", "health", "barriers",
                                 "living_environment")
    }  # fmt: skip
    assert np.isfinite(factors[["irr", "irr_lo", "irr_hi"]].to_numpy()).all()
    gradient = pd.read_csv(tmp_path / "gradient.csv")
    assert gradient.rate_per_1000.iloc[0] > 3 * gradient.rate_per_1000.iloc[-1]
    index = pd.read_csv(tmp_path / "risk_index.csv")
    assert len(index) == 989 and (index.rank_lo <= index["rank"]).all()


def test_sna_site_builds_from_real_merseyside_data(referenced, tmp_path):
    """`vrukit sna` on the real data (no pilots, 11 months, so no year-on-year change): every
    page is written, small real counts are suppressed, and the audit of the published tables
    finds nothing recoverable."""
    import json

    from vrukit.disclosure import Policy, cell_bounds
    from vrukit.jobs.sna import run_sna
    from vrukit.publish.site import SiteOptions

    run = run_sna(referenced, tmp_path / "site", options=SiteOptions(languages=("en",),
                  region="Merseyside"))  # fmt: skip
    site = run.out
    assert {p.name for p in (site / "en").glob("*.html")} == {
        "index.html",
        "where.html",
        "when.html",
        "why.html",
        "next.html",
        "data.html",
    }
    assert len(list((site / "en" / "la").glob("*.html"))) == 6  # the city region's authorities
    assert not (site / "en" / "pilot").exists()
    assert run.suppressed["primary"] > 0
    manifest = json.loads((site / "data" / "manifest.json").read_text())
    areas = pd.read_csv(site / "data" / "areas.csv", dtype=str, keep_default_na=False)
    shown = pd.to_numeric(areas["count"], errors="coerce")
    assert not shown.between(1, 4).any()
    assert {cell_bounds(v, Policy()) for v in areas["count"] if v == "<5"} <= {(1.0, 4.0)}
    assert "Merseyside" in (site / "en" / "index.html").read_text()
    assert len(manifest["sums"]) > 50
    hidden, exposed = published_exposures(site)
    assert hidden >= run.suppressed["primary"] + run.suppressed["secondary"] and exposed == []

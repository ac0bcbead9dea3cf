"""ISTV location resolution: free text to an LSOA, checked against the demo's true places, with
confidences that mean what they say; the review queue; venues; geocodability in the scorecard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrukit.analysis.istv_quality import Rules, _geocodable
from vrukit.analysis.locate import build_gazetteer, normalise, resolve_locations
from vrukit.errors import SchemaError
from vrukit.ingest.venues import read_venues
from vrukit.jobs.istv import load_venues, locate
from vrukit.store.warehouse import Warehouse


def _located(demo_region) -> pd.DataFrame:
    """Every demo assault's stored resolution beside its true place."""
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        loc = wh.table("istv_locations").to_pandas()
        a = wh.table("istv_assaults").select("ingest_id", "source_line", "source_file").to_pandas()
    loc = loc.merge(a, on=["ingest_id", "source_line"])
    loc["file"] = loc.source_file.map(lambda f: Path(f).name)
    truth = pd.read_csv(demo_region.istv / "istv_truth_assaults.csv")
    both = loc.merge(truth, left_on=["file", "source_line"], right_on=["file", "line"],
                     suffixes=("", "_true"))  # fmt: skip
    assert len(both) == len(loc), "every stored assault has its truth row"
    both["place"] = np.where(
        both.venue.notna(), "venue", np.where(both.street.notna(), "street", "none")
    )
    both["right"] = both.lsoa_code == both.lsoa_code_true
    return both


def test_normalise_drops_filler_and_expands_abbreviations():
    assert normalise("near shops on Station Rd") == "station road"
    assert normalise("outside The Red Lion") == "red lion"
    assert normalise("Golden Lion car park") == "golden lion"
    assert normalise("MILL LN") == "mill lane"


def test_demo_match_rate_and_confidence_are_honest(demo_region):
    d = _located(demo_region)
    named = d[d.place != "none"]
    described = named[named.status != "blank"]
    # of the descriptions that name a street or venue, nearly all are found
    assert (described.status == "resolved").mean() >= 0.95
    # descriptions that name no place (home, at work, not known) are never placed
    assert not (d[d.place == "none"].status == "resolved").any()
    r = described[described.status == "resolved"]
    # the confidence is a probability: it matches the share placed in the right LSOA
    assert abs(r.right.mean() - r.confidence.mean()) < 0.05
    for lo, hi in ((0.0, 0.4), (0.4, 0.7), (0.7, 1.01)):
        b = r[(r.confidence >= lo) & (r.confidence < hi)]
        assert len(b) > 500
        assert abs(b.right.mean() - b.confidence.mean()) < 0.08, (lo, hi)
    # venues are unique enough to place well; confident matches are right
    assert r[r.place == "venue"].right.mean() >= 0.8
    assert r[~r.review].right.mean() >= 0.8


def test_review_answers_are_applied_and_leave_the_queue(demo_region, tmp_path):
    db = tmp_path / "w.duckdb"
    db.write_bytes((demo_region.folder / "vrukit.duckdb").read_bytes())
    with Warehouse(db) as wh:
        first = locate(wh)
        answers = first.queue.head(3).assign(confirmed_lsoa=lambda q: q.lsoa_code)
        second = locate(wh, reviewed=answers)
        stored = wh.table("istv_locations").to_pandas()
    assert len(second.queue) == len(first.queue) - 3
    hit = stored.merge(answers[["site_code", "matched"]], on=["site_code", "matched"])
    assert len(hit) >= answers.rows.sum()  # the answer holds for the name, queued or not
    assert (hit.kind == "reviewed").all() and (hit.confidence == 1.0).all()
    assert not hit.review.any()
    # re-running without answers gives back the first result exactly (idempotent)
    with Warehouse(db) as wh:
        third = locate(wh)
    pd.testing.assert_frame_equal(third.rates, first.rates)


def test_venues_without_lsoa_are_placed_by_boundary(demo_region, tmp_path):
    given = pd.read_csv(demo_region.istv / "venues.csv")
    bare = tmp_path / "venues.csv"
    given.drop(columns="lsoa_code").to_csv(bare, index=False)
    db = tmp_path / "w.duckdb"
    db.write_bytes((demo_region.folder / "vrukit.duckdb").read_bytes())
    with Warehouse(db) as wh:
        assert load_venues(wh, bare) == len(given)
        v = wh.table("istv_venues").to_pandas()
    placed = v[v.source_file == "venues.csv"].sort_values("source_line")
    # the demo's venues were jittered 40 m off their area's point; nearly all stay inside it
    assert (placed.lsoa_code.to_numpy() == given.lsoa_code.to_numpy()).mean() >= 0.9


def test_bad_venue_names_file_line_column_and_value(tmp_path):
    f = tmp_path / "v.csv"
    f.write_text("name,kind,longitude,latitude\nThe Crown,pub,-1.5,52.4\n")
    with pytest.raises(SchemaError) as e:
        read_venues(f)
    assert e.value.line == 2 and e.value.column == "kind" and e.value.value == "pub"
    f.write_text("name,kind,longitude,latitude\nThe Crown,licensed_premises,431000,290000\n")
    with pytest.raises(SchemaError, match="longitude"):
        read_venues(f)


def test_town_in_the_text_chooses_the_town():
    snap = pd.DataFrame(
        {
            "location": ["On or near Mill Lane"] * 3,
            "lsoa_code": ["E01000001", "E01000002", "E01000003"],
            "longitude": [-1.0, -1.1, -1.2],
            "latitude": [52.0, 52.1, 52.2],
            "n": [10, 1, 5],
        }
    )
    areas = pd.DataFrame(
        {"lsoa_code": ["E01000001", "E01000002", "E01000003"], "lad_name": ["Ash", "Ash", "Bay"]}
    )
    gz = build_gazetteer(snap, None, areas)
    rows = pd.DataFrame(
        {"site_code": ["X"] * 3, "location_description": ["Mill Ln, Bay", "mill lane", "home"]}
    )
    out = resolve_locations(rows, gz)
    assert out.lsoa_code[0] == "E01000003" and out.confidence[0] == pytest.approx(1.0)
    # no town: both towns possible (prior learnt from row 0 favours Bay 2:1), Ash split 10:1
    assert out.lsoa_code[1] == "E01000003"
    assert out.confidence[1] == pytest.approx(2 / 3)
    assert out.status[2] == "non_specific" and pd.isna(out.lsoa_code[2])


def test_geocodability_flags_a_site_whose_places_cannot_be_found():
    rng = np.random.default_rng(4)
    rows = []
    for site, miss in (("A", 0.03), ("B", 0.03), ("C", 0.25)):
        for month in ("2021-01", "2021-02"):
            status = np.where(rng.random(400) < miss, "unmatched", "resolved")
            rows.append(
                pd.DataFrame({"site_code": site, "month": month, "location_status": status})
            )
    m = _geocodable(pd.concat(rows, ignore_index=True), Rules())
    assert set(m[m.flag].site_code) == {"C"} and m.flag.sum() == 2

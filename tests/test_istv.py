"""ISTV: profiles, the identifier guard, ingest accounting, idempotence, and the quality scorecard
checked against the defects planted in the demo EDs."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vrukit.analysis.breaks import level_shift, level_shifts
from vrukit.analysis.istv_quality import SCORE_COLUMNS, Rules, _above_others
from vrukit.demo import DEMO_PROFILES
from vrukit.errors import ConfigError
from vrukit.ingest.identifiers import find_identifiers, nhs_number_valid
from vrukit.ingest.istv import scan_istv
from vrukit.ingest.istv_profile import load_profile, load_profiles
from vrukit.jobs.istv import run_score, scorecard_inputs
from vrukit.schemas import ISTV_ASSAULTS, ISTV_VAGUE
from vrukit.store.warehouse import Warehouse

PROFILES = load_profiles(DEMO_PROFILES)
RECEIVED = date(2030, 1, 1)


def _demo_file(demo_region, site: str, name: str) -> Path:
    return demo_region.istv / site / name


def _copy(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(src, folder / src.name))


# -- the scorecard against planted truth ------------------------------------------------------
def test_scorecard_finds_every_planted_defect_and_nothing_else(demo_region, tmp_path):
    truth = json.loads((demo_region.istv / "istv_truth.json").read_text())
    expected = {(f["site_code"], f["check"], f["month"]) for f in truth["expected_flags"]}
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        run = run_score(wh, tmp_path / "score")
    flags = run.scorecard.flags
    found = set(zip(flags.site_code, flags.check, flags.month, strict=True))
    assert found - expected == set(), "flags raised that were not planted"
    assert expected - found == set(), "planted defects the scorecard missed"
    assert {d["site_code"] for d in truth["defects"]} == set(flags.site_code)
    assert list(run.scorecard.measures.columns) == list(SCORE_COLUMNS)
    assert "geocodable" in set(run.scorecard.measures.check), "locations were not scored"
    for site, (html, csv) in run.files.sites.items():
        assert site in html.read_text() and len(pd.read_csv(csv)) > 0
    page = (tmp_path / "score" / "feedback" / "RRW01.html").read_text()
    assert "location description is blank" in page


#: Northbrook's planted "vague:method" months must clear the scorecard's thresholds by at least
#: this many standard errors of the month's share, so that no draw of the demo decides them.
VAGUE_MARGIN_SE = 3.0


def test_the_planted_vague_coding_clears_the_thresholds_with_margin(demo_region):
    """Each planted Northbrook month's share of other/unknown methods sits well above the least
    share the scorecard would flag (both rules: Fisher's p < vague_p, ratio >= vague_ratio),
    measured in standard errors of that share; the smallest margin is printed."""
    truth = json.loads((demo_region.istv / "istv_truth.json").read_text())
    planted = {f["month"] for f in truth["expected_flags"] if f["check"] == "vague:method"}
    with Warehouse(demo_region.folder / "vrukit.duckdb", read_only=True) as wh:
        assaults, _, _ = scorecard_inputs(wh)
    rules = Rules()
    a = assaults[assaults.method.notna()].assign(
        month=pd.to_datetime(assaults.period_start).dt.strftime("%Y-%m"),
        vague=assaults.method.isin(ISTV_VAGUE),
    )
    c = a.groupby(["month", "site_code"]).vague.agg(["sum", "size"]).reset_index()
    margins = []
    for month in sorted(planted):
        m = c[c.month == month]
        site, rest = m[m.site_code == "RNB01"].iloc[0], m[m.site_code != "RNB01"]
        k_rest, n_rest = int(rest["sum"].sum()), int(rest["size"].sum())
        others, n = k_rest / n_rest, int(site["size"])
        # the least count the scorecard flags: both rules must hold
        k = np.arange(n + 1)
        p = stats.hypergeom.sf(k - 1, n + n_rest, k + k_rest, n)
        flagged = (p < rules.vague_p) & (k / n >= rules.vague_ratio * others)
        least = k[flagged].min() / n
        share = site["sum"] / n
        margins.append((share - least) / np.sqrt(share * (1 - share) / n))
    print(f"smallest planted excess over the threshold: {min(margins):.1f} standard errors")
    assert len(margins) == len(planted) > 0
    assert min(margins) >= VAGUE_MARGIN_SE


def test_a_share_above_the_other_sites_is_fishers_exact_test():
    """The vague/geocodable p-value is one-sided Fisher's exact test (scipy's, the reference) of
    the site against the other sites that month; a chance month where the other sites had few
    rows is not flagged, as a binomial test against their share would."""
    rng = np.random.default_rng(5)
    rows = []
    for month in range(40):
        for site in "ABCD":
            n = int(rng.integers(20, 400))
            rows.append((site, f"m{month}", int(rng.binomial(n, rng.uniform(0.02, 0.3))), n))
    rows += [("A", "x", 20, 421), ("B", "x", 2, 141), ("C", "x", 2, 154), ("D", "x", 1, 36)]
    c = pd.DataFrame(rows, columns=["site_code", "month", "k", "n"])
    rules = Rules()
    out = _above_others(c, "vague:method", "other/unknown", rules)
    expected = []
    for r in c.itertuples():
        rest = c[(c.month == r.month) & (c.site_code != r.site_code)]
        k, n = rest.k.sum(), rest.n.sum()
        p = stats.fisher_exact([[r.k, r.n - r.k], [k, n - k]], alternative="greater").pvalue
        expected.append(p < rules.vague_p and r.k / r.n >= rules.vague_ratio * k / n)
    assert out.flag.tolist() == expected
    assert 0 < sum(expected) < len(expected) // 4
    chance = out[(out.site_code == "A") & (out.month == "x")]
    assert not chance.flag.iloc[0]
    assert stats.binom.sf(19, 421, 5 / 331) < rules.vague_p  # what the binomial test would say


def test_series_break_is_found_where_planted_and_not_in_noise():
    rng = np.random.default_rng(1)
    steady = rng.poisson(200, 36)
    shifted = np.r_[rng.poisson(200, 20), rng.poisson(120, 16)]
    assert level_shift(steady)[1] > 1e-3
    k, p, change = level_shift(shifted)
    assert k == 20 and p < 1e-6 and change == pytest.approx(-0.4, abs=0.05)


def _level_shift_by_loop(y: np.ndarray, m: int = 3) -> tuple[int, float, float]:
    """The reference: every split tried in turn, the likelihoods summed term by term."""

    def ll(x: np.ndarray, mu: float) -> float:
        return float(np.sum(x * np.log(max(mu, 1e-12)) - mu))

    if len(y) < 2 * m:
        return -1, 1.0, 0.0
    ll0, best = ll(y, y.mean()), (-1, 0.0, 0.0)
    for k in range(m, len(y) - m + 1):
        a, b = y[:k], y[k:]
        lr = 2 * (ll(a, a.mean()) + ll(b, b.mean()) - ll0)
        if lr > best[1]:
            best = (k, lr, (b.mean() - a.mean()) / max(a.mean(), 1e-9))
    k, lr, change = best
    return k, min(1.0, float(stats.chi2.sf(lr, 1)) * (len(y) - 2 * m + 1)), change


def test_level_shifts_of_many_series_equal_the_split_by_split_reference():
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(300):  # steady series and series that move, by up to half, at a random month
        level, at = rng.uniform(0.2, 60), rng.integers(3, 34)
        after = level * rng.choice([1.0, rng.uniform(0.5, 1.5)])
        rows.append(np.r_[rng.poisson(level, at), rng.poisson(after, 36 - at)])
    y = np.array([*rows, np.zeros(36), np.full(36, 4)])
    k, p, change = level_shifts(y)
    compared = 0
    for i, row in enumerate(y):
        rk, rp, rc = _level_shift_by_loop(row)
        assert p[i] == pytest.approx(rp, abs=1e-9)
        if rp < 1:  # a split worth a p-value; where p is 1 the best split is immaterial
            assert (k[i], change[i]) == (rk, pytest.approx(rc))
            compared += 1
    assert compared >= 100
    assert k[-2] == k[-1] == -1 and p[-1] == 1.0  # flat series: no split
    assert level_shift(y[0, :5]) == (-1, 1.0, 0.0)  # too short to split


# -- ingest: accounting, idempotence, resubmission --------------------------------------------
def test_every_demo_ingest_balances_and_reingest_changes_nothing(demo_region, tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        first = wh.ingest_istv([demo_region.istv], PROFILES)
        counts = wh.counts()
        again = wh.ingest_istv([demo_region.istv], PROFILES)
        assert wh.counts() == counts
    assert first.balanced and first.rows_read == first.rows_accepted + first.rows_quarantined
    assert set(again.files.status) == {"unchanged", "superseded"}
    assert counts["istv_submissions"] == 4 * 36 - 2  # Kingsmere missed two months


def test_resubmission_replaces_and_never_duplicates(demo_region, tmp_path):
    original = _demo_file(demo_region, "reh01", "reh01-2020-01.csv")
    resub = _demo_file(demo_region, "reh01", "reh01-2020-01-resubmitted.csv")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.ingest_istv([original], PROFILES, received=date(2020, 2, 10))
        n_first = wh.counts()["istv_assaults"]
        report = wh.ingest_istv([resub], PROFILES, received=date(2020, 4, 15))
        sub = wh.table("istv_submissions").to_pandas()
        n_after = wh.counts()["istv_assaults"]
    assert report.files.status.tolist() == ["replaced"]
    quarantined = int(report.files.rows_quarantined.iloc[0])
    assert quarantined > 0 and n_after == n_first  # duplicates kept once, nothing added twice
    assert len(sub) == 1 and sub.first_received.iloc[0] == pd.Timestamp("2020-02-10")
    assert bool(sub.replaced.iloc[0])


def _broken_kingsmere(demo_region, folder: Path) -> tuple[Path, dict[int, str]]:
    """A Kingsmere extract with one defect per line: bad date, bad time, unknown code, a line
    with too many fields, and an exact duplicate."""
    src = _demo_file(demo_region, "rkm01", "RKM01_ISTV_2019-04.csv")
    lines = src.read_text().splitlines()
    planted = {
        3: ("31/02/2019", "bad_date"),
        5: ("25:99", "bad_time"),
        7: ("KNIFE", "unknown_code"),
        9: (None, "wrong_column_count"),
    }
    for line, (value, _) in planted.items():
        fields = lines[line - 1].split(",")
        if line == 3:
            fields[0] = value
        elif line == 5:
            fields[1] = value
        elif line == 7:
            fields[4] = value
        else:
            fields.append("extra")
        lines[line - 1] = ",".join(fields)
    lines.append(lines[10])  # line 11 again, at the end
    path = folder / "RKM01_ISTV_2019-04.csv"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    reasons = {k: r for k, (_, r) in planted.items()} | {len(lines): "duplicate_row"}
    return path, reasons


def test_bad_rows_are_quarantined_with_file_line_column_and_value(demo_region, tmp_path):
    path, reasons = _broken_kingsmere(demo_region, tmp_path / "in")
    scan = scan_istv(path, PROFILES["RKM01"], received=RECEIVED)
    q = scan.quarantined.set_index("line")
    assert scan.balanced and scan.rows_read == len(path.read_text().splitlines()) - 1
    assert q.reason.to_dict() == reasons
    assert q.loc[3, "column_name"] == "Attendance Date" and q.loc[3, "value"] == "31/02/2019"
    assert "RKM01_ISTV_2019-04.csv line 7, column 'Weapon Code': 'KNIFE'" in q.loc[7, "message"]
    assert "rkm01.toml [codes.method]" in q.loc[7, "message"]
    assert scan.unknown_codes.to_dict("records") == [
        {"column_name": "Weapon Code", "value": "KNIFE", "rows": 1}
    ]
    assert list(scan.accepted.columns) == ISTV_ASSAULTS.names


@pytest.mark.parametrize(
    ("column", "values", "named"),
    [
        ("NHS Number", lambda n: ["943 476 5919"] * n, "NHS number"),
        ("Ref", lambda n: ["9434765919"] + [""] * (n - 1), "NHS numbers"),
        ("Patient Name", lambda n: ["A Person"] * n, "a name"),
        ("DOB", lambda n: ["01/01/2001"] * n, "a date of birth"),
        ("Home", lambda n: ["B15 2TT"] * n, "full postcodes"),
    ],
)
def test_identifier_columns_are_refused_and_nothing_is_stored(
    demo_region, tmp_path, column, values, named
):
    src = _demo_file(demo_region, "rkm01", "RKM01_ISTV_2019-05.csv")
    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    frame[column] = values(len(frame))
    folder = tmp_path / "in"
    folder.mkdir()
    frame.to_csv(folder / src.name, index=False)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        before = wh.counts()
        report = wh.ingest_istv([folder], PROFILES)
        assert wh.counts() == before
    row = report.files.iloc[0]
    assert row.status == "refused"
    assert f"column {column!r}" in row.message and named in row.message
    assert "943" not in row.message and "B15" not in row.message  # the value is never echoed


def test_a_damaged_workbook_is_rejected_by_name_and_the_rest_still_load(demo_region, tmp_path):
    """A truncated .xlsx is one rejected file with the reader's reason, not a crashed ingest."""
    folder = tmp_path / "in"
    good = _copy(_demo_file(demo_region, "rrw01", "Redwater_ISTV_201906.xlsx"), folder / "rrw01")
    bad = folder / "rrw01" / "Redwater_ISTV_201907.xlsx"
    bad.write_bytes(good.read_bytes()[:300])
    with Warehouse(tmp_path / "w.duckdb") as wh:
        report = wh.ingest_istv([folder], PROFILES)
        stored = wh.counts()["istv_assaults"]
    rows = report.files.set_index("source_file")
    assert rows.loc[str(bad), "status"] == "rejected"
    assert rows.loc[str(bad), "message"].startswith(f"{bad}: cannot be read as an Excel workbook")
    assert rows.loc[str(good), "status"] == "loaded"
    assert stored == rows.loc[str(good), "rows_accepted"] > 0


def test_partial_postcodes_and_location_text_pass_the_guard(demo_region, tmp_path):
    src = _demo_file(demo_region, "rkm01", "RKM01_ISTV_2019-05.csv")
    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    frame["District"] = "B15"
    frame.loc[0, "Where Did It Happen"] = "outside 12 Park Road B15 2TT"
    path = tmp_path / src.name
    frame.to_csv(path, index=False)
    scan = scan_istv(path, PROFILES["RKM01"], received=RECEIVED)
    assert scan.balanced and len(scan.accepted) == len(frame)


def test_nhs_check_digit():
    digits = np.array([[int(c) for c in s] for s in ("9434765919", "9434765918", "4010232137")])
    assert nhs_number_valid(digits).tolist() == [True, False, True]


def test_the_guard_weighs_values_by_rows_and_names_the_first_line():
    """Distinct values are checked once but shares count rows: one full postcode repeated over
    half the rows is refused, six distinct districts over the rest do not outvote it."""
    lines = pd.Series(np.arange(60) + 2, index=np.arange(60) + 100)
    postcode = ["B15 2TT"] * 30 + ["B15", "B16", "L1", "L2", "M1", "M2"] * 5
    nhs = [""] * 40 + [" 943 476 5919 "] + ["x"] * 19  # padded, still an NHS number
    foreign = ["٩٤٣٤٧٦٥٩١٩"] * 60  # not ASCII
    frame = pd.DataFrame({"Home": postcode, "Ref": nhs, "Note": foreign}, index=lines.index)
    found = {f.column: f for f in find_identifiers(frame, lines)}
    assert set(found) == {"Home", "Ref"}
    assert (found["Home"].line, found["Home"].how) == (2, "50% of its values are full postcodes")
    assert (found["Ref"].kind, found["Ref"].line) == ("NHS numbers", 42)


# -- the four layouts map to the same standard values -----------------------------------------
def test_each_layout_maps_to_the_planted_values(demo_region):
    truth = pd.read_csv(demo_region.istv / "istv_truth_assaults.csv")
    files = {
        "RKM01": "rkm01/RKM01_ISTV_2019-06.csv",
        "RRW01": "rrw01/Redwater_ISTV_201906.xlsx",
        "RNB01": "rnb01/RNB01_ISTV_2021-06.xml",
        "REH01": "reh01/reh01-2019-06.csv",
    }
    for site, rel in files.items():
        path = demo_region.istv / rel
        scan = scan_istv(path, PROFILES[site], received=RECEIVED)
        want = truth[truth.file == path.name].sort_values("line")
        got = scan.accepted.sort_values("source_line")
        assert got.source_line.tolist() == want.line.tolist()
        assert got.method.fillna("").tolist() == want.method.fillna("").tolist(), site
        assert got.location_type.fillna("").tolist() == want.location_type.fillna("").tolist()
    nb = truth[(truth.site_code == "RNB01") & (truth.month >= "2020-10")]
    assert not (nb.method == "knife").any()  # the planted coding defect is in the truth too


# -- profiles ---------------------------------------------------------------------------------
def test_profile_errors_name_the_file_and_key(tmp_path):
    good = (DEMO_PROFILES / "rkm01.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(good.replace('3 = "knife"', '3 = "blade"'))
    with pytest.raises(ConfigError, match=r"bad.toml: \[codes.method\] maps '3' to 'blade'"):
        load_profile(bad)
    bad.write_text(good.replace('F = "female"', 'F = "female"\nf = "male"'))
    with pytest.raises(ConfigError, match=r"\[codes.sex\] maps 'f' two ways"):
        load_profile(bad)
    bad.write_text(good.replace('method = "Weapon Code"\n', ""))
    with pytest.raises(ConfigError, match="must map method"):
        load_profile(bad)


def test_demo_profiles_are_documented():
    doc = (Path(__file__).parents[1] / "docs" / "istv.md").read_text()
    for p in DEMO_PROFILES.glob("*.toml"):
        assert p.name in doc

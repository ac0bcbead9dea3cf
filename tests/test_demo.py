"""The synthetic region: deterministic, loads through the real loaders, carries its truth."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrukit.demo import build_demo
from vrukit.demo._records import write_month
from vrukit.jobs.demo import DEMO_LOAD_STEPS, demo_steps, load_demo
from vrukit.schemas import VIOLENCE_TYPES
from vrukit.store.warehouse import Warehouse

SMALL = {"seed": 7, "months": 24, "n_areas": 500}


#: What ``build_demo`` and ``load_demo`` said while the ``demo`` fixture was made.
SAID: list[str] = []


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    files = build_demo(tmp_path_factory.mktemp("demo"), **SMALL, progress=SAID.append)
    wh = Warehouse(files.folder / "vrukit.duckdb")
    # test_referrals loads the full demo's referrals
    report = load_demo(wh, files, referrals=False, progress=SAID.append)
    yield files, wh, report
    wh.close()


def test_progress_names_every_step_and_the_bar_knows_how_many(demo):
    assert len(SAID) == demo_steps(SMALL["months"], referrals=False)
    assert SAID[-len(DEMO_LOAD_STEPS) + 1 :] == list(DEMO_LOAD_STEPS[:-1])
    months = [m for m in SAID if m.startswith("writing police.uk month")]
    assert len(months) == SMALL["months"] and months[0].endswith("2019-04")


def test_same_seed_same_files(demo, tmp_path):
    files, _, _ = demo
    again = build_demo(tmp_path, **SMALL)
    first = "2019-04/2019-04-kingsmere-street.csv"
    assert (again.policeuk / first).read_bytes() == (files.policeuk / first).read_bytes()
    assert again.boundaries.read_bytes() == files.boundaries.read_bytes()
    assert again.truth.read_text() == files.truth.read_text()


#: Files of a demo folder that are not data: the databases it is loaded into and the referral
#: key, a fresh secret on every run.
NOT_DATA = {".duckdb", ".sqlite", ".key", ".wal"}


def _demo_digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix not in NOT_DATA
    }


def _vrukit_demo(folder: Path, hash_seed: str, **env: str) -> dict[str, str]:
    cli = Path(sys.executable).with_name("vrukit")
    args = [str(cli), "demo", "--out", str(folder), "--months", "6", "--areas", "200"]
    run = subprocess.run(
        args, env={**os.environ, "PYTHONHASHSEED": hash_seed, **env},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    return _demo_digests(folder)


def test_vrukit_demo_writes_the_same_bytes_in_any_process(tmp_path):
    """Two fresh ``vrukit demo`` processes with different hash seeds, the second as on an older
    CPU (another BLAS kernel, and numpy's vector kernels - AVX2, AVX-512 - switched off): every
    police.uk file, ISTV extract, workbook, truth file and reference file is byte-identical."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    vector = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    first = _vrukit_demo(tmp_path / "a", "1")
    second = _vrukit_demo(
        tmp_path / "b", "2", OPENBLAS_CORETYPE="Sandybridge",
        NPY_DISABLE_CPU_FEATURES=" ".join(vector),
    )  # fmt: skip
    kinds = {name.split("/")[0] for name in first}
    assert {"policeuk", "istv", "programme", "truth.json", "truth_areas.csv"} <= kinds
    assert any(n.endswith(".xlsx") for n in first), "no workbook was compared"
    assert first.keys() == second.keys()
    differ = sorted(n for n in first if first[n] != second[n])
    assert differ == [], f"{len(differ)} files differ, e.g. {differ[:5]}"


def test_demo_loads_whole_and_clean(demo):
    files, wh, report = demo
    assert report.balanced and report.rows_quarantined == 0
    assert report.rows_read == files.crimes_written
    counts = wh.counts()
    assert counts["areas"] == counts["deprivation"] == SMALL["n_areas"]
    assert counts["population"] == SMALL["n_areas"] * 7
    c = wh.table("crimes")
    assert c.lsoa_unknown.sum().execute() == 0, "every demo LSOA is in areas"
    types = set(c.select("crime_type").distinct().to_pandas().crime_type)
    assert types == set(
        pd.read_csv(files.policeuk / "2019-04/2019-04-kingsmere-street.csv")["Crime type"]
    )
    assert c.crime_type.nunique().execute() == 14
    assert 0 < c.no_location.mean().execute() < 0.03
    asb = c.filter(c.crime_type == "Anti-social behaviour")
    assert asb.no_crime_id.all().execute()
    a = wh.table("areas").to_pandas()
    assert a.population.notna().all() and a.lad_name.nunique() == 7


def test_truth_describes_the_plant(demo):
    files, _, _ = demo
    truth = json.loads(files.truth.read_text())
    assert truth["months"][0] == "2019-04" and len(truth["months"]) == SMALL["months"]
    kinds = [h["kind"] for h in truth["model"]["hotspots"]]
    assert sorted(set(kinds)) == ["diminishing", "emerging", "persistent"]
    assert len(truth["model"]["pilots"]) == 3
    areas = pd.read_csv(files.truth_areas)
    assert len(areas) == SMALL["n_areas"]


def _violence_per_1000(wh, codes, months):
    c = wh.table("crimes")
    a = wh.table("areas")
    v = c.filter(c.crime_type.isin(VIOLENCE_TYPES) & c.lsoa_code.isin(codes) & c.month.isin(months))
    n = v.count().execute()
    pop = a.filter(a.lsoa_code.isin(codes)).population.sum().execute()
    return 1000 * n / pop


def test_planted_hotspots_and_pilot_effect_are_in_the_data(demo):
    files, wh, _ = demo
    truth = json.loads(files.truth.read_text())
    areas = pd.read_csv(files.truth_areas, keep_default_na=False)
    months = [pd.Timestamp(m + "-01").date() for m in truth["months"]]
    persistent = list(areas.lsoa_code[areas.hotspot_kind == "persistent"])
    plain = list(areas.lsoa_code[(areas.hotspot == "") & (areas.pilot == "")])
    ratio = _violence_per_1000(wh, persistent, months) / _violence_per_1000(wh, plain, months)
    assert ratio > 2.0, f"persistent hotspots should carry >2x the violence rate, got {ratio:.2f}"
    pilot = truth["model"]["pilots"][0]
    start = truth["months"].index(pilot["start_month"])
    before, after = months[:start], months[start:]
    p = list(pilot["areas"])
    change_pilot = (
        _violence_per_1000(wh, p, after)
        / len(after)
        / (_violence_per_1000(wh, p, before) / len(before))
    )
    change_rest = (
        _violence_per_1000(wh, plain, after)
        / len(after)
        / (_violence_per_1000(wh, plain, before) / len(before))
    )
    assert np.isclose(change_pilot / change_rest, 1 - pilot["effect"], atol=0.12)


def test_a_short_demo_plants_its_defects_inside_its_months(tmp_path):
    """`vrukit demo --months 12` used to fail: the A&E defects sat at fixed months 9-20. Too
    few months or areas are refused with a message, not a traceback."""
    from vrukit.errors import ConfigError

    files = build_demo(tmp_path / "short", seed=7, months=6, n_areas=200)
    truth = json.loads((files.istv / "istv_truth.json").read_text())
    labels = sorted(p.name for p in files.policeuk.iterdir())
    flagged = {f["month"] for f in truth["expected_flags"]}
    assert len(labels) == 6 and flagged <= set(labels)
    gap = {f["month"] for f in truth["expected_flags"] if f["site_code"] == "RKM01"}
    sent = {p.stem.rsplit("_", 1)[-1] for p in (files.istv / "rkm01").glob("*.csv")}
    assert len(gap) == 2 and sent == set(labels) - gap, "Kingsmere sends nothing in its gap"
    with pytest.raises(ConfigError, match="at least 5 months"):
        build_demo(tmp_path / "tiny", months=4, n_areas=200)
    with pytest.raises(ConfigError, match="at least 100 small areas"):
        build_demo(tmp_path / "tiny", months=6, n_areas=60)
    from vrukit.demo.national import build_national

    with pytest.raises(ConfigError, match=r"at least 100 small areas per force \(200 for 2\)"):
        build_national(tmp_path / "tiny", months=1, n_areas=150, forces=2)
    assert not (tmp_path / "tiny").exists(), "nothing is written"
    assert build_demo(tmp_path / "crime", months=1, n_areas=200, crime_only=True).crimes_written


def test_a_month_file_has_the_bytes_pandas_would_write(tmp_path):
    frame = pd.DataFrame(
        {
            "Crime ID": ["9f2c", ""],
            "Month": "2020-01",
            "Longitude": ["-1.731040", ""],
            "Location": ["On or near Mill Lane", "No Location"],
            "Context": "",
        },
        index=[1, 0],
    )
    for location in ("On or near Mill Lane", 'On or near "The Crown", Mill Lane'):
        rows = frame.assign(Location=[location, "No Location"])
        path = write_month(rows, tmp_path / location[-4:], "2020-01", "kingsmere")
        assert path.name == "2020-01-kingsmere-street.csv"
        assert path.read_bytes() == rows.to_csv(index=False, lineterminator="\r\n").encode()

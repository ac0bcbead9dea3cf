"""The demo programme, loaded through the same path providers' uploads take: the registry, the
returns (refused where planted, with row and column), lateness as planted, and the training's
planted changes found by the project-tier analysis."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.analysis.project_evaluation import paired_change
from vrukit.demo.programme import ORGANISATIONS, QUARTERS, write_programme
from vrukit.programme.db import engine, upgrade
from vrukit.programme.load import load_registry, load_returns, load_training
from vrukit.programme.models import Intervention, Place, ReturnSubmission, TrainingScore
from vrukit.programme.returns import return_status

PILOTS = [
    {"name": n, "start_month": "2020-10", "areas": [f"E0190000{k}{j}" for j in range(3)]}
    for k, n in enumerate(("Redwater Central", "Northbrook Fields", "Eastford Canalside"))
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("programme")
    files = write_programme(folder / "demo", 2021, PILOTS)
    url = f"sqlite:///{folder / 'programme.sqlite'}"
    upgrade(url)
    eng = engine(url)
    with Session(eng) as s, s.begin():
        registry = json.loads(files.registry.read_text())
        added = load_registry(s, registry)
        again = load_registry(s, registry)
        report = load_returns(s, files.returns)
        trained = load_training(s, files.training, "Trauma-informed training")
    yield files, eng, added, again, report, trained
    eng.dispose()


def test_registry_loads_once(loaded):
    _, eng, added, again, _, _ = loaded
    assert added == {"organisations": len(ORGANISATIONS), "places": 3, "interventions": 8,
                     "boards": 2}  # fmt: skip
    assert set(again.values()) == {0}
    with Session(eng) as s:
        pilot = s.scalars(select(Intervention).where(Intervention.thematic_area == "places")).one()
        place = s.get(Place, pilot.place_id)
        assert place is not None and place.name == "Eastford Canalside" and len(place.areas) == 3


def test_refused_returns_are_the_planted_ones_with_row_and_column(loaded):
    files, eng, _, _, report, _ = loaded
    truth = json.loads(files.truth.read_text())
    refused = report.refused
    assert len(refused) == len(truth["refused"])
    for t in truth["refused"]:
        hit = refused[refused.file.str.endswith(t["file"])]
        assert len(hit) == 1, t
        assert f"row {t['row']}, {t['column']}" in hit.problems.iloc[0]
    with Session(eng) as s:
        stored = s.scalar(select(func.count()).select_from(ReturnSubmission))
    assert stored == (report.files.status == "accepted").sum()


def test_lateness_is_flagged_as_planted(loaded):
    files, eng, _, _, _, _ = loaded
    truth = json.loads(files.truth.read_text())
    with Session(eng) as s:
        st = return_status(s, QUARTERS, date.fromisoformat(truth["today"]))
    found = {(r.intervention, r.period, r.status) for r in st.itertuples() if r.status != "on_time"}
    planted = {(t["intervention"], t["period"], "late") for t in truth["late"]} | {
        (t["intervention"], t["period"], "missing") for t in truth["missing"]
    }
    # a return refused and sent again three days later is on time if both came before the due
    # date; the planted refusals are not late
    assert found == planted


def test_training_changes_found_where_planted(loaded):
    files, eng, _, _, _, trained = loaded
    truth = json.loads(files.truth.read_text())
    assert trained == 120
    with Session(eng) as s:
        scores = pd.DataFrame(
            s.execute(select(TrainingScore.statement, TrainingScore.pre, TrainingScore.post)).all(),
            columns=["statement", "pre", "post"],
        )
    out = paired_change(scores).set_index("statement")
    for t in truth["training"]:
        row = out.loc[t["statement"]]
        if t["lift_probability"] > 0:
            assert row.wilcoxon_p < 1e-4 and row.mean_change > 0, t
        else:
            assert row.wilcoxon_p > 0.01, t


def test_programme_summary_from_the_current_returns(loaded):
    from vrukit.analysis.programme_evaluation import indicator_progress, programme_summary
    from vrukit.demo.programme import INTERVENTIONS
    from vrukit.programme.queries import (
        current_return_rows,
        indicators_frame,
        interventions_frame,
    )

    _, eng, _, _, report, _ = loaded
    with Session(eng) as s:
        rows = current_return_rows(s)
        summary = programme_summary(rows, interventions_frame(s))
        progress = indicator_progress(summary, indicators_frame(s))
    funding = {iv[0]: iv[7] for iv in INTERVENTIONS}
    # reach counts each participant once, from the accepted files only
    accepted = report.files[report.files.status == "accepted"]
    for name, g in accepted.groupby("intervention"):
        refs = set()
        for f in g.file:
            t = (
                pd.read_excel(f, dtype=str, engine="calamine")
                if f.endswith(".xlsx")
                else pd.read_csv(f, dtype=str)
            )
            refs |= set(t.participant_ref)
        row = summary.set_index("intervention").loc[name]
        assert row.reached == len(refs), name
        assert row.cost_per_participant == pytest.approx(funding[name] / len(refs))
    # engagement was drawn at 75%: the pooled share's interval holds it
    from vrukit.analysis.project_evaluation import wilson

    lo, hi = wilson(int(summary.engaged.sum()), int(summary.reached.sum()))
    assert lo <= 0.75 <= hi
    assert set(progress.status) <= {"met", "not_met", "uncertain"}
    assert len(progress) == 7  # one completion indicator per reporting intervention

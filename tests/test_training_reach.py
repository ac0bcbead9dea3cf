"""Training reach (issue 33, item 5): sessions, attendees and the young people they reach,
by sector and quarter, equal to the sum of the sessions; checked by hand on a small fixture and
on the demo, where `vrukit evaluate` writes and shows it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from vrukit.analysis.training_reach import training_reach, training_sessions


def _records() -> pd.DataFrame:
    rows = [  # record, intervention, provider, day, reached a week, employer
        (1, "Trauma", "Hub", date(2022, 1, 10), 30, "School"),
        (2, "Trauma", "Hub", date(2022, 1, 10), 12, "Police"),
        (3, "Trauma", "Hub", date(2022, 4, 5), None, "School"),
        (4, "Trauma", "Trust", date(2022, 1, 10), 8, None),
        (5, "Mentors", "Hub", date(2022, 4, 5), 20, "School"),
    ]
    return pd.DataFrame(rows, columns=["record", "intervention", "provider", "trained_on",
                                       "reached_per_week", "participant_organisation"])  # fmt: skip


def test_reach_by_hand() -> None:
    records = _records()
    scores = pd.DataFrame({"record": [1, 1, 2, 5, 5], "pre": [2, 3, 4, 1, None],
                           "post": [4, 3, 3, 2, 5]})  # fmt: skip
    sessions = training_sessions(records)
    # four sessions: Trauma/Hub on two days, Trauma/Trust, Mentors/Hub
    assert len(sessions) == 4 and sessions.attendees.sum() == 5 and sessions.reached.sum() == 70
    reach = training_reach(records, scores).set_index(["sector", "quarter"])
    whole = reach.loc[("all", "all")]
    assert (whole.sessions, whole.attendees, whole.reached) == (4, 5, 70)
    # answered pairs: 1 (2->4 up, 3->3), 2 (4->3), 5 (1->2 up; the unanswered one left out)
    assert whole.answers == 4 and whole.improved_share == pytest.approx(2 / 4)
    school = reach.loc[("School", "all")]
    assert (school.sessions, school.attendees, school.reached) == (3, 3, 50)
    assert reach.loc[("School", "2022-Q2")].reached == 20  # the unanswered week counts none
    assert reach.loc[("not recorded", "all")].reached == 8
    by_sector = reach.xs("all", level="quarter").drop(index="all")
    assert by_sector.attendees.sum() == whole.attendees and by_sector.reached.sum() == 70


def test_on_the_demo_reach_is_the_sum_of_its_sessions_and_evaluate_shows_it(
    demo_region, tmp_path
) -> None:
    import shutil

    from vrukit.jobs.evaluate import run_evaluation
    from vrukit.programme.db import session
    from vrukit.programme.tiers import training_tier
    from vrukit.store.warehouse import Warehouse

    store = tmp_path / "programme.sqlite"
    shutil.copy(demo_region.folder / "programme.sqlite", store)
    url = f"sqlite:///{store}"
    with session(url) as s:
        sessions, reach = training_tier(s)
    whole = reach[(reach.sector == "all") & (reach.quarter == "all")].iloc[0]
    assert len(sessions) > 1 and whole.sessions == len(sessions)
    assert whole.attendees == sessions.attendees.sum() > 0
    assert whole.reached == sessions.reached.sum() > 0
    quarters = reach[(reach.sector != "all") & (reach.quarter != "all")]
    assert quarters.reached.sum() == whole.reached
    with Warehouse(demo_region.folder / "vrukit.duckdb", read_only=True) as wh:
        run = run_evaluation(wh, url, tmp_path / "evaluation", say=lambda _: None)
    written = pd.read_csv(tmp_path / "evaluation" / "training_reach.csv", keep_default_na=False)
    total = written[(written.sector == "all") & (written.quarter == "all")].iloc[0]
    assert (total.sessions, total.attendees, total.reached) == (
        whole.sessions, whole.attendees, whole.reached)  # fmt: skip
    assert run.reach is not None and len(run.reach) == len(written)
    html = (tmp_path / "evaluation" / "evaluation.html").read_text()
    assert f"who between them work with {int(whole.reached):,} young people a week" in html
    # beside it, the qualitative evidence (issue 33, item 4): the demo's year of interviews,
    # loaded by the demo job from its .qdpx, counted exactly as planted
    import json

    truth = json.loads((demo_region.programme / "qualitative_truth.json").read_text())
    themes = pd.read_csv(tmp_path / "evaluation" / "qualitative_themes.csv")
    assert run.themes is not None and len(themes) == len(run.themes)
    totals = themes[themes.by == "all"].set_index("theme").sources.to_dict()
    assert totals == truth["sources_by_theme"]
    places = themes[themes.by == "place"]
    planted = {(t, p): n for t, by in truth["excerpts_by"]["place"].items() for p, n in by.items()}
    assert dict(zip(zip(places.theme, places.value, strict=True), places.excerpts,
                    strict=True)) == planted  # fmt: skip
    assert "Excerpts by theme and place" in html
    # and feeling safe (issue 33, item 1): place evaluation reads the surveys' safety measure,
    # which the demo planted to rise in the pilots' places after they began
    safety = pd.read_csv(tmp_path / "evaluation" / "safety_by_place.csv")
    assert run.safety is not None and len(safety) == len(run.safety) == 3
    assert (safety.change > 0.08).all() and (safety.before_respondents >= 100).all()
    assert "How safe young people feel, by place" in html


def test_the_board_pack_shows_each_quarter_s_training_by_sector_summing_its_sessions(
    demo_region, tmp_path
) -> None:
    import shutil

    from vrukit.jobs.board_pack import collect
    from vrukit.programme.db import session
    from vrukit.programme.tiers import training_tier
    from vrukit.publish.board_pack import write_pack

    store = tmp_path / "programme.sqlite"
    shutil.copy(demo_region.folder / "programme.sqlite", store)
    with session(f"sqlite:///{store}") as s:
        sessions, _ = training_tier(s)
        busiest = sessions.groupby("quarter").attendees.sum().idxmax()
        data = collect(s, busiest)
    mine = sessions[sessions.quarter == busiest]
    total = data.training[data.training.sector == "all"].iloc[0]
    assert (total.sessions, total.attendees, total.reached) == (
        len(mine), mine.attendees.sum(), mine.reached.sum())  # fmt: skip
    by_sector = data.training[data.training.sector != "all"]
    assert by_sector.attendees.sum() == total.attendees == data.training_reach
    assert by_sector.reached.sum() == total.reached
    html = write_pack(data, tmp_path / "pack").read_text()
    assert "Training this quarter by the attendees' sector" in html
    assert f"{int(total.reached):,}" in html
    public = write_pack(data, tmp_path / "pub", public=True).read_text()
    assert "All sectors" in public
    assert not any(f"<td>{sector}</td>" in public for sector in by_sector.sector)

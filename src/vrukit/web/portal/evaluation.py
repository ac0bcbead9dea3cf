"""The evaluation in the portal: the three tiers on one page - place results as ``vrukit
evaluate`` last stored them (event study and synthetic control charts beside their tables),
project and programme tiers computed from the store as it is now. The statistics and chart
libraries load on the first request for them, so the portal starts in a second.

The page covers every provider's interventions, so providers do not see it (403); they see
their own returns on their intervention pages.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.programme.models import Place, PlaceEvaluation
from vrukit.web.portal.lang import t
from vrukit.web.portal.web import Db, Me, need_role, render

__all__ = ["READERS", "router"]

router = APIRouter()
#: Roles that read the evaluation.
READERS = ("admin", "commissioner", "analyst")


def current_results(s: Session) -> list[tuple[PlaceEvaluation, str]]:
    """The newest result of each design for each place, with the place's name."""
    newest = (
        select(func.max(PlaceEvaluation.id))
        .group_by(PlaceEvaluation.place_id, PlaceEvaluation.design)
        .scalar_subquery()
    )
    q = (
        select(PlaceEvaluation, Place.name)
        .join(Place, Place.id == PlaceEvaluation.place_id)
        .where(PlaceEvaluation.id.in_(newest))
        .order_by(Place.name, PlaceEvaluation.design)
    )
    return [(r, n) for r, n in s.execute(q).all()]


def _today(request: Request) -> date:
    today = request.app.state.today
    return today() if today else date.today()


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation(request: Request, s: Db, me: Me) -> HTMLResponse:
    need_role(me, READERS, t("read the programme-wide evaluation"))
    from vrukit.programme.queries import current_return_rows
    from vrukit.programme.tiers import (
        group_comparisons,
        programme_tier,
        project_tier,
        training_tier,
    )
    from vrukit.publish.evaluation import DESIGNS, group_tables, theme_tables  # on first use
    from vrukit.qualitative.counts import theme_counts
    from vrukit.referrals.report import evaluation_figures
    from vrukit.voice.results import safety_before_after

    results = current_results(s)
    places = [{"place": n, "design": r.design, "effect": r.effect, "low": r.low, "high": r.high,
               "p": r.p, "sms_level": r.sms_level} for r, n in results]  # fmt: skip
    charts = [(n, r.design, f"/evaluation/charts/{r.id}.svg") for r, n in results]
    run_at = max((r.run_at for r, _ in results), default=None)
    rows = current_return_rows(s)
    summary, indicators = programme_tier(s, rows)
    training = project_tier(s)
    _, reach = training_tier(s)
    _, referrals, reoffending = evaluation_figures(s)
    return render(
        request, "evaluation.html", user=me, places=places, charts=charts, designs=DESIGNS,
        run_at=run_at, training=training.to_dict("records"),
        groups=group_tables(group_comparisons(s, rows)),
        programme=summary.to_dict("records"), indicators=indicators.to_dict("records"),
        referral_summary=referrals.to_dict("records"), reoffending=reoffending,
        reach=reach.to_dict("records"), themes=theme_tables(theme_counts(s)),
        safety=safety_before_after(s, today=_today(request)).to_dict("records"),
    )  # fmt: skip


@router.get("/evaluation/charts/{eid}.svg")
def chart(s: Db, me: Me, eid: int) -> Response:
    need_role(me, READERS, t("read the programme-wide evaluation"))
    r = s.get(PlaceEvaluation, eid)
    if r is None:
        raise HTTPException(404, t("no such chart"))
    name = s.get(Place, r.place_id).name  # type: ignore[union-attr]
    from vrukit.publish.evaluation import event_study_svg, synthetic_svg  # charts: on first use

    draw = event_study_svg if r.design == "did" else synthetic_svg
    return Response(draw(r.detail, name), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip

"""Funding rounds in the portal: the commissioner sets a round up (fund, budget, dates,
criteria and weights, eligibility questions, panel, the template awards start with) and moves
it on; providers see open rounds and apply; the panel sees what it scores; the round page
ranks applications with the scorers' spread, the expected effect against cost, and the
awards against the budget. The application pages are in ``applications``."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vrukit.commissioning.models import Application, Conflict, FundingRound, PanelMember
from vrukit.commissioning.rounds import STANDARD_TEMPLATE, open_round, ranking, set_status
from vrukit.commissioning.yef import check_baseline, expected_effect, portfolio
from vrukit.csvio import write_csv
from vrukit.errors import ConfigError
from vrukit.programme.audit import audit
from vrukit.programme.db import lock_row
from vrukit.programme.models import PREVENTION_TIERS, Intervention, User
from vrukit.web.portal.lang import JOIN, Said, t
from vrukit.web.portal.registry import _value, money
from vrukit.web.portal.setup import _text
from vrukit.web.portal.web import (
    EDITORS,
    STAFF,
    Csrf,
    Db,
    Me,
    Posted,
    need_role,
    render,
    template_of,
    whole_number,
)

__all__ = ["ROUTES", "round_for", "router", "seen_ranking"]

router = APIRouter()


def _panel_ids(rnd: FundingRound) -> set[int]:
    return {p.user_id for p in rnd.panel}


def round_for(s: Session, me: User, rid: int) -> FundingRound:
    """Round ``rid`` if ``me`` may see it (staff; its panel; providers once it has opened);
    404 otherwise."""
    rnd = s.get(FundingRound, rid)
    seen = rnd is not None and (
        me.role in STAFF or me.id in _panel_ids(rnd)
        or (me.role == "provider" and rnd.status != "draft")
    )  # fmt: skip
    if rnd is None or not seen:
        raise HTTPException(404, t("no such round"))
    return rnd


def _visible_rounds(s: Session, me: User) -> list[FundingRound]:
    q = select(FundingRound).order_by(FundingRound.opens.desc(), FundingRound.name)
    if me.role == "provider":
        q = q.where(FundingRound.status != "draft")
    elif me.role not in STAFF:
        q = q.where(FundingRound.id.in_(select(PanelMember.round_id)
                                        .where(PanelMember.user_id == me.id)))  # fmt: skip
    return list(s.scalars(q))


@router.get("/rounds", response_class=HTMLResponse)
def rounds(request: Request, s: Db, me: Me) -> HTMLResponse:
    shown = _visible_rounds(s, me)
    whole = None
    if me.role in STAFF:  # the portfolio as awarded, across every round
        awarded = [(expected_effect(a.reach, r.baseline.get(a.prevention_tier), a.yef_strand,
                                    a.awarded or 0.0), a.awarded or 0.0)
                   for r in shown for a in r.applications if a.status == "awarded"]  # fmt: skip
        whole = (portfolio(awarded), sum(a for _, a in awarded), len(awarded)) if awarded else None
    return render(request, "rounds.html", user=me, rounds=shown, whole=whole,
                  can_edit=me.role in EDITORS)  # fmt: skip


def _panel_choices(s: Session) -> list[User]:
    return list(s.scalars(select(User).where(User.active, User.role != "provider")
                          .order_by(User.email)))  # fmt: skip


@router.get("/rounds/new", response_class=HTMLResponse)
def new_round_form(request: Request, s: Db, me: Me) -> HTMLResponse:
    _editor(me)
    ivs = s.scalars(select(Intervention).order_by(Intervention.name)).all()
    return render(request, "round_new.html", user=me, people=_panel_choices(s),
                  interventions=ivs, tiers=PREVENTION_TIERS)  # fmt: skip


def _editor(me: User) -> None:
    need_role(me, EDITORS, t("run funding rounds"))


def _lines(text: str, label: str, most: int = 20) -> list[list[str]]:
    """A textarea of "a | b" lines, each split at its bars."""
    rows = [[p.strip() for p in line.split("|")] for line in text.splitlines() if line.strip()]
    if len(rows) > most:
        raise HTTPException(422, t("%(label)s: at most %(most)s lines", label=label, most=most))
    return rows


def _criteria(text: str) -> list[tuple[str, float]]:
    out = []
    for parts in _lines(text, t("Criteria")):
        weight = _value("number", t("Weight of %(name)s", name=repr(parts[0])),
                        parts[1] if len(parts) > 1 else "1", ())  # fmt: skip
        if not parts[0] or len(parts[0]) > 200 or not weight:
            raise HTTPException(
                422,
                t(
                    "Criteria: one per line, as 'name | weight' with a weight above 0 "
                    "(got %(choices)s)",
                    choices=repr(" | ".join(parts)),
                ),
            )
        out.append((parts[0], float(weight)))
    if not out:
        raise HTTPException(422, t("Criteria: give at least one, as 'name | weight'"))
    return out


def _questions(text: str) -> list[dict[str, Any]]:
    out = []
    for k, parts in enumerate(_lines(text, t("Eligibility questions"))):
        if not parts[0] or len(parts[0]) > 300:
            raise HTTPException(422, t("Eligibility question %(n)s is empty or too long", n=k + 1))
        must = parts[1].lower() if len(parts) > 1 and parts[1] else None
        out.append({"key": f"q{k + 1}", "text": parts[0], "must": must})
    return out


def _template(s: Session, form: Any) -> list[dict[str, Any]]:
    n = whole_number(form.get("template_from", ""))
    if n is None:
        return list(STANDARD_TEMPLATE)
    found = template_of(s, n)
    if found is None:
        raise HTTPException(422, t("Template: that intervention has no return template"))
    return list(found.fields)


def _baseline(form: Any) -> dict[str, float]:
    given = {tier: str(form.get(f"baseline_{tier}", "")).strip() for tier in PREVENTION_TIERS}
    values = {tier: _value("number", t("Baseline (%(tier)s)", tier=t(tier)), v, ())
              for tier, v in given.items() if v}  # fmt: skip
    return check_baseline({tier: float(v) for tier, v in values.items() if v is not None})


@router.post("/rounds/new", dependencies=[Csrf])
def new_round(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _editor(me)
    name = _text(form, "name", t("Name"))
    if s.scalars(select(FundingRound.id).where(FundingRound.name == name)).first():
        raise HTTPException(422, t("%(name)s is already a round", name=name))
    dates = {k: _value("date", label, str(form.get(k, "")), ())
             for k, label in (("opens", t("Opens")), ("closes", t("Closes")))}  # fmt: skip
    budget = money(form.get("budget", ""), t("Budget"))
    if None in dates.values() or budget is None:
        raise HTTPException(422, t("Budget, opening and closing dates are required"))
    panel = [n for n in (whole_number(v) for v in form.getlist("panel")) if n is not None]
    allowed = {u.id for u in _panel_choices(s)}
    if not set(panel) <= allowed:
        raise HTTPException(422, t("Panel: choose people from the list (providers cannot score)"))
    scorers = whole_number(str(form.get("min_scorers", "")).strip() or "2", 20)
    if not scorers:  # "1e400", 0 or 21 once became 2 without a word (the eighteenth probe)
        raise HTTPException(422, t("Scorers each application needs: a whole number from 1 to 20"))
    programme = whole_number(form.get("programme", ""))
    if programme is not None and s.get(Intervention, programme) is None:
        raise HTTPException(422, t("Programme: choose an intervention from the list"))
    try:
        rnd = open_round(
            s, name=name, fund=_text(form, "fund", t("Fund")), budget=budget, opens=dates["opens"],
            closes=dates["closes"], criteria=_criteria(str(form.get("criteria", ""))),
            panel=panel, questions=_questions(str(form.get("questions", ""))),
            template=_template(s, form), baseline=_baseline(form),
            description=_text(form, "description", t("Description"), required=False,
                              most=4000) or None,
            min_scorers=scorers,
            intervention_id=programme,
        )  # fmt: skip
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "create", "funding_round", str(rnd.id), None,
          {"name": name, "budget": budget, "criteria": [c.name for c in rnd.criteria],
           "panel": sorted(panel)})  # fmt: skip
    return RedirectResponse(f"/rounds/{rnd.id}", status_code=303)


@router.post("/rounds/{rid}/status", dependencies=[Csrf])
def move_round(request: Request, s: Db, me: Me, rid: int, form: Posted) -> Response:
    rnd = round_for(s, me, rid)
    _editor(me)
    lock_row(s, rnd)  # two moves at once: the second sees where the first left the round
    status, before = str(form.get("status", "")), rnd.status
    try:
        set_status(rnd, status)
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "update", "funding_round", str(rid), {"status": before}, {"status": status})
    return RedirectResponse(f"/rounds/{rid}", status_code=303)


def _hidden_from(s: Session, rnd: FundingRound, me: User) -> set[int]:
    """The applications ``me`` declared a conflict with: never shown to them."""
    return set(s.scalars(select(Conflict.application_id).join(Application).where(
        Application.round_id == rnd.id, Conflict.user_id == me.id)))  # fmt: skip


def _ties(tie: object) -> list[str]:
    """A tie note as its parts (two ties at once are joined as "first; then")."""
    if isinstance(tie, Said) and tie.msgid == JOIN:
        return [*_ties(tie.values["first"]), *_ties(tie.values["then"])]
    return [tie] if isinstance(tie, str) and tie else []


def _notes(r: Any, hidden_titles: list[str]) -> list[str]:
    """A ranked application's notes (ineligibility, scoring, how a tie was settled), leaving
    out every note about an application hidden from the reader (their declared conflict): a
    tie note gives the other's total and scores, so even unnamed it would tell them."""
    notes = [*r.ineligible, *r.notes, *_ties(r.tie)]
    return [n for n in notes if not any(repr(title) in n for title in hidden_titles)]


def _ranks(shown: list[Any]) -> dict[int, int | None]:
    """Ranks among the applications shown (tied ones sharing one): with a hidden application
    ranked first, the shown ranks would otherwise start at 2 and say where it came."""
    out: dict[int, int | None] = {}
    for r in shown:
        out[r.application.id] = None if r.rank is None else 1 + sum(
            1 for other in shown if other.rank is not None and other.rank < r.rank)  # fmt: skip
    return out


def _hidden_titles(rnd: FundingRound, hidden: set[int]) -> list[str]:
    # longest first, so a title that contains another is replaced whole
    return sorted((a.title for a in rnd.applications if a.id in hidden), key=len, reverse=True)


def seen_ranking(
    s: Session, rnd: FundingRound, me: User
) -> tuple[set[int], list[Any], dict[int, int | None], dict[int, list[str]]]:
    """The round's ranking as ``me`` may see it: the applications hidden from them (declared
    conflicts), the ranked applications shown, their ranks among those shown and their notes
    without a word about a hidden one. Every page and file that ranks goes through this."""
    hidden = _hidden_from(s, rnd, me)
    shown = [r for r in ranking(s, rnd) if r.application.id not in hidden]
    titles = _hidden_titles(rnd, hidden)
    ranks = _ranks(shown) if hidden else {r.application.id: r.rank for r in shown}
    return hidden, shown, ranks, {r.application.id: _notes(r, titles) for r in shown}


@router.get("/rounds/{rid}", response_class=HTMLResponse)
def round_page(request: Request, s: Db, me: Me, rid: int) -> HTMLResponse:
    rnd = round_for(s, me, rid)
    hidden, shown, ranks, notes = seen_ranking(s, rnd, me)
    on_panel = me.id in _panel_ids(rnd)
    people = {} if me.role == "provider" else dict(s.execute(
        select(User.id, User.email).where(User.id.in_(_panel_ids(rnd)))).all())  # fmt: skip
    context: dict[str, Any] = {"rnd": rnd, "hidden": len(hidden), "can_edit": me.role in EDITORS,
                               "on_panel": on_panel, "people": people,
                               "scoring_only": False}  # fmt: skip
    if me.role == "provider":
        context["mine"] = [a for a in rnd.applications if a.organisation_id == me.organisation_id]
        return render(request, "round.html", user=me, **context)
    context |= {"ranked": shown, "notes": notes, "ranks": ranks}
    if on_panel and me.role not in EDITORS and rnd.status != "decided":
        # a scorer sees what to score, not the others' totals, until the round is decided
        context["ranked"] = [r for r in shown if r.application.status == "submitted"]
        context["scoring_only"] = True
    elif me.role in STAFF:
        context |= _effects(rnd, shown, hidden)
    return render(request, "round.html", user=me, **context)


def _effects(rnd: FundingRound, shown: list[Any], hidden: set[int]) -> dict[str, Any]:
    """Each shown application's expected effect, and the round's awards as a whole. A declared
    conflict hides an application's scoring, ranking and notes; an award, once made, is part
    of the programme every member of staff sees (the intervention, its payments, its spend),
    so the totals count every award and say how many went to applications not shown."""

    def effect(a: Application, amount: float) -> Any:
        return expected_effect(a.reach, rnd.baseline.get(a.prevention_tier), a.yef_strand, amount)

    rows = {r.application.id: effect(r.application, r.application.amount) for r in shown}
    made = [a for a in rnd.applications if a.status == "awarded"]
    awarded = [(effect(a, a.awarded or 0.0), a.awarded or 0.0) for a in made]
    given = sum(a for _, a in awarded)
    return {"effects": rows, "portfolio": portfolio(awarded) if awarded else None,
            "awarded_total": given, "left": rnd.budget - given,
            "hidden_awards": sum(a.id in hidden for a in made)}  # fmt: skip


@router.get("/rounds/{rid}/ranking.csv")
def ranking_csv(s: Db, me: Me, rid: int) -> Response:
    """The round's ranking for the panel's papers: each application's scores by criterion,
    weighted total, rank, tie rule, notes and decision (staff off the panel, and editors)."""
    rnd = round_for(s, me, rid)
    if me.role not in STAFF or (me.id in _panel_ids(rnd) and me.role not in EDITORS
                                and rnd.status != "decided"):  # fmt: skip
        raise HTTPException(403, t("the ranking is for the VRU's staff once scoring is done"))
    _, shown, ranks, notes = seen_ranking(s, rnd, me)
    rows = []
    for r in shown:
        a = r.application
        row = {"rank": ranks[a.id], "application": a.title, "organisation": a.organisation.name,
               "requested": a.amount, "young_people": a.reach,
               "weighted_total": None if r.total is None else round(r.total, 1),
               "scorers": r.scorers}  # fmt: skip
        row |= {f"{c.name} (mean)": None if c.used is None else round(c.used, 2)
                for c in r.criteria}  # fmt: skip
        row |= {"notes": "; ".join(notes[a.id]),
                "decision": a.status, "awarded": a.awarded}  # fmt: skip
        rows.append(row)
    name = f"ranking-{rnd.id}.csv"
    return Response(write_csv(pd.DataFrame(rows)), media_type="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})  # fmt: skip


def home_rounds(s: Session, me: User) -> list[FundingRound]:
    """The rounds on ``me``'s home page: open ones for providers, theirs for the panel."""
    if me.role == "provider":
        return [r for r in _visible_rounds(s, me) if r.status == "open"]
    q = select(FundingRound).where(or_(FundingRound.status.in_(("open", "scoring"))))
    return [r for r in s.scalars(q) if me.id in _panel_ids(r)]


ROUTES = (
    ("GET", "/rounds"), ("GET", "/rounds/new"), ("POST", "/rounds/new"),
    ("GET", "/rounds/{rid}"), ("POST", "/rounds/{rid}/status"),
    ("GET", "/rounds/{rid}/ranking.csv"),
)  # fmt: skip

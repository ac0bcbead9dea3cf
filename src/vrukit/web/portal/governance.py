"""Governance in the portal: the delivery plan (objectives, actions, their updates), the risk
register with its heat map (each review kept), the decision and issue log, spend by quarter
(typed, or a spend return uploaded) against the forecast, and the quarterly board pack to
download as HTML or PDF. The VRU's staff read them; admins and commissioners change them."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.commissioning.governance import (
    RAG,
    financial_year,
    latest_spend,
    quarter_dates,
    quarter_of,
    quarters_to,
    review_risk,
    spend_by_intervention,
    update_action,
)
from vrukit.commissioning.models import (
    ACTION_STATUSES,
    LOG_KINDS,
    Action,
    ActionUpdate,
    FundingRound,
    LogEntry,
    Objective,
    Payment,
    Risk,
    Spend,
)
from vrukit.errors import ConfigError
from vrukit.programme.audit import audit
from vrukit.programme.models import Intervention, Organisation, Place, User
from vrukit.web.portal.lang import portal_lang, t
from vrukit.web.portal.offload import submit_spend
from vrukit.web.portal.registry import _value, money
from vrukit.web.portal.setup import _text
from vrukit.web.portal.web import (
    EDITORS,
    STAFF,
    Csrf,
    Db,
    Me,
    MeUploading,
    Posted,
    UploadDb,
    need_role,
    render,
    upload_name,
    whole_number,
)

__all__ = ["ROUTES", "router"]

router = APIRouter()


T = TypeVar("T")


def _reader(me: User) -> None:
    need_role(me, STAFF, t("read the programme's governance"))


def _editor(me: User) -> None:
    need_role(me, EDITORS, t("change the programme's governance"))


def _editable(s: Session, me: User, model: type[T], key: int, missing: str) -> T:
    """Record ``key`` of ``model`` for an editor: 403 for a role that may not read governance,
    404 for no such record, then 403 for a reader who may not change it."""
    _reader(me)
    row = s.get(model, key)
    if row is None:
        raise HTTPException(404, missing)
    _editor(me)
    return row


def _today(request: Request) -> date:
    today = request.app.state.today
    return today() if today else date.today()


def _quarter(text: str | None, request: Request) -> str:
    q = (text or "").strip() or quarter_of(_today(request))
    try:
        quarter_dates(q)
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    return q


# -- the delivery plan -------------------------------------------------------------------------


@router.get("/plan", response_class=HTMLResponse)
def plan(request: Request, s: Db, me: Me) -> HTMLResponse:
    _reader(me)
    return render(request, "plan.html", user=me, rag=RAG, statuses=ACTION_STATUSES,
                  objectives=s.scalars(select(Objective).order_by(Objective.position)).all(),
                  interventions=s.scalars(select(Intervention).order_by(Intervention.name)).all(),
                  places=s.scalars(select(Place).order_by(Place.name)).all(),
                  can_edit=me.role in EDITORS, today=_today(request))  # fmt: skip


@router.post("/plan/objectives", dependencies=[Csrf])
def add_objective(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _editor(me)
    title = _text(form, "title", t("Objective"), most=300)
    if s.scalars(select(Objective.id).where(Objective.title == title)).first():
        raise HTTPException(422, t("%(title)s is already an objective", title=repr(title)))
    position = len(s.scalars(select(Objective.id)).all())
    o = Objective(title=title, position=position,
                  description=_text(form, "description", t("Description"), required=False,
                                    most=2000) or None)  # fmt: skip
    s.add(o)
    s.flush()
    audit(s, me, "create", "objective", str(o.id), None, {"title": title})
    return RedirectResponse("/plan", status_code=303)


@router.post("/plan/actions", dependencies=[Csrf])
def add_action(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _editor(me)
    objective = s.get(Objective, whole_number(form.get("objective", "")) or 0)
    due = _value("date", t("Due"), str(form.get("due", "")), ())
    if objective is None or due is None:
        raise HTTPException(422, t("choose the objective and give the due date"))
    iv = whole_number(form.get("intervention", ""))
    if iv is not None and s.get(Intervention, iv) is None:
        raise HTTPException(422, t("Intervention: choose one from the list"))
    place = whole_number(form.get("place", ""))
    if place is not None and s.get(Place, place) is None:
        raise HTTPException(422, t("Place: choose one from the list"))
    a = Action(objective_id=objective.id, title=_text(form, "title", t("Action"), most=300),
               owner=_text(form, "owner", t("Owner")), due=due, intervention_id=iv,
               place_id=place)  # fmt: skip
    s.add(a)
    s.flush()
    audit(s, me, "create", "action", str(a.id), None, {"title": a.title, "due": due.isoformat()})
    return RedirectResponse("/plan", status_code=303)


@router.post("/plan/actions/{aid}/update", dependencies=[Csrf])
def action_update(request: Request, s: Db, me: Me, aid: int, form: Posted) -> Response:
    a = _editable(s, me, Action, aid, t("no such action"))
    status = str(form.get("status", ""))
    before = a.status
    try:
        note = _text(form, "note", t("Update"), required=False, most=2000) or None
        update_action(s, a, status, _today(request), note, me.id)
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    audit(s, me, "update", "action", str(aid), {"status": before}, {"status": a.status})
    return RedirectResponse("/plan", status_code=303)


# -- the risk register -------------------------------------------------------------------------


def _scale(form: Any, name: str, label: str) -> int:
    n = whole_number(form.get(name, ""), 5)
    if n is None or n < 1:
        raise HTTPException(422, t("%(label)s: 1 to 5", label=label))
    return n


@router.get("/risks", response_class=HTMLResponse)
def risks(request: Request, s: Db, me: Me) -> HTMLResponse:
    import pandas as pd

    from vrukit.publish.board_pack import HEAT_TITLES, heat_map

    _reader(me)
    open_risks = s.scalars(select(Risk).where(Risk.status == "open")).all()
    frame = pd.DataFrame([{"likelihood": r.likelihood, "impact": r.impact} for r in open_risks],
                         columns=["likelihood", "impact"])  # fmt: skip
    lang = portal_lang(request)
    titles = (lang.gettext(HEAT_TITLES[0]), lang.gettext(HEAT_TITLES[1]))
    svg, cells = heat_map(frame, titles, lang)
    ordered = sorted(open_risks, key=lambda r: (-r.score, r.title))
    return render(request, "risks.html", user=me, risks=ordered, svg=svg, cells=cells,
                  can_edit=me.role in EDITORS)  # fmt: skip


@router.post("/risks", dependencies=[Csrf])
def add_risk(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _editor(me)
    title = _text(form, "title", t("Risk"), most=300)
    if s.scalars(select(Risk.id).where(Risk.title == title)).first():
        raise HTTPException(422, t("%(title)s is already in the register", title=repr(title)))
    review_by = _value("date", t("Review by"), str(form.get("review_by", "")), ())
    if review_by is None:
        raise HTTPException(422, t("Review by: give a date"))
    today = _today(request)
    r = Risk(title=title, owner=_text(form, "owner", t("Owner")), raised=today,
             likelihood=_scale(form, "likelihood", t("Likelihood")),
             impact=_scale(form, "impact", t("Impact")), review_by=review_by,
             mitigations=_text(form, "mitigations", t("Mitigations"), required=False,
                               most=4000) or None)  # fmt: skip
    s.add(r)
    s.flush()
    review_risk(s, r, r.likelihood, r.impact, today, "Raised", me.id)
    audit(s, me, "create", "risk", str(r.id), None, {"title": title, "score": r.score})
    return RedirectResponse("/risks", status_code=303)


@router.post("/risks/{kid}/review", dependencies=[Csrf])
def risk_review(request: Request, s: Db, me: Me, kid: int, form: Posted) -> Response:
    r = _editable(s, me, Risk, kid, t("no such risk"))
    before = {"likelihood": r.likelihood, "impact": r.impact}
    review_by = _value("date", t("Next review"), str(form.get("review_by", "")), ())
    likelihood, impact = (_scale(form, "likelihood", t("Likelihood")),
                          _scale(form, "impact", t("Impact")))  # fmt: skip
    review_risk(s, r, likelihood, impact, _today(request),
                _text(form, "note", t("Why"), required=False, most=2000) or None,
                me.id, review_by)  # fmt: skip
    if form.get("close") == "yes":
        r.status = "closed"
    audit(s, me, "review", "risk", str(kid), before,
          {"likelihood": r.likelihood, "impact": r.impact, "status": r.status})  # fmt: skip
    return RedirectResponse("/risks", status_code=303)


# -- the decision and issue log ----------------------------------------------------------------


@router.get("/log", response_class=HTMLResponse)
def log(request: Request, s: Db, me: Me) -> HTMLResponse:
    _reader(me)
    entries = s.scalars(select(LogEntry).order_by(LogEntry.at.desc(), LogEntry.id.desc())).all()
    return render(request, "log.html", user=me, entries=entries, kinds=LOG_KINDS,
                  can_edit=me.role in EDITORS)  # fmt: skip


@router.post("/log", dependencies=[Csrf])
def add_log(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _editor(me)
    kind = str(form.get("kind", ""))
    if kind not in LOG_KINDS:
        raise HTTPException(422, t("a decision or an issue"))
    e = LogEntry(kind=kind, at=_today(request), title=_text(form, "title", t("What"), most=300),
                 detail=_text(form, "detail", t("Detail"), required=False, most=4000) or None,
                 owner=_text(form, "owner", t("Owner"), required=False) or None,
                 status="closed" if kind == "decision" else "open",
                 public=form.get("public") == "yes")  # fmt: skip
    s.add(e)
    s.flush()
    audit(s, me, "create", "log_entry", str(e.id), None, {"kind": kind, "title": e.title})
    return RedirectResponse("/log", status_code=303)


@router.post("/log/{eid}/close", dependencies=[Csrf])
def close_log(s: Db, me: Me, eid: int) -> Response:
    e = _editable(s, me, LogEntry, eid, t("no such entry"))
    e.status = "closed"
    audit(s, me, "update", "log_entry", str(eid), {"status": "open"}, {"status": "closed"})
    return RedirectResponse("/log", status_code=303)


# -- spend -------------------------------------------------------------------------------------


@router.get("/spend", response_class=HTMLResponse)
def spend(request: Request, s: Db, me: Me, quarter: str | None = None) -> HTMLResponse:
    _reader(me)
    q = _quarter(quarter, request)
    lines = spend_by_intervention(s, q)
    entries = s.scalars(select(Spend).where(Spend.quarter.in_(financial_year(q)))
                        .order_by(Spend.entered_at.desc(), Spend.id.desc())).all()  # fmt: skip
    counted = latest_spend(list(entries))
    newest: dict[tuple[int, str], Any] = {}
    for e in entries:
        newest.setdefault((e.intervention_id, e.quarter), e.entered_at)
    names = dict(s.execute(select(Intervention.id, Intervention.name)).all())
    return render(request, "spend.html", user=me, quarter=q, lines=lines, entries=entries,
                  names=names, newest=newest, counted=counted,
                  interventions=s.scalars(select(Intervention).order_by(Intervention.name)).all(),
                  can_edit=me.role in EDITORS)  # fmt: skip


@router.post("/spend/{sid}/delete", dependencies=[Csrf])
def delete_spend(s: Db, me: Me, sid: int) -> Response:
    """Remove a spend entry typed or uploaded in error (the audit trail keeps it)."""
    row = _editable(s, me, Spend, sid, t("no such spend entry"))
    before = {"intervention_id": row.intervention_id, "quarter": row.quarter,
              "amount": row.amount, "source": row.source}  # fmt: skip
    s.delete(row)
    audit(s, me, "delete", "spend", str(sid), before, None)
    return RedirectResponse(f"/spend?quarter={before['quarter']}", status_code=303)


@router.post("/spend", dependencies=[Csrf])
def add_spend(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _editor(me)
    iv = s.get(Intervention, whole_number(form.get("intervention", "")) or 0)
    quarter = _quarter(str(form.get("quarter", "")), request)
    amount = money(form.get("amount", ""), t("Amount"))
    if iv is None or amount is None:
        raise HTTPException(422, t("choose the intervention and give the amount"))
    row = Spend(intervention_id=iv.id, quarter=quarter, amount=float(amount), source="typed",
                note=_text(form, "note", t("Note"), required=False, most=2000) or None,
                entered_by=me.id)  # fmt: skip
    s.add(row)
    s.flush()
    audit(s, me, "create", "spend", str(row.id), None,
          {"intervention": iv.name, "quarter": quarter, "amount": row.amount})  # fmt: skip
    return RedirectResponse(f"/spend?quarter={quarter}", status_code=303)


@router.post("/spend/upload", dependencies=[Csrf])
def upload_spend(request: Request, s: UploadDb, me: MeUploading, file: UploadFile) -> Response:
    """A spend return (CSV or XLSX, ``SPEND_FIELDS``), read and checked in the helper process
    that checks returns (``offload``), then added whole or refused with every problem named by
    row and column."""
    _editor(me)
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise HTTPException(422, t("upload the spend return as CSV or XLSX"))
    name = upload_name(file.filename, suffix)
    limits = {"max_inflated": request.app.state.guard.xlsx_max_inflated_bytes}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"spend{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1024 * 1024)
        done = submit_spend(request.app.state.store_url, path, name, limits, me.id)
    if done.problems is not None:
        return render(request, "problems.html", 422, user=me, iv=None, problems=done.problems,
                      file=name, what=t("The spend return"))  # fmt: skip
    return RedirectResponse("/spend", status_code=303)


# -- payments ----------------------------------------------------------------------------------


@router.get("/payments", response_class=HTMLResponse)
def payments(request: Request, s: Db, me: Me) -> HTMLResponse:
    """Every instalment of every payment schedule, due date first: what is due, what is paid."""
    _reader(me)
    rows = s.execute(select(Payment, Intervention.name, Organisation.name)
                     .join(Intervention, Intervention.id == Payment.intervention_id)
                     .join(Organisation, Organisation.id == Payment.organisation_id)
                     .order_by(Payment.due, Intervention.name)).all()  # fmt: skip
    return render(request, "payments.html", user=me, rows=rows, today=_today(request),
                  can_edit=me.role in EDITORS)  # fmt: skip


@router.post("/payments/{pid}/paid", dependencies=[Csrf])
def payment_paid(request: Request, s: Db, me: Me, pid: int, form: Posted) -> Response:
    p = _editable(s, me, Payment, pid, t("no such payment"))
    paid = _value("date", t("Paid on"), str(form.get("paid_on", "")), ()) or _today(request)
    before = {"paid_on": p.paid_on.isoformat() if p.paid_on else None}
    p.paid_on = paid
    audit(s, me, "update", "payment", str(pid), before, {"paid_on": paid.isoformat()})
    return RedirectResponse("/payments", status_code=303)


# -- the board pack ----------------------------------------------------------------------------


@router.get("/board-pack", response_class=HTMLResponse)
def board_pack_page(request: Request, s: Db, me: Me) -> HTMLResponse:
    """Every ended quarter since the programme's governance began (its first round, action
    update or spend), newest first; at most the last six years."""
    _reader(me)
    today = _today(request)
    last = quarter_of(date.fromordinal(quarter_dates(quarter_of(today))[0].toordinal() - 1))
    firsts = [s.scalar(select(func.min(Spend.quarter)))]
    days = (s.scalar(select(func.min(ActionUpdate.at))),
            s.scalar(select(func.min(FundingRound.opens))))  # fmt: skip
    firsts += [quarter_of(d) for d in days if d]
    first = min((q for q in firsts if q), default=last)
    quarters = [q for q in quarters_to(last, 24) if q >= first][::-1]
    return render(request, "board_pack.html", user=me, quarters=quarters or [last])


#: One Chromium prints at a time in each server process; a second request meanwhile is told to
#: try again (a browser per request would let a few clicks take the server's memory).
_PRINTING = threading.BoundedSemaphore(1)
#: Seconds an account waits between the PDFs it has printed, so one reader clicking again and
#: again cannot keep the printer from everyone else.
PRINT_GAP = 30.0
_PRINTED: dict[int, float] = {}
_PRINTED_LOCK = threading.Lock()


def _may_print(uid: int) -> None:
    """Refuse (429) an account that printed a PDF less than ``PRINT_GAP`` seconds ago."""
    now = time.monotonic()
    with _PRINTED_LOCK:
        wait = PRINT_GAP - (now - _PRINTED.get(uid, -PRINT_GAP))
        if wait > 0:
            raise HTTPException(429, t("you printed a board pack moments ago: try again shortly"),
                                headers={"Retry-After": str(int(wait) + 1)})  # fmt: skip
        _PRINTED[uid] = now
        for who, at in list(_PRINTED.items()):  # forget what no longer matters
            if now - at > PRINT_GAP:
                del _PRINTED[who]


def _pack(
    s: Session, quarter: str, public: bool, pdf: bool, today: date, uid: int | None = None
) -> Path:
    from vrukit.jobs.board_pack import collect
    from vrukit.publish.board_pack import print_pdf, write_pack

    if pdf and not _PRINTING.acquire(blocking=False):
        raise HTTPException(503, t("another board pack is being printed: try again in a moment"),
                            headers={"Retry-After": "10"})  # fmt: skip
    try:
        if pdf and uid is not None:
            _may_print(uid)
        data = collect(s, quarter, public=public, today=today)
        out = Path(tempfile.mkdtemp(prefix="vrukit-pack-"))
        html = write_pack(data, out, public=public)
        return print_pdf(html) if pdf else html
    finally:
        if pdf:
            _PRINTING.release()


@router.get("/board-pack/{quarter}.{fmt}")
async def board_pack(
    request: Request, s: Db, me: Me, quarter: str, fmt: str, public: bool = False
) -> Response:
    """The quarter's pack as a download (HTML, or PDF printed by Chromium off the event
    loop): opened as a file, never as a portal page, so its own styles apply."""
    _reader(me)
    if fmt not in ("html", "pdf"):
        raise HTTPException(404, t("no such format: html or pdf"))
    try:
        quarter_dates(quarter)
        path = await run_in_threadpool(_pack, s, quarter, public, fmt == "pdf", _today(request),
                                       me.id)  # fmt: skip
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    try:
        content = path.read_bytes()
    finally:
        for f in path.parent.iterdir():
            f.unlink()
        path.parent.rmdir()
    kind = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    return Response(content, media_type=kind, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"})  # fmt: skip


ROUTES = (
    ("GET", "/plan"), ("POST", "/plan/objectives"), ("POST", "/plan/actions"),
    ("POST", "/plan/actions/{aid}/update"), ("GET", "/risks"), ("POST", "/risks"),
    ("POST", "/risks/{kid}/review"), ("GET", "/log"), ("POST", "/log"),
    ("POST", "/log/{eid}/close"), ("GET", "/spend"), ("POST", "/spend"),
    ("POST", "/spend/upload"), ("POST", "/spend/{sid}/delete"), ("GET", "/board-pack"),
    ("GET", "/board-pack/{quarter}.{fmt}"), ("GET", "/payments"), ("POST", "/payments/{pid}/paid"),
)  # fmt: skip

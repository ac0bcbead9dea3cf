"""Applications to a funding round in the portal: a provider writes one (answers, budget lines,
places, ages, the YEF Toolkit strand of its approach, attachments) and submits it while the
round is open; a panel member declares a conflict (and never sees that application again) or
scores each criterion with a comment; the commissioner moderates where scorers differ, then
awards (setting the work up in the registry) or declines with a reason."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.commissioning.awards import award, decline
from vrukit.commissioning.models import (
    BUDGET_CATEGORIES,
    Application,
    Attachment,
    Conflict,
    Moderation,
    Score,
)
from vrukit.commissioning.rounds import (
    declare_conflict,
    ineligible_because,
    moderate,
    record_application,
    score,
    submit,
)
from vrukit.commissioning.yef import expected_effect, strands
from vrukit.errors import ConfigError
from vrukit.programme.audit import audit
from vrukit.programme.db import lock_row
from vrukit.programme.models import PREVENTION_TIERS, THEMATIC_AREAS, Place, User
from vrukit.web.portal.lang import t
from vrukit.web.portal.registry import _value, money
from vrukit.web.portal.rounds import round_for, seen_ranking
from vrukit.web.portal.setup import _text
from vrukit.web.portal.web import (
    EDITORS,
    STAFF,
    Csrf,
    Db,
    Me,
    Posted,
    render,
    upload_name,
    whole_number,
)

__all__ = ["ROUTES", "router"]

router = APIRouter()
#: Budget lines the form offers; attachments one application may hold, and their size.
BUDGET_ROWS, MOST_ATTACHMENTS, ATTACHMENT_BYTES = 10, 10, 10 * 1024 * 1024
#: Applications (drafts included) one organisation may make to one round.
MOST_APPLICATIONS = 5


def application_for(s: Session, me: User, aid: int) -> Application:
    """Application ``aid`` if ``me`` may see it: its own organisation, the VRU's staff and the
    round's panel (once submitted), never someone who declared a conflict with it; else 404."""
    a = s.get(Application, aid)
    if a is None or s.get(Conflict, (aid, me.id)) is not None:
        raise HTTPException(404, t("no such application"))
    panel = {p.user_id for p in a.round.panel}
    seen = (
        (me.role == "provider" and a.organisation_id == me.organisation_id)
        or me.role in STAFF
        or (me.id in panel and a.status != "draft")
    )  # fmt: skip
    if not seen:
        raise HTTPException(404, t("no such application"))
    return a


def _refused(e: ConfigError) -> HTTPException:
    return HTTPException(422, str(e))


def _form_context(s: Session, rnd: Any) -> dict[str, Any]:
    return {"rnd": rnd, "places": s.scalars(select(Place).order_by(Place.name)).all(),
            "strands": sorted(st.name for st in strands().values()),
            "areas": THEMATIC_AREAS, "tiers": PREVENTION_TIERS, "categories": BUDGET_CATEGORIES,
            "rows": BUDGET_ROWS}  # fmt: skip


@router.get("/rounds/{rid}/apply", response_class=HTMLResponse)
def apply_form(request: Request, s: Db, me: Me, rid: int) -> HTMLResponse:
    rnd = round_for(s, me, rid)
    _applicant(me)
    return render(request, "application_form.html", user=me, a=None, **_form_context(s, rnd))


def _applicant(me: User) -> None:
    if me.role != "provider":
        raise HTTPException(403, t("organisations apply from a provider's account"))


def _budget(form: Any) -> list[tuple[str, str, float]]:
    lines = []
    for k in range(BUDGET_ROWS):
        item = str(form.get(f"item_{k}", "")).strip()
        if not item:
            continue
        category = str(form.get(f"category_{k}", ""))
        if category not in BUDGET_CATEGORIES or len(item) > 200:
            raise HTTPException(
                422,
                t(
                    "Budget line %(n)s: a category from the list and an item of 200 characters "
                    "at most",
                    n=k + 1,
                ),
            )
        amount = money(form.get(f"amount_{k}", ""), t("Budget line %(n)s: amount", n=k + 1))
        lines.append((item, category, float(amount or 0)))
    return lines


def _application_values(s: Session, rnd: Any, form: Any) -> dict[str, Any]:
    reach = whole_number(form.get("reach", ""), 10**7)
    ages = [whole_number(form.get(k, ""), 120) for k in ("age_min", "age_max")]
    for k, age in zip(("age_min", "age_max"), ages, strict=True):
        if age is None and str(form.get(k, "")).strip():
            raise HTTPException(
                422, t("Ages: %(age)s is not an age, 0 to 120", age=repr(str(form.get(k))[:20]))
            )
    if reach is None:
        raise HTTPException(422, t("Young people you will work with: a whole number"))
    if ages[0] is not None and ages[1] is not None and ages[0] > ages[1]:
        raise HTTPException(
            422,
            t(
                "Ages: the youngest (%(youngest)s) is older than the oldest (%(oldest)s)",
                youngest=ages[0],
                oldest=ages[1],
            ),
        )
    strand = str(form.get("yef_strand", "")).strip() or None
    if strand is not None and strand.lower() not in strands():
        raise HTTPException(422, t("YEF Toolkit strand: choose one from the list (or none)"))
    choices = {"thematic_area": THEMATIC_AREAS, "prevention_tier": PREVENTION_TIERS}
    picked = {k: str(form.get(k, "")) for k in choices}
    if any(picked[k] not in allowed for k, allowed in choices.items()):
        raise HTTPException(422, t("Thematic area and prevention tier: choose from the lists"))
    places = {whole_number(v) for v in form.getlist("places")} - {None}
    if places and len(s.scalars(select(Place.id).where(Place.id.in_(places))).all()) != len(places):
        raise HTTPException(422, t("Places: choose from the list"))
    answers = {q["key"]: _text(form, q["key"], q["text"], required=False, most=2000)
               for q in rnd.questions}  # fmt: skip
    return {"title": _text(form, "title", t("Title")),
            "summary": _text(form, "summary", t("What you will do"), most=8000),
            "reach": reach, "ages": (ages[0], ages[1]), "yef_strand": strand,
            "budget": _budget(form), "places": sorted(places), "answers": answers,
            **picked}  # fmt: skip


def _today(request: Request) -> date:
    today = request.app.state.today
    return today() if today else date.today()


@router.post("/rounds/{rid}/apply", dependencies=[Csrf])
def apply(request: Request, s: Db, me: Me, rid: int, form: Posted) -> Response:
    rnd = round_for(s, me, rid)
    _applicant(me)
    values = _application_values(s, rnd, form)
    lock_row(s, rnd)  # applications to a round counted one at a time: the limit holds at once
    if s.scalars(select(Application.id).where(
            Application.round_id == rid, Application.organisation_id == me.organisation_id,
            Application.title == values["title"])).first():  # fmt: skip
        raise HTTPException(
            422,
            t("you have already applied to this round as %(title)s", title=repr(values["title"])),
        )
    ours = select(func.count()).select_from(Application).where(
        Application.round_id == rid, Application.organisation_id == me.organisation_id)  # fmt: skip
    made = s.scalar(ours) or 0
    if made >= MOST_APPLICATIONS:
        raise HTTPException(
            422,
            t(
                "your organisation has %(made)s applications in this round, the most it may make",
                made=made,
            ),
        )
    try:
        a = record_application(s, rnd, int(me.organisation_id or 0), **values)
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "create", "application", str(a.id), None,
          {"round": rnd.name, "title": a.title, "amount": a.amount})  # fmt: skip
    return _submitted(request, s, me, a, form)


def _submitted(request: Request, s: Session, me: User, a: Application, form: Any) -> Response:
    """Submit a saved draft when asked; when it cannot be (ineligible, the round closed), the
    draft stays saved and its page says why."""
    if form.get("action") != "submit":
        return RedirectResponse(f"/applications/{a.id}", status_code=303)
    try:
        submit(a, _today(request))
    except ConfigError as e:
        return _page(
            request, s, me, a, 422, notice=t("Saved as a draft, not submitted: %(why)s", why=str(e))
        )
    audit(s, me, "submit", "application", str(a.id), None, {"title": a.title})
    return RedirectResponse(f"/applications/{a.id}", status_code=303)


@router.get("/applications/{aid}", response_class=HTMLResponse)
def application_page(request: Request, s: Db, me: Me, aid: int) -> HTMLResponse:
    return _page(request, s, me, application_for(s, me, aid))


def _page(
    request: Request, s: Session, me: User, a: Application, status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:  # fmt: skip
    """An application as ``me`` may see it. A panel member sees the panel's scores, comments
    and moderation only once they have scored it themselves, so each scores independently."""
    rnd = a.round
    on_panel = me.id in {p.user_id for p in rnd.panel}
    mine = {sc.criterion_id: sc for sc in s.scalars(select(Score).where(
        Score.application_id == a.id, Score.user_id == me.id))}  # fmt: skip
    scored = len(mine) == len(rnd.criteria)
    show = (me.role in STAFF or on_panel) and (scored or not on_panel)
    # rank and notes among what this reader may see: a declared conflict hides an application
    # from them, and a rank or tie note counted over it would say where it came
    _, shown, ranks, rank_notes = seen_ranking(s, rnd, me)
    ranked = next((r for r in shown if r.application.id == a.id), None)
    files = s.scalars(select(Attachment).where(Attachment.application_id == a.id)
                      .order_by(Attachment.id)).all()  # fmt: skip
    effect = expected_effect(a.reach, rnd.baseline.get(a.prevention_tier), a.yef_strand,
                             a.amount)  # fmt: skip
    comments = s.execute(select(Score, User.email).join(User, User.id == Score.user_id).where(
        Score.application_id == a.id).order_by(Score.criterion_id, User.email)).all() if show \
        else []  # fmt: skip
    notes = s.scalars(select(Moderation).where(Moderation.application_id == a.id)).all() \
        if show else []  # fmt: skip
    return render(
        request, "application.html", status, user=me, a=a, files=files, mine=mine,
        ranked=ranked if show else None, rank=ranks.get(a.id), rank_notes=rank_notes.get(a.id, []),
        scoring_only=on_panel and me.role not in EDITORS and rnd.status != "decided",
        effect=effect, comments=comments, notes=notes,
        baseline=rnd.baseline.get(a.prevention_tier), notice=notice,
        own=me.role == "provider" and a.organisation_id == me.organisation_id,
        can_score=on_panel and rnd.status == "scoring" and a.status == "submitted",
        can_decide=me.role in EDITORS and rnd.status == "scoring" and a.status == "submitted",
        ineligible=ineligible_because(rnd, a), **_form_context(s, rnd),
    )  # fmt: skip


def _own_draft(s: Session, me: User, aid: int) -> Application:
    a = application_for(s, me, aid)
    if me.role != "provider" or a.organisation_id != me.organisation_id:
        raise HTTPException(403, t("only the applicant changes its application"))
    if a.status != "draft":
        raise HTTPException(
            422, t("the application is %(status)s: it can no longer be changed", status=t(a.status))
        )
    return a


@router.post("/applications/{aid}/edit", dependencies=[Csrf])
def edit_application(request: Request, s: Db, me: Me, aid: int, form: Posted) -> Response:
    a = _own_draft(s, me, aid)
    try:
        record_application(s, a.round, a.organisation_id, application=a,
                           **_application_values(s, a.round, form))  # fmt: skip
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "update", "application", str(aid), None, {"title": a.title, "amount": a.amount})
    return _submitted(request, s, me, a, form)


@router.post("/applications/{aid}/attachments", dependencies=[Csrf])
def attach(request: Request, s: Db, me: Me, aid: int, file: UploadFile) -> Response:
    """A file for the panel (a constitution, accounts, a safeguarding policy): stored in the
    store, within ``ATTACHMENT_BYTES``, and always downloaded, never shown in the browser."""
    a = _own_draft(s, me, aid)
    lock_row(s, a)  # files sent at once counted one at a time: 15 got past the 10 on PostgreSQL
    have = s.scalar(select(func.count()).select_from(Attachment)
                    .where(Attachment.application_id == aid)) or 0  # fmt: skip
    if have >= MOST_ATTACHMENTS:
        raise HTTPException(
            422, t("an application holds at most %(most)s files", most=MOST_ATTACHMENTS)
        )
    content = file.file.read(ATTACHMENT_BYTES + 1)
    if len(content) > ATTACHMENT_BYTES or not content:
        raise HTTPException(422, t("attach a file of 10 MB at most (and not an empty one)"))
    name = upload_name(file.filename, "")
    s.add(Attachment(application_id=a.id, file_name=name, size=len(content),
                     media_type="application/octet-stream", content=content))  # fmt: skip
    audit(s, me, "attach", "application", str(aid), None, {"file": name, "bytes": len(content)})
    return RedirectResponse(f"/applications/{aid}", status_code=303)


@router.get("/applications/{aid}/attachments/{fid}")
def attachment(s: Db, me: Me, aid: int, fid: int) -> Response:
    application_for(s, me, aid)
    f = s.get(Attachment, fid)
    if f is None or f.application_id != aid:
        raise HTTPException(404, t("no such file"))
    return Response(f.content, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(f.file_name)}"})  # fmt: skip


def _panel_member(a: Application, me: User) -> None:
    if me.id not in {p.user_id for p in a.round.panel}:
        raise HTTPException(403, t("only a member of the round's panel does this"))


@router.post("/applications/{aid}/conflict", dependencies=[Csrf])
def conflict(request: Request, s: Db, me: Me, aid: int, form: Posted) -> Response:
    a = application_for(s, me, aid)
    _panel_member(a, me)
    reason = _text(form, "reason", t("The conflict"), most=2000)
    try:
        declare_conflict(s, a, me.id, reason)
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "declare", "conflict", f"{aid}/{me.id}", None, {"reason": reason})
    return RedirectResponse(f"/rounds/{a.round_id}", status_code=303)


@router.post("/applications/{aid}/scores", dependencies=[Csrf])
def scores(request: Request, s: Db, me: Me, aid: int, form: Posted) -> Response:
    a = application_for(s, me, aid)
    _panel_member(a, me)
    given = {}
    for c in a.round.criteria:
        value = whole_number(form.get(f"score_{c.id}", ""), c.top)
        if value is None:
            raise HTTPException(
                422, t("%(name)s: a whole number from 0 to %(top)s", name=c.name, top=c.top)
            )
        note = _text(form, f"comment_{c.id}", t("%(name)s: comment", name=c.name),
                     required=False, most=4000)  # fmt: skip
        given[c] = (value, note or None)
    try:
        for c, (value, comment) in given.items():
            score(s, a, c, me.id, value, comment)
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "score", "application", str(aid), None,
          {c.name: v for c, (v, _) in given.items()})  # fmt: skip
    return RedirectResponse(f"/applications/{aid}", status_code=303)


@router.post("/applications/{aid}/moderation", dependencies=[Csrf])
def moderation(request: Request, s: Db, me: Me, aid: int, form: Posted) -> Response:
    a = application_for(s, me, aid)
    if me.role not in EDITORS:
        raise HTTPException(403, t("your role (%(role)s) may not moderate scores", role=t(me.role)))
    criterion = next((c for c in a.round.criteria
                      if c.id == whole_number(form.get("criterion", ""))), None)  # fmt: skip
    value = _value("number", t("Moderated score"), str(form.get("score", "")), ())
    if criterion is None or value is None:
        raise HTTPException(422, t("choose a criterion and give the agreed score"))
    try:
        moderate(s, a, criterion, me.id, float(value), str(form.get("note", "")))
    except ConfigError as e:
        raise _refused(e) from None
    audit(s, me, "moderate", "application", str(aid), None,
          {"criterion": criterion.name, "score": value})  # fmt: skip
    return RedirectResponse(f"/applications/{aid}", status_code=303)


@router.post("/applications/{aid}/decision", dependencies=[Csrf])
def decision(request: Request, s: Db, me: Me, aid: int, form: Posted) -> Response:
    a = application_for(s, me, aid)
    if me.role not in EDITORS:
        raise HTTPException(
            403, t("your role (%(role)s) may not decide applications", role=t(me.role))
        )
    try:
        if form.get("decision") == "decline":
            decline(s, a, me, str(form.get("reason", ""))[:4000])
        elif form.get("decision") == "award":
            _award(s, a, me, form)
        else:
            raise HTTPException(422, t("decide: award or decline"))
    except ConfigError as e:
        raise _refused(e) from None
    return RedirectResponse(f"/rounds/{a.round_id}", status_code=303)


def _award(s: Session, a: Application, me: User, form: Any) -> None:
    labels = (("start", t("Contract start")), ("end", t("Contract end")))
    start, end = (_value("date", label, str(form.get(k, "")), ()) for k, label in labels)
    amount = money(form.get("amount", ""), t("Amount"))
    if amount is None or start is None or end is None:
        raise HTTPException(422, t("an award needs its amount and contract dates"))
    award(s, a, me, amount=float(amount), start=start, end=end,
          conditions=str(form.get("conditions", ""))[:4000],
          instalments=whole_number(form.get("instalments", "4"), 24) or 1)  # fmt: skip


ROUTES = (
    ("GET", "/rounds/{rid}/apply"), ("POST", "/rounds/{rid}/apply"),
    ("GET", "/applications/{aid}"), ("POST", "/applications/{aid}/edit"),
    ("POST", "/applications/{aid}/attachments"),
    ("GET", "/applications/{aid}/attachments/{fid}"), ("POST", "/applications/{aid}/conflict"),
    ("POST", "/applications/{aid}/scores"), ("POST", "/applications/{aid}/moderation"),
    ("POST", "/applications/{aid}/decision"),
)  # fmt: skip

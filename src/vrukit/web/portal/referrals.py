"""Referral pathways in the portal: the provider's work queue with SLA clocks, the referral
form, a referral's page with its actions, identifying details (read on purpose, audited), the
subject-access export, and the SLA and evaluation report.

The rules are ``vrukit.referrals.workflow``'s: the organisations on a referral see it and only
their people see who it is about; the receiving organisation acts on it; VRU roles see every
referral pseudonymised and change nothing. A referral outside a user's scope answers 404, as if
it did not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vrukit import jsonio
from vrukit.csvio import write_csv
from vrukit.programme.models import Organisation, User
from vrukit.referrals.crypto import IDENTITY_FIELDS, Keyring
from vrukit.referrals.identity import read_identity, subject_access
from vrukit.referrals.models import (
    CLOSED,
    OUTCOMES,
    SEXES,
    TRANSITIONS,
    Pathway,
    RefConsent,
    Referral,
)
from vrukit.referrals.report import evaluation_figures, referral_frame, sla
from vrukit.referrals.workflow import (
    VRU_ROLES,
    NotAllowed,
    create_referral,
    decide_duplicate,
    may_act,
    may_lift,
    may_see,
    on_referral,
    record_outcome,
    refer_on,
    scope,
    set_consent,
    transition,
)
from vrukit.web.portal.lang import t
from vrukit.web.portal.web import Csrf, Db, Me, Posted, render, whole_number

__all__ = ["ROUTES", "router"]

router = APIRouter()


def _now(request: Request) -> datetime:
    now = getattr(request.app.state, "now", None)
    return now() if now else datetime.now()


def _keyring(request: Request) -> Keyring:
    keyring = getattr(request.app.state, "keyring", None)
    if keyring is None:
        raise HTTPException(
            503,
            "identifying details cannot be read or written: no referral key "
            "is configured (VRUKIT_REFERRAL_KEY_FILE)",
        )
    assert isinstance(keyring, Keyring)
    return keyring


def _referral(s: Session, me: User, rid: int) -> Referral:
    r = s.get(Referral, rid)
    if r is None or not may_see(me, r):
        raise HTTPException(404, t("no such referral"))
    return r


def _mine(me: User) -> Any:
    """Provider reports cover the referrals their organisation received; VRU roles see all."""
    return None if me.role in VRU_ROLES else Referral.receiving_org_id == me.organisation_id


def _names(s: Session) -> dict[int, str]:
    return {i: n for i, n in s.execute(select(Organisation.id, Organisation.name))}


@router.get("/referrals", response_class=HTMLResponse)
def queue(request: Request, s: Db, me: Me) -> HTMLResponse:
    now = _now(request)
    clocks = {c.referral: c for c in sla(s, now, scope(me)).itertuples()}
    visible = select(Referral).where(scope(me))
    if me.role in VRU_ROLES:
        incoming = list(
            s.scalars(visible.where(Referral.id.in_(list(clocks))).order_by(Referral.received_at))
        )
        outgoing: list[Referral] = []
    else:
        incoming = list(
            s.scalars(
                visible.where(
                    Referral.receiving_org_id == me.organisation_id, Referral.status.not_in(CLOSED)
                ).order_by(Referral.received_at)
            )
        )
        outgoing = list(
            s.scalars(
                visible.where(Referral.referring_org_id == me.organisation_id)
                .order_by(Referral.received_at.desc())
                .limit(50)
            )
        )
    incoming.sort(key=lambda r: _queue_order(r, clocks.get(r.id), now))
    return render(
        request,
        "referrals.html",
        user=me,
        incoming=incoming,
        outgoing=outgoing,
        clocks=clocks,
        now=now,
        pathways=_pathways(s),
        names=_names(s),
        overdue=sum(c.overdue for c in clocks.values()),
        vru=me.role in VRU_ROLES,
    )


def _queue_order(r: Referral, clock: Any, now: datetime) -> tuple[int, datetime]:
    """Overdue first (longest overdue first), then those waiting for a step (soonest due),
    then the rest of the open ones (oldest first), and those whose consent is withdrawn last."""
    if r.subject.consent != "given":
        return 3, r.received_at
    if clock is not None:
        return (0 if clock.overdue else 1), clock.due
    return 2, r.received_at


def _pathways(s: Session) -> dict[int, Pathway]:
    return {p.id: p for p in s.scalars(select(Pathway).order_by(Pathway.name))}


@router.get("/referrals/new", response_class=HTMLResponse)
def new_form(request: Request, s: Db, me: Me) -> HTMLResponse:
    _need_referrer(me)
    pathways = _pathways(s).values()
    return render(
        request,
        "referral_new.html",
        user=me,
        pathways=pathways,
        identity=IDENTITY_FIELDS,
        sexes=SEXES,
        needs=sorted({n for p in pathways for n in p.needs}),
    )


def _need_referrer(me: User) -> int:
    """The user's organisation, which refers; 403 for VRU roles without one."""
    if me.organisation_id is None:
        raise HTTPException(
            403,
            "referrals are made by people of a referring organisation; "
            "VRU roles see them pseudonymised",
        )
    return me.organisation_id


def _int(form: Any, name: str, label: str, required: bool = True) -> int | None:
    text = str(form.get(name, "")).strip()
    if not text and not required:
        return None
    n = whole_number(text, 130)
    if n is None:
        raise HTTPException(
            422,
            t(
                "%(label)s: %(text)s is not a whole number from 0 to 130",
                label=label,
                text=repr(text[:20]),
            ),
        )
    return n


def _pathway(s: Session, form: Any) -> Pathway | None:
    """The pathway a form names by its id (any size: ids grow as pathways are replaced), or
    None for no such pathway."""
    pid = whole_number(str(form.get("pathway", "")).strip())
    return s.get(Pathway, pid) if pid is not None else None


@router.post("/referrals", dependencies=[Csrf])
def create(request: Request, s: Db, me: Me, form: Posted) -> Response:
    org = _need_referrer(me)
    pathway = _pathway(s, form)
    if pathway is None:
        raise HTTPException(422, t("choose a pathway"))
    r = create_referral(
        s,
        _keyring(request),
        pathway=pathway,
        identity={f: str(form.get(f, "")) for f, _ in IDENTITY_FIELDS},
        referring_org_id=org,
        referrer_role=str(form.get("referrer_role", "")),
        age=_int(form, "age", t("Age")) or 0,
        sex=str(form.get("sex", "")),
        prior_offences=_int(form, "prior_offences", t("Prior offences"), required=False),
        needs=[str(n) for n in form.getlist("needs")],
        consent_given=form.get("consent") == "yes",
        at=_now(request),
        by=me,
        duplicate_window=request.app.state.duplicate_window,
    )
    return RedirectResponse(f"/referrals/{r.id}", status_code=303)


@router.get("/referrals/report", response_class=HTMLResponse)
def report(request: Request, s: Db, me: Me) -> HTMLResponse:
    now = _now(request)
    frame, table, reoffending = evaluation_figures(s, _mine(me))
    clocks = sla(s, now, _mine(me))
    return render(
        request,
        "referrals_report.html",
        user=me,
        now=now,
        referral_summary=table.to_dict("records"),
        overdue=clocks[clocks.overdue],
        reoffending=reoffending,
        total=len(frame),
    )


@router.get("/referrals/export.csv")
def export(request: Request, s: Db, me: Me) -> Response:
    frame = referral_frame(s, scope(me) if me.role not in VRU_ROLES else None)
    return Response(
        write_csv(frame),
        media_type="text/csv",
        headers={"Content-Disposition": "attachment; filename=referrals-pseudonymised.csv"},
    )


@router.get("/referrals/{rid}", response_class=HTMLResponse)
def page(request: Request, s: Db, me: Me, rid: int) -> HTMLResponse:
    r = _referral(s, me, rid)
    pathways = _pathways(s)
    pathway = pathways[r.pathway_id]
    records = {st["status"]: st.get("records", []) for st in pathway.steps}
    nexts = [t for t in TRANSITIONS[r.status] if t != "referred_on"]
    clock = sla(s, _now(request), Referral.id == r.id)
    return render(
        request,
        "referral.html",
        user=me,
        r=r,
        pathway=pathway,
        names=_names(s),
        acts=may_act(me, r) and r.subject.consent == "given",
        nexts=nexts,
        records=records,
        on=on_referral(me, r),
        outcomes=OUTCOMES,
        others=[p for p in pathways.values() if p.id != r.pathway_id],
        clock=next(clock.itertuples(), None),
        consents=_consents(s, r, me),
        lifts=_lifts(s, r, me),
        can_refer_on="referred_on" in TRANSITIONS[r.status],
        earlier=s.get(Referral, r.duplicate_of_id) if r.duplicate_of_id else None,
    )


def _consents(s: Session, r: Referral, me: User) -> list[RefConsent]:
    """The consent recorded for ``r``'s subject on referrals ``me`` may see (or on none): a
    note another organisation wrote on its own onward referral is its to give, as in the
    subject-access export."""
    seen = or_(RefConsent.referral_id.is_(None), scope(me))
    return list(s.scalars(
        select(RefConsent).outerjoin(Referral, RefConsent.referral_id == Referral.id)
        .where(RefConsent.subject_id == r.subject_id, seen).order_by(RefConsent.id)
    ))  # fmt: skip


def _lifts(s: Session, r: Referral, me: User) -> bool:
    """Whether ``me`` may record consent given again (``referrals.workflow.may_lift``)."""
    return r.subject.consent == "given" or may_lift(s, me, r.subject)


@router.get("/referrals/{rid}/identity", response_class=HTMLResponse)
def identity(request: Request, s: Db, me: Me, rid: int) -> HTMLResponse:
    r = _referral(s, me, rid)
    details = read_identity(s, _keyring(request), me, r, _now(request))
    return render(
        request, "referral_identity.html", user=me, r=r, details=details, fields=IDENTITY_FIELDS
    )


@router.get("/referrals/{rid}/subject-access.json")
def access_export(request: Request, s: Db, me: Me, rid: int) -> Response:
    r = _referral(s, me, rid)
    data = subject_access(s, _keyring(request), me, r, _now(request))
    return Response(
        jsonio.dumps(data, indent=1),
        media_type="application/json",
        headers={
            "Content-Disposition": f"attachment; filename=subject-access-{r.subject.pseudonym}.json"
        },
    )


@router.post("/referrals/{rid}/status", dependencies=[Csrf])
def status(request: Request, s: Db, me: Me, rid: int, form: Posted) -> Response:
    r = _referral(s, me, rid)
    data = {k[5:]: str(v) for k, v in form.items() if k.startswith("data.")}
    transition(
        s, me, r, str(form.get("status", "")), _now(request), str(form.get("note", "")), data
    )
    return RedirectResponse(f"/referrals/{rid}", status_code=303)


@router.post("/referrals/{rid}/refer-on", dependencies=[Csrf])
def onward(request: Request, s: Db, me: Me, rid: int, form: Posted) -> Response:
    r = _referral(s, me, rid)
    pathway = _pathway(s, form)
    if pathway is None:
        raise HTTPException(422, t("choose the pathway to refer on to"))
    new = refer_on(
        s,
        me,
        r,
        pathway,
        _now(request),
        str(form.get("note", "")),
        consent_given=form.get("consent") == "yes",
    )
    return RedirectResponse(
        f"/referrals/{new.id}" if may_see(me, new) else "/referrals", status_code=303
    )


@router.post("/referrals/{rid}/consent", dependencies=[Csrf])
def consent(request: Request, s: Db, me: Me, rid: int, form: Posted) -> Response:
    r = _referral(s, me, rid)
    given = str(form.get("consent", ""))
    if given not in ("given", "withdrawn"):
        raise HTTPException(422, t("consent is given or withdrawn"))
    set_consent(s, me, r, given == "given", _now(request), str(form.get("note", "")))
    return RedirectResponse(f"/referrals/{rid}", status_code=303)


@router.post("/referrals/{rid}/outcome", dependencies=[Csrf])
def outcome(request: Request, s: Db, me: Me, rid: int, form: Posted) -> Response:
    r = _referral(s, me, rid)
    months = _int(form, "months", t("Months"))
    reoffended = {"yes": True, "no": False}.get(str(form.get("reoffended", "")))
    record_outcome(s, me, r, months or 0, str(form.get("outcome", "")), reoffended, _now(request))
    return RedirectResponse(f"/referrals/{rid}", status_code=303)


@router.post("/referrals/{rid}/duplicate", dependencies=[Csrf])
def duplicate(request: Request, s: Db, me: Me, rid: int, form: Posted) -> Response:
    r = _referral(s, me, rid)
    decision = str(form.get("decision", ""))
    if decision not in ("same", "different"):
        raise HTTPException(422, t("decide: the same person, or a different one"))
    decide_duplicate(s, me, r, decision == "same", _now(request))
    return RedirectResponse(f"/referrals/{rid}", status_code=303)


async def not_allowed(request: Request, exc: NotAllowed) -> Response:
    """A rule refused the action: 403 (not yours to do), 409 (not now) or 422 (not like that)."""
    said = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return render(request, "error.html", exc.status, code=exc.status, message=said)


#: Every referral route, for the access tests: (method, path with {rid}).
ROUTES = (
    ("GET", "/referrals"),
    ("GET", "/referrals/new"),
    ("POST", "/referrals"),
    ("GET", "/referrals/report"),
    ("GET", "/referrals/export.csv"),
    ("GET", "/referrals/{rid}"),
    ("GET", "/referrals/{rid}/identity"),
    ("GET", "/referrals/{rid}/subject-access.json"),
    ("POST", "/referrals/{rid}/status"),
    ("POST", "/referrals/{rid}/refer-on"),
    ("POST", "/referrals/{rid}/consent"),
    ("POST", "/referrals/{rid}/outcome"),
    ("POST", "/referrals/{rid}/duplicate"),
)

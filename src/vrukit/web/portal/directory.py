"""Keeping the Youth Map right: locally trusted organisations verify listings, and changes from
anyone else wait for them.

A **verifier** is an admin, or anyone whose organisation is marked ``verifies_directory`` (the
local youth network, say). Every signed-in user may propose a change to a service's listing; a
verifier's own change is applied at once (and counts as a verification), anyone else's is held
as a ``dir_edit`` until a verifier approves or rejects it. Verifying sets the service's
last-verified date (``assured_date``) and who did it; the list shows first the services not
verified for 12 months. Every change is in the audit trail, before and after, and bumps the
directory's version so the public search and the API show it at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vrukit.csvio import visible_text
from vrukit.directory.index import bump
from vrukit.directory.models import SERVICE_STATUSES, DirEdit, DirService, UnsafeLink, safe_link
from vrukit.directory.search import STALE_AFTER, is_stale
from vrukit.programme.audit import audit
from vrukit.programme.db import lock_row
from vrukit.programme.models import Intervention, Organisation, Place, User
from vrukit.web.portal.lang import t
from vrukit.web.portal.web import (
    Csrf,
    Db,
    Me,
    Posted,
    plain,
    render,
    visible,
    whole_number,
)

__all__ = ["FIELDS", "router", "verifier"]

router = APIRouter()
#: The listing fields the portal edits: (column, label, kind).
FIELDS = (
    ("name", t("Name"), "text"),
    ("description", t("Description"), "long"),
    ("status", t("Status"), "status"),
    ("minimum_age", t("Youngest age"), "age"),
    ("maximum_age", t("Oldest age"), "age"),
    ("eligibility_description", t("Who it is for"), "long"),
    ("fees_description", t("Cost"), "text"),
    ("email", t("E-mail"), "text"),
    ("url", t("Website"), "text"),
    ("place_id", t("Pilot place it serves"), "place"),
    ("intervention_id", t("Commissioned intervention it belongs to"), "intervention"),
)
#: The registry tables the link fields point at.
LINKS: dict[str, Any] = {"place": Place, "intervention": Intervention}


def verifier(s: Session, user: User) -> bool:
    """Whether ``user`` may verify listings and decide on others' changes."""
    if user.role == "admin":
        return True
    org = s.get(Organisation, user.organisation_id) if user.organisation_id else None
    return bool(org and org.verifies_directory)


def _today(request: Request) -> date:
    today = getattr(request.app.state, "today", None)
    return today() if today else date.today()


def _service(s: Session, sid: str) -> DirService:
    row = s.get(DirService, sid)
    if row is None:
        raise HTTPException(404, t("no such service"))
    return row


@router.get("/directory", response_class=HTMLResponse)
def directory(request: Request, s: Db, me: Me) -> HTMLResponse:
    today = _today(request)
    cutoff = today - STALE_AFTER
    stale_q = select(DirService).where(
        or_(DirService.assured_date.is_(None), DirService.assured_date < cutoff)
    )
    stale = list(s.scalars(stale_q.order_by(DirService.assured_date, DirService.name).limit(50)))
    may = verifier(s, me)
    edits = select(DirEdit).where(DirEdit.status == "pending").order_by(DirEdit.proposed_at)
    if not may:
        edits = edits.where(DirEdit.proposed_by == me.id)
    pending = [(e, s.get(DirService, e.service_id), s.get(User, e.proposed_by))
               for e in s.scalars(edits)]  # fmt: skip
    total = s.scalar(select(func.count()).select_from(DirService)) or 0
    return render(request, "directory.html", user=me, stale=stale, pending=pending,
                  verifier=may, total=total, today=today, labels=dict(
                      (c, label) for c, label, _ in FIELDS),
                  shown=lambda c, v: _shown(s, c, v))  # fmt: skip


def _shown(s: Session, column: str, value: Any) -> str:
    """A proposed value as a person reads it: a linked place or intervention by its name."""
    kind = dict((c, k) for c, _, k in FIELDS).get(column)
    if value is None or value == "":
        return "blank"
    if kind in LINKS:
        row = s.get(LINKS[kind], value)
        return row.name if row else str(value)
    return str(value)


@router.get("/directory/services/{sid}", response_class=HTMLResponse)
def service_form(request: Request, s: Db, me: Me, sid: str) -> HTMLResponse:
    row = _service(s, sid)
    values = {c: getattr(row, c) for c, *_ in FIELDS}
    return render(request, "directory_service.html", user=me, service=row, fields=FIELDS,
                  values=values, verifier=verifier(s, me), statuses=SERVICE_STATUSES,
                  stale=is_stale(row, _today(request)), choices=_choices(s, me))  # fmt: skip


def _choices(s: Session, me: User) -> dict[str, list[tuple[int, str]]]:
    """What the link fields may point at: every place, and the interventions ``me`` sees."""
    ivs = select(Intervention.id, Intervention.name).where(visible(me))
    return {"place": [(r.id, r.name) for r in s.execute(select(Place.id, Place.name)
                                                         .order_by(Place.name))],
            "intervention": [(r.id, r.name) for r in s.execute(ivs.order_by(
                Intervention.name))]}  # fmt: skip


#: The longest text a listing's field takes ("long" fields, then the rest), and the most
#: changes one account may have waiting for a verifier (the verifier's queue is one page).
LONGEST = {"long": 5000, "text": 500}
MOST_PENDING = 20


def _field(c: str, label: str, kind: str, text: str, choices: dict[str, Any]) -> Any:
    """One edited field, typed; HTTPException(422) naming it when it is wrong."""
    text = visible_text(text, lines=kind == "long")
    most = LONGEST.get(kind)
    if most is not None and len(text) > most:
        raise HTTPException(
            422,
            t(
                "%(label)s: %(count)s characters, more than the %(most)s a listing takes",
                label=label,
                count=format(len(text), ","),
                most=format(most, ","),
            ),
        )
    if kind in LINKS:
        allowed = {str(i): i for i, _ in choices[kind]}
        if text and text not in allowed:
            raise HTTPException(
                422,
                t("%(label)s: %(text)s is not one you may choose", label=label, text=repr(text)),
            )
        return allowed.get(text)
    if kind == "age":
        age = whole_number(text, 130)
        if text and age is None:
            raise HTTPException(
                422,
                t(
                    "%(label)s: %(text)s is not an age from 0 to 130",
                    label=label,
                    text=repr(text[:20]),
                ),
            )
        return age
    if kind == "status":
        if text not in SERVICE_STATUSES:
            raise HTTPException(
                422,
                t(
                    "%(label)s: %(text)s is not one of %(choices)s",
                    label=label,
                    text=repr(text),
                    choices=", ".join(SERVICE_STATUSES),
                ),
            )
        return text
    if c == "url":
        try:
            return safe_link(label, text)
        except UnsafeLink as e:
            raise HTTPException(422, str(e)) from None
    return text or None


def _parse(form: Any, choices: dict[str, list[tuple[int, str]]]) -> dict[str, Any]:
    """The edited fields, typed; HTTPException(422) naming the first field that is wrong."""
    out = {
        c: _field(c, label, kind, str(form.get(c, "")).strip(), choices)
        for c, label, kind in FIELDS
    }
    if not out["name"]:
        raise HTTPException(422, t("Name is required"))
    lo, hi = out["minimum_age"], out["maximum_age"]
    if lo is not None and hi is not None and lo > hi:
        raise HTTPException(
            422, t("Youngest age %(lo)s is above the oldest age %(hi)s", lo=lo, hi=hi)
        )
    return out


def _apply(s: Session, me: User, row: DirService, changes: dict[str, Any], today: date) -> None:
    """Apply ``changes`` as a verifier: the listing counts as verified today."""
    before = {c: plain(getattr(row, c)) for c in changes}
    for c, v in changes.items():
        setattr(row, c, v)
    before |= {"assured_date": plain(row.assured_date), "assurer_email": row.assurer_email}
    # who verified it is in the audit trail; the listing's assurer_email is published by the
    # Open Referral API, so it never holds a portal sign-in (the eleventh probe found them there)
    row.assured_date, row.assurer_email = today, None
    row.last_modified = datetime.now()
    after = {c: plain(getattr(row, c)) for c in before}
    audit(s, me, "update", "dir_service", row.id, before, after)
    bump(s)


@router.post("/directory/services/{sid}", dependencies=[Csrf])
def propose(request: Request, s: Db, me: Me, sid: str, form: Posted) -> Response:
    row = _service(s, sid)
    choices = _choices(s, me)
    new = _parse(form, choices)
    for c, _, kind in FIELDS:  # a link to something this user cannot see stays as it is
        if kind in LINKS and getattr(row, c) not in (None, *(i for i, _ in choices[kind])):
            del new[c]
    changes = {c: v for c, v in new.items() if getattr(row, c) != v}
    if changes and verifier(s, me):
        _apply(s, me, row, changes, _today(request))
    elif changes:
        lock_row(s, me)  # one account's proposals counted one at a time: the limit holds
        waiting = s.scalar(select(func.count()).select_from(DirEdit).where(
            DirEdit.proposed_by == me.id, DirEdit.status == "pending")) or 0  # fmt: skip
        if waiting >= MOST_PENDING:
            raise HTTPException(
                429,
                t(
                    "you have %(waiting)s changes waiting for a verifier: wait for them to be "
                    "decided before proposing more",
                    waiting=waiting,
                ),
            )
        edit = DirEdit(service_id=row.id, changes=changes,
                       before={c: getattr(row, c) for c in changes}, proposed_by=me.id,
                       proposed_at=datetime.now(), status="pending")  # fmt: skip
        s.add(edit)
        s.flush()
        audit(s, me, "propose", "dir_edit", str(edit.id), None, changes)
    return RedirectResponse("/directory", status_code=303)


@router.post("/directory/services/{sid}/verify", dependencies=[Csrf])
def verify(request: Request, s: Db, me: Me, sid: str) -> Response:
    row = _service(s, sid)
    if not verifier(s, me):
        raise HTTPException(403, t("only a trusted organisation may verify listings"))
    _apply(s, me, row, {}, _today(request))
    return RedirectResponse("/directory", status_code=303)


@router.post("/directory/edits/{did}", dependencies=[Csrf])
def decide(request: Request, s: Db, me: Me, did: int, form: Posted) -> Response:
    edit = s.get(DirEdit, did)
    if edit is None:
        raise HTTPException(404, t("no such change"))
    if not verifier(s, me):
        raise HTTPException(403, t("only a trusted organisation may approve or reject changes"))
    lock_row(s, edit)  # approved and rejected at once: the second sees the first's decision
    if edit.status != "pending":
        raise HTTPException(409, t("this change was already %(status)s", status=t(edit.status)))
    decision = str(form.get("decision", ""))
    if decision not in ("approve", "reject"):
        raise HTTPException(422, t("decision must be approve or reject"))
    edit.status = "approved" if decision == "approve" else "rejected"
    edit.decided_by, edit.decided_at = me.id, datetime.now()
    edit.note = str(form.get("note", "")).strip() or None
    if decision == "approve":
        _apply(s, me, _service(s, edit.service_id), dict(edit.changes), _today(request))
    audit(s, me, edit.status, "dir_edit", str(edit.id), {"status": "pending"},
          {"status": edit.status, "note": edit.note})  # fmt: skip
    return RedirectResponse("/directory", status_code=303)

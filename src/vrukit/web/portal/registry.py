"""Editing the registry and users in the portal. Each save records the changed columns before
and after in the audit trail; a save that changes nothing records nothing."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from vrukit.csvio import visible_text
from vrukit.programme.audit import audit
from vrukit.programme.models import (
    PREVENTION_TIERS,
    ROLES,
    THEMATIC_AREAS,
    YEF_IMPACT,
    Organisation,
    User,
)
from vrukit.web.portal.lang import t
from vrukit.web.portal.web import (
    EDITORS,
    Csrf,
    Db,
    Me,
    Posted,
    admin_only,
    intervention,
    need_role,
    plain,
    render,
    whole_number,
)

__all__ = ["EDITABLE", "router"]

router = APIRouter()
#: Intervention columns the portal edits: (column, label, kind, allowed values).
EDITABLE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("thematic_area", t("Thematic area"), "choice", THEMATIC_AREAS),
    ("prevention_tier", t("Prevention tier"), "choice", PREVENTION_TIERS),
    ("setting", t("Setting"), "text", ()),
    ("yef_strand", t("YEF Toolkit strand"), "text", ()),
    ("yef_impact", t("YEF Toolkit impact band"), "choice", ("", *YEF_IMPACT)),
    ("funding", t("Funding (GBP)"), "number", ()),
    ("contract_start", t("Contract start"), "date", ()),
    ("contract_end", t("Contract end"), "date", ()),
)


#: The longest an intervention's text field (setting, YEF Toolkit strand) may be, as stored.
TEXT_MOST = 100
#: The dates the portal takes: a programme's, a contract's, a payment's (a year typed "0202"
#: or "9999" once put every board pack and the spend page out of reach).
EARLIEST, LATEST = date(1990, 1, 1), date(2099, 12, 31)


def _not_a(kind: str, label: str, text: str) -> str:
    """What is wrong with ``text`` given for a number or a date."""
    if kind == "number":
        return t("%(label)s: %(text)s is not a number, 0 or more", label=label, text=repr(text))
    return t("%(label)s: %(text)s is not a date YYYY-MM-DD", label=label, text=repr(text))


def _value(kind: str, label: str, text: str, allowed: tuple[str, ...]) -> Any:
    """The typed value of one edited field, or HTTPException(422) naming the field."""
    text = text.strip()
    if kind == "choice":
        if text not in allowed:
            raise HTTPException(
                422,
                t(
                    "%(label)s: %(text)s is not one of %(choices)s",
                    label=label,
                    text=repr(text),
                    choices=", ".join(allowed),
                ),
            )
        return text or None
    if text == "":
        if label == "Contract start":
            raise HTTPException(422, t("%(label)s is required", label=label))
        return None
    try:
        if kind == "number":  # ASCII digits only: float() also takes "inf", "1_000" and "٣"
            if not re.fullmatch(r"[0-9]{1,15}(\.[0-9]{1,10})?", text):
                raise ValueError
            return float(text)
        if kind == "date":
            day = date.fromisoformat(text)
            if not EARLIEST <= day <= LATEST:  # "0202-04-01" for 2022: every quarter after it
                raise HTTPException(
                    422,
                    t(
                        "%(label)s: %(text)s is not a date from %(first)s to %(last)s",
                        label=label,
                        text=repr(text),
                        first=EARLIEST.year,
                        last=LATEST.year,
                    ),
                )
            return day
    except ValueError:
        raise HTTPException(422, _not_a(kind, label, text)) from None
    return _text(label, text)


def _text(label: str, text: str) -> str | None:
    text = visible_text(text)  # as every text the portal keeps (a setting once kept a NUL)
    if len(text) > TEXT_MOST:
        raise HTTPException(
            422, t("%(label)s is longer than %(most)s characters", label=label, most=TEXT_MOST)
        )
    return text or None


def money(text: object, label: str) -> float | None:
    """An amount of money as people type it ("£40,000", "1,250.50"), or None for blank;
    HTTPException(422) naming the field otherwise."""
    cleaned = str(text).strip().replace("£", "").replace(",", "").strip()
    value = _value("number", label, cleaned, ())
    return None if value is None else float(value)


@router.get("/interventions/{iid}/edit", response_class=HTMLResponse)
def edit_form(request: Request, s: Db, me: Me, iid: int) -> HTMLResponse:
    iv = intervention(s, me, iid)
    need_role(me, EDITORS, t("edit the registry"))
    return render(request, "edit.html", user=me, iv=iv, fields=EDITABLE,
                  values={c: plain(getattr(iv, c)) for c, *_ in EDITABLE})  # fmt: skip


@router.post("/interventions/{iid}/edit", dependencies=[Csrf])
def edit(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    iv = intervention(s, me, iid)
    need_role(me, EDITORS, t("edit the registry"))
    new = {c: _value(k, label, str(form.get(c, "")), allowed) for c, label, k, allowed in EDITABLE}
    if new["contract_end"] and new["contract_end"] < new["contract_start"]:
        raise HTTPException(422, t("Contract end: before the contract start"))
    _change(s, me, iv, "intervention", str(iv.id), new)
    return RedirectResponse(f"/interventions/{iv.id}", status_code=303)


def _change(s: Session, me: User, row: Any, table: str, key: str, new: dict[str, Any]) -> None:
    """Set the columns in ``new`` that differ and audit them before and after."""
    before = {c: plain(getattr(row, c)) for c in new if getattr(row, c) != new[c]}
    if not before:
        return
    for c in before:
        setattr(row, c, new[c])
    s.flush()
    audit(s, me, "update", table, key, before, {c: plain(new[c]) for c in before})


def _keep_an_admin(s: Session, me: User, user: User) -> None:
    """Removing an admin: changes of admins wait for each other (PostgreSQL: an advisory lock;
    SQLite's write transactions queue), the remover must still be an admin when their turn
    comes, and one active admin must remain (two admins removing each other at once left
    none)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(7274613)"))
    s.refresh(me)
    s.refresh(user)
    if me.role != "admin" or not me.active:
        raise HTTPException(403, t("your admin role was removed a moment ago"))
    left = s.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0  # fmt: skip
    if left == 0:
        raise HTTPException(422, t("that would leave no active admin: make another one first"))


@router.post("/admin/users/{uid}", dependencies=[Csrf])
def edit_user(request: Request, s: Db, me: Me, uid: int, form: Posted) -> Response:
    admin_only(me)
    user = s.get(User, uid)
    if user is None:
        raise HTTPException(404, t("no such user"))
    role = str(form.get("role", user.role))
    org_text = str(form.get("organisation_id", "")).strip()
    org = whole_number(org_text)
    active = form.get("active") == "yes"
    if role not in ROLES:
        raise HTTPException(422, t("role must be one of %(choices)s", choices=", ".join(ROLES)))
    if role == "provider" and (org is None or s.get(Organisation, org) is None):
        raise HTTPException(422, t("a provider user needs their organisation"))
    if user.id == me.id and (role != "admin" or not active):
        raise HTTPException(422, t("you cannot remove your own admin role or sign-in"))
    if user.role == "admin" and user.active and (role != "admin" or not active):
        _keep_an_admin(s, me, user)
    new = {"role": role, "organisation_id": org if role == "provider" else None,
           "active": active}  # fmt: skip
    if any(getattr(user, c) != v for c, v in new.items()):
        user.session_epoch += 1  # their sessions end: the next sign-in carries the new rights
    _change(s, me, user, "app_user", str(user.id), new)
    return RedirectResponse("/admin/users", status_code=303)

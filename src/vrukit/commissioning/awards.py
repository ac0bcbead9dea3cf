"""Deciding an application: an award sets the work up in the registry (the intervention or a
place among a programme's providers, its contract dates, the payment schedule and the
monitoring-return template); a decline records its reason. Both are in the audit trail."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.commissioning.models import Application, FundingRound, Payment
from vrukit.commissioning.rounds import ranking
from vrukit.commissioning.yef import band_of
from vrukit.errors import ConfigError
from vrukit.programme.audit import audit
from vrukit.programme.db import lock_row
from vrukit.programme.models import Intervention, Organisation, ReturnTemplate, User
from vrukit.programme.returns import fields_of

__all__ = ["award", "decline", "schedule"]


def _decidable(s: Session, a: Application) -> None:
    # one decision at a time in a round: two at once (a double click, two commissioners)
    # would each see the application undecided and the budget unspent
    lock_row(s, a.round, everything=True)
    rnd = a.round
    if a.status != "submitted":
        raise ConfigError(f"application {a.title!r} is {a.status}: it cannot be decided again")
    if rnd.status != "scoring":
        raise ConfigError(f"round {rnd.name!r} is {rnd.status}: decisions follow scoring")


def _months_after(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    last = calendar.monthrange(day.year + y, m + 1)[1]
    return date(day.year + y, m + 1, min(day.day, last))


def schedule(amount: float, start: date, end: date, instalments: int) -> list[tuple[date, float]]:
    """``amount`` in ``instalments`` equal payments (in pence; the last takes the remainder),
    the first at ``start`` and the rest at equal steps of whole months through the contract
    (quarterly for four over a year: 1 April, 1 July, 1 October, 1 January)."""
    if instalments < 1 or end < start:
        raise ConfigError("a payment schedule needs one instalment or more and an end after "
                          "its start")  # fmt: skip
    pence = round(amount * 100)
    each = pence // instalments
    nxt = end + timedelta(days=1)
    months = max(1, (nxt.year - start.year) * 12 + nxt.month - start.month)
    return [(_months_after(start, months * k // instalments),
             (each if k < instalments - 1 else pence - each * (instalments - 1)) / 100)
            for k in range(instalments)]  # fmt: skip


def award(
    s: Session, a: Application, by: User | None, *, amount: float, start: date, end: date,
    conditions: str = "", instalments: int = 4, now: datetime | None = None,
) -> Intervention:  # fmt: skip
    """Award ``amount`` to an eligible, fully scored and moderated application within what is
    left of the round's budget; returns the intervention it funds."""
    _decidable(s, a)
    if not (date(1990, 1, 1) <= start <= end <= date(2099, 12, 31)):
        raise ConfigError(f"contract {start} to {end}: the end must be on or after the start, "
                          "both from 1990 to 2099")  # fmt: skip
    rnd = a.round
    ranked = next(r for r in ranking(s, rnd) if r.application.id == a.id)
    if ranked.ineligible or ranked.rank is None:
        raise ConfigError(
            f"application {a.title!r} is not ready to award: "
            + "; ".join(ranked.ineligible + ranked.notes or ["not fully scored"])
        )
    if ranked.notes:
        raise ConfigError(f"application {a.title!r}: " + "; ".join(ranked.notes))
    given = s.scalar(select(func.coalesce(func.sum(Application.awarded), 0.0))
                     .where(Application.round_id == rnd.id)) or 0.0  # fmt: skip
    if amount > a.amount + 0.005:
        raise ConfigError(f"£{amount:,.2f} is more than the £{a.amount:,.2f} the application "
                          "asked for")  # fmt: skip
    if amount <= 0 or given + amount > rnd.budget + 0.005:
        total = given + amount
        raise ConfigError(f"£{amount:,.2f} would take the round's awards to £{total:,.2f}, "
                          f"over its budget of £{rnd.budget:,.2f}")  # fmt: skip
    iv = _intervention(s, a, amount, start, end)
    for due, pay in schedule(amount, start, end, instalments):
        s.add(Payment(intervention_id=iv.id, organisation_id=a.organisation_id,
                      application_id=a.id, due=due, amount=pay))  # fmt: skip
    a.status, a.awarded, a.intervention_id = "awarded", round(amount, 2), iv.id
    a.contract_start, a.contract_end = start, end
    a.decision_note, a.decided_at = conditions.strip() or None, now or datetime.now()
    a.decided_by = by.id if by else None
    _close_when_done(rnd)
    audit(s, by, "award", "application", str(a.id), None,
          {"round": rnd.name, "title": a.title, "awarded": a.awarded, "intervention": iv.name,
           "conditions": a.decision_note, "instalments": instalments})  # fmt: skip
    s.flush()
    return iv


def decline(s: Session, a: Application, by: User | None, reason: str,
            now: datetime | None = None) -> None:  # fmt: skip
    """Decline a submitted application, saying why (the applicant reads it)."""
    _decidable(s, a)
    if not reason.strip():
        raise ConfigError("a decline needs its reason: the applicant reads it")
    a.status, a.decision_note = "declined", reason.strip()
    a.decided_at, a.decided_by = now or datetime.now(), by.id if by else None
    _close_when_done(a.round)
    audit(
        s,
        by,
        "decline",
        "application",
        str(a.id),
        None,
        {"round": a.round.name, "title": a.title, "reason": a.decision_note},
    )
    s.flush()


def _close_when_done(rnd: FundingRound) -> None:
    if all(x.status != "submitted" for x in rnd.applications):
        rnd.status = "decided"


def _intervention(
    s: Session, a: Application, amount: float, start: date, end: date
) -> Intervention:
    """The intervention an award funds: the round's programme (the applicant joins its
    providers), or a new one with the round's return template."""
    rnd = a.round
    if rnd.intervention_id is not None:
        iv = s.get(Intervention, rnd.intervention_id)
        assert iv is not None
        org = s.get(Organisation, a.organisation_id)
        if a.organisation_id not in iv.provider_ids and org is not None:
            iv.partners.append(org)
        iv.funding = (iv.funding or 0.0) + amount
        # the programme runs as long as the contracts it holds
        iv.contract_start = min(iv.contract_start, start)
        iv.contract_end = max(iv.contract_end or end, end)
        return iv
    fields = fields_of(rnd.template)  # checked again: it may have been edited
    if not fields:
        raise ConfigError(f"round {rnd.name!r} has no monitoring-return template for awards")
    org_name = s.get(Organisation, a.organisation_id).name  # type: ignore[union-attr]
    taken = set(s.scalars(select(Intervention.name).where(Intervention.name.startswith(a.title))))
    name, k = a.title, 1
    while name in taken:  # the title, then with the organisation, then numbered
        name = f"{a.title} ({org_name})" if k == 1 else f"{a.title} ({org_name}, {k})"
        k += 1
    places = [p.place_id for p in a.places]
    iv = Intervention(
        name=name, provider_id=a.organisation_id, thematic_area=a.thematic_area,
        prevention_tier=a.prevention_tier, yef_strand=a.yef_strand,
        yef_impact=band_of(a.yef_strand), funding=amount, contract_start=start,
        contract_end=end, place_id=places[0] if len(places) == 1 else None,
    )  # fmt: skip
    s.add(iv)
    s.flush()
    s.add(ReturnTemplate(intervention_id=iv.id, version=1, fields=list(rnd.template)))
    return iv

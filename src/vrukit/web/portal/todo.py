"""What needs doing now, for the home page of each role: referrals waiting for this organisation's
next step (and how many are past the pathway's time), monitoring returns due or late, scores a
panel member still owes, the actions boards and networks gave this person, and the plan's
actions past their date. Each item says how many, what,
and links to where it is done."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_date, format_datetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.commissioning.governance import action_status
from vrukit.commissioning.models import Action, Application, Conflict, FundingRound, Score
from vrukit.partnerships.meetings import open_actions
from vrukit.partnerships.models import Meeting
from vrukit.programme.models import (
    Intervention,
    InterventionProvider,
    ReturnSubmission,
    ReturnTemplate,
    User,
)
from vrukit.publish._i18n import Lang, language
from vrukit.referrals.models import Referral
from vrukit.referrals.report import sla
from vrukit.referrals.workflow import VRU_ROLES
from vrukit.web.portal.lang import said
from vrukit.web.portal.web import EDITORS, visible

__all__ = ["GRACE_DAYS", "Item", "to_do"]

#: Days after a quarter ends in which its return is due, not yet late.
GRACE_DAYS = 30


@dataclass
class Item:
    """One thing to do: a sentence, where to do it, whether it is late, and up to five
    examples (each a text and a link)."""

    text: str
    href: str
    late: bool = False
    examples: list[tuple[str, str]] = field(default_factory=list)


def to_do(s: Session, me: User, today: date, now: datetime, lang: Lang | None = None) -> list[Item]:
    """What ``me`` should do now, most pressing first, said in ``lang`` (English by default)."""
    lang = lang or language("en")
    items: list[Item] = []
    if me.role != "panel":
        items += _referrals(s, me, now, lang) + _returns(s, me, today, lang)
    items += _scores(s, me, lang) + _meeting_actions(s, me, today, lang)
    if me.role in EDITORS:
        items += _actions(s, today, lang)
    return sorted(items, key=lambda i: not i.late)


def _day(lang: Lang, d: date) -> str:
    return format_date(d, "d MMM y", locale=lang.locale)


def _referrals(s: Session, me: User, now: datetime, lang: Lang) -> list[Item]:
    """Referrals waiting for a pathway step: those this organisation receives, or every one
    for the VRU's staff."""
    if me.role in VRU_ROLES:
        mine = None
    elif me.organisation_id is not None:
        mine = Referral.receiving_org_id == me.organisation_id
    else:
        return []
    clocks = sla(s, now, mine)
    if clocks.empty:
        return []
    late = clocks[clocks.overdue]
    if me.role in VRU_ROLES:
        text = lang.ngettext(
            "%(num)s open referral waits for its next step.",
            "%(num)s open referrals wait for their next step.",
            len(clocks),
            num=lang.num(len(clocks)),
        )
    else:
        text = lang.ngettext(
            "%(num)s open referral waits for your organisation's next step.",
            "%(num)s open referrals wait for your organisation's next step.",
            len(clocks),
            num=lang.num(len(clocks)),
        )
    if len(late):
        text += " " + lang.ngettext(
            "%(num)s of them is past the pathway's time.",
            "%(num)s of them are past the pathway's time.",
            len(late),
            num=lang.num(len(late)),
        )
    soonest = (late if len(late) else clocks).sort_values("due").head(5)
    examples = [(lang.gettext("Referral %(id)s (%(pathway)s): %(step)s due %(due)s",
                              id=r.referral, pathway=r.pathway, step=said(lang, r.step),
                              due=format_datetime(r.due, "d MMM y HH:mm", locale=lang.locale)),
                 f"/referrals/{r.referral}") for r in soonest.itertuples()]  # fmt: skip
    return [Item(text, "/referrals", bool(len(late)), examples)]


def _quarters(start: date, end: date | None, today: date) -> list[tuple[str, date]]:
    """Each quarter of a contract that has ended by ``today``, with the day it ended."""
    out: list[tuple[str, date]] = []
    y, q = start.year, (start.month - 1) // 3 + 1
    while True:
        last = date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
        if last >= today or (end is not None and date(y, 3 * q - 2, 1) > end):
            return out
        out.append((f"{y}-Q{q}", last))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)


def _owed(s: Session, me: User) -> list[tuple[Intervention, int]]:
    """(intervention, organisation) pairs that owe returns and that ``me`` may see: each
    delivering organisation owes its own (a provider: its own alone)."""
    with_template = select(ReturnTemplate.intervention_id)
    ivs = s.scalars(select(Intervention).where(visible(me), Intervention.id.in_(with_template))
                    .order_by(Intervention.name)).all()  # fmt: skip
    partners = s.execute(select(InterventionProvider.intervention_id,
                                InterventionProvider.organisation_id)).all()  # fmt: skip
    pairs = [(iv, iv.provider_id) for iv in ivs]
    pairs += [(iv, org) for iv in ivs for i, org in partners if i == iv.id]
    if me.role == "provider":
        pairs = [(iv, org) for iv, org in pairs if org == me.organisation_id]
    return list(dict.fromkeys(pairs))


def _returns(s: Session, me: User, today: date, lang: Lang) -> list[Item]:
    """Returns not yet sent for quarters that have ended: due within ``GRACE_DAYS`` of the
    quarter's end, late after."""
    sent = set(s.execute(select(ReturnSubmission.intervention_id, ReturnSubmission.organisation_id,
                                ReturnSubmission.period)).all())  # fmt: skip
    due: list[tuple[Intervention, str, date]] = []
    late: list[tuple[Intervention, str, date]] = []
    for iv, org in _owed(s, me):
        for period, ended in _quarters(iv.contract_start, iv.contract_end, today):
            if (iv.id, org, period) not in sent:
                (late if today > ended + timedelta(days=GRACE_DAYS) else due).append(
                    (iv, period, ended)
                )
    items = []
    for found, is_late in ((late, True), (due, False)):
        if not found:
            continue
        n = lang.num(len(found))
        if is_late:
            text = lang.ngettext(
                "%(num)s monitoring return is late.",
                "%(num)s monitoring returns are late.",
                len(found),
                num=n,
            )
        else:
            text = lang.ngettext(
                "%(num)s monitoring return is due.",
                "%(num)s monitoring returns are due.",
                len(found),
                num=n,
            )
        examples = [(f"{iv.name}, {period}" if is_late else lang.gettext(
            "%(name)s, %(period)s (due by %(date)s)", name=iv.name, period=period,
            date=_day(lang, ended + timedelta(days=GRACE_DAYS))),
                     f"/interventions/{iv.id}") for iv, period, ended in found[:5]]  # fmt: skip
        items.append(Item(text, "/returns", is_late, examples))
    return items


def _scores(s: Session, me: User, lang: Lang) -> list[Item]:
    """Applications a panel member has still to score, round by round."""
    items = []
    scoring = s.scalars(select(FundingRound).where(FundingRound.status == "scoring")).all()
    for rnd in scoring:
        if me.id not in {p.user_id for p in rnd.panel}:
            continue
        conflicts = set(s.scalars(select(Conflict.application_id).where(Conflict.user_id == me.id)))
        mine = s.execute(select(Score.application_id, Score.criterion_id).where(
            Score.user_id == me.id)).all()  # fmt: skip
        owed = [a for a in s.scalars(select(Application).where(
            Application.round_id == rnd.id, Application.status == "submitted"))
            if a.id not in conflicts
            and sum(1 for aid, _ in mine if aid == a.id) < len(rnd.criteria)]  # fmt: skip
        if owed:
            examples = [(a.title, f"/applications/{a.id}") for a in owed[:5]]
            text = lang.ngettext("Score %(num)s application in %(round)s.",
                                 "Score %(num)s applications in %(round)s.", len(owed),
                                 num=lang.num(len(owed)), round=rnd.name)  # fmt: skip
            items.append(Item(text, f"/rounds/{rnd.id}", False, examples))
    return items


def _actions(s: Session, today: date, lang: Lang) -> list[Item]:
    """The delivery plan's actions past their date and not complete."""
    past = [a for a in s.scalars(select(Action).where(Action.due < today).order_by(Action.due))
            if action_status(a, today)[0] != "complete"]  # fmt: skip
    if not past:
        return []
    examples = [(lang.gettext("%(title)s (%(owner)s, due %(date)s)", title=a.title, owner=a.owner,
                              date=_day(lang, a.due)), "/plan") for a in past[:5]]  # fmt: skip
    text = lang.ngettext(
        "%(num)s action of the plan is past its date.",
        "%(num)s actions of the plan are past their date.",
        len(past),
        num=lang.num(len(past)),
    )
    return [Item(text, "/plan", True, examples)]


def _meeting_actions(s: Session, me: User, today: date, lang: Lang) -> list[Item]:
    """The open actions meetings gave ``me``: those past their date first, as one late item,
    then those still to come."""
    mine = open_actions(s, me.id)
    if not mine:
        return []
    boards = dict(s.execute(select(Meeting.id, Meeting.title)).all())
    items = []
    for late in (True, False):
        found = [a for a in mine if (a.due < today) == late]
        if not found:
            continue
        text = (
            lang.ngettext(
                "%(num)s action from board and network meetings is past its date.",
                "%(num)s actions from board and network meetings are past their date.",
                len(found),
                num=lang.num(len(found)),
            )
            if late
            else lang.ngettext(
                "%(num)s action from board and network meetings is to do.",
                "%(num)s actions from board and network meetings are to do.",
                len(found),
                num=lang.num(len(found)),
            )
        )
        examples = [(lang.gettext("%(text)s (due %(date)s; %(meeting)s)", text=a.text[:120],
                                  date=_day(lang, a.due), meeting=boards.get(a.meeting_id, "")),
                     f"/meetings/{a.meeting_id}") for a in found[:5]]  # fmt: skip
        items.append(Item(text, f"/meetings/{found[0].meeting_id}", late, examples))
    return items

"""A funding round from application to decision, as functions over the store.

Each function checks what the round's state allows (applications only while it is open,
scores only while it is being scored, decisions only once every application is fully
scored...) and raises ``ConfigError`` with what to do otherwise; the portal and the demo call
the same functions. Who may call them (a panel member, the applicant, the commissioner) is the
portal's business; what a *conflicted* member may not do is enforced here as well.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from math import fsum
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.commissioning.models import (
    Application,
    ApplicationPlace,
    BudgetLine,
    Conflict,
    Criterion,
    FundingRound,
    Moderation,
    PanelMember,
    Score,
)
from vrukit.errors import ConfigError, t
from vrukit.programme.db import lock_row
from vrukit.programme.returns import fields_of

__all__ = [
    "STANDARD_TEMPLATE",
    "Ranked",
    "can_see",
    "declare_conflict",
    "ineligible_because",
    "moderate",
    "on_panel",
    "open_round",
    "ranking",
    "record_application",
    "score",
    "set_status",
    "submit",
]

#: The monitoring-return template an award starts with when its round names none: one row
#: per young person a quarter, as the demo's interventions report.
STANDARD_TEMPLATE: list[dict[str, Any]] = [
    {"name": "participant_ref", "type": "text", "label": "pseudonymous reference (never a name)"},
    {"name": "age", "type": "integer", "min": 8, "max": 25, "label": "age at referral"},
    {"name": "engaged", "type": "boolean", "label": "took up the offer"},
    {"name": "sessions_attended", "type": "integer", "min": 0, "label": "this quarter"},
    {"name": "completed", "type": "boolean", "label": "finished the programme this quarter"},
]
#: Allowed moves between a round's statuses.
MOVES = {"draft": ("open",), "open": ("scoring",), "scoring": ("open", "decided")}


def open_round(
    s: Session, *, name: str, fund: str, budget: float, opens: date, closes: date,
    criteria: list[tuple[str, float]] | list[tuple[str, float, int]], panel: list[int],
    questions: list[dict[str, Any]] | None = None, template: list[dict[str, Any]] | None = None,
    baseline: dict[str, float] | None = None, description: str | None = None,
    min_scorers: int = 2, intervention_id: int | None = None,
) -> FundingRound:  # fmt: skip
    """A new round (in ``draft``) with its criteria ``(name, weight[, top])`` in order and
    its panel (user ids; the first chairs)."""
    if not criteria:
        raise ConfigError(t("round %(name)s: give at least one scoring criterion", name=repr(name)))
    if len(set(panel)) < min_scorers:
        raise ConfigError(
            t(
                "round %(name)s: a panel of %(count)s cannot give each application the "
                "%(min_scorers)s scorers it needs",
                name=repr(name),
                count=len(set(panel)),
                min_scorers=min_scorers,
            )
        )
    fields_of(template or STANDARD_TEMPLATE)
    if closes < opens:
        raise ConfigError(
            t(
                "round %(name)s: it closes (%(closes)s) before it opens (%(opens)s)",
                name=repr(name),
                closes=closes,
                opens=opens,
            )
        )
    rnd = FundingRound(name=name, fund=fund, budget=budget, opens=opens, closes=closes,
                       questions=questions or [], template=template or STANDARD_TEMPLATE,
                       baseline=baseline or {}, description=description,
                       min_scorers=min_scorers, intervention_id=intervention_id)  # fmt: skip
    for k, c in enumerate(criteria):
        top = c[2] if len(c) > 2 else 5
        rnd.criteria.append(Criterion(position=k, name=c[0], weight=c[1], top=top))
    for k, uid in enumerate(dict.fromkeys(panel)):
        rnd.panel.append(PanelMember(user_id=uid, chair=k == 0))
    s.add(rnd)
    s.flush()
    return rnd


def set_status(rnd: FundingRound, status: str) -> None:
    """Move a round on (draft → open → scoring → decided; scoring may reopen)."""
    if status not in MOVES.get(rnd.status, ()):
        raise ConfigError(
            t(
                "round %(name)s is %(status)s: it cannot become %(status2)s",
                name=repr(rnd.name),
                status=t(rnd.status),
                status2=t(status),
            )
        )
    rnd.status = status


def record_application(
    s: Session, rnd: FundingRound, organisation_id: int, *, title: str, summary: str,
    reach: int, thematic_area: str, prevention_tier: str, budget: list[tuple[str, str, float]],
    answers: dict[str, str] | None = None, yef_strand: str | None = None,
    ages: tuple[int | None, int | None] = (None, None), places: list[int] | None = None,
    application: Application | None = None,
) -> Application:  # fmt: skip
    """Write (or rewrite, while still a draft) an application; its amount is the sum of its
    budget lines ``(item, category, amount)``."""
    if rnd.status != "open":
        raise ConfigError(
            t(
                "round %(name)s is not taking applications (%(status)s)",
                name=repr(rnd.name),
                status=t(rnd.status),
            )
        )
    if application is not None and application.status != "draft":
        raise ConfigError(
            t(
                "application %(title)s was %(status)s: it can no longer be changed",
                title=repr(application.title),
                status=t(application.status),
            )
        )
    if not budget:
        raise ConfigError(t("give at least one budget line"))
    a = application or Application(round_id=rnd.id, organisation_id=organisation_id)
    a.title, a.summary, a.reach = title, summary, reach
    a.thematic_area, a.prevention_tier, a.yef_strand = thematic_area, prevention_tier, yef_strand
    a.age_min, a.age_max = ages
    a.answers = dict(answers or {})
    a.budget_lines = [BudgetLine(line=k + 1, item=i, category=c, amount=float(m))
                      for k, (i, c, m) in enumerate(budget)]  # fmt: skip
    a.amount = round(sum(float(m) for _, _, m in budget), 2)
    a.places = [ApplicationPlace(place_id=p) for p in dict.fromkeys(places or [])]
    if application is None:
        s.add(a)
    s.flush()
    return a


def _first_word(text: str) -> str:
    words = re.findall(r"[\w']+", text.lower())
    return words[0] if words else ""


def ineligible_because(rnd: FundingRound, a: Application) -> list[str]:
    """Why an application is not eligible (empty when it is): a question with a required answer
    left unanswered or answered otherwise ("Yes." and "Yes, charity 1234567" are yes).
    Questions without a required answer may be left blank."""
    reasons: list[str] = []
    for q in rnd.questions:
        if not q.get("must"):
            continue
        got = str(a.answers.get(q["key"], "")).strip()
        if not got:
            reasons.append(t("not answered: %(question)s", question=q["text"]))
        elif _first_word(got) != str(q["must"]).strip().lower():
            reasons.append(
                t(
                    "%(question)s: answered %(got)s, the round requires %(must)s",
                    question=q["text"],
                    got=repr(got),
                    must=repr(q["must"]),
                )
            )
    return reasons


def submit(a: Application, today: date) -> None:
    """Submit a draft while its round is open (on or before its closing date)."""
    rnd = a.round
    if rnd.status != "open" or not rnd.opens <= today <= rnd.closes:
        raise ConfigError(
            t(
                "round %(name)s takes applications from %(opens)s to %(closes)s while open; it is "
                "%(status)s on %(today)s",
                name=repr(rnd.name),
                opens=rnd.opens,
                closes=rnd.closes,
                status=t(rnd.status),
                today=today,
            )
        )
    if a.status != "draft":
        raise ConfigError(
            t(
                "application %(title)s is already %(status)s",
                title=repr(a.title),
                status=t(a.status),
            )
        )
    reasons = ineligible_because(rnd, a)
    if reasons:
        raise ConfigError("the application is not eligible for this round, so it was kept as "
                          "a draft: " + "; ".join(reasons))  # fmt: skip
    a.status, a.submitted_at = "submitted", datetime.combine(today, datetime.min.time())


def on_panel(rnd: FundingRound, user_id: int) -> bool:
    return any(p.user_id == user_id for p in rnd.panel)


def _conflicted(s: Session, a: Application, user_id: int) -> bool:
    return s.get(Conflict, (a.id, user_id)) is not None


def can_see(s: Session, a: Application, user_id: int) -> bool:
    """Whether a panel member may see an application: not when they declared a conflict."""
    return not _conflicted(s, a, user_id)


def declare_conflict(s: Session, a: Application, user_id: int, reason: str) -> None:
    """A panel member's conflict with an application: their scores of it (if any) are
    withdrawn and they can no longer see or score it."""
    lock_row(s, a)  # a score posted at the same moment waits, then sees the conflict
    if not on_panel(a.round, user_id):
        raise ConfigError(t("only a member of the round's panel declares conflicts"))
    if not reason.strip():
        raise ConfigError(t("say what the conflict is (a trustee of the applicant, say)"))
    if not _conflicted(s, a, user_id):
        s.add(Conflict(application_id=a.id, user_id=user_id, reason=reason.strip()))
        for old in s.scalars(select(Score).where(Score.application_id == a.id,
                                                 Score.user_id == user_id)):  # fmt: skip
            s.delete(old)
        s.flush()


def score(
    s: Session, a: Application, criterion: Criterion, user_id: int, value: int,
    comment: str | None = None,
) -> Score:  # fmt: skip
    """A panel member's score of an application on one criterion (a second call replaces it
    while the round is being scored)."""
    lock_row(s, a)  # a conflict declared at the same moment waits, or is seen
    rnd = a.round
    if rnd.status != "scoring":
        raise ConfigError(
            t(
                "round %(name)s is %(status)s: scores are given while scoring",
                name=repr(rnd.name),
                status=t(rnd.status),
            )
        )
    if not on_panel(rnd, user_id) or criterion.round_id != rnd.id:
        raise ConfigError(t("only the round's panel scores its applications on its criteria"))
    if _conflicted(s, a, user_id):
        raise ConfigError(
            t("a declared conflict with %(title)s: it cannot be scored by you", title=repr(a.title))
        )
    if a.status != "submitted":
        raise ConfigError(
            t(
                "application %(title)s is %(status)s: only submitted ones are scored",
                title=repr(a.title),
                status=t(a.status),
            )
        )
    if not 0 <= value <= criterion.top:
        raise ConfigError(
            t(
                "%(name)s is scored 0 to %(top)s; got %(value)s",
                name=repr(criterion.name),
                top=criterion.top,
                value=value,
            )
        )
    row = s.get(Score, (a.id, criterion.id, user_id))
    if row is None:
        row = Score(application_id=a.id, criterion_id=criterion.id, user_id=user_id)
        s.add(row)
    row.score, row.comment, row.scored_at = value, comment, datetime.now()
    s.flush()
    return row


def moderate(
    s: Session, a: Application, criterion: Criterion, user_id: int, value: float, note: str
) -> Moderation:
    """The agreed score of an application on a criterion, replacing the scorers' mean."""
    lock_row(s, a)
    if a.round.status != "scoring":
        raise ConfigError(t("scores are moderated while the round is being scored"))
    if not 0 <= value <= criterion.top or not note.strip():
        raise ConfigError(
            t("a moderated score is 0 to %(top)s, with a note of why", top=criterion.top)
        )
    row = s.get(Moderation, (a.id, criterion.id))
    if row is None:
        row = Moderation(application_id=a.id, criterion_id=criterion.id)
        s.add(row)
    row.score, row.note, row.moderated_by = float(value), note.strip(), user_id
    s.flush()
    return row


@dataclass
class CriterionResult:
    """One criterion of one application: each scorer's score, their mean or the moderated
    score, and the spread (highest minus lowest) with whether it needs moderating."""

    name: str
    weight: float
    top: int
    scores: list[int]
    used: float | None
    moderated: bool
    spread: int
    differs: bool


@dataclass
class Ranked:
    """An application's place in its round: weighted total (per cent of the most it could
    score), rank, and how a tie was broken (or that it stands)."""

    application: Application
    criteria: list[CriterionResult]
    total: float | None
    scorers: int
    ineligible: list[str]
    rank: int | None = None
    tie: str | None = None
    notes: list[str] = field(default_factory=list)


def differs(scores: list[int], top: int) -> bool:
    """Whether scorers differ enough to moderate: by two points or more on a 0-5 scale (two
    fifths of the scale in general)."""
    return len(scores) > 1 and max(scores) - min(scores) >= max(2, math.ceil(0.4 * top))


def _result(s: Session, a: Application, c: Criterion) -> CriterionResult:
    scores = sorted(s.scalars(select(Score.score).where(Score.application_id == a.id,
                                                        Score.criterion_id == c.id)))  # fmt: skip
    mod = s.get(Moderation, (a.id, c.id))
    used = mod.score if mod else (fmean(scores) if scores else None)
    spread = max(scores) - min(scores) if scores else 0
    return CriterionResult(c.name, c.weight, c.top, scores, used, mod is not None, spread,
                           differs(scores, c.top) and mod is None)  # fmt: skip


def _scored(s: Session, rnd: FundingRound, a: Application) -> Ranked:
    results = [_result(s, a, c) for c in rnd.criteria]
    scorers = len(set(s.scalars(select(Score.user_id).where(Score.application_id == a.id))))
    used = [r.used for r in results]
    total = None
    if all(u is not None for u in used):
        weights = sum(r.weight for r in results)
        total = (
            100
            * fsum(r.weight * float(u or 0) / r.top for r, u in zip(results, used, strict=True))
            / weights
        )
    ranked = Ranked(a, results, total, scorers, ineligible_because(rnd, a))
    if scorers < rnd.min_scorers:
        ranked.notes.append(t("scored by %(scorers)s of the %(needed)s panel members needed",
                              scorers=scorers, needed=rnd.min_scorers))  # fmt: skip
    ranked.notes += [t("scorers differ on %(criterion)s (%(low)s to %(high)s): moderate it",
                       criterion=repr(r.name), low=min(r.scores), high=max(r.scores))
                     for r in results if r.differs]  # fmt: skip
    return ranked


def _key(r: Ranked, heaviest: int) -> tuple[float, float, float]:
    """Order: total, then the heaviest criterion's score, then the lower cost per young
    person reached (each to one decimal place: differences below that are not shown)."""
    a = r.application
    cost = a.amount / a.reach if a.reach else math.inf
    top = r.criteria[heaviest].used or 0.0
    return (-round(r.total or 0.0, 1), -round(top, 1), round(cost, 1))


def ranking(s: Session, rnd: FundingRound) -> list[Ranked]:
    """The round's submitted (and decided) applications, eligible and fully scored first in
    order of weighted total. Totals equal to one decimal place are separated by the score on
    the heaviest criterion, then by the lower cost per young person reached; where those are
    equal too the applications share a rank, and each tie says which rule settled it."""
    apps = [a for a in rnd.applications if a.status in ("submitted", "awarded", "declined")]
    rows = [_scored(s, rnd, a) for a in apps]
    heaviest = max(range(len(rnd.criteria)), key=lambda k: (rnd.criteria[k].weight, -k))
    ready = [r for r in rows if r.total is not None and not r.ineligible]
    ready.sort(key=lambda r: (_key(r, heaviest), r.application.id))
    for k, r in enumerate(ready):
        _place(r, ready[k - 1] if k else None, k + 1, heaviest, rnd.criteria[heaviest].name)
    rest = [r for r in rows if r not in ready]
    return ready + sorted(rest, key=lambda r: r.application.id)


def _place(r: Ranked, before: Ranked | None, position: int, heaviest: int, name: str) -> None:
    """Give ``r`` its rank after ``before``, saying how a tie on total was settled."""
    if before is not None and _key(before, heaviest) == _key(r, heaviest):
        r.rank = before.rank
        r.tie = t("tied with %(other)s on total, on %(criterion)s and on cost per young person: "
                  "they share a rank", other=repr(before.application.title),
                  criterion=repr(name))  # fmt: skip
        shared = t("tied with %(other)s: they share a rank", other=repr(r.application.title))
        before.tie = (t("%(first)s; %(then)s", first=before.tie, then=shared)
                      if before.tie else shared)  # fmt: skip
        return
    r.rank = position
    if before is None or round(before.total or 0, 1) != round(r.total or 0, 1):
        return
    kb, kr = _key(before, heaviest), _key(r, heaviest)
    rule = (
        t("it scored lower on %(criterion)s, the heaviest criterion (%(score)s against "
          "%(other)s)", criterion=repr(name), score=f"{-kr[1]:.1f}", other=f"{-kb[1]:.1f}")
        if kb[1] != kr[1] else
        t("it costs more per young person reached (%(cost)s against %(other)s)",
          cost=f"£{kr[2]:,.1f}", other=f"£{kb[2]:,.1f}")
    )  # fmt: skip
    r.tie = t(
        "same total as %(other)s (%(total)s), ranked below as %(rule)s",
        other=repr(before.application.title),
        total=f"{r.total:.1f}",
        rule=rule,
    )

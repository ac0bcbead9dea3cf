"""Loading a commissioning year (the demo's ``commissioning.json``, or a VRU's own in that
layout) into the store through the same functions the portal calls: rounds are set up, opened,
applied to, scored (conflicts declared, scores moderated) and decided on their dates, so what
the store holds is what the portal would have made."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.commissioning.awards import award, decline
from vrukit.commissioning.governance import load_spend_return, review_risk, update_action
from vrukit.commissioning.models import (
    Action,
    FundingRound,
    LogEntry,
    Objective,
    Payment,
    Risk,
    Spend,
)
from vrukit.commissioning.rounds import (
    STANDARD_TEMPLATE,
    declare_conflict,
    moderate,
    open_round,
    record_application,
    score,
    set_status,
    submit,
)
from vrukit.errors import ConfigError
from vrukit.programme.models import Intervention, Organisation, ReturnTemplate, User

__all__ = ["load_commissioning"]


def _d(text: str) -> date:
    return date.fromisoformat(text)


class _Names:
    """Look-ups by name and e-mail, refusing unknown ones with the file's value."""

    def __init__(self, s: Session) -> None:
        self.s = s

    def user(self, email: str) -> User:
        u = self.s.scalars(select(User).where(User.email == email)).first()
        if u is None:
            raise ConfigError(f"commissioning: no user {email!r} (add the accounts first)")
        return u

    def org(self, name: str) -> Organisation:
        o = self.s.scalars(select(Organisation).where(Organisation.name == name)).first()
        if o is None:
            raise ConfigError(f"commissioning: no organisation {name!r}")
        return o

    def intervention(self, name: str) -> Intervention:
        iv = self.s.scalars(select(Intervention).where(Intervention.name == name)).first()
        if iv is None:
            raise ConfigError(f"commissioning: no intervention {name!r}")
        return iv


def _programme(s: Session, names: _Names, p: dict[str, Any]) -> None:
    iv = Intervention(name=p["name"], provider_id=names.org(p["provider"]).id,
                      thematic_area=p["thematic_area"], prevention_tier=p["prevention_tier"],
                      yef_strand=p.get("yef_strand"), funding=0.0,
                      contract_start=_d(p["contract_start"]),
                      contract_end=_d(p["contract_end"]))  # fmt: skip
    s.add(iv)
    s.flush()
    s.add(ReturnTemplate(intervention_id=iv.id, version=1, fields=list(STANDARD_TEMPLATE)))


def _round(s: Session, names: _Names, r: dict[str, Any]) -> None:
    panel = [names.user(e).id for e in r["panel"]]
    rnd = open_round(
        s, name=r["name"], fund=r["fund"], budget=float(r["budget"]), opens=_d(r["opens"]),
        closes=_d(r["closes"]), criteria=[(c, float(w)) for c, w in r["criteria"]],
        panel=panel, questions=r.get("questions"), baseline=r.get("baseline"),
        description=r.get("description"), min_scorers=int(r.get("min_scorers", 2)),
        intervention_id=names.intervention(r["programme"]).id if r.get("programme") else None,
    )  # fmt: skip
    set_status(rnd, "open")
    apps = []
    for a in r["applications"]:
        app = record_application(
            s, rnd, names.org(a["organisation"]).id, title=a["title"], summary=a["summary"],
            reach=int(a["reach"]), thematic_area=a["thematic_area"],
            prevention_tier=a["prevention_tier"], yef_strand=a.get("yef_strand"),
            budget=[(i, c, float(m)) for i, c, m in a["budget"]], answers=a.get("answers"),
            ages=tuple(a.get("ages", (None, None))),
        )  # fmt: skip
        submit(app, _d(a["submitted"]))
        apps.append((app, a))
    set_status(rnd, "scoring")
    for app, a in apps:
        _score(s, names, rnd, app, a)
    for app, a in apps:
        _decide(s, names, app, a["decision"])


def _score(s: Session, names: _Names, rnd: FundingRound, app: Any, a: dict[str, Any]) -> None:
    if a.get("conflict"):
        declare_conflict(s, app, names.user(a["conflict"]["by"]).id, a["conflict"]["reason"])
    for member, values in zip(rnd.panel, a["scores"], strict=True):
        if values is None:
            continue
        for c, v in zip(rnd.criteria, values, strict=True):
            score(s, app, c, member.user_id, int(v))
    for m in a.get("moderation", []):
        c = next(c for c in rnd.criteria if c.name == m["criterion"])
        moderate(s, app, c, names.user(m["by"]).id, float(m["score"]), m["note"])


def _decide(s: Session, names: _Names, app: Any, d: dict[str, Any]) -> None:
    when = datetime.combine(_d(d["at"]), datetime.min.time())
    boss = names.user(d.get("by", "commissioner@demo.vru"))
    if "award" in d:
        award(s, app, boss, amount=float(d["award"]), start=_d(d["start"]), end=_d(d["end"]),
              conditions=d.get("conditions", ""), instalments=int(d.get("instalments", 4)),
              now=when)  # fmt: skip
    else:
        decline(s, app, boss, d["decline"], now=when)


def _governance(s: Session, names: _Names, data: dict[str, Any]) -> None:
    for p in data.get("payments", []):
        iv = names.intervention(p["intervention"])
        s.add(Payment(intervention_id=iv.id, organisation_id=iv.provider_id, due=_d(p["due"]),
                      amount=float(p["amount"])))  # fmt: skip
    for name, quarter, amount in data.get("spend", []):
        s.add(Spend(intervention_id=names.intervention(name).id, quarter=quarter,
                    amount=float(amount), source="typed"))  # fmt: skip
    for k, o in enumerate(data.get("plan", [])):
        objective = Objective(position=k, title=o["title"], description=o.get("description"))
        s.add(objective)
        s.flush()
        for a in o["actions"]:
            for_iv = names.intervention(a["intervention"]).id if a.get("intervention") else None
            action = Action(objective_id=objective.id, title=a["title"], owner=a["owner"],
                            due=_d(a["due"]), intervention_id=for_iv)  # fmt: skip
            s.add(action)
            s.flush()
            for u in a["updates"]:
                update_action(s, action, u["status"], _d(u["at"]), u.get("note"))
    for r in data.get("risks", []):
        first = r["reviews"][0]
        risk = Risk(title=r["title"], owner=r["owner"], raised=_d(r["raised"]),
                    likelihood=first["likelihood"], impact=first["impact"],
                    mitigations=r.get("mitigations"), review_by=_d(r["raised"]))  # fmt: skip
        s.add(risk)
        s.flush()
        for v in r["reviews"]:
            review_risk(s, risk, v["likelihood"], v["impact"], _d(v["at"]), v.get("note"),
                        review_by=date.fromordinal(_d(v["at"]).toordinal() + 91))  # fmt: skip
    for kind, at, title, owner, public in data.get("log", []):
        s.add(LogEntry(kind=kind, at=_d(at), title=title, owner=owner, public=bool(public),
                       status="closed" if kind == "decision" else "open"))  # fmt: skip


def load_commissioning(s: Session, path: Path | str, spend_return: Path | str | None = None) -> int:
    """Load a commissioning year from ``path`` (and a spend return, if given); returns the
    applications loaded."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    names = _Names(s)
    for o in data.get("organisations", []):
        if s.scalars(select(Organisation.id).where(Organisation.name == o["name"])).first() is None:
            s.add(Organisation(name=o["name"], kind=o["kind"]))
    s.flush()
    for p in data.get("programmes", []):
        _programme(s, names, p)
    for r in data.get("rounds", []):
        _round(s, names, r)
    _governance(s, names, data)
    if spend_return is not None:
        load_spend_return(s, spend_return)
    s.flush()
    return sum(len(r["applications"]) for r in data.get("rounds", []))

"""Checking a REFI-QDA project against the registry before anything is stored: each source's
facts and consent, each case's place, intervention or Theory of Change step, each selection's
codes. ``plan_project`` returns what to write, or raises naming the file, element and line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import InputFileError
from vrukit.ingest.qdpx import LINK_VARIABLE, TOC_VARIABLES, QdaCase, QdaProject, QdaSource
from vrukit.programme.models import Intervention, Organisation, Place, TheoryStep, User
from vrukit.qualitative.models import SOURCE_KINDS, QualSource

__all__ = ["ExcerptPlan", "ProjectPlan", "Registry", "SourcePlan", "plan_project"]

#: The longest names the store keeps (its columns' lengths).
NAME_LENGTH = 200
_LINK_FIELDS = {"place": "place_id", "intervention": "intervention_id", "toc_step": "toc_step_id"}


class Registry:
    """The registry's names: places, interventions, Theory of Change steps, researchers."""

    def __init__(self, s: Session) -> None:
        self.places = {p.name: p.id for p in s.scalars(select(Place))}
        self.interventions = {i.name: i.id for i in s.scalars(select(Intervention))}
        self.place_names = {v: k for k, v in self.places.items()}
        self.intervention_names = {v: k for k, v in self.interventions.items()}
        self.steps = {(self.intervention_names[t.intervention_id], t.stage, t.text): t.id
                      for t in s.scalars(select(TheoryStep))}  # fmt: skip
        self.step_keys = {v: k for k, v in self.steps.items()}
        self.organisations = {o.name: o.id for o in s.scalars(select(Organisation))}
        self.users = {u.email: u.id for u in s.scalars(select(User))}

    def researcher(self, src: QualSource) -> str:
        """The community researcher's name as the file gives it."""
        if src.researcher_name:
            return src.researcher_name
        for names, key in ((self.organisations, src.researcher_organisation_id),
                           (self.users, src.researcher_user_id)):  # fmt: skip
            found = next((k for k, v in names.items() if v == key), None)
            if found:
                return found
        return "not recorded"

    def researcher_fields(self, label: str) -> dict[str, Any]:
        """An organisation's or a user's reference when ``label`` names one, else the name."""
        return {
            "researcher_organisation_id": self.organisations.get(label),
            "researcher_user_id": self.users.get(label.lower()),
            "researcher_name": None if label in self.organisations or label.lower() in self.users
            else label,
        }  # fmt: skip


@dataclass(frozen=True)
class ExcerptPlan:
    fields: dict[str, Any]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class SourcePlan:
    name: str
    fields: dict[str, Any]
    excerpts: list[ExcerptPlan]


@dataclass
class ProjectPlan:
    sources: list[SourcePlan] = field(default_factory=list)
    #: code GUID -> the Theory of Change step its theme speaks to
    theme_steps: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class _Planner:
    def __init__(self, project: QdaProject, reg: Registry, where: str) -> None:
        self.project, self.reg, self.qde = project, reg, f"{where}:project.qde"
        self.plan = ProjectPlan()
        #: selection or source GUID -> {place_id | intervention_id | toc_step_id: id}
        self.links: dict[str, dict[str, int]] = {}
        self.users = {u.guid: u.name for u in project.users}

    def fail(self, what: str, line: int, message: str) -> InputFileError:
        return InputFileError(self.qde, f"{what}: {message}", line=line or None)

    def warn(self, what: str, line: int, message: str) -> None:
        self.plan.warnings.append(f"{self.qde} line {line}: {what} {message}")

    def case(self, case: QdaCase) -> None:
        kind = case.variables.get(LINK_VARIABLE)
        what = f"<Case> {case.name!r}"
        if kind is None:
            kind = ("place" if case.name in self.reg.places else
                    "intervention" if case.name in self.reg.interventions else None)  # fmt: skip
        if kind is None:
            self.warn(what, case.line, "is not a place, intervention or Theory of Change step "
                                       "in the registry: left out")  # fmt: skip
            return
        target = self.target(case, kind, what)
        column = _LINK_FIELDS[kind]
        for ref in (*case.selections, *case.sources):
            held = self.links.setdefault(ref, {})
            if held.get(column, target) != target:
                self.warn(what, case.line, f"holds {ref}, which another case's {kind} already "
                                           "holds: the first is kept")  # fmt: skip
            held.setdefault(column, target)
        if kind == "toc_step":
            self.plan.theme_steps |= dict.fromkeys(case.codes, target)

    def target(self, case: QdaCase, kind: str, what: str) -> int:
        if kind == "toc_step":
            iv, stage, text = (case.variables.get(k, "") for k in TOC_VARIABLES)
            key = (iv, stage, text)
            step = self.reg.steps.get(key)
            if step is None:
                why = f"the Theory of Change step {key!r} is not in the registry"
                raise self.fail(what, case.line, why + ": add it, or remove the case")
            return step
        names = self.reg.places if kind == "place" else self.reg.interventions
        if kind not in ("place", "intervention") or case.name not in names:
            raise self.fail(what, case.line, f"its {LINK_VARIABLE} is {kind!r}, but no "
                                             f"{kind} of that name is in the registry")  # fmt: skip
        return names[case.name]

    def named(self, kind: str, value: str | None, what: str, line: int) -> int | None:
        if not value:
            return None
        names = self.reg.places if kind == "place" else self.reg.interventions
        if value not in names:
            why = f"{kind} {value!r} is not in the registry"
            raise self.fail(what, line, why + ": add it (vrukit programme import) or correct it")
        return names[value]

    def day(self, value: str, what: str, line: int, name: str) -> date:
        """A day from 1990 to 2099, as YYYY-MM-DD or a whole ISO date and time (REFI-QDA's
        creationDateTime): "2021-04-03T25:00", "0202-01-01" and "9999-12-31" are refused."""
        text = value.strip()
        try:
            day = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(
                text.replace("Z", "+00:00")).date()  # fmt: skip
        except ValueError:
            day = None
        if day is None or not 1990 <= day.year <= 2099:
            raise self.fail(what, line, f"{name} is {value[:40]!r}, not a date from 1990 to 2099 "
                            "(YYYY-MM-DD)")  # fmt: skip
        return day

    def facts(self, src: QdaSource, what: str) -> dict[str, Any]:
        v, line = src.variables, src.line
        kind = v.get("Source kind", "").strip().lower().replace(" ", "_")
        if not kind:
            kind = "interview"
            self.warn(what, line, "has no Source kind: taken as an interview")
        if kind not in SOURCE_KINDS:
            raise self.fail(what, line, f"Source kind is {kind!r}, expected one of {SOURCE_KINDS}")
        held = v.get("Date held")
        if not held and src.created:
            held = src.created
            self.warn(what, line, f"has no Date held: taken as its creation date {held[:10]}")
        if not held:
            raise self.fail(what, line, "has no Date held (nor a creationDateTime)")
        count = v.get("Participants", "")
        if not count and kind == "interview":
            count = "1"
            self.warn(what, line, "has no Participants: taken as 1 (an interview)")
        if not re.fullmatch(r"[0-9]{1,4}", count.strip()) or not 1 <= int(count) <= 1000:
            why = f"Participants is {count!r}: give a whole number, 1 to 1,000"
            raise self.fail(what, line, why)
        researcher = v.get("Community researcher")
        if not researcher and src.creating_user in self.users:
            researcher = self.users[src.creating_user]
            self.warn(what, line, f"names no Community researcher: taken as {researcher!r}, "
                                  "who created it")  # fmt: skip
        if not researcher:
            raise self.fail(what, line, "names no Community researcher (nor a creating user)")
        return {
            "kind": kind,
            "held_on": self.day(held, what, line, "Date held"),
            "participants": int(count),
            **self.reg.researcher_fields(researcher.strip()),
        }

    def consent(self, src: QdaSource, what: str, held: date) -> dict[str, Any]:
        v, line = src.variables, src.line
        recorded = v.get("Consent recorded", "").strip().lower() in ("true", "1", "yes")
        if not recorded:
            if src.selections:
                raise self.fail(what, line, "has coded excerpts but no recorded consent: a "
                                            "source without consent cannot hold excerpts. Give "
                                            "it Consent recorded = true, Consent how and "
                                            "Consent date, or remove its coding")  # fmt: skip
            return {"consent_recorded": False, "consent_how": None, "consent_on": None}
        how, when = v.get("Consent how", "").strip(), v.get("Consent date", "")
        if not how or not when:
            raise self.fail(what, line, "records consent without Consent how and Consent date")
        on = self.day(when, what, line, "Consent date")
        if on > held:
            raise self.fail(what, line, f"Consent date {on} is after the Date held {held}")
        return {"consent_recorded": True, "consent_how": how, "consent_on": on}

    def source(self, src: QdaSource) -> SourcePlan:
        what = f"<TextSource> {src.name!r}"
        named = {k: src.variables.get(k) for k in ("Community researcher", "Consent how")}
        too_long = [k for k, v in {"name": src.name, **named}.items() if len(v or "") > NAME_LENGTH]
        if too_long:
            why = f"its {too_long[0]} is longer than {NAME_LENGTH} characters"
            raise self.fail(what, src.line, why)
        fields = self.facts(src, what)
        fields |= self.consent(src, what, fields["held_on"])
        own = self.links.get(src.guid, {})
        fields["place_id"] = (self.named("place", src.variables.get("Place"), what, src.line)
                              or own.get("place_id"))  # fmt: skip
        fields["intervention_id"] = (
            self.named("intervention", src.variables.get("Intervention"), what, src.line)
            or own.get("intervention_id")
        )  # fmt: skip
        fields |= {"description": src.description, "transcript": src.text}
        return SourcePlan(src.name, fields, self.excerpts(src))

    def excerpts(self, src: QdaSource) -> list[ExcerptPlan]:
        spans: dict[tuple[int, int], tuple[list[str], dict[str, int]]] = {}
        for sel in src.selections:
            if not sel.codes:
                self.warn("<PlainTextSelection>", sel.line, "has no code: left out")
                continue
            codes, links = spans.setdefault((sel.start, sel.end), ([], {}))
            codes.extend(c for c in sel.codes if c not in codes)
            for k, v in self.links.get(sel.guid, {}).items():
                links.setdefault(k, v)
        return [ExcerptPlan({"start_offset": a, "end_offset": b, "text": src.text[a:b],
                             **{k: links.get(k) for k in _LINK_FIELDS.values()}}, tuple(codes))
                for (a, b), (codes, links) in sorted(spans.items())]  # fmt: skip


def plan_project(project: QdaProject, reg: Registry, where: str) -> ProjectPlan:
    """What storing ``project`` writes; ``InputFileError`` on the first problem."""
    p = _Planner(project, reg, where)
    for code in project.codes:
        if len(code.name) > NAME_LENGTH:
            raise p.fail(f"<Code> {code.name[:40]!r}...", code.line,
                         f"a name longer than {NAME_LENGTH} characters")  # fmt: skip
    for case in project.cases:
        p.case(case)
    seen: set[str] = set()
    for src in project.sources:
        if src.name in seen:
            raise p.fail(f"<TextSource> {src.name!r}", src.line, "a second source of that name")
        seen.add(src.name)
        p.plan.sources.append(p.source(src))
    return p.plan

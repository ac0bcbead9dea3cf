"""Loading a registry, a folder of monitoring returns and training records into the store.

``load_registry`` takes the registry as data (``registry.json``: organisations, places with
their LSOAs, interventions with their theory of change and return template, boards); it is
idempotent - records are matched by name. ``load_returns`` submits every return file in the
order they arrived (file dates), as a provider's uploads would be: refused files are reported
with their problems and stored nowhere. ``load_training`` adds training records and scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError, t
from vrukit.programme.models import (
    Board,
    BoardMember,
    Indicator,
    Intervention,
    Organisation,
    Place,
    PlaceArea,
    ReturnTemplate,
    TheoryStep,
    TrainingRecord,
    TrainingScore,
)
from vrukit.programme.returns import (
    Problem,
    ReturnRejected,
    fields_of,
    read_upload,
    return_folder,
    submit_return,
    validate_rows,
)

__all__ = [
    "TRAINING_FIELDS",
    "ReturnsReport",
    "add_training",
    "load_registry",
    "load_returns",
    "load_training",
]


def _get(s: Session, model: type, name: str) -> Any:
    return s.scalars(select(model).where(model.name == name)).first()  # type: ignore[attr-defined]


def load_registry(s: Session, registry: dict[str, Any]) -> dict[str, int]:
    """Add what the registry lists and the store lacks; returns how many of each were added."""
    added = dict.fromkeys(("organisations", "places", "interventions", "boards"), 0)
    for o in registry.get("organisations", []):
        if not _get(s, Organisation, o["name"]):
            s.add(Organisation(name=o["name"], kind=o["kind"]))
            added["organisations"] += 1
    for p in registry.get("places", []):
        if not _get(s, Place, p["name"]):
            place = Place(name=p["name"], start_date=date.fromisoformat(p["start_date"]))
            place.areas = [PlaceArea(lsoa_code=c) for c in p["areas"]]
            s.add(place)
            added["places"] += 1
    s.flush()
    for iv in registry.get("interventions", []):
        if not _get(s, Intervention, iv["name"]):
            s.add(_intervention(s, iv))
            added["interventions"] += 1
    s.flush()
    for b in registry.get("boards", []):
        if not _get(s, Board, b["name"]):
            where = _get(s, Place, b["place"]) if b.get("place") else None
            board = Board(name=b["name"], kind=b["kind"], place_id=where.id if where else None)
            board.members = [BoardMember(organisation_id=_org(s, m).id) for m in b["members"]]
            s.add(board)
            added["boards"] += 1
    s.flush()
    return added


def _org(s: Session, name: str) -> Organisation:
    org = _get(s, Organisation, name)
    if org is None:
        raise ConfigError(f"registry: organisation {name!r} is not listed")
    return org


def _intervention(s: Session, iv: dict[str, Any]) -> Intervention:
    place = _get(s, Place, iv["place"]) if iv.get("place") else None
    end = iv.get("contract_end")
    out = Intervention(
        name=iv["name"], provider_id=_org(s, iv["provider"]).id,
        thematic_area=iv["thematic_area"], prevention_tier=iv["prevention_tier"],
        setting=iv.get("setting"), yef_strand=iv.get("yef_strand"),
        yef_impact=iv.get("yef_impact"), funding=iv.get("funding"),
        contract_start=date.fromisoformat(iv["contract_start"]),
        contract_end=date.fromisoformat(end) if end else None,
        place_id=place.id if place else None,
    )  # fmt: skip
    steps = []
    for st in iv.get("theory", []):
        step = TheoryStep(stage=st["stage"], text=st["text"])
        step.indicators = [
            Indicator(name=i["name"], return_field=i.get("return_field"), target=i.get("target"))
            for i in st.get("indicators", [])
        ]
        steps.append(step)
    out.theory = steps
    if iv.get("template"):
        fields_of(iv["template"])  # a bad template is refused before anything is added
        s.add(out)
        s.flush()
        s.add(ReturnTemplate(intervention_id=out.id, version=1, fields=iv["template"]))
    return out


@dataclass(frozen=True)
class ReturnsReport:
    """Each return file: accepted (with its submission id) or refused (with its problems)."""

    files: pd.DataFrame

    @property
    def refused(self) -> pd.DataFrame:
        return self.files[self.files.status == "refused"]


def load_returns(s: Session, folder: Path | str) -> ReturnsReport:
    """Submit every ``<intervention-slug>/<YYYY-Qn>[-vN].csv|xlsx`` under ``folder`` as its
    provider, dated by the file's modification time, oldest first."""
    by_slug = {return_folder(iv.name): iv for iv in s.scalars(select(Intervention))}
    files = sorted(
        (p for p in Path(folder).glob("*/*") if p.suffix.lower() in (".csv", ".xlsx")),
        key=lambda p: (p.stat().st_mtime, str(p)),
    )
    rows: list[tuple[object, ...]] = []
    for path in files:
        iv = by_slug.get(path.parent.name)
        if iv is None:
            raise ConfigError(f"{path}: no intervention is registered as {path.parent.name!r}")
        period = path.stem.split("-v")[0]
        when = datetime.fromtimestamp(path.stat().st_mtime)
        try:
            with s.begin_nested():
                sub = submit_return(s, iv, period, path, organisation_id=iv.provider_id,
                                    submitted_at=when)  # fmt: skip
            rows.append((str(path), iv.name, period, "accepted", sub.id, len(sub.rows), ""))
        except ReturnRejected as e:
            rows.append((str(path), iv.name, period, "refused", None, 0,
                         "; ".join(str(p) for p in e.problems)))  # fmt: skip
    cols = ["file", "intervention", "period", "status", "submission_id", "rows", "problems"]
    return ReturnsReport(pd.DataFrame(rows, columns=cols))


#: The columns of a training-records file: one row per participant and statement (the labels
#: are in the catalogue, so a page says them in its reader's language).
TRAINING_FIELDS = fields_of([
    {"name": "participant_ref", "type": "text", "label": t("pseudonymous participant reference")},
    {"name": "organisation", "type": "text", "required": False,
     "label": t("the organisation the participant works for")},
    {"name": "trained_on", "type": "date", "label": t("date of the training")},
    {"name": "reached_per_week", "type": "integer", "min": 0, "required": False,
     "label": t("children and young people the participant works with in a week")},
    {"name": "statement", "type": "text", "label": t("the questionnaire statement")},
    {"name": "pre", "type": "integer", "min": 1, "max": 5, "required": False,
     "label": t("agreement before training, 1 (strongly disagree) to 5 (strongly agree)")},
    {"name": "post", "type": "integer", "min": 1, "max": 5, "required": False,
     "label": t("agreement after training, 1 to 5")},
])  # fmt: skip


def load_training(s: Session, path: Path | str, intervention: str) -> int:
    """Add the training records in a CSV or XLSX file (``TRAINING_FIELDS``) to
    ``intervention``; participants already recorded are skipped. Returns the participants
    added. A file with any problem raises ``ReturnRejected`` (row and column of each) and
    adds nothing."""
    iv = _get(s, Intervention, intervention)
    if iv is None:
        raise ConfigError(f"no intervention {intervention!r} to add training records to")
    raw, first = read_upload(path)
    return add_training(s, iv, raw, first, where=str(path))


def add_training(
    s: Session, iv: Intervention, raw: pd.DataFrame, first_row: int = 2, *, where: str = "upload",
    organisation_id: int | None = None, checked: list[dict[str, Any]] | None = None,
) -> int:  # fmt: skip
    """Validate training records given as text cells and add them (all or nothing), as the
    records of ``organisation_id`` (the lead provider's by default). A participant already
    recorded *by that organisation* is left as it was; another provider's records are its own.
    ``checked``: the rows ``validate_rows`` gave, when they were checked before (outside the
    store's write lock)."""
    org = iv.provider_id if organisation_id is None else organisation_id
    rows, problems = (
        (checked, []) if checked is not None else validate_rows(TRAINING_FIELDS, raw, first_row)
    )
    seen: dict[tuple[str, str], int] = {}
    for k, r in enumerate(rows):
        key = (str(r["participant_ref"]), str(r["statement"]))
        if key in seen:
            why = f"repeats row {seen[key]} for participant {key[0]}"
            problems.append(Problem(first_row + k, "statement", key[1], why))
        seen.setdefault(key, first_row + k)
    if problems:
        raise ReturnRejected(where, problems)
    known = set(s.scalars(select(TrainingRecord.participant_ref)
                          .where(TrainingRecord.intervention_id == iv.id,
                                 TrainingRecord.organisation_id == org)))  # fmt: skip
    people: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        people.setdefault(str(r["participant_ref"]), []).append(r)
    new = sorted(people.keys() - known)
    if not new:
        return 0
    # one executemany per table, not one ORM object each: a 100,000-row file holds the store's
    # write lock for about a second instead of a quarter of a minute
    s.flush()
    s.execute(insert(TrainingRecord), [{
        "intervention_id": iv.id, "organisation_id": org, "participant_ref": ref,
        "participant_organisation": people[ref][0]["organisation"],
        "trained_on": date.fromisoformat(people[ref][0]["trained_on"]),
        "reached_per_week": people[ref][0]["reached_per_week"],
    } for ref in new])  # fmt: skip
    ids = dict(s.execute(select(TrainingRecord.participant_ref, TrainingRecord.id).where(
        TrainingRecord.intervention_id == iv.id, TrainingRecord.organisation_id == org
    )).all())  # fmt: skip
    s.execute(insert(TrainingScore), [
        {"record_id": ids[ref], "statement": r["statement"], "pre": r["pre"], "post": r["post"]}
        for ref in new for r in people[ref]
    ])  # fmt: skip
    s.expire_all()
    return len(new)

"""The programme registry as one workbook: ``vrukit programme export`` writes it and ``vrukit
programme import`` reads it back, so a VRU brings its existing spreadsheet in and takes it out.

The layout (docs/programme.md): one sheet per kind of record, a row each, named, never numbered:

- ``organisations``: name, kind, verifies_directory;
- ``places``: name, start_date, description, areas (LSOA codes separated by ``;``);
- ``boards``: name, kind, place, network_type (optional); ``board_members``: board,
  organisation, role, joined and left (optional dates);
- ``interventions``: name, provider, partners (``;``), thematic_area, prevention_tier, setting,
  yef_strand, yef_impact, funding, contract_start, contract_end, place;
- ``theory``: intervention, step (1, 2, ... within it), stage, text, leads_from (a step);
- ``indicators``: intervention, step, name, return_field, target, direction;
- ``templates``: intervention, version, field, label, type, required, allowed (``;``), min,
  max, outcome.

Importing matches records by name. A record that is new is added, and one that exists is
updated. An intervention's Theory of Change is replaced by the workbook's. A template version
already stored must be the same, and a new one is added. It all happens in one transaction:
a workbook with any problem changes nothing, and the error names sheet, row, column and value.
Users, returns, training and referrals are not part of the registry and are not in the workbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vrukit.csvio import sheet_text
from vrukit.errors import ConfigError, InputFileError
from vrukit.programme.models import (
    NETWORK_TYPES,
    ORGANISATION_KINDS,
    Board,
    BoardMember,
    Indicator,
    Intervention,
    Organisation,
    Place,
    PlaceArea,
    ReturnTemplate,
    TheoryStep,
)
from vrukit.programme.returns import fields_of
from vrukit.programme.workbook import WorkbookReader

__all__ = ["OPTIONAL_COLUMNS", "SHEETS", "ImportReport", "export_registry", "import_registry"]

#: Columns added after the first version: a workbook without them still reads.
OPTIONAL_COLUMNS = {"boards": ("network_type",), "board_members": ("joined", "left")}
#: Each sheet's columns, in order.
SHEETS: dict[str, tuple[str, ...]] = {
    "organisations": ("name", "kind", "verifies_directory"),
    "places": ("name", "start_date", "description", "areas"),
    "boards": ("name", "kind", "place", "network_type"),
    "board_members": ("board", "organisation", "role", "joined", "left"),
    "interventions": (
        "name",
        "provider",
        "partners",
        "thematic_area",
        "prevention_tier",
        "setting",
        "yef_strand",
        "yef_impact",
        "funding",
        "contract_start",
        "contract_end",
        "place",
    ),
    "theory": ("intervention", "step", "stage", "text", "leads_from"),
    "indicators": ("intervention", "step", "name", "return_field", "target", "direction"),
    "templates": (
        "intervention",
        "version",
        "field",
        "label",
        "type",
        "required",
        "allowed",
        "min",
        "max",
        "outcome",
    ),
}
_LIST = "; "
#: An LSOA code (E01/W01 and six digits), or one of the demo region's (a digit longer).
_LSOA = r"^[EW]01\d{6,7}$"


def _join(values: list[str]) -> str:
    return _LIST.join(values)


def _split(text: str) -> list[str]:
    return [v.strip() for v in str(text).split(";") if v.strip()]


# -- export ----------------------------------------------------------------------------------------


def _frames(s: Session) -> dict[str, pd.DataFrame]:
    orgs = s.scalars(select(Organisation).order_by(Organisation.name)).all()
    name = {o.id: o.name for o in orgs}
    places = s.scalars(select(Place).order_by(Place.name)).all()
    place: dict[int | None, str] = {p.id: p.name for p in places}
    boards = s.scalars(select(Board).order_by(Board.name)).all()
    ivs = s.scalars(select(Intervention).order_by(Intervention.name)).all()
    rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in SHEETS}
    rows["organisations"] = [(o.name, o.kind, bool(o.verifies_directory)) for o in orgs]
    rows["places"] = [
        (p.name, p.start_date, p.description, _join(sorted(a.lsoa_code for a in p.areas)))
        for p in places
    ]
    rows["boards"] = [(b.name, b.kind, place.get(b.place_id), b.network_type) for b in boards]
    rows["board_members"] = [
        (b.name, name[m.organisation_id], m.role, m.joined, m.left_on)
        for b in boards
        for m in sorted(b.members, key=lambda m: name[m.organisation_id])
    ]
    for iv in ivs:
        rows["interventions"].append(
            (
                iv.name,
                name[iv.provider_id],
                _join([o.name for o in iv.partners]),
                iv.thematic_area,
                iv.prevention_tier,
                iv.setting,
                iv.yef_strand,
                iv.yef_impact,
                iv.funding,
                iv.contract_start,
                iv.contract_end,
                place.get(iv.place_id),
            )
        )
        steps = sorted(iv.theory, key=lambda t: t.id)
        number: dict[int | None, int] = {t.id: k + 1 for k, t in enumerate(steps)}
        for t in steps:
            rows["theory"].append(
                (iv.name, number[t.id], t.stage, t.text, number.get(t.leads_from_id))
            )
            for ind in sorted(t.indicators, key=lambda i: i.id):
                rows["indicators"].append(
                    (iv.name, number[t.id], ind.name, ind.return_field, ind.target, ind.direction)
                )
        for tpl in s.scalars(
            select(ReturnTemplate)
            .where(ReturnTemplate.intervention_id == iv.id)
            .order_by(ReturnTemplate.version)
        ):
            for f in tpl.fields:
                rows["templates"].append(
                    (
                        iv.name,
                        tpl.version,
                        f["name"],
                        f.get("label", f["name"]),
                        f["type"],
                        bool(f.get("required", True)),
                        _join([str(a) for a in f.get("allowed", [])]),
                        f.get("min"),
                        f.get("max"),
                        bool(f.get("outcome", False)),
                    )
                )
    return {k: pd.DataFrame(rows[k], columns=list(cols)) for k, cols in SHEETS.items()}


def export_registry(s: Session, path: Path | str) -> dict[str, int]:
    """Write the registry to the workbook ``path``; the rows written per sheet."""
    from openpyxl import Workbook

    frames = _frames(s)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, frame in frames.items():
        ws = wb.create_sheet(sheet)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([None if pd.isna(v) else sheet_text(v) for v in row])
            for cell in ws[ws.max_row]:  # a name typed "=..." stays text, never a formula
                cell.data_type = "s" if cell.data_type == "f" else cell.data_type
        ws.freeze_panes = "A2"
    wb.save(path)
    return {k: len(v) for k, v in frames.items()}


# -- import ----------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import added and updated, per sheet."""

    added: dict[str, int]
    updated: dict[str, int]


def import_registry(s: Session, path: Path | str) -> ImportReport:
    """Add or update the registry from the workbook ``path`` (the layout above), in the
    caller's transaction; InputFileError naming sheet, row and column on the first problem."""
    r = WorkbookReader(Path(path), SHEETS, OPTIONAL_COLUMNS)
    try:
        return _import(s, r)
    except IntegrityError as e:  # a rule of the store the checks above did not name
        rule = re.search(r"(ck|uq|fk)_[a-z_]+", str(e.orig))
        which = rule.group(0) if rule else "a constraint"
        raise InputFileError(str(path), f"a value breaks a rule of the registry ({which}): "
                             "correct the workbook and import it again; nothing was changed",
                             ) from None  # fmt: skip


def _import(s: Session, r: WorkbookReader) -> ImportReport:
    rep = ImportReport({k: 0 for k in SHEETS}, {k: 0 for k in SHEETS})
    orgs = {o.name: o for o in s.scalars(select(Organisation))}
    for line, rec in r.rows("organisations"):
        nm = r.text("organisations", line, rec, "name", True)
        kind = r.text("organisations", line, rec, "kind", True)
        assert nm and kind
        if kind not in ORGANISATION_KINDS:
            r.fail("organisations", line, "kind", kind, "one of " + ", ".join(ORGANISATION_KINDS))
        verifies = r.flag("organisations", line, rec, "verifies_directory", False)
        org = orgs.get(nm)
        if org is None:
            org = orgs[nm] = Organisation(name=nm, kind=kind, verifies_directory=verifies)
            s.add(org)
            rep.added["organisations"] += 1
        elif (org.kind, bool(org.verifies_directory)) != (kind, verifies):
            org.kind, org.verifies_directory = kind, verifies
            rep.updated["organisations"] += 1
    s.flush()
    places = _import_places(s, r, rep)
    _import_boards(s, r, rep, orgs, places)
    ivs = _import_interventions(s, r, rep, orgs, places)
    _import_theory(s, r, rep, ivs)
    _import_templates(s, r, rep, ivs)
    s.flush()
    return rep


def _named(
    r: WorkbookReader,
    sheet: str,
    line: int,
    column: str,
    value: str | None,
    known: dict[str, Any],
    what: str,
) -> Any:
    if value is None:
        return None
    if value not in known:
        r.fail(sheet, line, column, value, f"the name of {what} in the workbook or the store")
    return known[value]


def _import_places(s: Session, r: WorkbookReader, rep: ImportReport) -> dict[str, Place]:
    places = {p.name: p for p in s.scalars(select(Place))}
    for line, rec in r.rows("places"):
        nm = r.text("places", line, rec, "name", True)
        assert nm
        start = r.day("places", line, rec, "start_date", True)
        codes = sorted(set(_split(rec.get("areas") or "")))
        for c in codes:
            if not re.match(_LSOA, c):
                r.fail("places", line, "areas", c, "LSOA codes (E01... or W01...) separated by ;")
        desc = r.text("places", line, rec, "description", most=4000)
        p = places.get(nm)
        if p is None:
            p = places[nm] = Place(
                name=nm,
                start_date=start,
                description=desc,
                areas=[PlaceArea(lsoa_code=c) for c in codes],
            )
            s.add(p)
            rep.added["places"] += 1
        elif (p.start_date, p.description, sorted(a.lsoa_code for a in p.areas)) != (
            start,
            desc,
            codes,
        ):
            p.start_date, p.description = start, desc  # type: ignore[assignment]
            p.areas = []
            s.flush()  # the old areas go before the new ones (same keys) come
            p.areas = [PlaceArea(lsoa_code=c) for c in codes]
            rep.updated["places"] += 1
    s.flush()
    return places


def _import_boards(
    s: Session,
    r: WorkbookReader,
    rep: ImportReport,
    orgs: dict[str, Organisation],
    places: dict[str, Place],
) -> None:
    boards = {b.name: b for b in s.scalars(select(Board))}
    for line, rec in r.rows("boards"):
        nm = r.text("boards", line, rec, "name", True)
        kind = r.text("boards", line, rec, "kind", True)
        assert nm and kind
        place = _named(
            r, "boards", line, "place", r.text("boards", line, rec, "place"), places, "a place"
        )
        kind_of = r.text("boards", line, rec, "network_type")
        if kind_of is not None and kind_of not in NETWORK_TYPES:
            r.fail("boards", line, "network_type", kind_of, f"one of {', '.join(NETWORK_TYPES)}")
        b = boards.get(nm)
        if b is None:
            b = boards[nm] = Board(name=nm, kind=kind, place_id=place.id if place else None)
            s.add(b)
            rep.added["boards"] += 1
        else:
            b.kind, b.place_id = kind, place.id if place else None
        b.network_type = kind_of
    s.flush()
    members: dict[str, list[tuple[int, str | None, date | None, date | None]]] = {}
    for line, rec in r.rows("board_members"):
        b = _named(
            r,
            "board_members",
            line,
            "board",
            r.text("board_members", line, rec, "board", True),
            boards,
            "a board",
        )
        o = _named(
            r,
            "board_members",
            line,
            "organisation",
            r.text("board_members", line, rec, "organisation", True),
            orgs,
            "an organisation",
        )
        dates = (r.day("board_members", line, rec, "joined"),
                 r.day("board_members", line, rec, "left"))  # fmt: skip
        if dates[0] and dates[1] and dates[1] < dates[0]:
            r.fail("board_members", line, "left", dates[1], "a date after it joined")
        role = r.text("board_members", line, rec, "role")
        members.setdefault(b.name, []).append((o.id, role, *dates))
    for bname, wanted in members.items():
        b = boards[bname]
        have = {m.organisation_id: m for m in b.members}
        keep = []
        for org_id, role, joined, left in wanted:
            m = have.get(org_id)
            if m is None:
                m = BoardMember(board_id=b.id, organisation_id=org_id, role=role)
                rep.added["board_members"] += 1
            m.role, m.joined, m.left_on = role, joined, left
            keep.append(m)
        b.members = keep


def _import_interventions(
    s: Session,
    r: WorkbookReader,
    rep: ImportReport,
    orgs: dict[str, Organisation],
    places: dict[str, Place],
) -> dict[str, Intervention]:
    ivs = {i.name: i for i in s.scalars(select(Intervention))}
    sh = "interventions"
    for line, rec in r.rows(sh):
        nm = r.text(sh, line, rec, "name", True)
        assert nm
        lead = _named(
            r,
            sh,
            line,
            "provider",
            r.text(sh, line, rec, "provider", True),
            orgs,
            "an organisation",
        )
        partners = [
            _named(r, sh, line, "partners", p, orgs, "an organisation")
            for p in _split(rec.get("partners") or "")
        ]
        place = _named(r, sh, line, "place", r.text(sh, line, rec, "place"), places, "a place")
        values = {
            "provider_id": lead.id,
            "thematic_area": r.text(sh, line, rec, "thematic_area", True),
            "prevention_tier": r.text(sh, line, rec, "prevention_tier", True),
            "setting": r.text(sh, line, rec, "setting"),
            "yef_strand": r.text(sh, line, rec, "yef_strand"),
            "yef_impact": r.text(sh, line, rec, "yef_impact"),
            "funding": r.number(sh, line, rec, "funding"),
            "contract_start": r.day(sh, line, rec, "contract_start", True),
            "contract_end": r.day(sh, line, rec, "contract_end"),
            "place_id": place.id if place else None,
        }
        iv = ivs.get(nm)
        if iv is None:
            iv = ivs[nm] = Intervention(name=nm, **values)
            s.add(iv)
            rep.added[sh] += 1
        elif any(getattr(iv, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(iv, k, v)
            rep.updated[sh] += 1
        iv.partners = sorted(
            {p.id: p for p in partners if p.id != lead.id}.values(), key=lambda o: o.name
        )
    s.flush()
    return ivs


def _import_theory(
    s: Session, r: WorkbookReader, rep: ImportReport, ivs: dict[str, Intervention]
) -> None:
    steps: dict[str, dict[int, tuple[int, dict[str, Any]]]] = {}
    for line, rec in r.rows("theory"):
        iv = _named(
            r,
            "theory",
            line,
            "intervention",
            r.text("theory", line, rec, "intervention", True),
            ivs,
            "an intervention",
        )
        k = r.number("theory", line, rec, "step")
        if k is None or k != int(k) or k < 1:
            r.fail("theory", line, "step", rec.get("step"), "a step number 1, 2, ...")
        steps.setdefault(iv.name, {})[int(k)] = (line, rec)
    indicators: dict[tuple[str, int], list[Indicator]] = {}
    for line, rec in r.rows("indicators"):
        iv = _named(
            r,
            "indicators",
            line,
            "intervention",
            r.text("indicators", line, rec, "intervention", True),
            ivs,
            "an intervention",
        )
        k = r.number("indicators", line, rec, "step")
        if k is None or int(k) not in steps.get(iv.name, {}):
            r.fail(
                "indicators",
                line,
                "step",
                rec.get("step"),
                f"a step of {iv.name} on sheet 'theory'",
            )
        indicators.setdefault((iv.name, int(k)), []).append(
            Indicator(
                name=r.text("indicators", line, rec, "name", True),
                return_field=r.text("indicators", line, rec, "return_field"),
                target=r.number("indicators", line, rec, "target"),
                direction=r.text("indicators", line, rec, "direction") or "at_least",
            )
        )
    for name, numbered in steps.items():
        iv = ivs[name]
        if _theory_as_rows(iv) == _wanted_rows(r, numbered, indicators, name):
            continue  # the same Theory of Change: left as it is
        rep.updated["theory"] += bool(iv.theory)
        _replace_theory(s, r, iv, numbered, indicators)


def _replace_theory(
    s: Session, r: WorkbookReader, iv: Intervention,
    numbered: dict[int, tuple[int, dict[str, Any]]],
    indicators: dict[tuple[str, int], list[Indicator]],
) -> None:  # fmt: skip
    """Replace ``iv``'s Theory of Change by the workbook's steps (``leads_from`` resolved)."""
    iv.theory = []
    s.flush()
    made: dict[int, TheoryStep] = {}
    for k in sorted(numbered):
        line, rec = numbered[k]
        made[k] = TheoryStep(
            intervention_id=iv.id, stage=r.text("theory", line, rec, "stage", True),
            text=r.text("theory", line, rec, "text", True, most=4000),
            indicators=indicators.get((iv.name, k), []),
        )  # fmt: skip
        iv.theory.append(made[k])
    s.flush()
    for k in sorted(numbered):
        line, rec = numbered[k]
        frm = r.number("theory", line, rec, "leads_from")
        if frm is not None:
            if int(frm) not in made:
                r.fail("theory", line, "leads_from", rec.get("leads_from"), f"a step of {iv.name}")
            made[k].leads_from_id = made[int(frm)].id


def _theory_as_rows(iv: Intervention) -> list[tuple[Any, ...]]:
    """An intervention's stored Theory of Change as comparable rows (steps numbered in order)."""
    steps = sorted(iv.theory, key=lambda t: t.id)
    number: dict[int | None, int] = {t.id: k + 1 for k, t in enumerate(steps)}
    return [
        (number[t.id], t.stage, t.text, number.get(t.leads_from_id),
         [(i.name, i.return_field, i.target, i.direction)
          for i in sorted(t.indicators, key=lambda i: i.id)])
        for t in steps
    ]  # fmt: skip


def _wanted_rows(
    r: WorkbookReader, numbered: dict[int, tuple[int, dict[str, Any]]],
    indicators: dict[tuple[str, int], list[Indicator]], name: str,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """The workbook's Theory of Change for ``name``, as ``_theory_as_rows`` gives the stored."""
    out = []
    for k in sorted(numbered):
        line, rec = numbered[k]
        frm = r.number("theory", line, rec, "leads_from")
        stage = r.text("theory", line, rec, "stage", True)
        text = r.text("theory", line, rec, "text", True, most=4000)
        inds = [(i.name, i.return_field, i.target, i.direction)
                for i in indicators.get((name, k), [])]  # fmt: skip
        out.append((k, stage, text, int(frm) if frm is not None else None, inds))
    return out


def _template_rows(
    r: WorkbookReader, ivs: dict[str, Intervention]
) -> tuple[dict[tuple[str, int], list[dict[str, Any]]], dict[tuple[str, int], int]]:
    """The fields of each (intervention, version) on sheet 'templates', and its first row."""
    versions: dict[tuple[str, int], list[dict[str, Any]]] = {}
    first_line: dict[tuple[str, int], int] = {}
    sh = "templates"
    for line, rec in r.rows(sh):
        iv = _named(
            r,
            sh,
            line,
            "intervention",
            r.text(sh, line, rec, "intervention", True),
            ivs,
            "an intervention",
        )
        v = r.number(sh, line, rec, "version")
        if v is None or v != int(v) or v < 1:
            r.fail(sh, line, "version", rec.get("version"), "a version number 1, 2, ...")
        field: dict[str, Any] = {
            "name": r.text(sh, line, rec, "field", True),
            "type": r.text(sh, line, rec, "type", True),
            "label": r.text(sh, line, rec, "label") or r.text(sh, line, rec, "field"),
            "required": r.flag(sh, line, rec, "required", True),
        }
        allowed = _split(rec.get("allowed") or "")
        if allowed:
            field["allowed"] = allowed
        for bound in ("min", "max"):
            x = r.number(sh, line, rec, bound)
            if x is not None:
                field[bound] = int(x) if x == int(x) else x
        if r.flag(sh, line, rec, "outcome", False):
            field["outcome"] = True
        key = (iv.name, int(v))
        versions.setdefault(key, []).append(field)
        first_line.setdefault(key, line)
    return versions, first_line


def _import_templates(
    s: Session, r: WorkbookReader, rep: ImportReport, ivs: dict[str, Intervention]
) -> None:
    versions, first_line = _template_rows(r, ivs)
    for (name, version), fields in versions.items():
        line = first_line[(name, version)]
        try:
            fields_of(fields)
        except ConfigError as e:
            where = f"sheet 'templates', {name} version {version}"
            raise InputFileError(str(r.path), f"{where}: {e}", line=line) from None
        iv = ivs[name]
        have = s.scalars(
            select(ReturnTemplate).where(
                ReturnTemplate.intervention_id == iv.id, ReturnTemplate.version == version
            )
        ).first()
        if have is None:
            s.add(ReturnTemplate(intervention_id=iv.id, version=version, fields=fields))
            rep.added["templates"] += 1
        elif have.fields != fields:
            raise InputFileError(
                str(r.path),
                f"sheet 'templates': {name} version {version} is stored with other fields; "
                "returns were checked against it, so give the changed fields a new version number",
                line=line,
            )

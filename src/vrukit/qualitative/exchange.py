"""The store's qualitative evidence as a REFI-QDA project (``.qdpx``), out and in.

**Out** (``export_qdpx``): the codebook (themes, nested, coloured), every source as a text source
with its facts as variables (kind, date, community researcher, participants, consent) and its
excerpts as coded selections, and a case for each place, intervention and Theory of Change step
holding the excerpts linked to it (a step's case also holds the themes that speak to it). GUIDs
come from each record's natural key (a theme's path, a source's name, an excerpt's span), so the
same store always writes the same bytes.

**In** (``import_qdpx``): a project from vrukit or from other software. Codes match themes by
their path (a code vrukit does not know becomes a new theme); a source matches by name and takes
the file's facts, transcript and coding (its excerpts are replaced: the file is the newer
coding); selections of one span are one excerpt with all their codes. Every source and link is
checked before anything is written - a coded source must have its consent recorded
(``Consent recorded`` true, ``Consent how``, ``Consent date``), a place or intervention must be
in the registry - and a problem is an ``InputFileError`` naming the file, element and line, so
an import is all or nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vrukit.ingest.qdpx import (
    LINK_VARIABLE,
    TOC_VARIABLES,
    VARIABLES,
    QdaCase,
    QdaCode,
    QdaProject,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
    excerpt_guid,
    guid,
    theme_guid,
    toc_case_name,
    write_qdpx,
)
from vrukit.ingest.qdpx_read import read_qdpx
from vrukit.qualitative._plan import Registry, plan_project
from vrukit.qualitative.models import Excerpt, QualSource, Theme

__all__ = [
    "QualitativeImport",
    "export_qdpx",
    "import_qdpx",
    "load_project",
    "store_project",
    "theme_paths",
]

log = logging.getLogger(__name__)


@dataclass
class QualitativeImport:
    """What ``import_qdpx`` did: counts, and what it left out (``warnings``)."""

    sources_added: int = 0
    sources_updated: int = 0
    themes_added: int = 0
    excerpts: int = 0
    warnings: list[str] = field(default_factory=list)


def theme_paths(s: Session) -> dict[int, tuple[str, ...]]:
    """Each theme's path of names from the top of the codebook."""
    themes = {t.id: t for t in s.scalars(select(Theme))}

    def path(t: Theme) -> tuple[str, ...]:
        return (*path(themes[t.parent_id]), t.name) if t.parent_id else (t.name,)

    return {k: path(t) for k, t in themes.items()}


def _theme_guid(path: tuple[str, ...]) -> str:
    return theme_guid(path)


def _excerpt_guid(source: str, e: Excerpt) -> str:
    return excerpt_guid(source, e.start_offset, e.end_offset)


# -- out -------------------------------------------------------------------------------------


def _source_values(src: QualSource, reg: Registry) -> dict[str, str]:
    consent_on = src.consent_on.isoformat() if src.consent_on else None
    values = {
        "Source kind": src.kind,
        "Date held": src.held_on.isoformat(),
        "Community researcher": reg.researcher(src),
        "Participants": str(src.participants),
        "Consent recorded": "true" if src.consent_recorded else "false",
        "Consent how": src.consent_how,
        "Consent date": consent_on,
        "Place": reg.place_names.get(src.place_id or 0),
        "Intervention": reg.intervention_names.get(src.intervention_id or 0),
    }
    return {k: v for k, v in values.items() if v is not None}


def _links(e: Excerpt, reg: Registry) -> list[tuple[str, str]]:
    """The cases an excerpt belongs to: (kind, key) of its place, intervention and step."""
    step = reg.step_keys.get(e.toc_step_id or 0)
    found = [
        ("place", reg.place_names.get(e.place_id or 0)),
        ("intervention", reg.intervention_names.get(e.intervention_id or 0)),
        ("toc_step", json.dumps(step) if step else None),
    ]
    return [(k, v) for k, v in found if v]


def _case(kind: str, key: str, held: list[str], themes: list[Theme], reg: Registry,
          paths: dict[int, tuple[str, ...]]) -> QdaCase:  # fmt: skip
    variables = {LINK_VARIABLE: kind}
    if kind != "toc_step":
        return QdaCase(guid(kind, key), key, variables, selections=tuple(held))
    iv, stage, text = json.loads(key)
    variables |= dict(zip(TOC_VARIABLES, (iv, stage, text), strict=True))
    step = reg.steps[(iv, stage, text)]
    codes = tuple(_theme_guid(paths[t.id]) for t in themes if t.toc_step_id == step)
    name = toc_case_name(iv, stage, text)
    return QdaCase(guid(kind, key), name, variables, codes, selections=tuple(held))


def _cases(sources: list[QualSource], themes: list[Theme], paths: dict[int, tuple[str, ...]],
           reg: Registry) -> list[QdaCase]:  # fmt: skip
    held: dict[tuple[str, str], list[str]] = {}
    for src in sources:
        for e in src.excerpts:
            for link in _links(e, reg):
                held.setdefault(link, []).append(_excerpt_guid(src.name, e))
    for t in themes:
        if t.toc_step_id:
            held.setdefault(("toc_step", json.dumps(reg.step_keys[t.toc_step_id])), [])
    return [_case(kind, key, held[(kind, key)], themes, reg, paths) for kind, key in sorted(held)]


def store_project(s: Session, *, name: str = "vrukit qualitative evidence") -> QdaProject:
    """The store's qualitative evidence as a REFI-QDA project."""
    reg = Registry(s)
    paths = theme_paths(s)
    themes = sorted(s.scalars(select(Theme)), key=lambda t: paths[t.id])
    codes = tuple(QdaCode(_theme_guid(paths[t.id]), t.name,
                          _theme_guid(paths[t.parent_id]) if t.parent_id else None,
                          t.colour, t.description, t.codable) for t in themes)  # fmt: skip
    sources = list(s.scalars(select(QualSource).order_by(QualSource.name)))
    labels = sorted({reg.researcher(src) for src in sources})
    users = tuple(QdaUser(guid("user", k), k) for k in labels)
    qda_sources = []
    for src in sources:
        selections = tuple(
            QdaSelection(_excerpt_guid(src.name, e), e.start_offset, e.end_offset,
                         tuple(_theme_guid(paths[t.id]) for t in e.themes))
            for e in src.excerpts
        )  # fmt: skip
        qda_sources.append(QdaSource(
            guid("source", src.name), src.name, src.transcript, selections,
            _source_values(src, reg), src.description, guid("user", reg.researcher(src)),
        ))  # fmt: skip
    variables = tuple(QdaVariable(guid("variable", k), k, t) for k, t in VARIABLES.items())
    cases = tuple(_cases(sources, themes, paths, reg))
    return QdaProject(name, users, codes, variables, cases, tuple(qda_sources))


def export_qdpx(s: Session, path: Path | str) -> dict[str, int]:
    """Write the store's qualitative evidence to ``path`` (.qdpx); what it holds, counted."""
    project = store_project(s)
    write_qdpx(project, path)
    return {
        "themes": len(project.codes),
        "sources": len(project.sources),
        "excerpts": sum(len(x.selections) for x in project.sources),
    }


# -- in --------------------------------------------------------------------------------------


def import_qdpx(s: Session, path: Path | str) -> QualitativeImport:
    """Add or update qualitative evidence from the ``.qdpx`` at ``path``; all or nothing."""
    return load_project(s, read_qdpx(path), where=str(path))


def load_project(s: Session, project: QdaProject, *, where: str) -> QualitativeImport:
    """Store ``project`` (read from ``where``): checks everything, then writes."""
    reg = Registry(s)
    plan = plan_project(project, reg, where)
    report = QualitativeImport(warnings=[*project.warnings, *plan.warnings])
    themes = _store_themes(s, project.codes, report)
    for p in plan.sources:
        src = s.scalars(select(QualSource).where(QualSource.name == p.name)).first()
        if src is None:
            src = QualSource(name=p.name)
            s.add(src)
            report.sources_added += 1
        else:
            s.execute(delete(Excerpt).where(Excerpt.source_id == src.id))
            s.expire(src, ["excerpts"])
            report.sources_updated += 1
        for k, v in p.fields.items():
            setattr(src, k, v)
        s.flush()
        for e in p.excerpts:
            excerpt = Excerpt(source_id=src.id, source_consented=True, **e.fields)
            excerpt.themes = [themes[c] for c in e.codes]
            s.add(excerpt)
            report.excerpts += 1
    for code, step in plan.theme_steps.items():
        themes[code].toc_step_id = step
    s.flush()
    for w in report.warnings:
        log.warning(w)
    return report


def _store_themes(
    s: Session, codes: tuple[QdaCode, ...], report: QualitativeImport
) -> dict[str, Theme]:
    """Each code's theme: the one at the same path, or a new one."""
    out: dict[str, Theme] = {}
    for c in codes:
        parent = out[c.parent] if c.parent else None
        where = Theme.parent_id.is_(None) if parent is None else Theme.parent_id == parent.id
        theme = s.scalars(select(Theme).where(where, Theme.name == c.name)).first()
        if theme is None:
            theme = Theme(name=c.name, parent_id=parent.id if parent else None)
            s.add(theme)
            report.themes_added += 1
        theme.colour = _colour(c.colour) or theme.colour
        theme.description = c.description or theme.description
        theme.codable = c.codable
        s.flush()
        out[c.guid] = theme
    return out


def _colour(value: str | None) -> str | None:
    """``#rrggbb`` from REFI's ``#rgb`` or ``#rrggbb``; None for anything else."""
    if not value or not value.startswith("#"):
        return None
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    try:
        int(digits, 16)
    except ValueError:
        return None
    return f"#{digits.lower()}" if len(digits) == 6 else None

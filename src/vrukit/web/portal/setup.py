"""Setting the programme up in the portal, without Python: organisations, places, interventions
with their lead and partner providers, Theory of Change steps with indicators, and return
templates. Admins and commissioners (``EDITORS``) do it; every change is in the audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.csvio import visible_text
from vrukit.errors import ConfigError
from vrukit.programme.audit import audit
from vrukit.programme.models import (
    ORGANISATION_KINDS,
    TOC_STAGES,
    Indicator,
    Intervention,
    Organisation,
    Place,
    PlaceArea,
    ReturnTemplate,
    TheoryStep,
    User,
)
from vrukit.programme.returns import FIELD_TYPES, fields_of
from vrukit.web.portal.lang import t
from vrukit.web.portal.registry import EDITABLE, _value
from vrukit.web.portal.web import (
    EDITORS,
    Csrf,
    Db,
    Me,
    Posted,
    intervention,
    need_role,
    render,
    whole_number,
)

__all__ = ["ROUTES", "TEMPLATE_ROWS", "router"]

router = APIRouter()
#: Blank field rows the template form offers.
TEMPLATE_ROWS = 10
#: An LSOA code (E01/W01 and six digits), or one of the demo region's (a digit longer).
_LSOA = r"^[EW]01\d{6,7}$"


def _editor(me: User) -> None:
    need_role(me, EDITORS, t("set up the programme"))


def _text(form: Any, name: str, label: str, *, required: bool = True, most: int = 200) -> str:
    text = visible_text(str(form.get(name, "")), lines=most > 200)
    if required and not text:
        raise HTTPException(422, t("%(label)s is required", label=label))
    if len(text) > most:
        raise HTTPException(
            422, t("%(label)s is longer than %(most)s characters", label=label, most=most)
        )
    return text


def _organisation(s: Session, text: str, label: str) -> Organisation:
    n = whole_number(text)
    org = s.get(Organisation, n) if n is not None else None
    if org is None:
        raise HTTPException(
            422, t("%(label)s: choose one of the organisations listed", label=label)
        )
    return org


@router.get("/registry", response_class=HTMLResponse)
def registry(request: Request, s: Db, me: Me) -> HTMLResponse:
    _editor(me)
    return render(
        request, "registry.html", user=me, kinds=ORGANISATION_KINDS,
        organisations=s.scalars(select(Organisation).order_by(Organisation.name)).all(),
        places=s.scalars(select(Place).order_by(Place.name)).all(),
        interventions=s.scalars(select(Intervention).order_by(Intervention.name)).all(),
    )  # fmt: skip


@router.post("/registry/organisations", dependencies=[Csrf])
def add_organisation(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _editor(me)
    name = _text(form, "name", t("Name"))
    kind = str(form.get("kind", ""))
    if kind not in ORGANISATION_KINDS:
        raise HTTPException(
            422,
            t(
                "Kind: %(kind)s is not one of %(choices)s",
                kind=repr(kind),
                choices=", ".join(ORGANISATION_KINDS),
            ),
        )
    if s.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name)):
        raise HTTPException(422, t("%(name)s is already in the registry", name=name))
    org = Organisation(name=name, kind=kind, verifies_directory=form.get("verifies") == "yes")
    s.add(org)
    s.flush()
    audit(s, me, "create", "organisation", str(org.id), None,
          {"name": name, "kind": kind, "verifies_directory": org.verifies_directory})  # fmt: skip
    return RedirectResponse("/registry", status_code=303)


@router.post("/registry/places", dependencies=[Csrf])
def add_place(request: Request, s: Db, me: Me, form: Posted) -> Response:
    import re

    _editor(me)
    name = _text(form, "name", t("Name"))
    start = _value("date", t("Start date"), str(form.get("start_date", "")), ())
    if start is None:
        raise HTTPException(422, t("Start date is required"))
    codes = sorted({c.strip().upper() for c in re.split(r"[\s,;]+", str(form.get("areas", "")))
                    if c.strip()})  # fmt: skip
    bad = [c for c in codes if not re.match(_LSOA, c)]
    if not codes or bad:
        areas = t("Areas: give the place's LSOA codes (E01... or W01...), separated by spaces or "
                   "commas")  # fmt: skip
        if bad:
            areas = t("Areas: give the place's LSOA codes (E01... or W01...), separated by "
                      "spaces or commas; not LSOA codes: %(codes)s",
                      codes=", ".join(bad[:5]))  # fmt: skip
        raise HTTPException(422, areas)
    if s.scalar(select(func.count()).select_from(Place).where(Place.name == name)):
        raise HTTPException(422, t("%(name)s is already a place", name=name))
    place = Place(name=name, start_date=start, description=_text(form, "description",
                  t("Description"), required=False, most=2000) or None,
                  areas=[PlaceArea(lsoa_code=c) for c in codes])  # fmt: skip
    s.add(place)
    s.flush()
    audit(s, me, "create", "place", str(place.id), None,
          {"name": name, "start_date": start.isoformat(), "areas": codes})  # fmt: skip
    return RedirectResponse("/registry", status_code=303)


@router.get("/interventions/new", response_class=HTMLResponse)
def new_intervention_form(request: Request, s: Db, me: Me) -> HTMLResponse:
    _editor(me)
    return render(
        request, "intervention_new.html", user=me, fields=EDITABLE,
        organisations=s.scalars(select(Organisation).order_by(Organisation.name)).all(),
        places=s.scalars(select(Place).order_by(Place.name)).all(),
    )  # fmt: skip


@router.post("/interventions/new", dependencies=[Csrf])
def new_intervention(request: Request, s: Db, me: Me, form: Posted) -> Response:
    _editor(me)
    name = _text(form, "name", t("Name"))
    if s.scalar(select(func.count()).select_from(Intervention).where(Intervention.name == name)):
        raise HTTPException(422, t("%(name)s is already an intervention", name=name))
    lead = _organisation(s, str(form.get("provider_id", "")), t("Lead provider"))
    values = {c: _value(kind, label, str(form.get(c, "")), allowed)
              for c, label, kind, allowed in EDITABLE}  # fmt: skip
    for c in ("thematic_area", "prevention_tier"):
        if not values[c]:
            raise HTTPException(
                422, t("%(field)s is required", field=dict((e[0], e[1]) for e in EDITABLE)[c])
            )
    place_text = str(form.get("place_id", ""))
    n = whole_number(place_text)
    place = s.get(Place, n) if n is not None else None
    iv = Intervention(name=name, provider_id=lead.id, place_id=place.id if place else None,
                      **values)  # fmt: skip
    iv.partners = _partners(s, form, lead.id)
    s.add(iv)
    s.flush()
    partners = [o.name for o in iv.partners]
    audit(s, me, "create", "intervention", str(iv.id), None,
          {"name": name, "provider": lead.name, "partners": partners})  # fmt: skip
    return RedirectResponse(f"/interventions/{iv.id}/setup", status_code=303)


def _partners(s: Session, form: Any, lead: int) -> list[Organisation]:
    given = [whole_number(v) for v in form.getlist("partners")]
    ids = {n for n in given if n is not None} - {lead}
    orgs = s.scalars(select(Organisation).where(Organisation.id.in_(ids))).all() if ids else []
    if len(orgs) != len(ids):
        raise HTTPException(422, t("Partner providers: choose organisations from the list"))
    return sorted(orgs, key=lambda o: o.name)


@router.get("/interventions/{iid}/setup", response_class=HTMLResponse)
def setup_page(request: Request, s: Db, me: Me, iid: int) -> HTMLResponse:
    iv = intervention(s, me, iid)  # 404 before 403: another's intervention does not exist
    _editor(me)
    templates = s.scalars(select(ReturnTemplate).where(ReturnTemplate.intervention_id == iid)
                          .order_by(ReturnTemplate.version.desc())).all()  # fmt: skip
    return render(
        request, "intervention_setup.html", user=me, iv=iv, stages=TOC_STAGES,
        organisations=s.scalars(select(Organisation).order_by(Organisation.name)).all(),
        templates=templates, field_types=FIELD_TYPES, rows=TEMPLATE_ROWS,
        current=fields_of(templates[0].fields) if templates else [],
    )  # fmt: skip


@router.post("/interventions/{iid}/providers", dependencies=[Csrf])
def set_partners(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    iv = intervention(s, me, iid)  # 404 before 403: another's intervention does not exist
    _editor(me)
    before = [o.name for o in iv.partners]
    iv.partners = _partners(s, form, iv.provider_id)
    after = [o.name for o in iv.partners]
    if after != before:
        audit(s, me, "update", "intervention", str(iv.id), {"partners": before},
              {"partners": after})  # fmt: skip
    return RedirectResponse(f"/interventions/{iid}/setup", status_code=303)


@router.post("/interventions/{iid}/theory", dependencies=[Csrf])
def add_step(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    iv = intervention(s, me, iid)  # 404 before 403: another's intervention does not exist
    _editor(me)
    stage = str(form.get("stage", ""))
    if stage not in TOC_STAGES:
        raise HTTPException(
            422,
            t(
                "Stage: %(stage)s is not one of %(choices)s",
                stage=repr(stage),
                choices=", ".join(TOC_STAGES),
            ),
        )
    step = TheoryStep(intervention_id=iv.id, stage=stage,
                      text=_text(form, "text", t("What happens"), most=2000))  # fmt: skip
    indicator = _text(form, "indicator", t("Indicator"), required=False)
    if indicator:
        target = _value("number", t("Target"), str(form.get("target", "")), ())
        direction = str(form.get("direction", "at_least"))
        if direction not in ("at_least", "at_most"):
            raise HTTPException(422, t("Direction: at_least or at_most"))
        step.indicators = [Indicator(name=indicator, target=target, direction=direction,
                                     return_field=_text(form, "return_field", t("Return field"),
                                                        required=False) or None)]  # fmt: skip
    s.add(step)
    s.flush()
    audit(s, me, "create", "theory_step", str(step.id), None,
          {"intervention": iv.name, "stage": stage, "text": step.text,
           "indicator": indicator or None})  # fmt: skip
    return RedirectResponse(f"/interventions/{iid}/setup", status_code=303)


@router.post("/interventions/{iid}/template", dependencies=[Csrf])
def new_template(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    """A new version of the intervention's return template, from the form's field rows;
    returns already made stay checked against the version they were made with."""
    iv = intervention(s, me, iid)  # 404 before 403: another's intervention does not exist
    _editor(me)
    definition = []
    for k in range(TEMPLATE_ROWS):
        name = visible_text(str(form.get(f"name_{k}", "")))  # as every text the portal keeps:
        if not name:  # a vertical tab from Word made the provider's template.xlsx a 500
            continue
        label = _text(form, f"label_{k}", t("%(name)s: label", name=name), required=False) or name
        field: dict[str, Any] = {"name": name, "type": str(form.get(f"type_{k}", "")),
                                 "label": label,
                                 "required": form.get(f"required_{k}") == "yes"}  # fmt: skip
        allowed = [visible_text(a) for a in str(form.get(f"allowed_{k}", "")).split(";")]
        allowed = [a for a in allowed if a]
        if allowed:
            field["allowed"] = allowed
        for bound in ("min", "max"):
            v = _value(
                "number",
                t("%(name)s: %(bound)s", name=name, bound=bound),
                str(form.get(f"{bound}_{k}", "")),
                (),
            )
            if v is not None:
                field[bound] = v
        definition.append(field)
    if not definition:
        raise HTTPException(422, t("a template needs at least one field"))
    try:
        fields_of(definition)
    except ConfigError as e:
        raise HTTPException(422, str(e)) from None
    latest = s.scalar(select(func.max(ReturnTemplate.version))
                      .where(ReturnTemplate.intervention_id == iid)) or 0  # fmt: skip
    made = ReturnTemplate(intervention_id=iv.id, version=latest + 1, fields=definition)
    s.add(made)
    s.flush()
    audit(s, me, "create", "return_template", str(made.id), None,
          {"intervention": iv.name, "version": made.version,
           "fields": [f["name"] for f in definition]})  # fmt: skip
    return RedirectResponse(f"/interventions/{iid}/setup", status_code=303)


#: This module's routes, for the access tests.
ROUTES = (
    ("GET", "/registry"), ("POST", "/registry/organisations"), ("POST", "/registry/places"),
    ("GET", "/interventions/new"), ("POST", "/interventions/new"),
    ("GET", "/interventions/{iid}/setup"), ("POST", "/interventions/{iid}/providers"),
    ("POST", "/interventions/{iid}/theory"), ("POST", "/interventions/{iid}/template"),
)  # fmt: skip

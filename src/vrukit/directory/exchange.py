"""Exchanging the directory with other councils' directories: HSDS JSON (fully nested services)
and the HSDS tabular package (one CSV per table with a ``datapackage.json``), out and in.

Reading a CSV package checks every row as it goes - a number that is not a number, a required
field left empty, a reference to a record the package does not hold - and names the file, line,
column and value; the records are then loaded through the same path as HSDS JSON
(``load.load_hsds_data``), so either format lands the same way.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vrukit import jsonio
from vrukit.directory.hsds import (
    ADDRESS_FIELDS,
    HSDS_VERSION,
    LOCATION_FIELDS,
    ORG_FIELDS,
    SERVICE_FIELDS,
    TAXONOMY_FIELDS,
    TERM_FIELDS,
    json_value,
    organization_json,
    service_json,
    taxonomy_json,
    term_json,
)
from vrukit.directory.models import (
    DirAddress,
    DirAttribute,
    DirLocation,
    DirOrganization,
    DirPhone,
    DirSchedule,
    DirService,
    DirServiceAtLocation,
    DirTaxonomy,
    DirTaxonomyTerm,
)
from vrukit.errors import InputFileError

__all__ = ["TABLES", "export_csv", "export_json", "read_csv_package"]

#: The package's tables: file stem -> (model, HSDS fields, required fields).
TABLES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "taxonomies": (DirTaxonomy, TAXONOMY_FIELDS, ("id", "name", "description")),
    "taxonomy_terms": (DirTaxonomyTerm, TERM_FIELDS, ("id", "name", "description")),
    "organizations": (DirOrganization, ORG_FIELDS, ("id", "name", "description")),
    "services": (DirService, SERVICE_FIELDS, ("id", "organization_id", "name", "status")),
    "locations": (DirLocation, LOCATION_FIELDS, ("id", "location_type")),
    "addresses": (DirAddress, ADDRESS_FIELDS, ("id", "location_id", "address_1", "city",
                                               "postal_code")),
    "service_at_locations": (DirServiceAtLocation, ("id", "service_id", "location_id"),
                             ("id", "service_id", "location_id")),
    "phones": (DirPhone, ("id", "service_id", "number"), ("id", "service_id", "number")),
    "schedules": (DirSchedule, ("id", "service_id", "freq", "byday", "opens_at", "closes_at",
                                "description"), ("id", "service_id")),
    "attributes": (DirAttribute, ("id", "link_id", "link_type", "link_entity",
                                  "taxonomy_term_id"), ("id", "link_id", "taxonomy_term_id")),
}  # fmt: skip
INTEGERS = {"minimum_age", "maximum_age"}
FLOATS = {"latitude", "longitude"}


def export_json(s: Session, path: Path) -> int:
    """Write the whole directory as one HSDS JSON file; the number of services."""
    services = s.scalars(select(DirService).order_by(DirService.id).options(
        selectinload(DirService.organization), selectinload(DirService.phones),
        selectinload(DirService.schedules),
        selectinload(DirService.at_locations).selectinload(DirServiceAtLocation.location)
        .selectinload(DirLocation.addresses),
        selectinload(DirService.attributes).selectinload(DirAttribute.taxonomy_term),
    )).all()  # fmt: skip
    payload = {
        "version": HSDS_VERSION,
        "taxonomies": [taxonomy_json(t) for t in s.scalars(select(DirTaxonomy).order_by(
            DirTaxonomy.id))],
        "taxonomy_terms": [term_json(t) for t in s.scalars(select(DirTaxonomyTerm).order_by(
            DirTaxonomyTerm.id))],
        "organizations": [organization_json(o) for o in s.scalars(select(
            DirOrganization).order_by(DirOrganization.id))],
        "services": [service_json(x) for x in services],
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(jsonio.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    return len(services)


def export_csv(s: Session, folder: Path) -> dict[str, int]:
    """Write the HSDS tabular package into ``folder``; rows written per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    resources = []
    for name, (model, fields, required) in TABLES.items():
        rows = s.execute(select(*(getattr(model, f) for f in fields)).order_by(model.id)).all()
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(fields)
            for r in rows:
                w.writerow(["" if v is None else _text(v) for v in r])
        counts[name] = len(rows)
        resources.append({"name": name, "path": f"{name}.csv", "schema": {
            "fields": [{"name": f, "constraints": {"required": f in required}} for f in fields]
        }})  # fmt: skip
    package = {"name": "vrukit-youth-map", "profile": "tabular-data-package",
               "hsds_version": HSDS_VERSION, "resources": resources}  # fmt: skip
    (folder / "datapackage.json").write_text(jsonio.dumps(package, indent=1), encoding="utf-8")
    return counts


def _text(v: Any) -> str:
    out = json_value(v)  # dates and times as HSDS writes them in JSON
    return out if isinstance(out, str) else repr(out) if isinstance(out, float) else str(out)


def _read(folder: Path, name: str) -> list[dict[str, Any]]:
    """One table's rows, typed and checked; an absent file is an empty table."""
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    _, fields, required = TABLES[name]
    out = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise InputFileError(str(path), f"columns missing: {', '.join(missing)}", line=1)
        for line, row in enumerate(reader, start=2):
            out.append(_row(path, line, row, fields, required))
    return out


def _row(path: Path, line: int, row: dict[str, Any], fields: tuple[str, ...],
         required: tuple[str, ...]) -> dict[str, Any]:  # fmt: skip
    rec: dict[str, Any] = {}
    for c in fields:
        text = (row.get(c) or "").strip()
        if not text:
            if c in required:
                raise InputFileError(str(path), f"{c} is required", line=line, column=c,
                                     value="")  # fmt: skip
            continue
        try:
            rec[c] = int(text) if c in INTEGERS else float(text) if c in FLOATS else text
        except ValueError:
            kind = "a whole number" if c in INTEGERS else "a number"
            raise InputFileError(str(path), f"expected {kind}", line=line, column=c,
                                 value=text) from None  # fmt: skip
    return rec


def read_csv_package(folder: Path) -> dict[str, Any]:
    """An HSDS tabular package as the nested records ``load_hsds_data`` takes."""
    t = {name: _read(folder, name) for name in TABLES}
    if not t["services"] and not t["organizations"]:
        raise InputFileError(str(folder), "holds no services.csv or organizations.csv: "
                             "expected an HSDS tabular package")  # fmt: skip
    by = defaultdict(list)
    for name, key in (("phones", "service_id"), ("schedules", "service_id"),
                      ("attributes", "link_id"), ("service_at_locations", "service_id"),
                      ("addresses", "location_id")):  # fmt: skip
        for r in t[name]:
            by[name, r[key]].append(r)
    locations = {loc["id"]: loc | {"addresses": by["addresses", loc["id"]]}
                 for loc in t["locations"]}  # fmt: skip
    services = []
    for svc in t["services"]:
        sals = []
        for sal in by["service_at_locations", svc["id"]]:
            if sal["location_id"] not in locations:
                raise InputFileError(str(folder / "service_at_locations.csv"),
                                     "refers to a location locations.csv does not hold",
                                     column="location_id", value=sal["location_id"])  # fmt: skip
            sals.append(sal | {"location": locations[sal["location_id"]]})
        services.append(svc | {"service_at_locations": sals,
                               "phones": by["phones", svc["id"]],
                               "schedules": by["schedules", svc["id"]],
                               "attributes": by["attributes", svc["id"]]})  # fmt: skip
    return {"taxonomies": t["taxonomies"], "taxonomy_terms": t["taxonomy_terms"],
            "organizations": t["organizations"], "services": services}  # fmt: skip

"""Loading the directory: Open Referral (HSDS 3) JSON - taxonomies, terms, organisations and
fully nested services - and a postcode lookup. Records are matched by their HSDS ``id``, so
loading the same file again changes nothing and a newer file updates what it carries.

Every record is checked before anything is stored; a file with problems raises
``InputFileError`` naming the record (its position and id), the field and the value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Boolean, String, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from vrukit.directory.exchange import TABLES, read_csv_package
from vrukit.directory.index import bump
from vrukit.directory.models import (
    LOCATION_TYPES,
    SERVICE_STATUSES,
    DirAddress,
    DirAttribute,
    DirLocation,
    DirOrganization,
    DirPhone,
    DirPostcode,
    DirSchedule,
    DirService,
    DirServiceAtLocation,
    DirTaxonomy,
    DirTaxonomyTerm,
    UnsafeLink,
    normalise_postcode,
    safe_link,
)
from vrukit.errors import InputFileError

__all__ = ["DirectoryLoad", "load_hsds", "load_hsds_data", "load_postcodes"]

#: Required fields of the top-level HSDS record kinds (the tabular package's rules).
REQUIRED = {k: TABLES[k][2] for k in ("taxonomies", "taxonomy_terms", "organizations",
                                      "services")}  # fmt: skip


@dataclass(frozen=True)
class DirectoryLoad:
    taxonomies: int
    terms: int
    organizations: int
    services: int
    locations: int


def _unsafe_links(data: dict[str, Any]) -> list[str]:
    """A problem for each website or service link that is not http(s), mailto or tel."""
    problems = []
    for kind, field in (("organizations", "website"), ("services", "url")):
        for k, rec in enumerate(data.get(kind, [])):
            try:
                safe_link(field, rec.get(field))
            except UnsafeLink as e:
                problems.append(f"{kind}[{k}] id {rec.get('id')!r}: {e}")
    return problems


def _within(value: Any, lo: float, hi: float, *, whole: bool = False) -> bool:
    """Whether ``value`` is absent or a finite number from ``lo`` to ``hi`` (NaN, infinity, a
    text or a true/false are not)."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):  # (an int of 400 digits is finite,
        return False  # and too large for a float: compared as it is)
    return lo <= value <= hi and (not whole or float(value).is_integer())


def _check(path: Path, data: dict[str, Any]) -> None:
    problems = []
    for kind, fields in REQUIRED.items():
        for k, rec in enumerate(data.get(kind, [])):
            for f in fields:
                if rec.get(f) in (None, ""):
                    problems.append(f"{kind}[{k}] id {rec.get('id')!r}: {f} is required")
    problems += _unsafe_links(data) + _repeated(data) + _nul(data, "")[:3]
    problems += _shapes(data) + _nested(data)
    for k, org in enumerate(data.get("organizations", [])):
        problems += _dates(f"organizations[{k}]", org)
    for k, svc in enumerate(data.get("services", [])):
        problems += _service_problems(f"services[{k}]", svc) + _dates(f"services[{k}]", svc)
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise InputFileError(str(path), "; ".join(problems[:10]) + more)


def _repeated(data: dict[str, Any]) -> list[str]:
    """An id given to two records of one kind (the second would silently replace the first)."""
    problems = []
    for kind in REQUIRED:
        seen: set[Any] = set()
        for k, rec in enumerate(data.get(kind, [])):
            if rec.get("id") in seen:
                problems.append(f"{kind}[{k}] id {rec.get('id')!r} is given twice")
            seen.add(rec.get("id"))
    return problems


#: The columns of each kind of record a file carries, as the store keeps them.
_KINDS: dict[str, Any] = {"taxonomies": DirTaxonomy, "taxonomy_terms": DirTaxonomyTerm,
                          "organizations": DirOrganization, "services": DirService,
                          "phones": DirPhone, "schedules": DirSchedule,
                          "attributes": DirAttribute, "service_at_locations": DirServiceAtLocation,
                          "location": DirLocation, "addresses": DirAddress}  # fmt: skip


def _records(data: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Every record of the file with where it is and its kind ("services[3].phones[0]")."""
    for kind in ("taxonomies", "taxonomy_terms", "organizations", "services"):
        for k, rec in enumerate(data.get(kind) or []):
            yield f"{kind}[{k}]", kind, rec
            if kind != "services" or not isinstance(rec, dict):
                continue
            for part in ("phones", "schedules", "attributes", "service_at_locations"):
                items = rec.get(part) or []
                for j, item in enumerate(items if isinstance(items, list) else [items]):
                    yield f"{kind}[{k}].{part}[{j}]", part, item
                    loc = item.get("location") if part == "service_at_locations" and isinstance(
                        item, dict) else None  # fmt: skip
                    if loc is not None:
                        where = f"{kind}[{k}].{part}[{j}].location"
                        yield where, "location", loc
                        for i, a in enumerate(loc.get("addresses") or [] if isinstance(
                                loc, dict) else []):  # fmt: skip
                            yield f"{where}.addresses[{i}]", "addresses", a


def _shapes(data: dict[str, Any]) -> list[str]:
    """Each record an object, and each of its texts a text no longer than the store keeps (a
    name given as a list was kept as "{a}" on PostgreSQL; one too long named only a column)."""
    problems = []
    for at, kind, rec in _records(data):
        if not isinstance(rec, dict):
            problems.append(f"{at}: expected an object, not {type(rec).__name__}")
            continue
        for column in _KINDS[kind].__table__.columns:
            value = rec.get(column.name)
            if isinstance(column.type, Boolean) and value is not None and not isinstance(
                    value, bool):  # fmt: skip
                problems.append(
                    f"{at} id {rec.get('id')!r}: {column.name} is {value!r}, not true or false"
                )  # ("false" in quotes was kept as true)
            if value is None or not isinstance(column.type, String):
                continue
            most = column.type.length
            if not isinstance(value, str):
                problems.append(f"{at} id {rec.get('id')!r}: {column.name} is "
                                f"{type(value).__name__}, not a text")  # fmt: skip
            elif most and len(value) > most and column.name not in ("last_modified",):
                problems.append(f"{at} id {rec.get('id')!r}: {column.name} is {len(value):,} "
                                f"characters; the most is {most}")  # fmt: skip
    return problems


def _nested(data: dict[str, Any]) -> list[str]:
    """A nested record's id given twice: a place shared by two services (the same location,
    the same contents, its addresses under it) is right; anything else would silently move a
    service to another's address, or an address to another place, or put one phone on two
    services (the eighteenth and nineteenth probes)."""
    problems, seen, place = [], {}, None
    for at, kind, rec in _records(data):
        if kind in ("taxonomies", "taxonomy_terms", "organizations", "services") or not \
                isinstance(rec, dict):  # fmt: skip
            continue
        if kind == "location":
            place = rec.get("id")
        # an address is what it says and where it is: the same one under another location
        # would be moved there
        held = (place, rec) if kind == "addresses" else rec
        key = (kind, str(rec.get("id")))
        if key not in seen:
            seen[key] = (at, held)
            continue
        first, was = seen[key]
        if kind in ("location", "addresses") and was == held:
            continue
        why = "with other contents or elsewhere" if kind in ("location", "addresses") else "again"
        problems.append(f"{at}: id {rec.get('id')!r} is given {why} (first at {first})")
    return problems


def _moved(s: Session, data: dict[str, Any]) -> list[str]:
    """An address given under a location it does not belong to: one the store keeps under
    another location, or whose own ``location_id`` names another (loading it would move a
    service's address to another place: the twentieth probe)."""
    under, place = {}, None
    for at, kind, rec in _records(data):
        if kind == "location" and isinstance(rec, dict):
            place = rec.get("id")
        elif kind == "addresses" and isinstance(rec, dict):
            under[str(rec.get("id"))] = (at, place, rec.get("location_id"))
    kept: dict[str, str] = {}
    ids = list(under)
    for k in range(0, len(ids), 5000):
        kept |= dict(s.execute(select(DirAddress.id, DirAddress.location_id)
                               .where(DirAddress.id.in_(ids[k : k + 5000]))).all())  # fmt: skip
    problems = []
    for aid, (at, parent, own) in under.items():
        for belongs in (kept.get(aid, parent), own if own not in (None, "") else parent):
            if belongs != parent:  # the store's place first, then what the file says of it
                problems.append(f"{at}: address {aid!r} belongs to location {belongs!r}, not "
                                f"{parent!r}: give the address an id of its own")  # fmt: skip
                break
    return problems


def _nul(value: Any, at: str) -> list[str]:
    """Where a text holds a NUL character (no store keeps one; PostgreSQL refuses it)."""
    if isinstance(value, str):
        return [f"{at or 'the file'}: a text holds a NUL character"] if "\x00" in value else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else ()  # fmt: skip
    return [p for k, v in items for p in _nul(v, f"{at}.{k}" if at else str(k))]


def _dates(at: str, svc: dict[str, Any]) -> list[str]:
    """A service's or an organisation's dates: a day from 1990 to 2099 that exists (not
    2022-02-30 or 0202-01-01)."""
    problems = []
    for f, read in (("assured_date", _date), ("last_modified", _when)):
        value = svc.get(f)
        if value in (None, ""):
            continue
        try:
            day = read(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None or not 1990 <= day.year <= 2099:
            problems.append(f"{at} id {svc.get('id')!r}: {f} {value!r} is not a date from 1990 "
                            "to 2099")  # fmt: skip
    return problems


def _service_problems(at: str, svc: dict[str, Any]) -> list[str]:
    """What is wrong with one service: its status, ages, and each location's type and place."""
    problems = []
    if svc.get("status") not in SERVICE_STATUSES:
        problems.append(f"{at} id {svc.get('id')!r}: status {svc.get('status')!r} "
                        f"is not one of {', '.join(SERVICE_STATUSES)}")  # fmt: skip
    for f in ("minimum_age", "maximum_age"):
        if not _within(svc.get(f), 0, 130, whole=True):
            problems.append(f"{at} id {svc.get('id')!r}: {f} {svc.get(f)!r} is not a whole "
                            "number of years from 0 to 130")  # fmt: skip
    problems += _schedule_problems(at, svc)
    for j, sal in enumerate(svc.get("service_at_locations", [])):
        loc, where = sal.get("location") or {}, f"{at}.service_at_locations[{j}].location"
        for f, most in (("latitude", 90), ("longitude", 180)):
            if not _within(loc.get(f), -most, most):
                problems.append(f"{where}: {f} {loc.get(f)!r} is not a number from {-most} "
                                f"to {most}")  # fmt: skip
        if loc.get("location_type") not in LOCATION_TYPES:
            problems.append(f"{where}: location_type {loc.get('location_type')!r} is not one "
                            f"of {', '.join(LOCATION_TYPES)}")  # fmt: skip
    return problems


#: RFC 5545's frequencies, a BYDAY list ("MO,TH"; "1MO,-1FR" monthly) and a time of day (HH:MM,
#: or HH:MM:SS as HSDS 3 writes it): what "open now" and the service pages read.
FREQS = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_BYDAY = re.compile(r"([+-]?[1-5]?(MO|TU|WE|TH|FR|SA|SU))(,[+-]?[1-5]?(MO|TU|WE|TH|FR|SA|SU))*")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


def _schedule_problems(at: str, svc: dict[str, Any]) -> list[str]:
    """Each schedule's frequency, days and times (a "25:00", "9am" or "<script>" is refused)."""
    problems = []
    for j, k in enumerate(svc.get("schedules") or []):
        where = f"{at}.schedules[{j}] id {k.get('id')!r}"
        for f, pattern, wanted in (
            ("freq", re.compile("|".join(FREQS)), f"one of {', '.join(FREQS)}"),
            ("byday", _BYDAY, "days such as MO,TH (RFC 5545 BYDAY)"),
            ("opens_at", _TIME, "a time of day such as 09:30"),
            ("closes_at", _TIME, "a time of day such as 17:00"),
        ):
            value = k.get(f)
            if value in (None, ""):
                continue
            if not isinstance(value, str) or not pattern.fullmatch(value):
                problems.append(f"{where}: {f} {str(value)[:40]!r} is not {wanted}")
    return problems


def _date(v: str | None) -> date | None:
    return date.fromisoformat(v) if v else None


def _when(v: str | None) -> datetime:
    return datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=None) if v else (
        datetime.now()
    )  # fmt: skip


def load_hsds(s: Session, path: Path | str) -> DirectoryLoad:
    """Load HSDS into the store: a JSON file (``taxonomies``, ``taxonomy_terms``,
    ``organizations``, ``services`` - each service fully nested) or a folder holding the HSDS
    tabular package (one CSV per table)."""
    path = Path(path)
    if path.is_dir():
        return load_hsds_data(s, read_csv_package(path), path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputFileError(str(path), f"is not JSON: {e}") from None
    return load_hsds_data(s, data, path)


def load_hsds_data(s: Session, data: dict[str, Any], path: Path) -> DirectoryLoad:
    """Check nested HSDS records (read from ``path``) and store them; a record the checks or
    the store refuse is an InputFileError naming the file (the caller's transaction is then
    rolled back: nothing is stored)."""
    try:
        _check(path, data)
        moved = _moved(s, data)
        if moved:
            raise InputFileError(str(path), "; ".join(moved[:10]))
        return _store(s, data)
    except InputFileError:
        raise
    except SQLAlchemyError as e:  # a rule of the store the checks did not name
        found = re.search(r"(ck|uq|fk|pk)_[a-z_]+|UNIQUE[^\n]*|FOREIGN KEY[^\n]*|identity key"
                          r"|value too long[^\n]*", str(e))  # fmt: skip
        why = found.group(0) if found else type(e).__name__
        raise InputFileError(str(path), f"the store refused it: {why}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise InputFileError(str(path), "a record is not in the shape HSDS gives it "
                             f"({type(e).__name__}: {str(e)[:80]})") from None  # fmt: skip


def _store(s: Session, data: dict[str, Any]) -> DirectoryLoad:
    put = _Upsert(s)
    for t in data.get("taxonomies", []):
        put(DirTaxonomy(id=t["id"], name=t["name"], description=t["description"],
                        uri=t.get("uri"), version=t.get("version")))  # fmt: skip
    for t in data.get("taxonomy_terms", []):
        put(DirTaxonomyTerm(id=t["id"], code=t.get("code"), name=t["name"],
                            description=t["description"], taxonomy_id=t.get("taxonomy_id"),
                            parent_id=t.get("parent_id")))  # fmt: skip
    for o in data.get("organizations", []):
        put(DirOrganization(id=o["id"], name=o["name"], description=o["description"],
                            email=o.get("email"), website=o.get("website"),
                            trusted=bool(o.get("trusted", False)),
                            last_modified=_when(o.get("last_modified"))))  # fmt: skip
    services = data.get("services", [])
    # a newer record replaces the old one's fields and parts, in place: what the store links to
    # it (providers' pending edits, referrals, incident offers, its place) stays linked
    known = _existing(s, DirService, [x["id"] for x in services])
    s.flush()
    _drop_parts(s, list(known))
    for row in known.values():  # their collections are read again: empty
        s.expire(row, ["phones", "schedules", "attributes", "at_locations"])
    locations = 0
    for svc in services:
        locations += _service(s, put, svc, known.get(svc["id"]))
    s.flush()
    bump(s)
    return DirectoryLoad(len(data.get("taxonomies", [])), len(data.get("taxonomy_terms", [])),
                         len(data.get("organizations", [])), len(services), locations)  # fmt: skip


def _existing(s: Session, model: Any, ids: list[str]) -> dict[str, Any]:
    """The rows of ``model`` among ``ids``, read in chunks (one query each, not one per id)."""
    out: dict[str, Any] = {}
    for k in range(0, len(ids), 5000):
        out |= {r.id: r for r in s.scalars(select(model).where(model.id.in_(ids[k : k + 5000])))}
    return out


class _Upsert:
    """Add a record, or merge it over the stored one with the same id; ids already seen in
    this load are merged too, so a location shared by two services is stored once."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.known: dict[type, set[str]] = {}

    def __call__(self, row: Any) -> Any:
        kind = type(row)
        if kind not in self.known:
            ids = select(kind.id)
            self.known[kind] = set(self.s.scalars(ids))
        if row.id in self.known[kind]:
            return self.s.merge(row)
        self.known[kind].add(row.id)
        self.s.add(row)
        return row


def _drop_parts(s: Session, ids: list[str]) -> None:
    """Delete the phones, schedules, categories and places of the services ``ids`` (each is
    given again by the file), before the services are updated in place."""
    parts = ((DirPhone, DirPhone.service_id), (DirSchedule, DirSchedule.service_id),
             (DirAttribute, DirAttribute.link_id),
             (DirServiceAtLocation, DirServiceAtLocation.service_id))  # fmt: skip
    for k in range(0, len(ids), 5000):
        for model, column in parts:  # the session forgets the rows it holds as well
            s.execute(delete(model).where(column.in_(ids[k : k + 5000])))


def _service(s: Session, put: _Upsert, svc: dict[str, Any], known: DirService | None) -> int:
    fields = dict(
        organization_id=svc["organization_id"], name=svc["name"],
        description=svc.get("description"), url=svc.get("url"), email=svc.get("email"),
        status=svc["status"], eligibility_description=svc.get("eligibility_description"),
        minimum_age=svc.get("minimum_age"), maximum_age=svc.get("maximum_age"),
        fees_description=svc.get("fees_description"),
        assured_date=_date(svc.get("assured_date")), assurer_email=svc.get("assurer_email"),
        last_modified=_when(svc.get("last_modified")),
        phones=[DirPhone(id=p["id"], number=p["number"]) for p in svc.get("phones", [])],
        schedules=[DirSchedule(id=k["id"], freq=k.get("freq", "WEEKLY"), byday=k.get("byday", ""),
                               opens_at=k.get("opens_at", ""), closes_at=k.get("closes_at", ""),
                               description=k.get("description"))
                   for k in svc.get("schedules", [])],
        attributes=[DirAttribute(id=a["id"], link_id=svc["id"], link_type=a.get("link_type"),
                                 link_entity=a.get("link_entity", "service"),
                                 taxonomy_term_id=a["taxonomy_term_id"])
                    for a in svc.get("attributes", [])],
    )  # fmt: skip
    row = known if known is not None else DirService(id=svc["id"])
    for name, value in fields.items():
        setattr(row, name, value)
    if known is None:
        s.add(row)
    for sal in svc.get("service_at_locations", []):
        loc = sal["location"]
        location = put(DirLocation(
            id=loc["id"], organization_id=loc.get("organization_id"), name=loc.get("name"),
            location_type=loc["location_type"], latitude=loc.get("latitude"),
            longitude=loc.get("longitude"),
            addresses=[DirAddress(id=a["id"], location_id=loc["id"], address_1=a["address_1"],
                                  city=a["city"], state_province=a.get("state_province", ""),
                                  postal_code=a["postal_code"], country=a.get("country", "GB"),
                                  address_type=a.get("address_type", "physical"))
                       for a in loc.get("addresses", [])],
        ))  # fmt: skip
        row.at_locations.append(DirServiceAtLocation(id=sal["id"], location=location))
    return len(svc.get("service_at_locations", []))


def load_postcodes(s: Session, path: Path | str) -> int:
    """Load a postcode lookup (CSV: ``postcode, latitude, longitude[, lsoa_code]``)."""
    t = pd.read_csv(path, dtype={"postcode": str, "lsoa_code": str})
    missing = {"postcode", "latitude", "longitude"} - set(t.columns)
    if missing:
        raise InputFileError(str(path), f"columns missing: {', '.join(sorted(missing))}",
                             line=1)  # fmt: skip
    known = set(s.scalars(select(DirPostcode.postcode)))
    for k, r in enumerate(t.itertuples(), start=2):
        if not (-90 <= r.latitude <= 90 and -180 <= r.longitude <= 180):
            where = f"{r.latitude},{r.longitude}"
            raise InputFileError(str(path), "latitude/longitude out of range", line=k,
                                 column="latitude", value=where)  # fmt: skip
        row = DirPostcode(
            postcode=normalise_postcode(r.postcode),
            latitude=float(r.latitude),
            longitude=float(r.longitude),
            lsoa_code=getattr(r, "lsoa_code", None),
        )
        if row.postcode in known:
            s.merge(row)
        else:
            known.add(row.postcode)
            s.add(row)
    s.flush()
    bump(s)
    return len(t)

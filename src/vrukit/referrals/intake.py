"""What a new referral must give, as it is kept: the identifying details as visible text (no
control characters, hidden marks or direction overrides: one was kept as sent and broke the
registry's export), a date of birth that is a real day agreeing with the age given, a postcode
of the UK's shape, and the referrer's role. ``clean`` tidies, ``problems`` names what is wrong;
``create_referral`` refuses a referral with any problem, naming each."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from vrukit.csvio import visible_text
from vrukit.errors import t
from vrukit.referrals.crypto import IDENTITY_FIELDS
from vrukit.referrals.models import SEXES

__all__ = ["IDENTITY_MOST", "ROLE_MOST", "clean", "problems"]

#: The longest each identifying detail may be (sealed details were once taken at any size).
IDENTITY_MOST = {"date_of_birth": 10, "postcode": 10, "phone": 30, "contact_notes": 2000}
#: The longest a referrer's role may be (as a name is).
ROLE_MOST = 100
#: A UK postcode's shape (outward code, space optional, inward code): "B1 1AA", "SW1A 2AA".
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")


def clean(identity: dict[str, Any], role: str) -> tuple[dict[str, str], str]:
    """The details and role as kept: visible text only, trimmed (contact notes keep their line
    breaks), the postcode in capitals."""
    out = {f: visible_text(str(identity.get(f) or ""), lines=f == "contact_notes")
           for f, _ in IDENTITY_FIELDS}  # fmt: skip
    out["postcode"] = out["postcode"].upper()
    return out, visible_text(str(role or ""))


def _born(text: str, age: int, at: datetime) -> str | None:
    """What is wrong with a date of birth (YYYY-MM-DD, as the form's date field sends it): not
    a real day, in the future, or more than a year from the age given."""
    try:
        born = date.fromisoformat(text) if ISO_DAY.fullmatch(text) else None
    except ValueError:  # 2022-02-30
        born = None
    if born is None:
        return t("Date of birth %(text)s is not a date (YYYY-MM-DD)", text=repr(text[:20]))
    on = at.date()
    if born > on:
        return t("Date of birth %(text)s is after the referral", text=text)
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if abs(years - age) > 1:
        return t(
            "Date of birth %(text)s makes the person %(years)s, not the age given (%(age)s)",
            text=text,
            years=years,
            age=age,
        )
    return None


def problems(
    identity: dict[str, str], role: str, age: int, sex: str, needs: list[str],
    ages: tuple[int | None, int | None], pathway: str, pathway_needs: list[str], at: datetime,
) -> list[str]:  # fmt: skip
    """Every problem with a new referral's details (cleaned by ``clean``), for ``pathway``
    taking ``ages`` (lowest, highest) and ``pathway_needs``."""
    out: list[str] = [t("%(field)s is required", field=t(dict(IDENTITY_FIELDS)[f]))
           for f in ("given_name", "family_name", "date_of_birth") if not identity[f]]  # fmt: skip
    for f, label in IDENTITY_FIELDS:
        most = IDENTITY_MOST.get(f, 100)
        if len(identity[f]) > most:
            out.append(
                t(
                    "%(label)s is longer than %(most)s characters",
                    label=t(label),
                    most=format(most, ","),
                )
            )
    if identity["date_of_birth"]:
        out += [p for p in [_born(identity["date_of_birth"], age, at)] if p]
    if identity["postcode"] and not POSTCODE.fullmatch(identity["postcode"]):
        out.append(
            t(
                "Home postcode %(identity)s is not a UK postcode",
                identity=repr(identity["postcode"][:12]),
            )
        )
    if len(role) > ROLE_MOST:
        out.append(
            t("the referrer's role is longer than %(ROLE_MOST)s characters", ROLE_MOST=ROLE_MOST)
        )
    lo, hi = ages
    if (lo is not None and age < lo) or (hi is not None and age > hi):
        out.append(
            t(
                "%(pathway)s takes ages %(lo)s to %(hi)s; this person is %(age)s",
                pathway=pathway,
                lo=lo if lo is not None else 0,
                hi=hi if hi is not None else "any",
                age=age,
            )
        )
    if sex not in SEXES:
        out.append(
            t(
                "sex must be one of %(choices)s, not %(sex)s",
                choices=", ".join(SEXES),
                sex=repr(sex),
            )
        )
    unknown = sorted(set(needs) - set(pathway_needs))
    if unknown:
        out.append(t("needs not assessed on this pathway: %(choices)s", choices=", ".join(unknown)))
    return out

"""Taking an anonymous response through the public link, honestly and without tracking anyone.

- **One form, one response.** Each form carries a one-time token: the survey, when it was
  issued and a random part, signed with a key the store keeps (``store_setting``). Sending it
  spends it (its hash is kept for ``TOKEN_HOURS``), so a double click or a resend counts once; a
  token not issued here, for another survey or too old is refused. The token says nothing about
  who sent it and is never stored with the response.
- **A throttle, not a record.** ``PER_HOUR`` responses an hour and ``PER_DAY`` a day from one
  network address (a school's or a youth club's, where a group answers together, stays well
  under it): the address is kept only as a keyed hash with a count per hour, for a day, never a
  row per response.
- **The response** keeps the day (not the time), the place and age band chosen, the language
  and the answers the routing showed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError, VrukitError
from vrukit.programme.models import Place, StoreSetting
from vrukit.voice.design import check_answers
from vrukit.voice.models import (
    AGE_BANDS,
    Survey,
    SurveyResponse,
    SurveyThrottle,
    SurveyTokenUsed,
)

__all__ = [
    "ELSEWHERE",
    "PER_DAY",
    "PER_HOUR",
    "TOKEN_HOURS",
    "AlreadySent",
    "TooMany",
    "issue_token",
    "network",
    "submit",
    "token_key",
]

TOKEN_HOURS = 6
PER_HOUR, PER_DAY = 60, 300
#: The place answer for "somewhere else, or I would rather not say".
ELSEWHERE = "elsewhere"
_KEY_NAME = "survey_token_key"


class AlreadySent(VrukitError):
    """This form was sent already (a double click, or the back button and send again)."""


class TooMany(VrukitError):
    """Too many responses from one network address within the hour."""


def token_key(s: Session) -> bytes:
    """The store's key for signing survey forms, made the first time (call it at start, in a
    write transaction: a first view made it inside a read, which SQLite refused while anything
    else was writing - the sixteenth probe)."""
    return _key(s)


def _key(s: Session) -> bytes:
    row = s.get(StoreSetting, _KEY_NAME)
    if row is None:
        try:
            with s.begin_nested():
                s.add(StoreSetting(name=_KEY_NAME, value=secrets.token_hex(32)))
        except IntegrityError:  # another worker made it first: use theirs
            pass
        row = s.get(StoreSetting, _KEY_NAME)
    assert row is not None
    return bytes.fromhex(row.value)


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def issue_token(s: Session, survey: Survey, now: datetime) -> str:
    """A new one-time token for one form of ``survey``."""
    body = f"{survey.id}.{int(now.timestamp())}.{secrets.token_urlsafe(12)}"
    return f"{body}.{_sign(_key(s), body)}"


def _spend(s: Session, survey: Survey, token: str, now: datetime) -> None:
    parts = token.split(".")
    if len(parts) != 4 or not hmac.compare_digest(_sign(_key(s), ".".join(parts[:3])), parts[3]):
        raise ConfigError("this form was not issued here: open the survey's link again")
    if parts[0] != str(survey.id) or not parts[1].isdigit():
        raise ConfigError("this form belongs to another survey: open the survey's link again")
    issued = datetime.fromtimestamp(int(parts[1]))
    if not timedelta(0) <= now - issued <= timedelta(hours=TOKEN_HOURS):
        raise ConfigError(f"this form is more than {TOKEN_HOURS} hours old: open the survey's "
                          "link again (your answers were not saved)")  # fmt: skip
    s.execute(delete(SurveyTokenUsed).where(
        SurveyTokenUsed.used_at < now - timedelta(hours=TOKEN_HOURS)))  # fmt: skip
    digest = hashlib.sha256(token.encode()).hexdigest()
    if s.get(SurveyTokenUsed, digest) is not None:
        raise AlreadySent("these answers were sent already: thank you")
    try:
        with s.begin_nested():
            s.add(SurveyTokenUsed(digest=digest, used_at=_hour(now)))
    except IntegrityError:  # the same form sent twice at the same moment
        raise AlreadySent("these answers were sent already: thank you") from None


def network(client: str) -> str:
    """The address a throttle counts: an IPv6 address's /64 (one household or device is given
    a whole /64, and could otherwise send from as many addresses as it liked), else itself."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if address.version == 6 and address.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def _throttle(s: Session, client: str, now: datetime) -> None:
    """Count a response against its network address's hour, refusing one past ``PER_HOUR`` in
    the hour or ``PER_DAY`` in the day."""
    if s.get_bind().dialect.name == "postgresql":  # counted one at a time, as SQLite's lock does
        s.execute(text("SELECT pg_advisory_xact_lock(7274614)"))
    key = _sign(_key(s), f"client:{network(client)}")
    hour, day_ago = _hour(now), _hour(now) - timedelta(hours=23)
    s.execute(delete(SurveyThrottle).where(SurveyThrottle.hour < day_ago))
    mine = (SurveyThrottle.key == key) & (SurveyThrottle.hour >= day_ago)
    rows = s.scalars(select(SurveyThrottle).where(mine)).all()
    this = next((r for r in rows if r.hour == hour), None)
    if (this.count if this else 0) >= PER_HOUR or sum(r.count for r in rows) >= PER_DAY:
        raise TooMany("many answers have come from this network lately: please try again "
                      "later")  # fmt: skip
    if this is None:
        s.add(SurveyThrottle(key=key, hour=hour, count=1))
    else:
        this.count += 1


def _place(s: Session, text: str) -> int | None:
    if text == ELSEWHERE:
        return None
    digits = text.isascii() and text.isdigit() and len(text) < 10  # "²" is a digit to Python
    place = s.get(Place, int(text)) if digits else None
    if place is None:
        raise ConfigError("where you live: choose from the list")
    return place.id


def submit(
    s: Session, survey: Survey, sent: dict[str, list[str]], *, token: str, client: str,
    now: datetime, language: str,
) -> SurveyResponse:  # fmt: skip
    """Check and keep one response to ``survey`` (``sent``: each field's values as sent); the
    token is spent only when everything else is right, so a corrected form can be sent again."""
    if survey.status != "open":
        raise ConfigError("this survey is closed: thank you for wanting to take part")
    age = (sent.get("age_band") or [""])[0]
    if age not in AGE_BANDS:
        raise ConfigError("your age: choose a band from the list")
    place = _place(s, (sent.get("place") or [""])[0])
    answers = check_answers(survey.definition, sent)
    languages = survey.definition.get("languages", ["en"])
    _throttle(s, client, now)
    _spend(s, survey, token, now)
    response = SurveyResponse(survey_id=survey.id, submitted_on=now.date(), place_id=place,
                              age_band=age, answers=answers,
                              language=language if language in languages else "en")  # fmt: skip
    s.add(response)
    s.flush()
    return response


def add_responses(s: Session, survey: Survey, rows: list[dict[str, Any]]) -> int:
    """Add responses recorded elsewhere (a paper survey typed in, or the demo's): each with
    ``submitted_on``, ``place`` (a place name, or None), ``age_band``, ``language`` and
    ``answers`` in the survey's own terms (checked as the public link checks them)."""
    places = {p.name: p.id for p in s.scalars(select(Place))}
    for n, r in enumerate(rows, start=1):
        if r["age_band"] not in AGE_BANDS or (r.get("place") and r["place"] not in places):
            raise ConfigError(f"response {n}: age band {r['age_band']!r} or place "
                              f"{r.get('place')!r} is not known")  # fmt: skip
        sent = {k: [str(x) for x in v] if isinstance(v, list) else [str(v)]
                for k, v in r["answers"].items()}  # fmt: skip
        answers = check_answers(survey.definition, sent)
        day = date.fromisoformat(r["submitted_on"])
        s.add(SurveyResponse(survey_id=survey.id, submitted_on=day, age_band=r["age_band"],
                             place_id=places.get(r.get("place") or ""), answers=answers,
                             language=r.get("language", "en")))  # fmt: skip
    s.flush()
    return len(rows)

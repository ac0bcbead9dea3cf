"""Identifying details: who may read them (each read audited), a subject's access request, and
retention, which deletes them when nothing has been recorded for the retention period while the
pseudonymised history, counts and outcomes stay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError
from vrukit.programme.audit import audit
from vrukit.programme.models import Organisation, StoreSetting, User
from vrukit.referrals.crypto import Keyring
from vrukit.referrals.models import (
    Pathway,
    RefConsent,
    Referral,
    RefEvent,
    RefOutcome,
    Subject,
)
from vrukit.referrals.workflow import NotAllowed, on_referral, scope

__all__ = [
    "KEY_SETTING",
    "RetentionReport",
    "check_key",
    "read_identity",
    "retain",
    "subject_access",
]


def read_identity(
    s: Session, keyring: Keyring, user: User, r: Referral, at: datetime, purpose: str = "work"
) -> dict[str, Any] | None:
    """The subject's identifying details, for people of an organisation on ``r`` only; every
    read is in the audit trail. ``None`` when retention has deleted them."""
    if not on_referral(user, r):
        raise NotAllowed("only the organisations on this referral may see who it is about", 403)
    subject = r.subject
    audit(
        s,
        user,
        "read_identity",
        "ref_subject",
        subject.pseudonym,
        None,
        {"referral": r.id, "purpose": purpose},
        at,
    )
    return keyring.open(subject.identity) if subject.identity is not None else None


#: The ``store_setting`` that holds the fingerprint of the store's referral key.
KEY_SETTING = "referral_key_fingerprint"


def check_key(s: Session, keyring: Keyring) -> None:
    """Refuse a referral key other than the store's. The first key used is recorded by its
    fingerprint (after checking it opens the details already sealed, if any); from then on a
    different key is refused before it can seal anything, so a store never holds details
    sealed under two keys."""
    row = s.get(StoreSetting, KEY_SETTING)
    if row is not None and row.value != keyring.fingerprint:
        raise ConfigError(
            f"this referral key (fingerprint {keyring.fingerprint}) is not the key this store's "
            f"identifying details are sealed with (fingerprint {row.value}): set "
            "VRUKIT_REFERRAL_KEY_FILE to the store's key file"
        )
    if row is None:
        sealed = s.scalars(select(Subject.identity).where(Subject.identity.is_not(None))).first()
        if sealed is not None:
            keyring.open(sealed)  # ConfigError when the details are under another key
        try:
            with s.begin_nested():  # several workers starting at once: the first one records it
                s.add(StoreSetting(name=KEY_SETTING, value=keyring.fingerprint))
        except IntegrityError:
            check_key(s, keyring)  # recorded meanwhile: the same key, or refused


def rotate_key(s: Session, old: Keyring, new: Keyring) -> int:
    """Re-seal every subject's identifying details, and recompute their match keys, under
    ``new``; the store then accepts only ``new``. All in the caller's transaction: a failure
    leaves every detail under ``old``. Returns the subjects re-sealed."""
    check_key(s, old)
    if new.fingerprint == old.fingerprint:
        raise ConfigError("the new key is the key in use: make one with `vrukit referrals keygen`")
    n = 0
    for subject in s.scalars(select(Subject).where(Subject.identity.is_not(None))):
        details = old.open(subject.identity)  # type: ignore[arg-type]
        subject.identity = new.seal(details)
        subject.match_key = new.match_key(
            details["given_name"], details["family_name"], details["date_of_birth"]
        )
        n += 1
    row = s.get(StoreSetting, KEY_SETTING)
    assert row is not None  # check_key recorded it
    row.value = new.fingerprint
    audit(s, None, "rotate_key", "store_setting", KEY_SETTING, {"fingerprint": old.fingerprint},
          {"fingerprint": new.fingerprint, "subjects": n})  # fmt: skip
    return n


def subject_access(
    s: Session, keyring: Keyring, user: User, r: Referral, at: datetime
) -> dict[str, Any]:
    """What ``user``'s organisation holds about ``r``'s subject, for a subject-access request:
    identifying details, each referral it made or received with its history, needs and
    outcomes, and the consent given on those. Referrals between other organisations are left
    out (the requester may not see them; ``scope``), and the export says so without counting
    them, since even their number would tell the requester something it may not know."""
    identity = read_identity(s, keyring, user, r, at, purpose="subject access request")
    subject = r.subject
    names = {i: n for i, n in s.execute(select(Organisation.id, Organisation.name))}
    refs = s.scalars(
        select(Referral)
        .where(Referral.subject_id == subject.id, scope(user))
        .order_by(Referral.received_at)
    ).all()
    seen = {x.id for x in refs}
    pathways = {p.id: p.name for p in s.scalars(select(Pathway))}
    return {
        "pseudonym": subject.pseudonym,
        "identifying_details": identity,
        "identifying_details_deleted_at": _iso(subject.identity_deleted_at),
        "scope": (
            "the referrals this organisation made or received; other organisations answer for "
            "their own records"
        ),
        "consent": [
            {"given": c.given, "at": _iso(c.at), "referral": c.referral_id, "note": c.note}
            for c in s.scalars(
                select(RefConsent)
                .where(RefConsent.subject_id == subject.id)
                .order_by(RefConsent.id)
            )
            if c.referral_id is None or c.referral_id in seen
        ],
        "referrals": [
            {
                "id": x.id,
                "pathway": pathways[x.pathway_id],
                "from": names[x.referring_org_id],
                "referrer_role": x.referrer_role,
                "to": names[x.receiving_org_id],
                "received_at": _iso(x.received_at),
                "status": x.status,
                "reason": x.reason,
                "needs": x.needs,
                "age": x.age,
                "sex": x.sex,
                "prior_offences": x.prior_offences,
                "home_area": x.lsoa_code,
                "history": [
                    {"at": _iso(e.at), "status": e.to_status, "note": e.note, "recorded": e.data}
                    for e in x.events
                ],
                "outcomes": [
                    {"months": o.months, "outcome": o.outcome, "reoffended": o.reoffended}
                    for o in x.outcomes
                ],
            }
            for x in refs
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


@dataclass(frozen=True)
class RetentionReport:
    """What retention deleted: the subjects (by pseudonym) whose identifying details went."""

    cutoff: datetime
    deleted: list[str]
    kept: int


def retain(s: Session, keep_for: timedelta, now: datetime) -> RetentionReport:
    """Delete the identifying details (and match key) of every subject with nothing recorded
    on any of their referrals for ``keep_for``; the pseudonymous referrals, their history and
    outcomes stay, so counts and evaluations are unchanged. Each deletion is audited."""
    cutoff = now - keep_for
    last_event = (
        select(Referral.subject_id, func.max(RefEvent.at).label("last"))
        .join(RefEvent, RefEvent.referral_id == Referral.id)
        .group_by(Referral.subject_id)
        .subquery()
    )
    last_outcome = (
        select(Referral.subject_id, func.max(RefOutcome.recorded_at).label("last"))
        .join(RefOutcome, RefOutcome.referral_id == Referral.id)
        .group_by(Referral.subject_id)
        .subquery()
    )
    q = (
        select(Subject)
        .join(last_event, last_event.c.subject_id == Subject.id)
        .outerjoin(last_outcome, last_outcome.c.subject_id == Subject.id)
        .where(
            Subject.identity.is_not(None),
            last_event.c.last < cutoff,
            or_(last_outcome.c.last.is_(None), last_outcome.c.last < cutoff),
        )
        .order_by(Subject.pseudonym)
    )
    deleted = []
    for subject in s.scalars(q):
        subject.identity, subject.match_key, subject.identity_deleted_at = None, None, now
        audit(
            s,
            None,
            "retention",
            "ref_subject",
            subject.pseudonym,
            None,
            {"identifying_details": "deleted", "no_activity_since_before": _iso(cutoff)},
            now,
        )
        deleted.append(subject.pseudonym)
    kept = (
        s.scalar(select(func.count()).select_from(Subject).where(Subject.identity.is_not(None)))
        or 0
    )
    return RetentionReport(cutoff, deleted, int(kept))

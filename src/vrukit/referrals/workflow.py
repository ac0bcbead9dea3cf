"""What happens to a referral, and who may do it. Every function here checks the rules and
keeps the record, so the portal, the CLI and the demo loader all go through one door: each
status change is a ``ref_event`` (who, when, from, to, what it recorded), consent a
``ref_consent`` history, and the audit trail (``audit_event``) holds every read of identifying
details, consent changes, duplicate decisions, changed outcomes and retention's deletions.

Who sees what:

- the **organisations on a referral** (the one that referred, the one that received it) see it,
  and only their people may read the subject's identifying details - each read is audited;
- the **receiving organisation** moves it through its statuses, records outcomes, refers on
  and decides on a possible duplicate;
- **VRU roles** (admin, commissioner, analyst) see referrals pseudonymised - never a name - for
  monitoring and evaluation, and change nothing;
- anyone on a referral may record consent withdrawn: all processing stops and the subject
  leaves every export and analysis; only those on its referral may record it given again.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session

from vrukit.directory.models import DirPostcode, DirService, normalise_postcode
from vrukit.errors import InputFileError, VrukitError, joined, t
from vrukit.programme.audit import audit
from vrukit.programme.db import lock_row
from vrukit.programme.models import Organisation, User
from vrukit.referrals import intake
from vrukit.referrals.crypto import Keyring
from vrukit.referrals.models import (
    CLOSED,
    OUTCOMES,
    SETTINGS,
    TRANSITIONS,
    AreaDeprivation,
    Pathway,
    RefConsent,
    Referral,
    RefEvent,
    RefOutcome,
    Subject,
)

__all__ = [
    "VRU_ROLES",
    "NotAllowed",
    "create_referral",
    "decide_duplicate",
    "load_pathways",
    "may_act",
    "may_lift",
    "may_see",
    "record_outcome",
    "refer_on",
    "scope",
    "set_consent",
    "transition",
]

#: Roles that see every referral, pseudonymised.
VRU_ROLES = ("admin", "commissioner", "analyst")
_PSEUDONYM = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class NotAllowed(VrukitError):
    """An action the rules refuse; ``status`` is the HTTP status the portal answers with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def scope(user: User) -> Any:
    """The referrals ``user`` may see, as a WHERE clause."""
    if user.role in VRU_ROLES:
        return Referral.id.is_not(None)
    org = user.organisation_id
    return or_(Referral.referring_org_id == org, Referral.receiving_org_id == org)


def on_referral(user: User, r: Referral) -> bool:
    return user.organisation_id is not None and user.organisation_id in (
        r.referring_org_id,
        r.receiving_org_id,
    )


def may_see(user: User, r: Referral) -> bool:
    return user.role in VRU_ROLES or on_referral(user, r)


def may_act(user: User | None, r: Referral) -> bool:
    """Whether ``user`` works for the receiving organisation (``None``: a trusted loader)."""
    return user is None or user.organisation_id == r.receiving_org_id


def _need_receiver(user: User | None, r: Referral, what: str) -> None:
    if not may_act(user, r):
        raise NotAllowed(t("only the receiving organisation may %(what)s", what=what), 403)


def _subject(s: Session, r: Referral) -> Subject:
    """``r``'s subject, locked and read again (see ``_lock_people``)."""
    _lock_people(s, r, None)
    return r.subject


def _lock_people(s: Session, r: Referral, earlier: Referral | None) -> None:
    """Lock the people of ``r`` and ``earlier`` (in id order), reading them again. A "same
    person" decision made meanwhile may have merged one into another and deleted it: its row
    is gone when locked, or already when loaded (None); then the referrals are read again and
    their people now are locked (a withdrawal was lost, and two decisions at once gave a 500:
    the twentieth to twenty-second probes)."""
    for _ in range(5):
        people = [x.subject for x in (r, earlier) if x is not None]
        try:
            if all(p is not None for p in people):
                for person in sorted(set(people), key=lambda x: x.id):
                    lock_row(s, person)
                return
        except InvalidRequestError:  # its row is gone ("could not refresh", or deleted)
            pass
        for x in (r, earlier):
            if x is not None:
                s.expire(x)
    raise NotAllowed(t("this person's records were changed meanwhile: reload and try again"))


def _need_consent(s: Session, r: Referral) -> Subject:
    """``r``'s subject, locked and read again (one order everywhere: the subject, then the
    referral), if consent stands: a step read before a withdrawal waits for it and sees it."""
    subject = _subject(s, r)
    if subject.consent != "given":
        raise NotAllowed(t("consent was withdrawn: this referral is no longer processed"))
    return subject


# -- pathways -----------------------------------------------------------------------------------


#: What every pathway in a pathways file must give.
PATHWAY_KEYS = ("key", "name", "source_setting", "provider", "steps")


def _pathway_problem(p: dict[str, Any]) -> tuple[str, str, Any] | None:
    """The first thing wrong with one pathway of a file: (what, field, value found)."""
    missing = [k for k in PATHWAY_KEYS if k not in p]
    if missing:
        return f"{', '.join(missing)} missing", missing[0], None
    if p["source_setting"] not in SETTINGS:
        return (
            f"source_setting must be one of {', '.join(SETTINGS)}",
            "source_setting",
            p["source_setting"],
        )
    for step in p["steps"]:
        if step.get("status") not in TRANSITIONS or step["status"] in CLOSED:
            return "a step's status must be one that can be reached and left", "steps", step
        hours = step.get("within_hours")
        if not isinstance(hours, int | float) or hours <= 0:
            return "a step's within_hours must be a positive number of hours", "steps", step
    return None


def load_pathways(s: Session, path: Path | str) -> list[Pathway]:
    """Add or update the pathways in a JSON file (``pathways.json`` beside this module is the
    seed report's). Each pathway's ``provider`` must be an organisation in the registry; a
    pathway that is wrong is named (its position and field) and nothing is loaded."""
    path = Path(path)
    data = json.loads(path.read_text())
    out = []
    for k, p in enumerate(data["pathways"]):
        problem = _pathway_problem(p)
        org = (
            None
            if problem
            else s.scalars(select(Organisation).where(Organisation.name == p["provider"])).first()
        )
        if problem is None and org is None:
            problem = ("no organisation of that name in the registry", "provider", p["provider"])
        if problem:
            what, field, value = problem
            raise InputFileError(
                str(path), f"pathways[{k}]: {what}", column=field, value=json.dumps(value)
            )
        assert org is not None
        row = s.scalars(select(Pathway).where(Pathway.key == p["key"])).first() or Pathway(
            key=p["key"]
        )
        row.name, row.source_setting, row.provider_id = p["name"], p["source_setting"], org.id
        row.description, row.criteria = p.get("description"), p.get("criteria")
        row.min_age, row.max_age = p.get("min_age"), p.get("max_age")
        row.steps, row.needs = p["steps"], p.get("needs", [])
        row.service_ids = p.get("service_ids", [])
        row.follows_reoffending = bool(p.get("follows_reoffending"))
        s.add(row)
        out.append(row)
    s.flush()
    return out


# -- a new referral -----------------------------------------------------------------------------


def _pseudonym() -> str:
    """A random pseudonym: 50 bits, so two alike are vanishingly unlikely (and refused by the
    store's unique constraint if they ever were)."""
    return "S-" + "".join(secrets.choice(_PSEUDONYM) for _ in range(10))


def _home_area(s: Session, postcode: str | None, lsoa: str | None) -> tuple[str | None, int | None]:
    """The LSOA (given, or from the postcode) and its deprivation decile, where known."""
    if lsoa is None and postcode:
        lsoa = s.scalar(
            select(DirPostcode.lsoa_code).where(
                DirPostcode.postcode == normalise_postcode(postcode)
            )
        )
    decile = (
        s.scalar(select(AreaDeprivation.imd_decile).where(AreaDeprivation.lsoa_code == lsoa))
        if lsoa
        else None
    )
    return lsoa, decile


def _possible_duplicate(
    s: Session, match_key: str, at: datetime, window: timedelta, receiver: int
) -> int | None:
    """The latest referral to the same organisation (``receiver``) of a subject with the same
    match key, received within ``window`` before ``at`` (else within it after: one stored first
    while this one waited for the lock). Only the same organisation's: the flag must not tell
    one provider that the person was referred to another. A referral of a subject of that key
    still waiting to be flushed (a load that defers flushes; a new subject's, or one referred
    on) is flushed first, so the query sees it."""
    if any(isinstance(o, Referral) and o.subject.match_key == match_key for o in s.new):
        s.flush()
    q = (
        select(Referral.id)
        .join(Subject, Subject.id == Referral.subject_id)
        .where(
            Subject.match_key == match_key,
            Referral.receiving_org_id == receiver,
            Referral.received_at >= at - window,  # and one stored first with a later time:
            Referral.received_at <= at + window,  # it waited for the lock (eighteenth probe)
        )
        .order_by(Referral.received_at > at, Referral.received_at.desc())
    )
    return s.scalars(q).first()


def create_referral(
    s: Session,
    keyring: Keyring,
    *,
    pathway: Pathway,
    identity: dict[str, Any],
    referring_org_id: int,
    referrer_role: str,
    age: int,
    sex: str,
    consent_given: bool,
    at: datetime,
    by: User | None = None,
    prior_offences: int | None = None,
    lsoa_code: str | None = None,
    needs: list[str] | None = None,
    service_id: str | None = None,
    duplicate_window: timedelta = timedelta(days=90),
    flush: bool = True,
) -> Referral:
    """A new referral of a new subject on ``pathway`` (to its provider), received at ``at``.
    Refused without consent. A subject with the same name and date of birth referred to the
    same organisation within ``duplicate_window`` is flagged as a possible duplicate for a person
    there to decide - never merged here. ``flush=False`` leaves the new rows to the session's
    next flush (a bulk load flushes in batches; a step that needs a referral's id flushes)."""
    if not consent_given:
        raise NotAllowed(
            t("a referral needs the person's consent (or their parent's or carer's)"), 422
        )
    needs = list(needs or [])
    details, referrer_role = intake.clean(identity, referrer_role)
    wrong = intake.problems(details, referrer_role, age, sex, needs, (pathway.min_age,
                            pathway.max_age), pathway.name, pathway.needs, at)  # fmt: skip
    if wrong:
        raise NotAllowed(joined(wrong), 422)
    if service_id is not None and s.get(DirService, service_id) is None:
        raise NotAllowed(t("no Youth Map service %(service_id)s", service_id=repr(service_id)), 422)
    key = keyring.match_key(details["given_name"], details["family_name"], details["date_of_birth"])
    if s.get_bind().dialect.name == "postgresql":
        # referrals made at once are checked for duplicates one after another (SQLite's write
        # lock does this there): two of the same person at once each found no earlier one
        s.execute(text("SELECT pg_advisory_xact_lock(7274612)"))
    duplicate_of = _possible_duplicate(s, key, at, duplicate_window, pathway.provider_id)
    subject = Subject(
        pseudonym=_pseudonym(),
        identity=keyring.seal(details),
        match_key=key,
        consent="given",
        created_at=at,
    )
    lsoa, decile = _home_area(s, details["postcode"], lsoa_code)
    r = Referral(
        pathway_id=pathway.id,
        subject=subject,
        referring_org_id=referring_org_id,
        referrer_role=referrer_role or "not given",
        referred_by=by.id if by else None,
        receiving_org_id=pathway.provider_id,
        service_id=service_id,
        received_at=at,
        status="received",
        status_at=at,
        needs=needs,
        age=age,
        sex=sex,
        prior_offences=prior_offences,
        lsoa_code=lsoa,
        imd_decile=decile,
        duplicate_of_id=duplicate_of,
        duplicate_status="pending" if duplicate_of else None,
    )
    return _open(s, r, by, at, "given at referral", flush=flush)


def _open(
    s: Session,
    r: Referral,
    by: User | None,
    at: datetime,
    consent: str,
    note: str | None = None,
    *,
    flush: bool = True,
) -> Referral:
    """Every new referral starts the same way: received, with the consent it was made on."""
    who = by.id if by else None
    r.events.append(RefEvent(at=at, from_status=None, to_status="received", by=who, note=note))
    s.add_all(
        [
            r,
            RefConsent(
                subject=r.subject, referral=r, given=True, at=at, recorded_by=who, note=consent
            ),
        ]
    )
    if flush:
        s.flush()
    return r


def _id(s: Session, r: Referral) -> int:
    """``r``'s id, flushing first when ``r`` is still pending (see ``create_referral``)."""
    if r.id is None:
        s.flush()
    return r.id


# -- the workflow -------------------------------------------------------------------------------


STEP_VALUE_MOST, NOTE_MOST = 500, 4000  # a step's recorded value, a change's note: longest


def transition(
    s: Session,
    user: User | None,
    r: Referral,
    to: str,
    at: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move ``r`` to status ``to``. Only the receiving organisation may; consent must stand;
    ``not_accepted`` and ``declined`` need a reason (``note``); a pathway step records what the
    pathway says it must (``data``). Two changes at once (a double click) wait in turn, and
    the second sees the first's status."""
    _need_receiver(user, r, t("change a referral's status"))
    _need_consent(s, r)
    lock_row(s, r)
    if to not in TRANSITIONS.get(r.status, ()):
        allowed = ", ".join(TRANSITIONS.get(r.status, ())) or "nothing (it is finished)"
        raise NotAllowed(t("a referral that is %(status)s may become %(allowed)s; not %(to)s",
                           status=t(r.status), allowed=allowed, to=t(to)))  # fmt: skip
    if to in ("not_accepted", "declined") and not (note or "").strip():
        raise NotAllowed(t("say why the referral was %(status)s", status=t(to)), 422)
    pathway = s.get(Pathway, r.pathway_id)
    data = {k: v for k, v in (data or {}).items() if str(v).strip()}
    steps = pathway.steps if pathway else []
    known = {f for step in steps for f in step.get("records", [])}
    extra = sorted(set(data) - known)
    if extra:  # a step keeps what its pathway asks it to record, and nothing else
        raise NotAllowed(t("this pathway records no %(extra)s", extra=repr(extra[0][:40])), 422)
    # the form offers every next step's fields: keep the ones of the step taken
    data = {k: v for k, v in data.items()
            if any(k in st.get("records", []) for st in steps if st["status"] == to)}  # fmt: skip
    long = [k for k, v in data.items() if len(str(v)) > STEP_VALUE_MOST]
    if long or len(str(note or "")) > NOTE_MOST:
        what = f"{long[0]!r}" if long else "the note"
        raise NotAllowed(t("%(what)s is too long: at most %(most)s characters for a recorded "
                           "value, %(note)s for a note", what=what, most=f"{STEP_VALUE_MOST:,}",
                           note=f"{NOTE_MOST:,}"), 422)  # fmt: skip
    for step in pathway.steps if pathway else []:
        missing = [f for f in step.get("records", []) if step["status"] == to and f not in data]
        if missing:
            raise NotAllowed(t("this pathway's %(to)s step must record %(choices)s", to=t(to),
                               choices=", ".join(missing)), 422)  # fmt: skip
    if at < r.status_at:
        raise NotAllowed(t("%(at)s is before the last change (%(last)s)", at=f"{at:%Y-%m-%d %H:%M}",
                           last=f"{r.status_at:%Y-%m-%d %H:%M}"), 422)  # fmt: skip
    before = r.status
    r.status, r.status_at = to, at
    if to in ("not_accepted", "declined"):
        r.reason = (note or "").strip()
    r.events.append(
        RefEvent(
            at=at,
            from_status=before,
            to_status=to,
            by=user.id if user else None,
            note=(note or "").strip() or None,
            data=data or None,
        )
    )


def refer_on(
    s: Session,
    user: User | None,
    r: Referral,
    pathway: Pathway,
    at: datetime,
    note: str | None = None,
    consent_given: bool = False,
    flush: bool = True,
) -> Referral:
    """Refer ``r``'s subject on to ``pathway`` (with their consent): a new referral from the
    receiving organisation to the pathway's provider; ``r`` becomes ``referred_on``.
    ``flush`` as for ``create_referral``."""
    _need_receiver(user, r, t("refer on"))
    subject = _need_consent(s, r)
    if not consent_given:
        raise NotAllowed(t("referring on needs the person's consent"), 422)
    if pathway.id == r.pathway_id:
        raise NotAllowed(t("refer on to another pathway"), 422)
    transition(s, user, r, "referred_on", at, note)
    new = Referral(
        pathway_id=pathway.id,
        subject=subject,
        referring_org_id=r.receiving_org_id,
        referrer_role="referred on",
        referred_by=user.id if user else None,
        receiving_org_id=pathway.provider_id,
        received_at=at,
        status="received",
        status_at=at,
        needs=[],
        age=r.age,
        sex=r.sex,
        prior_offences=r.prior_offences,
        lsoa_code=r.lsoa_code,
        imd_decile=r.imd_decile,
        referred_on_from_id=_id(s, r),
    )
    opened = f"referred on from referral {r.id}"
    return _open(s, new, user, at, "given to refer on", opened, flush=flush)


def set_consent(
    s: Session, user: User | None, r: Referral, given: bool, at: datetime, note: str | None = None
) -> None:
    """Record consent withdrawn for ``r``'s subject, by anyone on it, or given again, by those
    on every withdrawal's referral (``may_lift``: the fifteenth and sixteenth probes)."""
    if user is not None and not on_referral(user, r):
        raise NotAllowed(t("only the organisations on a referral record consent"), 403)
    subject = _subject(s, r)  # one answer at a time, read as the last one left it (PostgreSQL)
    before = subject.consent
    if (before == "given") == given and user is not None:  # a stale page: nothing to change
        raise NotAllowed(t("consent is already %(before)s: nothing was recorded", before=t(before)))
    if given and before == "withdrawn" and user is not None and not may_lift(s, user, subject):
        raise NotAllowed(t("consent was withdrawn on a referral your organisation is not on: "
                           "only its organisations can record it given again"), 403)  # fmt: skip
    subject.consent = "given" if given else "withdrawn"
    s.add(RefConsent(subject=subject, referral=r, given=given, at=at, note=(note or "").strip()
                     or None, recorded_by=user.id if user else None))  # fmt: skip
    audit(s, user, "consent", "ref_subject", subject.pseudonym, {"consent": before},
          {"consent": subject.consent, "referral": _id(s, r)}, at)  # fmt: skip


def may_lift(s: Session, user: User, subject: Subject) -> bool:
    """Whether ``user`` is on the referral of every withdrawal since consent was last given."""
    for c in s.scalars(
        select(RefConsent).where(RefConsent.subject_id == subject.id).order_by(RefConsent.id.desc())
    ):  # in the order written (under the lock)
        if c.given:
            return True
        if c.referral is not None and not on_referral(user, c.referral):
            return False
    return True


def record_outcome(
    s: Session,
    user: User | None,
    r: Referral,
    months: int,
    outcome: str,
    reoffended: bool | None,
    at: datetime,
) -> None:
    """How the young person was doing ``months`` after referral (recorded again: replaced)."""
    _need_receiver(user, r, t("record outcomes"))
    _need_consent(s, r)
    if months not in (3, 6, 12) or outcome not in OUTCOMES:
        raise NotAllowed(t("outcomes are recorded at 3, 6 or 12 months as one of %(choices)s",
                           choices=", ".join(OUTCOMES)), 422)  # fmt: skip
    if at < r.received_at + timedelta(days=30 * months - 14):
        first = r.received_at + timedelta(days=30 * months - 14)
        raise NotAllowed(t("the %(months)s-month outcome can be recorded from %(day)s",
                           months=months, day=f"{first:%Y-%m-%d}"), 422)  # fmt: skip
    row = next((o for o in r.outcomes if o.months == months), None)
    before = {"outcome": row.outcome, "reoffended": row.reoffended} if row else None
    if row is None:
        row = RefOutcome(months=months)
        r.outcomes.append(row)
    row.outcome, row.reoffended, row.recorded_at = outcome, reoffended, at
    row.recorded_by = user.id if user else None
    if before is not None:  # the first recording is its own record; a change keeps the old one
        audit(s, user, "outcome", "referral", str(_id(s, r)), before,
              {"months": months, "outcome": outcome, "reoffended": reoffended}, at)  # fmt: skip


def _parties(s: Session, subject_id: int) -> set[int]:
    """The organisations party to any referral of a subject (they may read its details)."""
    refs = s.execute(select(Referral.referring_org_id, Referral.receiving_org_id)
                     .where(Referral.subject_id == subject_id)).all()  # fmt: skip
    return {o for pair in refs for o in pair}


def decide_duplicate(s: Session, user: User | None, r: Referral, same: bool, at: datetime) -> None:
    """A person's decision on a possible duplicate: the same person or a different one.

    The same person, known to the same organisations on both sides, is merged: the referral
    joins the earlier subject, whose details become the newer ones. When other organisations
    are party to the two (custody referred one, A&E the other), the decision is recorded but
    the records stay apart: merging would let each referrer read, and the later one replace,
    the details the other gave, which neither may see."""
    _need_receiver(user, r, t("decide on a possible duplicate"))
    earlier = s.get(Referral, r.duplicate_of_id) if r.duplicate_of_id else None
    _lock_people(s, r, earlier)  # subjects first, in one order, as consent's answers take them
    lock_row(s, r)  # "same" and "different" decided at once: the second sees the first
    if r.duplicate_status != "pending" or earlier is None:
        raise NotAllowed(t("there is no possible duplicate to decide on"))
    r.duplicate_status = "same" if same else "different"
    apart = _parties(s, earlier.subject_id) != _parties(s, r.subject_id)
    if same and earlier.subject_id != r.subject_id and not apart:
        old, new = earlier.subject, r.subject
        old.identity, old.match_key = new.identity, new.match_key
        for c in s.scalars(select(RefConsent).where(RefConsent.subject_id == new.id)):
            c.subject_id = old.id
        for other in s.scalars(select(Referral).where(Referral.subject_id == new.id)):
            other.subject = old
        s.flush()
        s.delete(new)
        s.flush()
        last = s.scalars(
            select(RefConsent)
            .where(RefConsent.subject_id == old.id)
            .order_by(RefConsent.id.desc())  # the last written (under the lock), as may_lift
        ).first()
        old.consent = "given" if last is None or last.given else "withdrawn"
    audit(
        s,
        user,
        "duplicate",
        "referral",
        str(r.id),
        {"duplicate_status": "pending"},
        {
            "duplicate_status": r.duplicate_status,
            "earlier": earlier.id,
            "merged": same and not apart,
        },
        at,
    )

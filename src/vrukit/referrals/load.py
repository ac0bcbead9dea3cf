"""Bringing referrals into the store from a file - the demo's two years, or a provider's
history moved off a spreadsheet - through the same workflow functions the portal uses, so every
rule (eligibility, consent, transitions, what a step must record) is checked on the way in.

``referrals.json`` holds ``{"referrals": [...]}``; each referral has ``pathway`` (key),
``referrer`` (organisation name), ``referrer_role``, ``received_at``, ``identity``, ``age``,
``sex``, ``prior_offences``, ``needs``, ``events`` (``{at, status, note, data}`` in order),
``outcomes`` (``{months, outcome, reoffended, at}``), and optionally ``consent_withdrawn_at`` and
``referred_on_from`` (the ``received_at`` of the referral it was referred on from).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import InputFileError
from vrukit.programme.models import Organisation
from vrukit.referrals.crypto import Keyring
from vrukit.referrals.models import AreaDeprivation, Pathway, Referral
from vrukit.referrals.workflow import (
    NotAllowed,
    create_referral,
    record_outcome,
    refer_on,
    set_consent,
    transition,
)

__all__ = ["load_deprivation", "load_referrals"]

#: Referrals whose rows are flushed together. The demo's 2,424 load in about 11 s in batches of
#: 100 and in about 21 s flushed one at a time (benchmarks/demo.py); the batch also bounds the
#: unflushed rows the duplicate check looks through.
FLUSH_EVERY = 100


def load_deprivation(s: Session, frame: pd.DataFrame) -> int:
    """Add or replace LSOA deprivation deciles (columns ``lsoa_code``, ``imd_decile``), which
    new referrals take from their home area."""
    known = set(s.scalars(select(AreaDeprivation.lsoa_code)))
    for code, decile in frame[["lsoa_code", "imd_decile"]].dropna().itertuples(index=False):
        row = AreaDeprivation(lsoa_code=str(code), imd_decile=int(decile))
        s.merge(row) if code in known else s.add(row)
    s.flush()
    return len(frame)


def load_referrals(
    s: Session,
    keyring: Keyring,
    path: Path | str,
    progress: Callable[[str], None] | None = None,
    *,
    flush_every: int = FLUSH_EVERY,
) -> int:
    """Load every referral in ``path`` (in order of receipt); the number loaded. A referral the
    rules refuse raises ``InputFileError`` naming it (and the session's transaction, rolled
    back, keeps none of the file). Rows are flushed every ``flush_every`` referrals."""
    path = Path(path)
    records = json.loads(path.read_text())["referrals"]
    pathways = {p.key: p for p in s.scalars(select(Pathway))}
    orgs = {n: i for n, i in s.execute(select(Organisation.name, Organisation.id))}
    by_received: dict[str, Referral] = {}
    for k, rec in enumerate(sorted(records, key=lambda r: r["received_at"])):
        try:
            with s.no_autoflush:
                by_received[rec["received_at"]] = _one(s, keyring, rec, pathways, orgs, by_received)
        except (NotAllowed, KeyError) as e:
            raise InputFileError(
                str(path),
                f"referral received {rec.get('received_at')}: {e}",
                column="referrals",
                value=str(k),
            ) from e
        if k % flush_every == flush_every - 1:
            s.flush()
        if progress and k % 500 == 0:
            progress(f"referrals: {k:,} of {len(records):,}")
    s.flush()
    return len(records)


def _one(
    s: Session,
    keyring: Keyring,
    rec: dict[str, Any],
    pathways: dict[str, Pathway],
    orgs: dict[str, int],
    earlier: dict[str, Referral],
) -> Referral:
    # flush=False: rows are flushed a batch at a time (load_referrals), or when a step needs an
    # id or a possible duplicate's subject waits unflushed; the workflow sees the same rows.
    at = datetime.fromisoformat(rec["received_at"])
    pathway = pathways[rec["pathway"]]
    if rec.get("referred_on_from"):
        parent = earlier[rec["referred_on_from"]]
        r = refer_on(s, None, parent, pathway, at, "referred on", consent_given=True, flush=False)
    else:
        r = create_referral(
            s,
            keyring,
            pathway=pathway,
            identity=rec["identity"],
            referring_org_id=orgs[rec["referrer"]],
            referrer_role=rec["referrer_role"],
            age=rec["age"],
            sex=rec["sex"],
            prior_offences=rec.get("prior_offences"),
            needs=rec.get("needs", []),
            consent_given=True,
            at=at,
            flush=False,
        )
    for e in rec["events"]:
        if e["status"] == "referred_on":
            continue  # done by the referral it led to, which refers on
        transition(
            s, None, r, e["status"], datetime.fromisoformat(e["at"]), e.get("note"), e.get("data")
        )
    for o in rec.get("outcomes", []):
        record_outcome(
            s,
            None,
            r,
            o["months"],
            o["outcome"],
            o.get("reoffended"),
            datetime.fromisoformat(o["at"]),
        )
    if rec.get("consent_withdrawn_at"):
        set_consent(
            s,
            None,
            r,
            False,
            datetime.fromisoformat(rec["consent_withdrawn_at"]),
            "withdrawn by the young person",
        )
    return r

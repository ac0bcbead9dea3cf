"""A survey's results, only ever through the disclosure layer, and only for quarters that have
ended.

**One release per survey.** Every question with a fixed set of answers (single, multi, scale)
is a table of the same release, beside a table of the survey's respondents, and every table
holds every breakdown anyone is shown, each by quarter: a quarter's respondents, by place and by
age band. No total runs across quarters, so a quarter's cells are tied only to that quarter's
and comparing pages from two quarter ends gives nothing away (on the demo every cell is the same
in each later release; on crafted data a withheld cell may switch with a neighbour, and the
thirteenth probe's audit of every release together worked out no count under 10). The sums
that tie the cells are all declared, so ``protect`` sees every way a count could be worked out:

- the breakdowns add up (a quarter's places, and its age bands, to the quarter);
- every question's respondents are the survey's respondents (a question not answered, or not
  shown by the routing, counts as ``no_answer``), so one question's published total cannot
  reveal another's withheld one;
- for single and scale questions the answers and ``no_answer`` add up to the respondents (for
  multi, those who answered and ``no_answer`` do);
- a required question that routing shows after an answer was given is answered by exactly those
  who gave it, and the release says so;
- the ``feel_safe`` measure's two counts are its answers 4 and 5, and 1 to 3.

Every count below ``MIN_GROUP`` is suppressed and whatever would let one be worked out is
withheld; a group whose number of respondents is not published shows none of its answers, not
even zeros. Free text and number questions are never in a result.

**Noise on every published count** (the cell-key method, with a two-sided geometric noise):
each response has a record key (32 bits) from the store's secret and its id; a cell's key is its
records' keys summed, modulo 2**32, and places the cell in the noise's distribution: a change of
0 with probability 1/3 and of +t or -t with probability 2**-t / 3 each (t = 1, 2, ...; never
below ``MIN_GROUP``; a zero stays zero). The same records give the same key, so a cell is the
same in every release and on every page; but answers someone adds to a group of their own
change its key, so subtracting them no longer gives a count under 10 back (the sixteenth probe's
padding). The noise has no edge: a noise bounded at +-2 let a padded cell, read with the rest of
its row, leave one possible count (7 of 1,000 tries, the seventeenth probe); here every count
stays possible, and each published cell makes a count at most twice as likely as its neighbour
(epsilon = ln 2 per cell, the geometric mechanism of differential privacy). Shares are of those
who answered, as published (``_shares``).

**Ended quarters only.** A result counts the responses sent before the current quarter began,
so watching the page while someone sends a response shows nothing of it.

``safety_by_place`` gives the ``feel_safe`` share by place and quarter, which place evaluation
reads beside crime.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.disclosure import Derived, Policy, Release, Table, protect
from vrukit.errors import ConfigError
from vrukit.voice.design import MEASURES
from vrukit.voice.models import Survey, SurveyResponse

__all__ = [
    "BREAKDOWNS",
    "CELL_KEY",
    "KEY_BITS",
    "MIN_GROUP",
    "answer_columns",
    "noise",
    "noisy",
    "published_respondents",
    "record_key",
    "responses",
    "safety_before_after",
    "safety_by_place",
    "survey_results",
]

#: The fewest respondents a published group may have (and the smallest count shown).
MIN_GROUP = 10
#: The store setting holding the secret that record keys come from (migration 0014).
CELL_KEY = "survey_cell_key"
#: A record key's bits (cells' keys are their records' keys summed modulo 2**KEY_BITS).
KEY_BITS = 32
#: The breakdowns a result is published in (every one in the same release), each by quarter:
#: no total runs across quarters, so comparing two quarters' pages gives nothing away (running
#: totals did: the twelfth probe).
BREAKDOWNS: tuple[tuple[str, ...], ...] = (("period",), ("place", "period"),
                                           ("age_band", "period"))  # fmt: skip
DIMENSIONS = ("place", "age_band", "period")
ALL = "all"
ELSEWHERE_NAME = "Somewhere else, or not said"
RESULT_TYPES = ("single", "multi", "scale")


def _quarter(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def responses(s: Session, survey: Survey, today: date | None = None) -> pd.DataFrame:
    """One row per response sent before ``today``'s quarter began (every one, without
    ``today``): place (name), age band, quarter and the answers."""
    from vrukit.programme.models import Place, StoreSetting

    names = dict(s.execute(select(Place.id, Place.name)).all())
    secret = s.get(StoreSetting, CELL_KEY)
    if secret is None:
        raise ConfigError(
            "the store has no key for survey results' noise: upgrade it "
            "(vrukit serve --store URL does, as does programme.db.upgrade)"
        )
    key = bytes.fromhex(secret.value)
    q = select(SurveyResponse.id, SurveyResponse.place_id, SurveyResponse.age_band,
               SurveyResponse.submitted_on, SurveyResponse.answers
               ).where(SurveyResponse.survey_id == survey.id)  # fmt: skip
    if today is not None:
        q = q.where(SurveyResponse.submitted_on < _quarter_start(today))
    rows = s.execute(q.order_by(SurveyResponse.id)).all()
    return pd.DataFrame(
        [{"place": names.get(p, ELSEWHERE_NAME) if p else ELSEWHERE_NAME, "age_band": a,
          "period": _quarter(d), "answers": ans, "rkey": record_key(key, i)}
         for i, p, a, d, ans in rows],
        columns=["place", "age_band", "period", "answers", "rkey"],
    )  # fmt: skip


def record_key(secret: bytes, response_id: int) -> int:
    """A response's record key, 0 to 2**KEY_BITS - 1: unknown without the store's secret."""
    digest = hmac.new(secret, str(response_id).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[: KEY_BITS // 8], "big")


def noise(cell_key: int) -> int:
    """The change a cell's key makes to its count: the two-sided geometric distribution with
    ratio 1/2 (0 with probability 1/3, +t and -t with 2**-t / 3 each), at the key's place in it.

    The key's place is u = (2 * key + 1) / 2**(KEY_BITS + 1), strictly inside (0, 1), and the
    change is at most -t when u < P(change <= -t) = 2**(1 - t) / 3, at least t when
    1 - u < 2**(1 - t) / 3. Integers only (3 * u is never a power of two), so every machine
    gives the same change."""
    u = 2 * (cell_key % (1 << KEY_BITS)) + 1
    whole = 1 << (KEY_BITS + 1)
    for side, place in ((-1, u), (1, whole - u)):
        t = 0
        while 3 * place << (t + 1) < 2 * whole:  # P(beyond t + 1 on this side) > its place
            t += 1
        if t:
            return side * t
    return 0


def noisy(count: int, cell_key: int, least: int = MIN_GROUP) -> int:
    """A published count with its cell's noise: zero stays zero, and no count goes below
    ``least`` (a published group is never shown as a small one)."""
    if count == 0:
        return 0
    return max(least, count + noise(cell_key))


def answer_columns(q: dict[str, Any]) -> list[str]:
    """The answer counts a question's results publish: its options, its scale's points, or for
    a measure its two groups (feeling safe, 4 or 5; not, 1 to 3): a 5-point scale by place and
    quarter has too many small cells to publish point by point without withholding it all."""
    if q.get("measure") in MEASURES:
        return ["feel_safe", "not_safe"]
    if q["type"] == "scale":
        return [str(v) for v in range(q["min"], q["max"] + 1)]
    return [o["value"] for o in q["options"]]


def _indicators(frame: pd.DataFrame, q: dict[str, Any]) -> pd.DataFrame:
    """One row per response: the dimensions, and 0/1 for each answer, ``no_answer`` (and, for
    multi, ``answered``; for the measure, ``feel_safe`` and ``not_safe``)."""
    given = frame["answers"].map(lambda a: a.get(q["id"]))
    out = frame[list(DIMENSIONS)].copy()
    out["no_answer"] = given.isna().astype(np.int64)
    if q.get("measure") in MEASURES:
        safe = set(MEASURES[q["measure"]])
        out["feel_safe"] = given.map(lambda v: int(v in safe)).astype(np.int64)
        out["not_safe"] = 1 - out["feel_safe"] - out["no_answer"]
    else:
        for c in answer_columns(q):
            hit = (lambda v, c=c: int(v is not None and c in v)) if q["type"] == "multi" else \
                (lambda v, c=c: int(v is not None and str(v) == c))  # fmt: skip
            out[c] = given.map(hit).astype(np.int64)
    if q["type"] == "multi":
        out["answered"] = 1 - out["no_answer"]
    out["n"] = 1
    return out


def _table(rows: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """Every breakdown's groups, one row each (unused dimensions say ``all``)."""
    parts = []
    for by in BREAKDOWNS:
        g = rows.groupby(list(by), sort=True)[counts].sum().reset_index() if by else \
            rows[counts].sum().to_frame().T  # fmt: skip
        for d in DIMENSIONS:
            if d not in by:
                g[d] = ALL
        g["breakdown"] = "+".join(by) or ALL
        parts.append(g)
    out = pd.concat(parts, ignore_index=True)
    out[counts] = out[counts].astype(np.int64)
    return out[["breakdown", *DIMENSIONS, *counts]]


def _ids(frame: pd.DataFrame) -> pd.Series:
    return (frame["breakdown"] + "|" + frame["place"] + "|" + frame["age_band"] + "|"
            + frame["period"]).reset_index(drop=True)  # fmt: skip


def _parent(frame: pd.DataFrame, keep: Sequence[str]) -> pd.Series:
    """For each row, the id of the row it adds into when only ``keep`` dimensions stay."""
    parent = frame.copy()
    for d in DIMENSIONS:
        if d not in keep:
            parent[d] = ALL
    parent["breakdown"] = "+".join(keep) or ALL
    return _ids(parent)


def _share(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    def share(t: pd.DataFrame) -> pd.Series:
        return t[column] / t["n"]

    return share


def _breakdown_sums(release: Release, name: str, table: pd.DataFrame, counts: list[str]) -> None:
    """Places, and age bands, add up to their quarter."""
    b = table["breakdown"]
    for part in ("place+period", "age_band+period"):
        into = _parent(table, ("period",)).where((b == part).to_numpy())
        release.sum_rows(name, name, counts, into)


def _question(
    release: Release, frame: pd.DataFrame, q: dict[str, Any]
) -> tuple[list[str], pd.DataFrame | None]:
    """Add question ``q``'s table and its own sums; its count columns, and its cells' keys
    (None when ``frame`` has no record keys)."""
    rows = _indicators(frame, q)
    answers = answer_columns(q)
    counts = ["n", *answers, "no_answer"] + (["answered"] if q["type"] == "multi" else [])
    table = _table(rows, counts)
    release.add(Table(q["id"], table, ("breakdown", *DIMENSIONS), tuple(counts),
                      {f"share_{c}": Derived(("n", c), _share(c)) for c in answers}))  # fmt: skip
    whole = ["answered"] if q["type"] == "multi" else answers
    release.sum_within_rows(q["id"], "n", [*whole, "no_answer"])
    _breakdown_sums(release, q["id"], table, counts)
    keys = _cell_keys(rows, frame["rkey"], counts) if "rkey" in frame.columns else None
    return counts, keys


def _routed(release: Release, q: dict[str, Any], ids: pd.Series) -> None:
    """A required question routing shows after an answer: answered by exactly those who gave
    that answer."""
    rule = q.get("show_if")
    if not rule or not q.get("required"):
        return
    parts = ["answered"] if q["type"] == "multi" else answer_columns(q)
    for rid in ids:
        release.sums.append(((rule["question"], rid, str(rule["equals"])),
                             [(q["id"], rid, c) for c in parts]))  # fmt: skip


def survey_results(
    frame: pd.DataFrame, definition: dict[str, Any], least: int = MIN_GROUP
) -> dict[str, pd.DataFrame]:
    """The published results of every single, multi and scale question of a survey over the
    ``responses`` frame, from one release: for each question id, every breakdown, counts as
    numbers or markers and the share of each answer (NaN where not published)."""
    questions = [q for q in definition["questions"] if q["type"] in RESULT_TYPES]
    if frame.empty or not questions:
        return {q["id"]: pd.DataFrame(columns=["breakdown", *DIMENSIONS, "n"]) for q in questions}
    release = Release()
    base = _table(frame[list(DIMENSIONS)].assign(n=1), ["n"])
    release.add(Table("respondents", base, ("breakdown", *DIMENSIONS), ("n",)))
    _breakdown_sums(release, "respondents", base, ["n"])
    ids = _ids(base)
    columns: dict[str, list[str]] = {}
    keys: dict[str, pd.DataFrame | None] = {}
    for q in questions:
        columns[q["id"]], keys[q["id"]] = _question(release, frame, q)
        release.sum_rows("respondents", q["id"], ["n"], ids)  # the same respondents
    for q in questions:
        _routed(release, q, ids)
    published = protect(release, Policy(suppress_max=least - 1))
    out = {}
    for q in questions:
        t = published.tables[q["id"]]
        if keys[q["id"]] is not None:  # responses() gives every response its record key
            _add_noise(t, keys[q["id"]], columns[q["id"]], least)
        hidden = ~t["n"].astype(str).str.fullmatch(r"\d+")
        for c in columns[q["id"]][1:]:  # a group not shown shows none of its answers
            t.loc[hidden, c] = Policy.blank
        for c, share in _shares(t, q).items():
            t[f"share_{c}"] = share
        out[q["id"]] = t
    return out


def published_respondents(results: dict[str, pd.DataFrame]) -> tuple[int, int]:
    """A survey's respondents over its ended quarters as published - each quarter's count with
    its noise, summed - and how many quarters' counts are not shown (under ``MIN_GROUP``): an
    exact total beside the noisy cells would take their noise away (the eighteenth probe)."""
    for table in results.values():
        if len(table):
            n = table.loc[table["breakdown"] == "period", "n"].astype(str)
            shown = n.str.fullmatch(r"\d+")
            return int(n[shown].astype(int).sum()), int((~shown).sum())
    return 0, 0


def _shares(t: pd.DataFrame, q: dict[str, Any]) -> dict[str, pd.Series]:
    """Each answer's share of those who answered, from the counts as published: of the answers'
    sum where every answer is shown (so a single or scale question's shares, and a measure's
    two, add up to 100%), else of the respondents less "no answer" (a multi question's: of
    "answered"); none where that is not shown or not above zero, and never above 100%."""
    answers = answer_columns(q)
    shown = {c: pd.to_numeric(t[c], errors="coerce") for c in answers}
    if q["type"] == "multi":
        whole = pd.to_numeric(t["answered"], errors="coerce")
    else:
        rest = pd.to_numeric(t["n"], errors="coerce") - pd.to_numeric(
            t["no_answer"], errors="coerce"
        )
        whole = sum(shown.values(), pd.Series(0.0, index=t.index)).fillna(rest)
    whole = whole.where(whole > 0)
    return {c: (shown[c] / whole).clip(upper=1.0) for c in answers}


def _cell_keys(rows: pd.DataFrame, rkey: pd.Series, counts: list[str]) -> pd.DataFrame:
    """Each cell's key: the record keys of the responses it counts, summed, modulo 2**KEY_BITS
    (exact in 64 bits for up to 2**31 responses)."""
    rows = rows.copy()
    rows[counts] = rows[counts].mul(rkey.to_numpy(dtype=np.int64), axis=0)
    keys = _table(rows, counts)
    keys[counts] = keys[counts] % (1 << KEY_BITS)
    return keys


def _add_noise(t: pd.DataFrame, keys: pd.DataFrame, counts: list[str], least: int) -> None:
    """Every published count of ``t`` with its cell's noise (markers stay as they are)."""
    at = ["breakdown", *DIMENSIONS]
    cell = keys.set_index(at).reindex(pd.MultiIndex.from_frame(t[at]))
    for c in counts:
        shown = t[c].astype(str)
        digits = shown.str.fullmatch(r"\d+").to_numpy()
        t[c] = t[c].astype(object)
        pairs = zip(shown[digits], cell[c].to_numpy()[digits], strict=True)
        t.loc[digits, c] = [str(noisy(int(v), int(k), least)) for v, k in pairs]


def safety_by_place(s: Session, least: int = MIN_GROUP, today: date | None = None) -> pd.DataFrame:
    """For every survey's ``feel_safe`` question: by place and quarter (ended quarters only,
    when ``today`` is given), the respondents and those feeling safe as published (None where
    suppressed), and the published share."""
    rows = []
    for survey in s.scalars(select(Survey).order_by(Survey.id)):
        measured = [q for q in survey.definition.get("questions", [])  # a scale's, as checked
                    if q.get("measure") == "feel_safe" and q.get("type") == "scale"]  # fmt: skip
        if not measured:
            continue
        results = survey_results(responses(s, survey, today), survey.definition, least)
        for q in measured:
            res = results[q["id"]]
            grid = res[res["breakdown"] == "place+period"] if len(res) else res
            for r in grid.itertuples():  # those who answered: its two groups, as published
                both = str(r.feel_safe).isdigit() and str(r.not_safe).isdigit()
                n = int(r.feel_safe) + int(r.not_safe) if both else None
                safe = int(r.feel_safe) if both else None
                rows.append({"survey": survey.key, "question": q["id"], "place": r.place,
                             "period": r.period, "respondents": n, "feel_safe": safe,
                             "share": safe / n if n and safe is not None else None})  # fmt: skip
    return pd.DataFrame(rows, columns=["survey", "question", "place", "period", "respondents",
                                       "feel_safe", "share"])  # fmt: skip


def safety_before_after(s: Session, least: int = MIN_GROUP,
                        today: date | None = None) -> pd.DataFrame:  # fmt: skip
    """For each programme place with a start date: the share of young people feeling safe in
    the quarters before it started and after, from the published place-by-quarter counts (a
    quarter whose counts are not published is left out, and said so; a place that began after
    its quarter's first day leaves that quarter out, as neither before nor after), beside the
    crime results of place evaluation."""
    from vrukit.programme.models import Place

    cells = safety_by_place(s, least, today)
    cols = ["place", "start", "before_respondents", "before_share", "after_respondents",
            "after_share", "change", "quarters_not_published"]  # fmt: skip
    rows = []
    for p in s.scalars(select(Place).order_by(Place.name)):
        mine = cells[cells["place"] == p.name]
        if mine.empty:
            continue
        first = _quarter(p.start_date)
        if p.start_date != _quarter_start(p.start_date):
            mine = mine[mine["period"] != first]  # the quarter it began in is both
        shown = mine.dropna(subset=["respondents", "feel_safe"])
        row: dict[str, Any] = {"place": p.name, "start": p.start_date.isoformat(),
                               "quarters_not_published": int(len(mine) - len(shown))}  # fmt: skip
        for side, part in (("before", shown[shown["period"] < first]),
                           ("after", shown[shown["period"] >= first])):  # fmt: skip
            n = int(part["respondents"].sum())
            row[f"{side}_respondents"] = n
            row[f"{side}_share"] = float(part["feel_safe"].sum()) / n if n else None
        both = row["before_share"] is not None and row["after_share"] is not None
        row["change"] = row["after_share"] - row["before_share"] if both else None
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)

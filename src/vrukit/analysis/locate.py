"""Location resolution: ISTV free-text locations to an LSOA and a point, with a confidence.

An ED's "where did it happen" box holds text such as ``outside Red Lion``, ``Station Rd``,
``near shops on Mill Ln``, ``home``. The gazetteer it is matched against has two sources:

- **streets and landmarks** from police.uk: every "On or near ..." name with the anonymised map
  points it is published at, their LSOAs and how many records each point carries;
- **venues** the VRU supplies (``istv_venues``): licensed premises, transport hubs, shopping
  centres, colleges.

Resolution, per distinct description and site:

1. *Normalise*: lower case, expand abbreviations (``Rd`` -> road), drop leading filler
   (``outside``, ``near shops on``), trailing ``car park``, and a trailing town name, which then
   restricts the candidates to that local authority.
2. *Classify*: blank; non-specific (home, at work, ``not known``: nothing to resolve).
3. *Match*: the exact name, else the most similar one (``rapidfuzz`` ``fuzz.ratio`` at least
   ``min_score``); otherwise *unmatched*.
4. *Place*: a name can exist in several towns and span several LSOAs. The probability of each
   LSOA is P(town | ED) x P(LSOA | name, town), where P(LSOA | name, town) is the share of the
   name's police records (or venues) in that LSOA, and P(town | ED) is learnt from the ED's own
   descriptions that name a town or match a name only one town has (add-one smoothed). The most
   probable LSOA is kept; ``confidence`` is its probability times the text score / 100.
   Matches under ``min_confidence`` go to the review queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

__all__ = [
    "LOCATION_COLUMNS",
    "Gazetteer",
    "build_gazetteer",
    "match_rates",
    "normalise",
    "resolve_locations",
    "review_queue",
]

#: Columns of ``resolve_locations``'s result (beside the input's own).
LOCATION_COLUMNS = (
    "status", "kind", "matched", "score", "lsoa_code", "longitude", "latitude", "confidence",
    "review",
)  # fmt: skip
ABBREVIATIONS = {
    "rd": "road", "st": "street", "str": "street", "ln": "lane", "ave": "avenue", "av": "avenue",
    "dr": "drive", "cres": "crescent", "cl": "close", "gr": "grove", "gro": "grove",
    "pl": "place", "sq": "square", "ter": "terrace", "terr": "terrace", "rly": "railway",
    "stn": "station", "ctr": "centre", "cntr": "centre", "coll": "college", "hosp": "hospital",
}  # fmt: skip
#: Words that may lead a description without being part of the place's name.
FILLER = frozenset((
    "outside", "inside", "in", "on", "at", "near", "nr", "by", "opposite", "opp", "o/s",
    "junction", "of", "corner", "the", "shops", "shop", "behind", "front", "back", "rear", "top",
    "bottom", "end",
))  # fmt: skip
#: Descriptions made only of these words name no findable place.
NON_SPECIFIC = frozenset((
    "home", "own", "house", "flat", "friends", "friend's", "friend", "partner's", "partners",
    "partner", "his", "her", "their", "my", "a", "at", "in", "the", "work", "workplace",
    "school", "college", "park", "field", "canal", "towpath", "not", "known", "unknown", "nk",
    "n/k", "pt", "patient", "unable", "to", "say", "unsure", "refused", "no", "details", "none",
    "other", "address", "residence", "private", "property", "indoors",
))  # fmt: skip
_WORD = re.compile(r"[a-z0-9/']+")


def normalise(text: str) -> str:
    """Lower-case words, abbreviations expanded, leading filler and trailing 'car park' dropped."""
    words = [ABBREVIATIONS.get(w, w) for w in _WORD.findall(text.lower().replace("&", " and "))]
    while words and words[0] in FILLER:
        words = words[1:]
    if words[-2:] == ["car", "park"]:
        words = words[:-2]
    return " ".join(words)


def _is_non_specific(key: str) -> bool:
    return all(w in NON_SPECIFIC for w in key.split())


@dataclass(frozen=True)
class Gazetteer:
    """Named places: one row per (key, kind, town, LSOA) with a weight and a point.

    ``places`` columns: ``key`` (normalised name), ``name``, ``kind`` (street, landmark, venue),
    ``lad_name``, ``lsoa_code``, ``longitude``, ``latitude``, ``weight``.
    """

    places: pd.DataFrame
    towns: tuple[str, ...]

    @property
    def keys(self) -> list[str]:
        return sorted(set(self.places.key))


def build_gazetteer(
    snap_points: pd.DataFrame, venues: pd.DataFrame | None, areas: pd.DataFrame
) -> Gazetteer:
    """Build the gazetteer.

    Parameters
    ----------
    snap_points
        police.uk map points: ``location`` ("On or near ..."), ``lsoa_code``, ``longitude``,
        ``latitude`` and ``n`` (records at the point).
    venues
        Rows of ``istv_venues`` (``name``, ``kind``, ``longitude``, ``latitude``, ``lsoa_code``),
        or None.
    areas
        ``lsoa_code`` and ``lad_name`` of every area.
    """
    town = dict(zip(areas.lsoa_code, areas.lad_name, strict=False))
    s = snap_points[snap_points.location.str.startswith("On or near ", na=False)]
    name = s.location.str.removeprefix("On or near ").str.strip()
    last = name.str.split().str[-1].str.lower()
    kinds = set(ABBREVIATIONS.values()) | {"road", "street", "lane", "way", "hill", "row"}
    streets = pd.DataFrame(
        {
            "name": name,
            "kind": np.where(last.isin(kinds), "street", "landmark"),
            "lsoa_code": s.lsoa_code,
            "longitude": s.longitude,
            "latitude": s.latitude,
            "weight": s.n.astype(float),
        }
    )
    parts = [streets]
    if venues is not None and len(venues):
        parts.append(venues[["name", "lsoa_code", "longitude", "latitude"]].assign(
            kind="venue", weight=1.0
        ))  # fmt: skip
    g = pd.concat(parts, ignore_index=True)
    g = g[g.lsoa_code.notna()]
    g["lad_name"] = g.lsoa_code.map(town)
    g = g[g.lad_name.notna()]
    towns = tuple(sorted(set(g.lad_name)))
    g["key"] = [_strip_town(normalise(n), towns)[0] for n in g.name]
    g = g[g.key.ne("")]
    # one row per name, town and LSOA: the weight-averaged point of its map points (or venues)
    g["longitude"] *= g.weight
    g["latitude"] *= g.weight
    agg = g.groupby(["key", "kind", "lad_name", "lsoa_code"], as_index=False).agg(
        name=("name", "first"),
        longitude=("longitude", "sum"),
        latitude=("latitude", "sum"),
        weight=("weight", "sum"),
    )
    agg["longitude"] /= agg.weight
    agg["latitude"] /= agg.weight
    cols = ["key", "name", "kind", "lad_name", "lsoa_code", "longitude", "latitude", "weight"]
    return Gazetteer(agg[cols].reset_index(drop=True), towns)


def _strip_town(key: str, towns: tuple[str, ...]) -> tuple[str, str | None]:
    """Split a trailing town name off a normalised key: ('station road', 'Kingsmere')."""
    for t in towns:
        low = t.lower()
        if key.endswith(" " + low) and len(key) > len(low) + 1:
            return key[: -len(low) - 1].strip(), t
    return key, None


def resolve_locations(
    rows: pd.DataFrame,
    gazetteer: Gazetteer,
    *,
    min_score: float = 85.0,
    min_confidence: float = 0.6,
    reviewed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Resolve ``rows`` (``site_code``, ``location_description``) against ``gazetteer``.

    ``reviewed`` holds answers from the review queue (``site_code``, ``matched``,
    ``confirmed_lsoa``): that site's descriptions matching that name take the confirmed LSOA
    (at the mean of the gazetteer's points there) with confidence 1 and kind ``reviewed``.

    Returns ``rows`` with the columns of ``LOCATION_COLUMNS`` added, in the same order.
    """
    texts, uniq = _classify(rows, gazetteer, min_score)
    placed = _place(uniq, gazetteer, texts)
    if reviewed is not None and len(reviewed):
        placed = _apply_reviewed(placed, reviewed, gazetteer)
    out = texts.merge(placed, on=["site_code", "text"], how="left")
    out["review"] = out.status.eq("resolved") & (out.confidence < min_confidence)
    result = rows.reset_index(drop=True).copy()
    for c in LOCATION_COLUMNS:
        result[c] = out[c].to_numpy()
    return result


def _classify(
    rows: pd.DataFrame, gazetteer: Gazetteer, min_score: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(site, text) of every row, and each distinct one normalised, matched and classed."""
    desc = rows.location_description.fillna("").astype(str).str.strip()
    texts = pd.DataFrame({"site_code": rows.site_code.to_numpy(), "text": desc.to_numpy()})
    uniq = texts.drop_duplicates().reset_index(drop=True)
    parsed = [_strip_town(normalise(t), gazetteer.towns) if t else ("", None) for t in uniq.text]
    uniq["query"] = [q for q, _ in parsed]
    uniq["town"] = [t for _, t in parsed]
    key, score = _match(uniq["query"], gazetteer, min_score)
    uniq["key"], uniq["score"] = key, score
    status = np.where(
        uniq.text.eq(""),
        "blank",
        np.where(
            [_is_non_specific(q) for q in uniq["query"]],
            "non_specific",
            np.where(uniq.key.notna(), "resolved", "unmatched"),
        ),
    )
    uniq["status"] = status
    uniq.loc[uniq.status != "resolved", ["key", "score"]] = [None, np.nan]
    return texts, uniq


def _match(queries: pd.Series, gz: Gazetteer, min_score: float) -> tuple[list, np.ndarray]:
    keys = gz.keys
    exact = set(keys)
    found: list[str | None] = []
    score = np.full(len(queries), np.nan)
    for i, q in enumerate(queries):
        if not q or _is_non_specific(q):
            found.append(None)
        elif q in exact:
            found.append(q)
            score[i] = 100.0
        else:
            hit = process.extractOne(q, keys, scorer=fuzz.ratio, score_cutoff=min_score)
            found.append(hit[0] if hit else None)
            score[i] = hit[1] if hit else np.nan
    return found, score


def _candidates(uniq: pd.DataFrame, gz: Gazetteer, texts: pd.DataFrame) -> pd.DataFrame:
    """Every candidate place of each resolved (site, text) with its probability ``p``."""
    p = gz.places
    # P(LSOA | name, town)
    share = p.weight / p.groupby(["key", "lad_name"]).weight.transform("sum")
    p = p.assign(share=share)
    towns_of_key = p.groupby("key").lad_name.nunique()
    r = uniq[uniq.status == "resolved"]
    # P(town | site): rows that name a town, or match a name only one town has
    single = r.key.map(towns_of_key).eq(1)
    only_town = r.key.map(p.drop_duplicates("key").set_index("key").lad_name)
    known_town = r.town.where(r.town.notna(), only_town.where(single))
    n_rows = texts.groupby(["site_code", "text"]).size().rename("n")
    learn = r.assign(lad_name=known_town).dropna(subset=["lad_name"])
    learn = learn.join(n_rows, on=["site_code", "text"])
    counts = learn.groupby(["site_code", "lad_name"]).n.sum().unstack(fill_value=0)
    counts = counts.reindex(columns=list(gz.towns), fill_value=0)
    counts = counts.reindex(sorted(set(uniq.site_code)), fill_value=0)
    prior = (counts + 1).div((counts + 1).sum(axis=1), axis=0)
    cand = r[["site_code", "text", "key", "town", "score"]].merge(p, on="key")
    cand = cand[cand.town.isna() | (cand.town == cand.lad_name)]
    stacked = prior.stack().rename("prior")
    stacked.index.names = ["site_code", "lad_name"]
    cand = cand.join(stacked, on=["site_code", "lad_name"])
    # towns the name exists in, renormalised: P(town | site, name)
    town_w = cand.drop_duplicates(["site_code", "text", "lad_name"])
    norm = town_w.groupby(["site_code", "text"]).prior.sum().rename("norm")
    cand = cand.join(norm, on=["site_code", "text"])
    cand["p"] = cand.prior / cand.norm * cand.share
    return cand


def _place(uniq: pd.DataFrame, gz: Gazetteer, texts: pd.DataFrame) -> pd.DataFrame:
    """Most probable LSOA (and point, confidence) of each resolved (site, text)."""
    cand = _candidates(uniq, gz, texts)
    best = cand.sort_values("p", ascending=False).drop_duplicates(["site_code", "text"])
    best = best.assign(confidence=best.p * best.score / 100)
    cols = ["site_code", "text", "kind", "name", "lsoa_code", "longitude", "latitude", "confidence"]
    out = uniq[["site_code", "text", "status", "score"]].merge(
        best[cols], on=["site_code", "text"], how="left"
    )
    return out.rename(columns={"name": "matched"})


def _apply_reviewed(placed: pd.DataFrame, reviewed: pd.DataFrame, gz: Gazetteer) -> pd.DataFrame:
    r = reviewed.dropna(subset=["confirmed_lsoa"])
    r = r[r.confirmed_lsoa.astype(str).str.strip().ne("")]
    answers = {
        (s, str(m).strip()): str(c).strip()
        for s, m, c in zip(r.site_code, r.matched, r.confirmed_lsoa, strict=True)
    }
    if not answers:
        return placed
    points = gz.places.groupby("lsoa_code")[["longitude", "latitude"]].mean()
    out = placed.copy()
    key = list(zip(out.site_code, out.matched, strict=True))
    hit = np.array([k in answers for k in key])
    lsoa = [answers[k] for k, h in zip(key, hit, strict=True) if h]
    out.loc[hit, "lsoa_code"] = lsoa
    out.loc[hit, ["kind", "confidence"]] = ["reviewed", 1.0]
    out.loc[hit, "longitude"] = points.longitude.reindex(lsoa).to_numpy()
    out.loc[hit, "latitude"] = points.latitude.reindex(lsoa).to_numpy()
    return out


def review_queue(located: pd.DataFrame, *, examples: int = 3) -> pd.DataFrame:
    """Low-confidence matches, one row per site and matched name, most frequent first.

    A reviewer fills ``confirmed_lsoa`` and gives the file back (``vrukit istv locate
    --reviewed``): every description of that site matching that name then takes the LSOA.
    Rows left blank stay in the queue.
    """
    q = located[located.review.astype(bool)]
    g = q.groupby(["site_code", "matched"], as_index=False).agg(
        rows=("status", "size"),
        kind=("kind", "first"),
        lsoa_code=("lsoa_code", lambda s: s.mode().iat[0]),
        confidence=("confidence", "max"),
        examples=(
            "location_description",
            lambda s: " | ".join(s.value_counts().index[:examples]),
        ),
    )
    g["confirmed_lsoa"] = ""
    return g.sort_values(["rows", "site_code"], ascending=[False, True]).reset_index(drop=True)


def match_rates(located: pd.DataFrame) -> pd.DataFrame:
    """Per site (and a total row): rows by status and the match rate among described locations.

    ``match_rate`` is resolved / (resolved + unmatched): of the descriptions that name a place,
    the share found; ``confident_rate`` counts only matches at or above the threshold (not in
    review).
    """
    g = located.assign(confident=located.status.eq("resolved") & ~located.review.astype(bool))
    by = pd.crosstab(g.site_code, g.status).reindex(
        columns=["resolved", "unmatched", "non_specific", "blank"], fill_value=0
    )
    by["confident"] = g.groupby("site_code").confident.sum()
    by["review"] = g.groupby("site_code").review.sum()
    by.loc["all"] = by.sum()
    place = (by.resolved + by.unmatched).replace(0, np.nan)
    by["match_rate"] = by.resolved / place
    by["confident_rate"] = by.confident / place
    by["rows"] = by[["resolved", "unmatched", "non_specific", "blank"]].sum(axis=1)
    return by.reset_index().rename_axis(columns=None)

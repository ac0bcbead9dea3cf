"""Where a person searches from, in their words: a postcode ("QR1 2AB"), the first half of one
("QR1": the middle of its postcodes) or a town ("Redwater", forgiving a slip: "Redwatr").
Anything else is an ``UnknownPlace`` that says which - never a silent "everywhere".

Postcodes and their first halves come from the VRU's lookup; towns are the towns of the
listings' addresses, each placed at the middle of its listings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from vrukit.directory.models import normalise_postcode
from vrukit.directory.search import UnknownPostcode

__all__ = ["Place", "UnknownPlace", "centres", "looks_like_postcode", "resolve_place"]

Point = tuple[float, float]
#: A full UK postcode, and its first half (outward code), written without spaces.
POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
#: How alike a town's name must be to what was typed (rapidfuzz ratio, 0-100).
TOWN_LIKENESS = 85


class UnknownPlace(UnknownPostcode, LookupError):
    """What was typed as a place is no postcode in the lookup and no town of the listings.
    ``text`` is what was typed; ``postcode`` whether it is written like a postcode."""

    def __init__(self, text: str, postcode: bool) -> None:
        self.text, self.postcode = text, postcode
        what = "the postcode" if postcode else "a postcode or town called"
        super().__init__(f"we could not find {what} {text!r} in this area")


@dataclass(frozen=True)
class Place:
    """Where to search: ``label`` as shown, ``origin`` (latitude, longitude) to measure from
    for a postcode, or the ``town`` to keep listings in."""

    label: str
    origin: Point | None = None
    town: str | None = None


def looks_like_postcode(text: str) -> bool:
    """Written like a UK postcode or the first half of one (whether or not it exists)."""
    code = normalise_postcode(text)
    return bool(POSTCODE.fullmatch(code) or OUTWARD.fullmatch(code))


def centres(points: Iterable[tuple[str, float, float]]) -> dict[str, Point]:
    """The middle (mean latitude and longitude) of each name's points."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for name, lat, lon in points:
        s = sums[name]
        s[0], s[1], s[2] = s[0] + lat, s[1] + lon, s[2] + 1
    return {name: (a / n, b / n) for name, (a, b, n) in sums.items()}


def _town(text: str, towns: Iterable[str]) -> str | None:
    names = {t.casefold(): t for t in towns}
    if text.casefold() in names:
        return names[text.casefold()]
    near = process.extractOne(text.casefold(), list(names), scorer=fuzz.ratio,
                              score_cutoff=TOWN_LIKENESS)  # fmt: skip
    return names[near[0]] if near else None


def resolve_place(
    text: str, postcodes: Mapping[str, Point], outward: Mapping[str, Point], towns: Iterable[str]
) -> Place | None:
    """The place ``text`` names (None when it is empty): a postcode of ``postcodes``, a first
    half of ``outward``, else one of ``towns``; raises ``UnknownPlace`` for anything else."""
    text = " ".join(text.split())
    if not text:
        return None
    code = normalise_postcode(text)
    if code in postcodes:
        return Place(f"{code[:-3]} {code[-3:]}", origin=postcodes[code])
    if code in outward:
        return Place(code, origin=outward[code])
    town = None if POSTCODE.fullmatch(code) else _town(text, towns)
    if town is None:
        raise UnknownPlace(text, looks_like_postcode(text))
    return Place(town, town=town)

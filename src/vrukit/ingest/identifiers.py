"""The identifier guard: an ISTV extract that carries personal identifiers is refused whole.

ISTV data is shared anonymised. Before anything is stored, every column of an extract is checked
by its header and by its values for:

- NHS numbers: ten digits (optionally spaced 3-3-4) whose Modulus 11 check digit is valid;
- names: headers such as "Patient Name", "Forename", "Surname";
- dates of birth: headers such as "DOB", "Date of Birth";
- full postcodes: a column whose values are mostly full UK postcodes (a residential address
  in all but name). Partial postcodes (district "B15", sector "B15 2") pass.

A refusal names the column and the line of the first hit but never echoes the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vrukit.errors import InputFileError

__all__ = ["Finding", "IdentifierError", "find_identifiers", "nhs_number_valid"]

HEADER_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an NHS number", re.compile(r"\bnhs\s*(no|num|number|id)\b|\bnhs_?(no|num|number)\b")),
    (
        "a name",
        re.compile(
            r"^(patient\s*)?name$|\b(fore|first|sur|last|given|family|patient|full)[\s_-]*names?\b"
        ),
    ),
    ("a date of birth", re.compile(r"\bd\.?o\.?b\b|date[\s_-]*of[\s_-]*birth|birth[\s_-]*date")),
    ("a hospital number", re.compile(r"\b(hospital|patient)[\s_-]*(no|num|number|id)\b|\bmrn\b")),
)
#: Ten ASCII digits, optionally 3-3-4 spaced (other scripts' digits are not NHS numbers).
NHS_VALUE = re.compile(r"^\s*(\d{3})[\s-]?(\d{3})[\s-]?(\d{4})\s*$", re.ASCII)
FULL_POSTCODE = re.compile(r"^\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\s*$", re.IGNORECASE)
#: A column whose non-blank values are at least this share full postcodes is refused.
POSTCODE_SHARE = 0.5


@dataclass(frozen=True)
class Finding:
    """One identifier found: the column, what it looks like, and where first seen."""

    column: str
    kind: str
    line: int | None
    how: str


class IdentifierError(InputFileError):
    """The extract carries personal identifiers; nothing from it was stored."""

    def __init__(self, path: str, findings: list[Finding]) -> None:
        self.findings = findings
        first = findings[0]
        where = f"line {first.line}, " if first.line is not None else ""
        others = "".join(f"; also column {f.column!r} ({f.kind})" for f in findings[1:])
        super().__init__(
            path,
            f"refused: {where}column {first.column!r} holds {first.kind} ({first.how}){others}. "
            "ISTV extracts must be anonymised: remove the column at source and send the file "
            "again. Nothing from this file was stored.",
            column=first.column,
        )


def nhs_number_valid(digits: np.ndarray) -> np.ndarray:
    """Modulus 11 check of NHS numbers given as an (n, 10) array of digits."""
    weights = np.arange(10, 1, -1)
    remainder = (digits[:, :9] * weights).sum(1) % 11
    check = 11 - remainder
    check = np.where(check == 11, 0, check)
    return (check != 10) & (check == digits[:, 9])


def _nhs_hits(texts: np.ndarray) -> np.ndarray:
    """Which of ``texts`` (distinct values, as text) are NHS numbers with a valid check digit."""
    hits = np.zeros(len(texts), dtype=bool)
    found = [
        (k, m) for k, t in enumerate(texts)
        if 10 <= len(t) <= 14 and (m := NHS_VALUE.match(t))
    ]  # fmt: skip
    if not found:
        return hits
    joined = np.array(["".join(m.groups()) for _, m in found], dtype="U10")
    digits = np.frombuffer(joined.astype("S10").tobytes(), dtype=np.uint8).reshape(-1, 10) - 48
    hits[[k for k, _ in found]] = nhs_number_valid(digits.astype(int))
    return hits


def _header_finding(column: str) -> Finding | None:
    folded = column.strip().casefold()
    for kind, rule in HEADER_RULES:
        if rule.search(folded):
            return Finding(column, kind, None, "by its header")
    return None


def _value_finding(column: str, values: pd.Series, lines: pd.Series) -> Finding | None:
    values = values.dropna()
    if pd.api.types.is_float_dtype(values) and (values % 1 == 0).all():
        values = values.astype("int64")
    # Each distinct value is checked once; ``counts`` weighs the shares by how often it occurs.
    codes, distinct = pd.factorize(values.astype(str))
    texts = np.asarray(distinct, dtype=object)
    filled = np.array([t.strip() != "" for t in texts], dtype=bool)
    counts = np.bincount(codes, minlength=len(texts))
    total = counts[filled].sum()
    if total == 0:
        return None

    def first_line(of: np.ndarray) -> int:
        return int(lines[values.index[np.argmax(of[codes])]])

    nhs = _nhs_hits(texts) & filled
    if nhs.any():
        return Finding(column, "NHS numbers", first_line(nhs), "valid check digits")
    length = np.array([len(t) for t in texts])
    short = filled & (length >= 5) & (length <= 9)
    if counts[short].sum() / total < POSTCODE_SHARE:
        return None
    full = short & np.array([FULL_POSTCODE.match(t) is not None for t in texts], dtype=bool)
    share = counts[full].sum() / total
    if share >= POSTCODE_SHARE:
        return Finding(
            column,
            "full postcodes",
            first_line(full),
            f"{share:.0%} of its values are full postcodes",
        )
    return None


def find_identifiers(frame: pd.DataFrame, lines: pd.Series) -> list[Finding]:
    """Every column of ``frame`` (raw text, as read) that looks like an identifier.

    ``lines`` gives each row's line (or record) number in the file, for the message.
    """
    found: list[Finding] = []
    for column in frame.columns:
        hit = _header_finding(str(column))
        if hit is None:
            hit = _value_finding(str(column), frame[column], lines)
        if hit is not None:
            found.append(hit)
    return found

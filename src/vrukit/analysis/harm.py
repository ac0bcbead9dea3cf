"""Harm weights: counts of crime weighted by how serious each crime type is.

Two versioned tables ship with vrukit (``harm_tables/*.json``), each recording its source, edition
and how it was mapped to police.uk's 14 categories; users can supply their own CSV with columns
``crime_type,weight``. ``load_harm_table("css")`` / ``("cchi")`` pick the shipped ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vrukit.errors import InputFileError, SchemaError
from vrukit.schemas import CRIME_TYPES

__all__ = ["BUILTIN_TABLES", "HarmTable", "harm_weighted", "load_harm_table"]

_HERE = Path(__file__).with_name("harm_tables")
BUILTIN_TABLES = {"css": "css-style-2024a.json", "cchi": "cchi-style-2024a.json"}


@dataclass(frozen=True)
class HarmTable:
    """Weights per police.uk crime type, with where they came from."""

    name: str
    edition: str
    source: str
    approximation: str
    unit: str
    weights: dict[str, float]
    notes: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "edition": self.edition,
            "source": self.source,
            "approximation": self.approximation,
            "unit": self.unit,
            "weights": self.weights,
        }


def _from_json(path: Path) -> HarmTable:
    d = json.loads(path.read_text())
    return HarmTable(
        d["name"],
        d["edition"],
        d["source"],
        d["approximation"],
        d["unit"],
        {k: float(v["weight"]) for k, v in d["weights"].items()},
        {k: v["note"] for k, v in d["weights"].items()},
    )


def _from_csv(path: Path) -> HarmTable:
    try:
        frame = pd.read_csv(path, dtype={"crime_type": str})
    except (OSError, pd.errors.ParserError) as e:
        raise InputFileError(str(path), f"cannot read a harm table: {e}") from e
    for col in ("crime_type", "weight"):
        if col not in frame:
            raise InputFileError(
                str(path), f"no column {col!r}; expected columns crime_type,weight"
            )
    w = pd.to_numeric(frame.weight, errors="coerce")
    bad = frame.index[w.isna() | (w < 0)]
    if len(bad):
        i = int(bad[0])
        raise InputFileError(
            str(path),
            "weight must be a number >= 0",
            line=i + 2,
            column="weight",
            value=str(frame.weight.iloc[i]),
        )
    unknown = sorted(set(frame.crime_type) - set(CRIME_TYPES))
    if unknown:
        raise InputFileError(
            str(path),
            f"crime type {unknown[0]!r} is not a police.uk category ({', '.join(CRIME_TYPES)})",
        )
    return HarmTable(
        path.stem, "user-supplied", str(path), "as supplied by the user", "user-defined",
        dict(zip(frame.crime_type, w.astype(float), strict=True)),
    )  # fmt: skip


def load_harm_table(name_or_path: str | Path) -> HarmTable:
    """A shipped table by name (``"css"``, ``"cchi"``) or a user CSV (``crime_type,weight``)."""
    if str(name_or_path) in BUILTIN_TABLES:
        return _from_json(_HERE / BUILTIN_TABLES[str(name_or_path)])
    path = Path(name_or_path)
    if not path.exists():
        raise SchemaError(
            "harm table",
            f"{name_or_path!r} is neither a shipped table ({', '.join(BUILTIN_TABLES)}) "
            "nor an existing CSV file",
        )
    return _from_json(path) if path.suffix == ".json" else _from_csv(path)


def harm_weighted(
    counts: pd.DataFrame, table: HarmTable, *, count: str = "count", out: str = "harm"
) -> pd.DataFrame:
    """Add ``out`` = count x weight of the row's ``crime_type``; a type with no weight is an error.

    Examples
    --------
    >>> t = HarmTable("t", "1", "test", "none", "days", {"Robbery": 365.0})
    >>> harm_weighted(pd.DataFrame({"crime_type": ["Robbery"], "count": [2]}), t).harm.tolist()
    [730.0]
    """
    w = counts.crime_type.map(table.weights)
    missing = sorted(set(counts.crime_type[w.isna()]))
    if missing:
        raise SchemaError(
            "harm", f"harm table {table.name!r} has no weight for {missing[0]!r}; add it"
        )
    result = counts.copy()
    result[out] = counts[count] * w
    return result

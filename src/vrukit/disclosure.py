"""The disclosure-control layer: every count the SNA site publishes passes through here once.

A :class:`Release` holds the tables to publish and the additive relations between their cells
(an LSOA column sums to its local authority's cell, months sum to a year, categories to a total).
:func:`protect` applies the policy: counts from 1 to ``suppress_max`` are shown as ``<5``
(primary suppression); then other cells are withheld as ``[c]`` (secondary suppression) until no
suppressed cell can be worked out from what is published. "Worked out" is checked exactly: the
attacker knows every published value, every marker's meaning and every relation, and
:func:`audit` solves integer programmes (HiGHS, through SciPy) for the least and greatest value
each suppressed cell can take. A cell is safe when at least two whole numbers remain possible.

Columns computed from counts (rates, change) are recomputed from the *published* counts, so they
can never reveal more than the counts do; columns that merely travel with a count (harm) are
withheld wherever their count is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from vrukit.errors import ConfigError, SchemaError

__all__ = [
    "Derived",
    "Policy",
    "Protected",
    "Release",
    "Table",
    "audit",
    "cell_bounds",
    "protect",
]

#: A cell: (table, row key, column). The row key joins the table's key values with "|".
CellId = tuple[str, str, str]


@dataclass(frozen=True)
class Policy:
    """What is suppressed and how the rest is shown. Default: counts 1-4 shown as ``<5``, the rest
    exact. ``Policy(7, 5)``: counts 1-7 suppressed, others rounded to the nearest 5."""

    suppress_max: int = 4
    round_to: int = 1
    secondary: ClassVar[str] = "[c]"
    blank: ClassVar[str] = "[x]"

    def __post_init__(self) -> None:
        if self.suppress_max < 2:
            raise ConfigError(
                f"suppress_max is {self.suppress_max}: it must be 2 or more, or the marker "
                "itself gives the count away"
            )
        if self.round_to < 1:
            raise ConfigError(f"round_to is {self.round_to}: it must be 1 (exact) or more")

    @property
    def marker(self) -> str:
        return f"<{self.suppress_max + 1}"

    def shown(self, value: int) -> int:
        """A count that is not suppressed, as published (rounded half up to ``round_to``)."""
        return int(self.round_to * math.floor(value / self.round_to + 0.5))

    def describe(self) -> dict[str, object]:
        rounding = "exact" if self.round_to == 1 else f"rounded to the nearest {self.round_to}"
        return {
            "suppress": [1, self.suppress_max],
            "marker": self.marker,
            "secondary_marker": self.secondary,
            "round_to": self.round_to,
            "text": f"counts from 1 to {self.suppress_max} are shown as {self.marker}; "
            f"other cells are withheld as {self.secondary} where a suppressed count could "
            f"otherwise be worked out from totals; other counts are {rounding}.",
        }


@dataclass(frozen=True)
class Derived:
    """A column that depends on counts in the same row. With ``compute`` it is recomputed from the
    published counts (suppressed counts are NaN); without, its own value is published but withheld
    wherever any source is suppressed."""

    sources: tuple[str, ...]
    compute: Callable[[pd.DataFrame], pd.Series] | None = None


@dataclass
class Table:
    """One published table: its rows, key columns, count columns and derived columns."""

    name: str
    frame: pd.DataFrame
    key: tuple[str, ...]
    counts: tuple[str, ...] = ()
    derived: Mapping[str, Derived] = field(default_factory=dict)

    def row_ids(self) -> pd.Series:
        return row_ids(self.frame, self.key)


def row_ids(frame: pd.DataFrame, key: Sequence[str]) -> pd.Series:
    """Each row's key values joined by "|" (the row part of a cell id)."""
    parts = [frame[k].astype(str) for k in key]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return out.reset_index(drop=True)


class Release:
    """The tables to publish and the sums that tie their cells together."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self.sums: list[tuple[CellId, list[CellId]]] = []

    def add(self, table: Table) -> Table:
        if table.name in self.tables:
            raise ConfigError(f"table {table.name!r} is added twice")
        missing = [c for c in (*table.key, *table.counts) if c not in table.frame]
        if missing:
            raise SchemaError(table.name, f"no column(s) {missing}")
        ids = table.row_ids()
        if ids.duplicated().any():
            raise SchemaError(
                table.name, f"key {table.key} repeats {ids[ids.duplicated()].iloc[0]}"
            )
        for c in table.counts:
            v = pd.to_numeric(table.frame[c], errors="coerce")
            if v.isna().any() or (v < 0).any() or (v % 1 != 0).any():
                raise SchemaError(table.name, f"count column {c!r} must hold whole numbers >= 0")
        self.tables[table.name] = table
        return table

    def sum_within_rows(self, table: str, whole: str, parts: Sequence[str]) -> None:
        """In every row of ``table``, ``whole`` = the sum of ``parts``."""
        for rid in self.tables[table].row_ids():
            self.sums.append(((table, rid, whole), [(table, rid, p) for p in parts]))

    def sum_rows(
        self,
        part: str,
        whole: str,
        columns: Mapping[str, str] | Sequence[str],
        into: pd.Series,
    ) -> None:
        """Rows of ``part`` add up to rows of ``whole``: ``into`` gives, for each row of ``part``
        (aligned by position), the row id in ``whole`` it adds into (NaN: none). ``columns`` maps
        part columns to whole columns (a sequence: the same names)."""
        cols = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
        pids = self.tables[part].row_ids()
        into = pd.Series(np.asarray(into, dtype=object)).reset_index(drop=True)
        known = set(self.tables[whole].row_ids())
        groups: dict[str, list[str]] = {}
        for rid, target in zip(pids, into, strict=True):
            if isinstance(target, str) or not pd.isna(target):
                groups.setdefault(str(target), []).append(rid)
        for target, rids in groups.items():
            if target not in known:
                raise SchemaError(whole, f"no row {target!r} for the sum of {part} rows")
            for pc, wc in cols.items():
                self.sums.append(((whole, target, wc), [(part, r, pc) for r in rids]))


@dataclass
class Protected:
    """The published tables (counts as numbers or markers), each cell's status and the manifest
    an auditor needs: keys, count columns, derived columns and sums."""

    policy: Policy
    tables: dict[str, pd.DataFrame]
    status: dict[CellId, str]
    sums: list[tuple[CellId, list[CellId]]]
    specs: dict[str, Table]

    def numeric(self, name: str) -> pd.DataFrame:
        """A published table with counts as nullable numbers (suppressed: missing) and one
        ``<count>_flag`` column per count column ("", "suppressed", "withheld")."""
        t, spec = self.tables[name].copy(), self.specs[name]
        for c in spec.counts:
            text = t[c].astype(str)
            flag = text.map(
                {self.policy.marker: "suppressed", Policy.secondary: "withheld",
                 Policy.blank: "not published"}
            ).fillna("").to_numpy()  # fmt: skip
            t[c] = pd.to_numeric(text.where(flag == ""), errors="coerce").astype("Int64")
            t.insert(t.columns.get_loc(c) + 1, f"{c}_flag", flag)
        return t

    def manifest(self, files: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        return {
            "policy": self.policy.describe(),
            "tables": {
                n: {
                    "files": list(files.get(n, [])),
                    "key": list(s.key),
                    "counts": list(s.counts),
                    "derived": {c: list(d.sources) for c, d in s.derived.items()},
                }
                for n, s in self.specs.items()
            },
            "sums": [[list(w), [list(p) for p in parts]] for w, parts in self.sums],
        }

    def suppressed(self) -> dict[str, int]:
        out = {"primary": 0, "secondary": 0, "blanked": 0}
        for s in self.status.values():
            out[s] += 1
        return out


def cell_bounds(text: str, policy: Policy) -> tuple[float, float]:
    """What a published count cell tells a reader about the true count: (least, greatest)."""
    text = str(text).strip()
    if text == policy.marker:
        return 1.0, float(policy.suppress_max)
    if text == Policy.secondary:
        return float(policy.suppress_max + 1), math.inf
    if text == Policy.blank:
        return 0.0, math.inf
    value = int(float(text))
    if value == 0:
        return 0.0, 0.0
    half = policy.round_to / 2
    lo = max(math.ceil(value - half), policy.suppress_max + 1) if policy.round_to > 1 else value
    hi = math.ceil(value + half) - 1 if policy.round_to > 1 else value
    return float(lo), float(hi)


class _Cells:
    """Every count cell of a release, numbered, with the sums as index arrays."""

    def __init__(self, release: Release) -> None:
        self.ids: list[CellId] = []
        values: list[np.ndarray] = []
        for name, t in release.tables.items():
            rids = t.row_ids()
            for c in t.counts:
                self.ids += [(name, r, c) for r in rids]
                values.append(pd.to_numeric(t.frame[c]).to_numpy(np.int64))
        self.index = {cid: i for i, cid in enumerate(self.ids)}
        self.values = np.concatenate(values) if values else np.zeros(0, np.int64)
        self.sums: list[np.ndarray] = []
        for whole, parts in release.sums:
            try:
                self.sums.append(np.array([self.index[whole]] + [self.index[p] for p in parts]))
            except KeyError as e:
                raise SchemaError("release", f"a sum names {e.args[0]}, not a count cell") from None
        bad = [
            release.sums[k][0] for k, s in enumerate(self.sums)
            if self.values[s[0]] != self.values[s[1:]].sum()
        ]  # fmt: skip
        if bad:
            raise SchemaError("release", f"{len(bad)} sums do not add up, e.g. {bad[0]}")
        self.member: list[list[int]] = [[] for _ in self.ids]
        for k, s in enumerate(self.sums):
            for i in s:
                self.member[i].append(k)


def protect(release: Release, policy: Policy = Policy()) -> Protected:
    """Suppress, withhold and round every count of ``release``; recompute its derived columns."""
    cells = _Cells(release)
    v = cells.values
    state = np.zeros(len(v), np.int8)  # 0 published, 1 primary, 2 secondary, 3 blanked
    state[(v >= 1) & (v <= policy.suppress_max)] = 1
    while True:
        _pair_within_sums(cells, state, policy)
        lo, hi = _bounds_from_state(cells, state, policy)
        exposed = audit(lo, hi, cells.sums, np.flatnonzero(state > 0), feasible=v)
        if not exposed:
            break
        # One more withheld cell may protect several exposed ones. When none can be withheld
        # (every cell around is already small), the sums around the first are not published.
        if not [i for i in exposed if _withhold_partner(cells, state, policy, i)]:
            for k in cells.member[exposed[0]]:
                state[cells.sums[k]] = 3
            state[exposed[0]] = 3
    names = {1: "primary", 2: "secondary", 3: "blanked"}
    status = {cells.ids[i]: names[int(state[i])] for i in np.flatnonzero(state)}
    tables = {n: _publish_table(t, status, policy) for n, t in release.tables.items()}
    return Protected(policy, tables, status, list(release.sums), dict(release.tables))


def _pair_within_sums(cells: _Cells, state: np.ndarray, policy: Policy) -> None:
    """Until no sum holds exactly one suppressed cell, withhold a partner in each such sum."""
    changed = True
    while changed:
        changed = False
        for s in cells.sums:
            if np.count_nonzero(state[s]) == 1:
                changed |= _withhold_in(cells, state, policy, s)


def _withhold_in(cells: _Cells, state: np.ndarray, policy: Policy, s: np.ndarray) -> bool:
    """Withhold the smallest published count above the threshold in sum ``s``: a part if any,
    else the whole."""
    for group in (s[1:], s[:1]):
        free = group[(state[group] == 0) & (cells.values[group] > policy.suppress_max)]
        if len(free):
            state[free[np.argmin(cells.values[free])]] = 2
            return True
    return False


def _withhold_partner(cells: _Cells, state: np.ndarray, policy: Policy, i: int) -> bool:
    """Withhold one more cell near cell ``i``: in the sum holding it with fewest suppressed cells,
    else, breadth first, in sums reached through other suppressed cells."""
    seen_sums: set[int] = set()
    frontier, seen_cells = [i], {i}
    while frontier:
        sums = sorted(
            {k for j in frontier for k in cells.member[j]} - seen_sums,
            key=lambda k: np.count_nonzero(state[cells.sums[k]]),
        )
        if any(_withhold_in(cells, state, policy, cells.sums[k]) for k in sums):
            return True
        seen_sums.update(sums)
        nxt = {int(j) for k in sums for j in cells.sums[k] if state[j]} - seen_cells
        seen_cells |= nxt
        frontier = sorted(nxt)
    return False


def _bounds_from_state(
    cells: _Cells, state: np.ndarray, policy: Policy
) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of each cell given the state: the bounds ``cell_bounds`` reads back."""
    v = cells.values.astype(float)
    shown = np.array([policy.shown(int(x)) for x in cells.values], float)
    lo, hi = np.empty_like(v), np.empty_like(v)
    for k, (a, b) in enumerate(
        cell_bounds(_MARKS.get(int(s)) or policy.marker if s else str(int(x)), policy)
        for s, x in zip(state, shown, strict=True)
    ):  # fmt: skip
        lo[k], hi[k] = a, b
    return lo, hi


_MARKS = {2: Policy.secondary, 3: Policy.blank}


def _publish_table(t: Table, status: Mapping[CellId, str], policy: Policy) -> pd.DataFrame:
    out = t.frame.copy().reset_index(drop=True)
    rids = t.row_ids()
    numeric = out.copy()
    for c in t.counts:
        marks = [status.get((t.name, r, c)) for r in rids]
        values = pd.to_numeric(out[c]).astype(np.int64)
        shown = [policy.shown(int(x)) for x in values]
        text = {"primary": policy.marker, "secondary": Policy.secondary, "blanked": Policy.blank}
        out[c] = [text[m] if m else str(x) for m, x in zip(marks, shown, strict=True)]
        numeric[c] = [np.nan if m else float(x) for m, x in zip(marks, shown, strict=True)]
    for c, d in t.derived.items():
        hidden = numeric[list(d.sources)].isna().any(axis=1)
        if d.compute is not None:
            out[c] = d.compute(numeric).to_numpy()
        out[c] = out[c].where(~hidden.to_numpy())
    return out


def audit(
    lo: np.ndarray,
    hi: np.ndarray,
    sums: Sequence[np.ndarray],
    suppressed: Iterable[int],
    *,
    feasible: np.ndarray | None = None,
    seed: int = 0,
) -> list[int]:
    """The suppressed cells (indices) whose value a reader can work out exactly.

    ``lo``/``hi`` bound every cell (published cells: their value, or their rounding interval);
    ``sums`` are index arrays, whole first. Each cell's least and greatest whole-number value
    under the sums is found by integer programming; a cell is exposed when they are equal. Cells
    known exactly are folded into the sums' right-hand sides and the rest split into independent
    groups. Any feasible completion found on the way (and ``feasible``, the true values, when
    known) proves at once that every cell it moves is safe, so most cells need no programme of
    their own.
    """
    todo = np.array(sorted({int(i) for i in suppressed}), dtype=np.int64)
    if not len(todo) or not len(sums):
        return [int(i) for i in todo if math.floor(hi[i]) <= math.ceil(lo[i])]
    n = len(lo)
    rows = np.concatenate([np.full(len(s), k) for k, s in enumerate(sums)])
    cols = np.concatenate(sums)
    data = np.concatenate([np.r_[1.0, -np.ones(len(s) - 1)] for s in sums])
    a = sparse.csc_array((data, (rows, cols)), shape=(len(sums), n))
    fixed = lo == hi
    rhs = -(a[:, np.flatnonzero(fixed)] @ lo[fixed])
    free = np.flatnonzero(~fixed)
    af = sparse.csr_array(a[:, free])
    live = np.diff(af.indptr) > 0
    if np.any(np.abs(rhs[~live]) > 1e-9):
        raise SchemaError("disclosure audit", "the published cells do not add up")
    af, rhs = af[live], rhs[live]
    exposed = [int(i) for i in todo if fixed[i]]
    _, comp = connected_components((af.T @ af) != 0, directed=False)
    where = {int(c): k for k, c in enumerate(free)}
    truth = None if feasible is None else np.asarray(feasible, float)[free]
    wanted = np.array([where[int(i)] for i in todo if not fixed[i]], dtype=np.int64)
    rng = np.random.default_rng(seed)
    for label in np.unique(comp[wanted]):
        members = np.flatnonzero(comp == label)
        sub_rows = np.flatnonzero((af[:, members] != 0).sum(axis=1) > 0)
        cells = np.intersect1d(wanted, members)
        pinned = _exposed_in(
            af[sub_rows][:, members], rhs[sub_rows], lo[free[members]], hi[free[members]],
            np.searchsorted(members, cells), None if truth is None else truth[members], rng,
        )  # fmt: skip
        exposed += [int(free[members[k]]) for k in pinned]
    return sorted(exposed)


class _Bracket:
    """The least and greatest value each cell has taken in the feasible completions found so far
    by integer programmes over one group of cells."""

    def __init__(self, a: sparse.csr_array, rhs: np.ndarray, lo: np.ndarray, hi: np.ndarray):
        n = len(lo)
        # Withheld cells have no upper bound; a large finite one keeps the programme bounded.
        self.problem = {
            "constraints": LinearConstraint(a, rhs, rhs),
            "integrality": np.ones(n),
            "bounds": Bounds(lo, np.where(np.isfinite(hi), hi, 1e9)),
        }
        self.least, self.most = np.full(n, np.inf), np.full(n, -np.inf)

    def seen(self, x: np.ndarray) -> None:
        np.minimum(self.least, x, out=self.least)
        np.maximum(self.most, x, out=self.most)

    def solve(self, c: np.ndarray) -> None:
        r = milp(c, **self.problem)
        if r.x is None:
            raise SchemaError(
                "disclosure audit", f"the published cells are inconsistent: {r.message}"
            )
        self.seen(np.round(r.x))

    def pinned(self, cells: np.ndarray) -> np.ndarray:
        return cells[self.most[cells] <= self.least[cells]]


def _exposed_in(
    a: sparse.csr_array,
    rhs: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    cells: np.ndarray,
    truth: np.ndarray | None,
    rng: np.random.Generator,
) -> list[int]:
    """Within one independent group: the cells of ``cells`` with a single feasible value. Random
    objectives first (each completion frees many cells at once), then one cell at a time."""
    n = len(lo)
    if a.shape[0] == 0:
        return [int(i) for i in cells if math.floor(hi[i]) <= math.ceil(lo[i])]
    b = _Bracket(a, rhs, lo, hi)
    if truth is not None:
        b.seen(truth)
    open_ = cells
    while len(open_):
        c = np.zeros(n)
        c[open_] = rng.choice([-1.0, 1.0], len(open_))
        b.solve(c)
        b.solve(-c)
        before, open_ = len(open_), b.pinned(open_)
        if before - len(open_) <= max(2, before // 10):
            break
    for i in open_:
        for sign in (-1.0, 1.0):
            if len(b.pinned(np.array([i]))):
                c = np.zeros(n)
                c[i] = sign
                b.solve(c)
    return [int(i) for i in b.pinned(open_)]

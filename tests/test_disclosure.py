"""The disclosure-control layer: suppression, secondary suppression and the exact audit, checked
against a brute-force enumeration of every table a reader could reconstruct."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vrukit.disclosure import cell_bounds
from vrukit.errors import ConfigError, SchemaError
from vrukit.publish import Derived, Policy, Release, Table, audit, protect


def _crosstab(cells: np.ndarray) -> Release:
    """A rows x columns table with row totals, column totals and the grand total, all published."""
    r, c = cells.shape
    frame = pd.DataFrame(cells, columns=[f"c{j}" for j in range(c)])
    frame["total"] = frame.sum(axis=1)
    frame.insert(0, "row", [f"r{i}" for i in range(r)])
    totals = frame.drop(columns="row").sum().to_frame().T
    totals.insert(0, "row", "all")
    frame = pd.concat([frame, totals], ignore_index=True)
    rel = Release()
    cols = [*(f"c{j}" for j in range(c)), "total"]
    rel.add(Table("t", frame, ("row",), tuple(cols)))
    rel.sum_within_rows("t", "total", cols[:-1])
    rel.sum_rows("t", "t", cols, pd.Series(np.where(frame.row == "all", None, "all")))
    return rel


def _completions(published: pd.DataFrame, policy: Policy, cols: list[str]) -> list[np.ndarray]:
    """Every whole-number table consistent with what is published, each cell at most ``cap``
    (the reference: enumeration). ``cap`` is the largest published value plus 12, so a subset
    of the completions when the grand total is withheld: a cell that still takes two values
    is safe."""
    text = published[cols].astype(str).to_numpy()
    bounds = [[cell_bounds(v, policy) for v in row] for row in text]
    cap = max(b[1] for row in bounds for b in row if np.isfinite(b[1])) + 12
    ranges = [range(int(lo), int(min(hi, cap)) + 1) for row in bounds for lo, hi in row]
    size = np.prod([len(r) for r in ranges], dtype=float)
    assume(size <= 30_000)
    shape = text.shape
    found = []
    for combo in itertools.product(*ranges):
        t = np.array(combo).reshape(shape)
        body = t[:-1, :-1]
        if (body.sum(axis=1) == t[:-1, -1]).all() and (t[:-1].sum(axis=0) == t[-1]).all():
            found.append(t)
    return found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    st.integers(2, 3).flatmap(
        lambda r: st.integers(2, 3).flatmap(
            lambda c: st.lists(
                st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8]), min_size=r * c, max_size=r * c
            ).map(lambda v: np.array(v).reshape(r, c))
        )
    )
)
def test_suppression_never_reveals_a_small_count(cells: np.ndarray) -> None:
    policy = Policy()
    rel = _crosstab(cells)
    out = protect(rel, policy).tables["t"]
    cols = [c for c in out.columns if c != "row"]
    truth = rel.tables["t"].frame[cols].to_numpy()
    text = out[cols].astype(str).to_numpy()
    # Primary suppression: "<5" marks only counts 1-4, and every count 1-4 is hidden ("<5", or
    # "[x]" where even the markers would give it away).
    small = (truth >= 1) & (truth <= 4)
    assert not ((text == "<5") & ~small).any()
    assert np.isin(text[small], ["<5", "[x]"]).all()
    completions = _completions(out, policy, cols)
    if truth.max() <= max(cell_bounds(v, policy)[0] for v in text.ravel()) + 12:
        assert any((t == truth).all() for t in completions)  # the truth is among them
    stack = np.stack(completions)
    for i, j in zip(*np.nonzero(np.isin(text, ["<5", "[c]", "[x]"])), strict=True):
        possible = set(stack[:, i, j].tolist())
        assert len(possible) >= 2, (cells, out, (i, j), possible)


def test_a_lone_small_cell_takes_three_partners() -> None:
    out = protect(_crosstab(np.array([[2, 10], [12, 14]]))).tables["t"]
    assert out[["c0", "c1"]].iloc[:2].to_numpy().tolist() == [["<5", "[c]"], ["[c]", "[c]"]]
    assert out.total.tolist() == ["12", "26", "38"]


def test_audit_finds_a_pair_pinned_by_its_total() -> None:
    # total 62 = 60 + r + w with r, w in 1..4: r + w = 2, so both are 1.
    lo = np.array([62.0, 60.0, 1.0, 1.0])
    hi = np.array([62.0, 60.0, 4.0, 4.0])
    assert audit(lo, hi, [np.array([0, 1, 2, 3])], [2, 3]) == [2, 3]
    hi[0] = lo[0] = 64.0  # r + w = 4: (1, 3), (2, 2), (3, 1)
    assert audit(lo, hi, [np.array([0, 1, 2, 3])], [2, 3]) == []


def test_rounding_policy_rounds_and_rates_come_from_what_is_shown() -> None:
    frame = pd.DataFrame({"area": ["a", "b", "c"], "count": [3, 12, 40], "pop": [1000] * 3})
    frame["total"] = frame["count"]
    rel = Release()
    rate = Derived(("count",), lambda d: 1000 * d["count"] / d["pop"])
    rel.add(Table("areas", frame.assign(rate=0.0), ("area",), ("count",), {"rate": rate}))
    out = protect(rel, Policy(7, 5)).tables["areas"]
    assert out["count"].tolist() == ["<8", "10", "40"]
    assert out.rate.isna().tolist() == [True, False, False]
    assert out.rate.iloc[1] == 10.0  # from the shown 10, not the true 12


def test_masked_columns_follow_their_count() -> None:
    frame = pd.DataFrame({"area": ["a", "b", "c"], "count": [3, 9, 40], "harm": [30.0, 90, 400]})
    frame = pd.concat([frame, pd.DataFrame([{"area": "all", "count": 52, "harm": 520.0}])])
    rel = Release()
    rel.add(Table("areas", frame, ("area",), ("count",), {"harm": Derived(("count",))}))
    rel.sum_rows("areas", "areas", ["count"], pd.Series(["all", "all", "all", np.nan]))
    out = protect(rel).tables["areas"]
    assert out["count"].tolist() == ["<5", "[c]", "40", "52"]
    assert out.harm.isna().tolist() == [True, True, False, False]


def test_bad_releases_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="2 or more"):
        Policy(1)
    rel = Release()
    with pytest.raises(SchemaError, match="whole numbers"):
        rel.add(Table("t", pd.DataFrame({"k": ["a"], "n": [1.5]}), ("k",), ("n",)))
    rel.add(Table("t", pd.DataFrame({"k": ["a", "b", "all"], "n": [1, 2, 4]}), ("k",), ("n",)))
    rel.sum_rows("t", "t", ["n"], pd.Series(["all", "all", np.nan]))
    with pytest.raises(SchemaError, match="do not add up"):
        protect(rel)

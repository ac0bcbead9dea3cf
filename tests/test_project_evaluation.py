"""Project-tier evaluation against published values (Newcombe 1998), an independent formula for
the Wilcoxon statistic, and planted truth; a self-selected comparison is never called an effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vrukit.analysis.project_evaluation import compare_groups, paired_change, wilson


def test_intervals_match_newcombes_published_examples():
    # Newcombe (1998), Stat Med 17: 857-872 and 873-890: Wilson score and hybrid score methods
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    g = compare_groups(56, 70, 48, 80, self_selected=False)
    assert (g.low, g.high) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert g.sms_level == 5


def _signed_rank_z(d: np.ndarray) -> float:
    """The Wilcoxon signed-rank z by hand: zeros dropped, tied ranks averaged, tie-corrected."""
    d = d[d != 0]
    r = stats.rankdata(np.abs(d))
    n = len(d)
    w = r[d > 0].sum()
    _, counts = np.unique(np.abs(d), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - (counts**3 - counts).sum() / 48
    return (w - n * (n + 1) / 4) / np.sqrt(var)


def test_pre_post_finds_the_planted_change_and_not_the_null():
    rng = np.random.default_rng(8)
    n = 150
    pre = rng.integers(1, 5, n)
    lift = (rng.random(n) < 0.5).astype(int)  # half move up one point
    rows = [
        pd.DataFrame(
            {
                "statement": "I know where to refer a young person",
                "pre": pre,
                "post": np.minimum(pre + lift, 5),
            }
        ),
        pd.DataFrame(
            {
                "statement": "I feel confident",
                "pre": pre,
                "post": np.clip(pre + rng.integers(-1, 2, n), 1, 5),
            }
        ),
    ]
    scores = pd.concat(rows, ignore_index=True)
    scores.loc[3, "post"] = np.nan  # an incomplete pair is left out and counted
    out = paired_change(scores).set_index("statement")
    planted = out.loc["I know where to refer a young person"]
    assert planted.pairs == n - 1 and planted.incomplete == 1
    assert planted.wilcoxon_p < 1e-6 and planted.effect_r > 0.5
    truth = (np.minimum(pre + lift, 5) > pre).mean()
    assert planted.improved_low <= truth <= planted.improved_high
    null = out.loc["I feel confident"]
    assert null.wilcoxon_p > 0.01 and abs(null.effect_r) < 0.2
    d = (scores.post - scores.pre)[scores.statement == "I feel confident"].to_numpy()
    z = _signed_rank_z(d)
    assert null.wilcoxon_p == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert null.effect_r == pytest.approx(z / np.sqrt((d != 0).sum()))
    assert (out.sms_level == 2).all()


def test_a_self_selected_gap_is_not_called_an_effect():
    # the seed report: 11% reoffending among young people who engaged, 66% among those who refused
    g = compare_groups(11, 100, 33, 50, labels=("engaged", "refused"), self_selected=True)
    assert g.difference == pytest.approx(0.11 - 0.66)
    assert g.high < 0
    assert g.sms_level == 2 and "not an estimate of the service's effect" in g.caution
    assert "at random" in g.caution and "intention to treat" in g.caution
    assert list(g.table.group) == ["engaged", "refused"]

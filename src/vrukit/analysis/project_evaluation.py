"""Project-tier evaluation: did participants change, and what can a comparison of groups say?

**Pre/post scores** (``paired_change``): for each statement of a training or mentoring
questionnaire (agreement 1-5 before and after), the Wilcoxon signed-rank test on the pairs, the
effect size r = Z / sqrt(n) (Z from the normal approximation with ties corrected), the
share who improved with its Wilson interval, and the mean change with a t interval. A pre/post
design without comparison is **SMS level 2**: it shows change, not that the training caused it
(people may have improved anyway, or answered "after" more kindly).

**Proportions between groups** (``compare_groups``): each group's proportion with its Wilson
interval and the difference with Newcombe's hybrid-score interval (statsmodels). When the groups
chose themselves - young people who *engaged* with a service against those who *refused* - the
difference mixes the service's effect with whatever made people engage, so the output says so
and says which design would give an effect estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from vrukit.errors import t

__all__ = ["GroupComparison", "compare_groups", "paired_change", "wilson"]

#: What a self-selected comparison cannot tell, and the designs that can.
SELF_SELECTION = t(
    "The groups chose themselves, so this gap is not an estimate of the service's effect: "
    "whatever made someone engage (motivation, family support, a less entrenched situation) "
    "also changes their chance of the outcome. Designs that give an effect estimate: offer the "
    "service at random among eligible young people, or to a waiting list in random order "
    "(SMS 5); compare with similar young people in places or periods where it was not offered, "
    "matched on their risk before the offer (SMS 3-4); or, where an eligibility score decides "
    "who is offered it, compare those just either side of the threshold (regression "
    "discontinuity, SMS 4). Analyse by the offer, not by engagement (intention to treat)."
)


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k of n."""
    lo, hi = proportion_confint(k, n, alpha=1 - level, method="wilson")
    return float(lo), float(hi)


def paired_change(scores: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Per statement, the change from ``pre`` to ``post`` (columns ``statement``, ``pre``,
    ``post``; rows missing either are left out and counted)."""
    rows = []
    for statement, g in scores.groupby("statement", sort=False):
        both = g.dropna(subset=["pre", "post"])
        d = (both.post - both.pre).to_numpy(float)
        n = len(d)
        improved = int((d > 0).sum())
        row = {
            "statement": statement, "pairs": n, "incomplete": len(g) - n,
            "mean_pre": both.pre.mean(), "mean_post": both.post.mean(),
            "mean_change": d.mean() if n else np.nan,
            "improved": improved, "same": int((d == 0).sum()), "worse": int((d < 0).sum()),
        }  # fmt: skip
        row["improved_share"] = improved / n if n else np.nan
        row["improved_low"], row["improved_high"] = (
            wilson(improved, n, level) if n else (np.nan,) * 2
        )
        if n > 1:
            half = stats.t.ppf((1 + level) / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
            row["change_low"], row["change_high"] = d.mean() - half, d.mean() + half
        if (d != 0).sum() >= 1:
            w = stats.wilcoxon(d, zero_method="wilcox", method="approx", correction=False)
            z = float(stats.norm.isf(w.pvalue / 2)) * np.sign(d[d != 0].sum())
            row["wilcoxon_p"], row["effect_r"] = float(w.pvalue), z / np.sqrt((d != 0).sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    out["sms_level"] = 2
    return out


@dataclass(frozen=True)
class GroupComparison:
    """Two groups' proportions, their difference and what it can be taken to mean."""

    table: pd.DataFrame
    difference: float
    low: float
    high: float
    self_selected: bool
    caution: str
    sms_level: int


def compare_groups(
    k_a: int, n_a: int, k_b: int, n_b: int, *, labels: tuple[str, str] = ("A", "B"),
    self_selected: bool, level: float = 0.95,
) -> GroupComparison:  # fmt: skip
    """Compare k_a/n_a with k_b/n_b: Wilson intervals and Newcombe's interval for a - b.

    ``self_selected`` must be said: True when people chose their group (engaged or refused),
    False when the groups were formed by random assignment."""
    table = pd.DataFrame(
        [(labels[0], k_a, n_a, k_a / n_a, *wilson(k_a, n_a, level)),
         (labels[1], k_b, n_b, k_b / n_b, *wilson(k_b, n_b, level))],
        columns=["group", "count", "total", "proportion", "low", "high"],
    )  # fmt: skip
    lo, hi = confint_proportions_2indep(
        k_a, n_a, k_b, n_b, method="newcomb", compare="diff", alpha=1 - level
    )
    caution = SELF_SELECTION if self_selected else t(
        "The groups were formed at random, so the difference estimates the effect of being "
        "offered the service."
    )  # fmt: skip
    return GroupComparison(
        table, k_a / n_a - k_b / n_b, float(lo), float(hi), self_selected, caution,
        2 if self_selected else 5,
    )  # fmt: skip

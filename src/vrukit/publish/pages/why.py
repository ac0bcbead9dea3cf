"""The "Why" page: which inequalities go with violence (the risk model)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from vrukit.publish import _charts as charts
from vrukit.publish.pages._base import PageBase

__all__ = ["WhyPage"]


class WhyPage(PageBase):
    def page_why(self) -> dict[str, Any]:
        ctx: dict[str, Any] = {"title": self.t("Why"), "figures": [], "factors": None}
        f = self.data.factors
        if f is not None and len(f):
            f = f.assign(
                label=[self.factor_label(a, b) for a, b in zip(f.factor, f.label, strict=True)]
            )
            ranked = f[f.factor != "pilot_area"].reindex(
                f[f.factor != "pilot_area"]
                .irr.map(lambda r: abs(math.log(r)))
                .sort_values(ascending=False)
                .index
            )
            top = ranked.iloc[0]
            summary = self.t(
                "The strongest association is with %(factor)s: one standard deviation "
                "more goes with a violence rate %(irr)s times as high.",
                factor=top.label,
                irr=self.lang.num(top.irr, 2),
            )
            rows = [
                [
                    r.label,
                    self.lang.num(r.irr, 2),
                    f"{self.lang.num(r.irr_lo, 2)} – {self.lang.num(r.irr_hi, 2)}",
                    "< 0.001" if r.p < 0.001 else self.lang.num(r.p, 3),
                ]
                for r in f.itertuples()
            ]
            ctx["figures"].append(
                self.render_fig(
                    charts.Figure(
                        "risk_factors",
                        self.t("Risk factors: rate ratio per standard deviation"),
                        summary,
                        [
                            self.t("Factor"),
                            self.t("Rate ratio"),
                            self.t("Confidence interval"),
                            "p",
                        ],
                        rows,
                        charts.forest(f, x_title=self.t("Rate ratio (log scale)")),
                    ),
                    1,
                )
            )
        d = self.pub.tables.get("deciles")
        if d is not None:
            rate = pd.to_numeric(d.rate_per_1000, errors="coerce")
            frame = pd.DataFrame({"decile": d.decile.astype(str), "rate": rate.round(1)})
            ratio = rate.iloc[0] / rate.iloc[-1] if rate.iloc[-1] else math.nan
            summary = self.t(
                "Areas in the most deprived tenth have %(ratio)s times the violence "
                "rate of the least deprived tenth.",
                ratio=self.lang.num(ratio, 1),
            )
            ctx["figures"].append(
                self.render_fig(
                    charts.Figure(
                        "gradient",
                        self.t("Violence rate by deprivation decile (1 = most deprived)"),
                        summary,
                        [self.t("Decile"), self.t("Crimes"), self.t("Rate per 1,000")],
                        [
                            [a, self.lang.count(c), self.lang.num(b, 1)]
                            for a, c, b in zip(frame.decile, d["count"], frame.rate, strict=True)
                        ],
                        charts.bars(
                            frame,
                            "rate",
                            "decile",
                            x_title=self.t("Rate per 1,000 residents"),
                            y_title=self.t("Decile"),
                            sort=False,
                        ),
                    ),
                    1,
                )
            )
        ctx["family"] = self.data.risk.get("summary", {}).get("family") if self.data.risk else None
        ctx["iod_year"] = self.iod_year()
        return ctx

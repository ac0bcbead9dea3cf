"""The "When" page: the monthly trend, seasonality, year on year and each crime type."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from vrukit.publish import _charts as charts
from vrukit.publish._data import slug
from vrukit.publish.pages._base import PageBase

__all__ = ["WhenPage"]


class WhenPage(PageBase):
    def page_when(self) -> dict[str, Any]:
        figs = [self.trend_figure(1)]
        mt = self.pub.tables["monthly_types"]
        for t in self.data.types:
            col = slug(t)
            frame = mt[["month", col]].assign(value=pd.to_numeric(mt[col], errors="coerce"))
            window = frame.value[frame.month.between(*self.data.window)]
            last = window.sum(min_count=len(window))
            summary = self.t(
                "%(type)s: %(n)s crimes from %(first)s to %(last)s.",
                type=self.type_label(t),
                n=self.lang.num(last) if not math.isnan(last) else self.t("not published"),
                **self.period(),
            )
            figs.append(
                self.render_fig(
                    charts.Figure(
                        f"type_{col}",
                        self.type_label(t),
                        summary,
                        [self.t("Month"), self.t("Crimes")],
                        [
                            [self.lang.month(m), self.lang.count(v)]
                            for m, v in zip(frame.month, mt[col], strict=True)
                        ],
                        charts.line(
                            frame.dropna(subset=["value"]),
                            "month",
                            "value",
                            x_title=self.t("Month"),
                            y_title=self.t("Crimes"),
                        ),
                    ),
                    1,
                )
            )
        m = self.monthly_region().dropna(subset=["value"])
        m["cal"] = m.month.str[5:7].astype(int)
        season = m.groupby("cal").value.mean()
        ratio = season / season.mean()
        peak = int(ratio.idxmax())
        frame = pd.DataFrame(
            {
                "month": [self.lang.month_name(i) for i in season.index],
                "index": (100 * ratio).round(1).to_numpy(),
            }
        )
        summary = self.t(
            "Violence is highest in %(month)s, %(pct)s above the average month.",
            month=self.lang.month_name(peak),
            pct=self.lang.pct(100 * (ratio.max() - 1)),
        )
        figs.append(
            self.render_fig(
                charts.Figure(
                    "seasonality",
                    self.t("The year's pattern: each calendar month against the average"),
                    summary,
                    [self.t("Month"), self.t("Index (average month = 100)")],
                    [
                        [m_, self.lang.num(v, 1)]
                        for m_, v in zip(frame.month, frame["index"], strict=True)
                    ],
                    charts.bars(
                        frame,
                        "index",
                        "month",
                        x_title=self.t("Index (average month = 100)"),
                        y_title="",
                        rule=100.0,
                        sort=False,
                    ),
                ),
                1,
            )
        )
        return {
            "title": self.t("When"), "figures": figs, "months": len(m),
            **self.hospital_context(),  # type: ignore[attr-defined]
        }  # fmt: skip

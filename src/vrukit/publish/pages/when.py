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
        forecast = self.forecast_figure()
        if forecast is not None:
            figs.append(forecast)
        return {
            "title": self.t("When"), "figures": figs, "months": len(m),
            **self.hospital_context(),  # type: ignore[attr-defined]
        }  # fmt: skip

    def forecast_figure(self) -> charts.Figure | None:
        """The next three months for each local authority, where the rolling-origin check
        passed (``vrukit.analysis.forecast``); else why not. Either way, how well it did."""
        f = self.data.forecast
        if f is None:
            return None
        g = f["group"]
        checked = self.t(
            "Checked at %(origins)s earlier points: its typical error was %(mase)s of that of "
            "the same month a year before (the best simple method scored %(baseline)s), and "
            "the wider range held %(cover)s of the months.",
            origins=self.lang.num(g["origins"]), mase=self.lang.num(g["mase"], 2),
            baseline=self.lang.num(g["baseline_mase"], 2),
            cover=self.lang.pct(100 * g["coverage_95"]),
        )  # fmt: skip
        title = self.t("The next three months")
        if f["table"] is None:
            why = (self.t("No forecast is shown: it was not closer to what happened than a "
                          "simple method.") if g["mase"] >= g["baseline_mase"] else
                   self.t("No forecast is shown: its ranges did not hold the right share of "
                          "the months."))  # fmt: skip
            label = {
                "negative binomial model": self.t("This forecast"),
                "seasonal naive": self.t("Same month a year before"),
                "rolling mean (12 months)": self.t("Average of the last 12 months"),
            }
            rows = [[label.get(m["model"], m["model"]), self.lang.num(m["mase"], 2),
                     self.lang.pct(100 * m["coverage_95"])] for m in f["methods"]]  # fmt: skip
            columns = [self.t("Method"), self.t("Typical error"),
                       self.t("Months in the wider range")]  # fmt: skip
            return charts.Figure("forecast", title, f"{why} {checked}", columns, rows)
        las = self.data.las
        names = (dict(zip(las.lad_code, las.lad_name, strict=True)) if "lad_code" in las
                 else las.lad_name.to_dict())  # fmt: skip
        table = self.pub.tables["forecast"]
        rows = [[names.get(r.lad_code, r.lad_code), self.lang.month(r.month),
                 self.lang.num(r.mean), f"{self.lang.num(r.lo80)}–{self.lang.num(r.hi80)}",
                 f"{self.lang.num(r.lo95)}–{self.lang.num(r.hi95)}"]
                for r in table.itertuples()]  # fmt: skip
        first = table[table.month == table.month.min()].assign(
            label=lambda d: [names.get(c, c) for c in d.lad_code],
            irr=lambda d: d["mean"], irr_lo=lambda d: d.lo95, irr_hi=lambda d: d.hi95,
        )  # fmt: skip
        summary = self.t(
            "Violence expected in each local authority from %(first)s to %(last)s, with the "
            "range it should fall in 80 and 95 times in 100.",
            first=self.lang.month(f["months"][0], in_sentence=True),
            last=self.lang.month(f["months"][-1], in_sentence=True),
        )  # fmt: skip
        return self.render_fig(
            charts.Figure(
                "forecast", title, f"{summary} {checked}",
                [self.t("Local authority"), self.t("Month"), self.t("Expected"),
                 self.t("Likely range (80 in 100)"), self.t("Wider range (95 in 100)")],
                rows,
                charts.ranges(first, x_title=self.t("Crimes expected next month")),
            ),
            1,
        )  # fmt: skip

"""The pages of each local authority and each pilot place."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from vrukit.publish import _charts as charts
from vrukit.publish._maps import map_file
from vrukit.publish.pages._base import PageBase, num

__all__ = ["PlacePages"]


class PlacePages(PageBase):
    def page_la(self, row: Any) -> dict[str, Any]:
        la = self.las[self.las.lad_code == row.lad_code].iloc[0]
        areas = self.areas[self.areas.lad_code == row.lad_code]
        m = self.pub.tables["monthly"]
        mine = m[m.lad_code == row.lad_code].assign(
            value=lambda d: pd.to_numeric(d["count"], errors="coerce")
        )
        region = self.monthly_region()
        frame = pd.concat(
            [
                pd.DataFrame(
                    {
                        "month": mine.month,
                        "value": (1000 * mine.value / float(la.population)).round(2),
                        "who": row.lad_name,
                    }
                ),
                pd.DataFrame(
                    {
                        "month": region.month,
                        "value": (1000 * region.value / float(self.region_row.population)).round(2),
                        "who": self.t("Whole region"),
                    }
                ),
            ]
        ).dropna(subset=["value"])
        rate, reg = num(la.rate_per_1000), num(self.region_row.rate_per_1000)
        summary = self.t(
            "In %(la)s the violence rate from %(first)s to %(last)s was %(rate)s per 1,000 "
            "residents, against %(region)s across the region.",
            **self.period(),
            la=row.lad_name,
            rate=self.lang.num(rate, 1),
            region=self.lang.num(reg, 1),
        )
        fig = self.render_fig(
            charts.Figure(
                f"la_{row.lad_code}",
                self.t(
                    "Monthly violence rate per 1,000 residents: %(la)s and the region",
                    la=row.lad_name,
                ),
                summary,
                [self.t("Month"), str(row.lad_name), self.t("Whole region")],
                self._rate_rows(frame, str(row.lad_name)),
                charts.line(
                    frame,
                    "month",
                    "value",
                    x_title=self.t("Month"),
                    y_title=self.t("Rate per 1,000"),
                    series="who",
                ),
            ),
            2,
        )
        hot = int((areas.gi_class == "hot spot").sum())
        return {
            "title": str(row.lad_name),
            "cards": self.headlines(la, self.region_row),
            "figures": [fig],
            "areas_table": self.area_rows(areas.sort_values("area_name")),
            "map": self.map_config(
                self.layers_available(["rate", "gi", "tier"]),
                list(areas.area_code),
                map_file("la", row.lad_code),
            ),
            "hot": self.lang.num(hot),
            "n_areas": self.lang.num(len(areas)),
        }

    def _rate_rows(self, frame: pd.DataFrame, la: str) -> list[list[str]]:
        """The chart's table: each month's rate per 1,000 for the authority and the region, as
        the chart draws them (a suppressed month is blank)."""
        wide = frame.pivot_table(index="month", columns="who", values="value", aggfunc="first")
        region = self.t("Whole region")
        return [
            [self.lang.month(m), self.lang.num(r.get(la), 2), self.lang.num(r.get(region), 2)]
            for m, r in wide.iterrows()
        ]

    def page_pilot(self, row: Any) -> dict[str, Any]:
        areas = self.areas[
            self.areas.pilot.fillna("").str.split("; ").map(lambda n: row.pilot in n)
        ]
        rate, reg = num(row.rate_per_1000), num(self.region_row.rate_per_1000)
        if math.isnan(rate):
            summary = self.t("The pilot's count is not published because it is small.")
        else:
            summary = self.t(
                "The pilot's %(n)s areas had %(count)s selected violent crimes from %(first)s "
                "to %(last)s: %(rate)s per 1,000 residents, against %(region)s across the "
                "region.",
                **self.period(),
                n=self.lang.num(row.areas),
                count=self.lang.count(row.count),
                rate=self.lang.num(rate, 1),
                region=self.lang.num(reg, 1),
            )
        return {
            "title": str(row.pilot),
            "summary": summary,
            "areas_table": self.area_rows(areas.sort_values("area_name")),
            "map": self.map_config(
                self.layers_available(["rate", "gi", "tier"]),
                list(areas.area_code),
                map_file("pilot", row.pilot),
            ),
            "residents": self.lang.num(row.population),
            "lad": row.lad_name,
        }

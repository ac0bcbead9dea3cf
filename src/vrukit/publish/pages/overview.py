"""The overview page: headline figures for the region and its local authorities."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vrukit.publish._data import ALL
from vrukit.publish.pages._base import PageBase, num

__all__ = ["OverviewPage"]


class OverviewPage(PageBase):
    def page_index(self) -> dict[str, Any]:
        r = self.region_row
        las = self.las[self.las.lad_code != ALL].sort_values("lad_name")
        region_rate = num(r.rate_per_1000)
        cols = {
            "lad_name": self.t("Local authority"),
            "count": self.t("Crimes"),
            "rate": self.t("Rate per 1,000"),
            "vs": self.t("Against the region"),
        }
        shown = pd.DataFrame(
            {
                "lad_name": las.lad_name,
                "count": las["count"].map(self.lang.count),
                "rate": las.rate_per_1000.map(lambda x: self.lang.num(x, 1)),
                "vs": las.rate_per_1000.map(
                    lambda x: self.lang.pct(100 * (num(x) / region_rate - 1), 0, signed=True)
                ),
            }
        )
        if len(las) < 2:
            del cols["vs"]
        if "change_pct" in las:
            cols["change"] = self.t("Change on the year before")
            shown["change"] = las.change_pct.map(lambda x: self.lang.pct(num(x), 1, signed=True))
        return {
            "title": self.t("Overview"),
            "cards": self.headlines(r),
            # one local authority (a CSP's site) has nothing to be compared with
            "figures": [self.trend_figure(1)] + ([self.la_rates_figure(1)] if len(las) > 1 else []),
            "la_table": self.table(shown, cols, {"count", "rate", "vs", "change"}),
            "crimes": self.lang.count(r["count"]),
            "rate": self.lang.num(region_rate, 1),
            "hospital": self.hospital_sentence(),  # type: ignore[attr-defined]
        }

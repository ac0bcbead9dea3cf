"""The "Where" page: rates, harm and hotspots on the map, and how concentrated violence is."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vrukit.publish import _charts as charts
from vrukit.publish._data import lorenz_points
from vrukit.publish.pages._base import PageBase

__all__ = ["WherePage"]


class WherePage(PageBase):
    def page_where(self) -> dict[str, Any]:
        layers = self.layers_available(["rate", "harm", "gi", "pattern", "density", "hex_pattern"])
        a = self.areas.assign(_r=pd.to_numeric(self.areas.rate_per_1000, errors="coerce"))
        top = a.sort_values("_r", ascending=False).head(50)
        conc = self.data.analysis["summary"]["concentration"]["count"]
        figs = []
        if self.data.lorenz is not None:
            lz = lorenz_points(self.data.lorenz)
            summary = self.t(
                "The busiest 10 in every 100 areas hold %(share)s of the violence; "
                "the busiest 1 in 100 hold %(share1)s (Gini %(gini)s).",
                share=self.lang.pct(100 * conc["top_10pct_share"]),
                share1=self.lang.pct(100 * conc["top_1pct_share"]),
                gini=self.lang.num(conc["gini"], 2),
            )
            pick = lz.iloc[[0, 1, 5, 10, 20, 50, 100]]
            figs.append(
                self.render_fig(
                    charts.Figure(
                        "concentration",
                        self.t("How concentrated violence is"),
                        summary,
                        [self.t("Busiest share of areas"), self.t("Share of violence")],
                        [
                            [self.lang.pct(100 * x), self.lang.pct(100 * y, 1)]
                            for x, y in zip(pick.area_share, pick.value_share, strict=True)
                        ],
                        charts.lorenz(
                            lz,
                            x_title=self.t("Share of areas, busiest first"),
                            y_title=self.t("Share of violence"),
                        ),
                    ),
                    1,
                )
            )
        hot = int((self.areas.gi_class == "hot spot").sum())
        summary = self.data.analysis["summary"]
        return {
            "title": self.t("Where"),
            "map": self.map_config(layers),
            "figures": figs,
            "top_table": self.area_rows(top),
            "hot": self.lang.num(hot),
            "n_areas": self.lang.num(len(self.areas)),
            "places": self.lang.num(places) if (places := summary.get("hot_spot_places")) else "",
        }

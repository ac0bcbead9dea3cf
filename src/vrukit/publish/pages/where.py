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
        accuracy = self.accuracy_figure()
        if accuracy is not None:
            figs.append(accuracy)
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

    def accuracy_figure(self) -> charts.Figure | None:
        """Would the hot spots have predicted what came next? Each way of finding them on
        areas, fitted on a year and scored on the next three months at earlier points
        (``vrukit.analysis.predictive``): the share of the land it picked, the share of the
        violence that followed there, and the share in the 5 in 100 of the land it ranked
        highest."""
        if "hotspot_accuracy" not in self.pub.tables:
            return None
        s = self.pub.tables["hotspot_accuracy"].set_index("method")
        label = {
            "gi_star": self.t("Hot spot areas (Gi*)"),
            "top_count": self.t("Areas with the most crimes"),
            "top_rate": self.t("Areas with the highest rate"),
            "top_density": self.t("Areas with the most crimes per km²"),
            "prior_count": self.t("Areas with the most crimes last quarter"),
            "emerging": self.t("Emerging hot spots"),
        }
        s = s[s.index.isin(label)]
        if "gi_star" not in s.index:
            return None
        g = s.loc["gi_star"]
        summary = self.t(
            "Checked at %(origins)s earlier points: the hot spot areas found from a year of "
            "data covered %(area)s of the land and had %(hit)s of the next three months' "
            "violence, %(pai)s times their share of the land.",
            origins=self.lang.num(g.origins), area=self.lang.pct(100 * g.area_share, 1),
            hit=self.lang.pct(100 * g.hit_rate), pai=self.lang.num(g.pai, 1),
        )  # fmt: skip
        frame = pd.DataFrame({"method": [label[m] for m in s.index],
                              "share": (100 * s.hit_rate_at_5pct).round(1).to_numpy()})  # fmt: skip
        rows = [[label[m], self.lang.pct(100 * r.area_share, 1), self.lang.pct(100 * r.hit_rate),
                 self.lang.num(r.pai, 1), self.lang.pct(100 * r.hit_rate_at_5pct)]
                for m, r in s.iterrows()]  # fmt: skip
        return self.render_fig(
            charts.Figure(
                "hotspot_accuracy",
                self.t("Would these hot spots have predicted what came next?"),
                summary,
                [self.t("Method"), self.t("Share of the land"),
                 self.t("Share of the next three months' violence"),
                 self.t("Times its share of the land"),
                 self.t("Violence in the top 5 in 100 of the land")],
                rows,
                charts.bars(frame, "share", "method", sort=False, y_title="",
                            x_title=self.t("Violence in the top 5 in 100 of the land (%)")),
            ),
            1,
        )  # fmt: skip

"""The "Where next" page: priority places, the gap list and the reasons for each place."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from vrukit.analysis.coverage import RADIUS_M
from vrukit.publish._i18n import N_
from vrukit.publish._labels import (
    TIER_LABELS,
)
from vrukit.publish.pages._base import PageBase

__all__ = ["NextPage"]


class NextPage(PageBase):
    def page_next(self) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "title": self.t("Where next"),
            "has_risk": "tier" in self.areas,
            "iod_year": self.iod_year(),
        }
        if not ctx["has_risk"]:
            return ctx
        a = self.areas.sort_values("rank").head(20)
        cols = {
            "rank": self.t("Rank"),
            "area_name": self.t("Area"),
            "lad_name": self.t("Local authority"),
            "score": self.t("Risk score"),
            "interval": self.t("Rank interval"),
            "tier": self.t("Risk tier"),
        }
        if "pilot" in a:
            cols["pilot"] = self.t("Pilot")
        shown = a.assign(
            rank=a["rank"].map(self.lang.num),
            score=a.risk_score.map(lambda x: self.lang.num(x, 1)),
            interval=[
                f"{self.lang.num(lo)} – {self.lang.num(hi)}"
                for lo, hi in zip(a.rank_lo, a.rank_hi, strict=True)
            ],
            tier=a.tier.map(lambda g: self.t(TIER_LABELS.get(str(g), str(g)))),
        )
        if "pilot" in a:
            shown["pilot"] = a.pilot.fillna("")
        ctx["top_table"] = self.table(shown, cols, {"rank", "score"})
        ctx["map"] = self.map_config(self.layers_available(["tier", "rate", "gi"]))
        c = self.pub.tables.get("clusters")
        if c is not None:
            ccols = {
                "cluster": self.t("Cluster"),
                "areas": self.t("Areas"),
                "population": self.t("Residents"),
                "count": self.t("Crimes"),
                "rate": self.t("Rate per 1,000"),
                "local_authorities": self.t("Local authority"),
                "pilot_areas": self.t("Areas in a pilot"),
            }
            cs = c.assign(
                population=c.population.map(self.lang.num),
                count=c["count"].map(self.lang.count),
                rate=c.rate_per_1000.map(lambda x: self.lang.num(x, 1)),
            )
            ctx["clusters"] = self.table(
                cs, ccols, {"areas", "population", "count", "rate", "pilot_areas"}
            )
        g = self.pub.tables.get("gaps")
        if g is not None and len(g):
            gcols = {
                "rank": self.t("Rank"),
                "area_name": self.t("Area"),
                "lad_name": self.t("Local authority"),
                "tier": self.t("Risk tier"),
                "why": self.t("Why it ranks high"),
                "nearest_pilot": self.t("Nearest pilot"),
                "km": self.t("Distance (km)"),
            }
            gs = g.assign(
                rank=g["rank"].map(self.lang.num),
                tier=g.tier.map(lambda x: self.t(TIER_LABELS.get(str(x), str(x)))),
                why=[self.reasons(code) for code in g.area_code],
                km=g.nearest_pilot_km.map(lambda x: self.lang.num(x, 1)),
            )
            ctx["gaps"] = self.table(gs, gcols, {"rank", "km"})
            ctx["n_gaps"] = self.lang.num(len(g))
        cov = self.pub.tables.get("coverage")
        if cov is not None and len(cov):
            ctx |= self.coverage(cov)
        return ctx

    def coverage(self, cov: pd.DataFrame) -> dict[str, Any]:
        """ "High risk, few services": the high-risk areas with the fewest Youth Map services
        near them (the 20 fewest shown; every one in the download)."""
        km = self.lang.num(RADIUS_M / 1000, 1)
        cols = {
            "rank": self.t("Rank"),
            "area_name": self.t("Area"),
            "lad_name": self.t("Local authority"),
            "near": self.t("Youth services within %(km)s km", km=km),
            "nearest": self.t("Nearest service (km)"),
        }
        top = cov.head(20)
        shown = top.assign(
            rank=top["rank"].map(self.lang.num),
            near=top.services_near.map(self.lang.num),
            nearest=top.nearest_km.map(lambda x: self.lang.num(x, 1)),
        )
        return {"coverage": self.table(shown, cols, {"rank", "near", "nearest"}),
                "n_unserved": self.lang.num(int((cov.services_near == 0).sum())),
                "n_high": self.lang.num(len(cov)), "coverage_km": km}  # fmt: skip

    @functools.cached_property
    def _areas_by_code(self) -> pd.DataFrame:
        """The area table indexed by code, built once (``reasons`` looks up every listed area)."""
        return self.data.areas.set_index("area_code")

    def reasons(self, code: str) -> str:
        """Why an area ranks high, from its index components, in this language."""
        idx = self._areas_by_code
        if code not in idx.index or "rate_component" not in idx:
            return ""
        r = idx.loc[code]
        said = []
        for comp, text in (
            ("rate", N_("violence rate in the top %(pct)s")),
            ("harm", N_("harm in the top %(pct)s")),
            ("expected", N_("rate its inequalities predict in the top %(pct)s")),
        ):
            share = max(1, round(100 * (1 - float(r[f"{comp}_component"]))))
            if share <= 10:
                said.append(self.t(text, pct=self.lang.pct(share)))
        if float(r.get("hotspot_component", 0)) >= 1:
            said.append(self.t("a Gi* hot spot"))
        return "; ".join(said)

"""The "Where next" page, decision first: the priority places and why, who no pilot or youth
service reaches (the numbers reconciled in words), then the tables, the long ones collapsed with
their downloads, and how the index works at the end."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from vrukit.analysis.coverage import RADIUS_M
from vrukit.publish._i18n import N_
from vrukit.publish._labels import TIER_LABELS
from vrukit.publish.pages._base import PageBase

__all__ = ["HIGH", "SHOWN", "NextPage"]

#: The tiers the page calls high risk (the priority places are made of them).
HIGH = ("very high", "high")
#: Rows of a long table shown before the rest is collapsed.
SHOWN = 10


class NextPage(PageBase):
    def page_next(self) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "title": self.t("Where next"),
            "has_risk": "tier" in self.areas,
            "iod_year": self.iod_year(),
        }
        if not ctx["has_risk"]:
            return ctx
        ctx["top_table"] = self._top()
        ctx["map"] = self.map_config(self.layers_available(["tier", "rate", "gi"]))
        c = self.pub.tables.get("clusters")
        if c is not None and len(c):
            ctx["clusters"] = self.long_table(self._places(c), "clusters")
        g = self.pub.tables.get("gaps")
        if g is not None and len(g):
            ctx["gaps"] = self.long_table(self._gaps(g), "gaps")
        cov = self.pub.tables.get("coverage")
        if cov is not None and len(cov):
            ctx |= self.coverage(cov)
        ctx["in_short"] = self.in_short(c, g, cov)
        return ctx

    def long_table(self, table: dict, name: str) -> dict:
        """A table's first ``SHOWN`` rows and the rest (collapsed on the page), with the files
        of its download."""
        rows = table["rows"]
        return table | {"rows": rows[:SHOWN], "rest": rows[SHOWN:], "total": len(rows),
                        "files": self.downloads.get(name, [])}  # fmt: skip

    def _top(self) -> dict:
        a = self.areas.sort_values("rank").head(20)
        cols = {
            "rank": self.t("Rank"),
            "area_name": self.t("Area"),
            "lad_name": self.t("Local authority"),
            "tier": self.t("Risk tier"),
            "interval": self.t("Rank could be between"),
        }
        if "pilot" in a:
            cols["pilot"] = self.t("Pilot")
        shown = a.assign(
            rank=a["rank"].map(self.lang.num),
            interval=[
                f"{self.lang.num(lo)} – {self.lang.num(hi)}"
                for lo, hi in zip(a.rank_lo, a.rank_hi, strict=True)
            ],
            tier=a.tier.map(lambda g: self.t(TIER_LABELS.get(str(g), str(g)))),
        )
        if "pilot" in a:
            shown["pilot"] = a.pilot.fillna("")
        return self.table(shown, cols, {"rank"})

    def place_name(self, row: Any) -> str:
        """A priority place's name: its main neighbourhood and how many others it reaches."""
        name = str(getattr(row, "name", "") or "")
        if not name or name == "nan":
            return self.t("Place %(n)s", n=self.lang.num(row.cluster))
        name = self.lang.isolate(name)  # a Latin name in a right-to-left sentence keeps its order
        others = int(getattr(row, "other_neighbourhoods", 0) or 0)
        if not others:
            return name
        return self.lang.ngettext("%(name)s and %(num)s neighbourhood nearby",
                                  "%(name)s and %(num)s neighbourhoods nearby", others,
                                  name=name, num=self.lang.num(others))  # fmt: skip

    def _places(self, c: pd.DataFrame) -> dict:
        cols = {
            "cluster": self.t("Number"),
            "place": self.t("Place"),
            "local_authorities": self.t("Local authority"),
            "areas": self.t("Areas"),
            "population": self.t("Residents"),
            "count": self.t("Crimes"),
            "rate": self.t("Rate per 1,000"),
            "pilot_areas": self.t("Areas in a pilot"),
        }
        cs = c.assign(
            place=[self.place_name(r) for r in c.itertuples(index=False)],
            population=c.population.map(self.lang.num),
            count=c["count"].map(self.lang.count),
            rate=c.rate_per_1000.map(lambda x: self.lang.num(x, 1)),
        )
        return self.table(cs, cols, {"cluster", "areas", "population", "count", "rate",
                                     "pilot_areas"})  # fmt: skip

    def _gaps(self, g: pd.DataFrame) -> dict:
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
        return self.table(gs, gcols, {"rank", "km"})

    def coverage(self, cov: pd.DataFrame) -> dict[str, Any]:
        """ "High risk, few services": the high-risk areas with the fewest Youth Map services
        near them, fewest first."""
        km = self.lang.num(RADIUS_M / 1000, 1)
        cols = {
            "rank": self.t("Rank"),
            "area_name": self.t("Area"),
            "lad_name": self.t("Local authority"),
            "near": self.t("Youth services within %(km)s km", km=km),
            "nearest": self.t("Nearest service (km)"),
        }
        shown = cov.assign(
            rank=cov["rank"].map(self.lang.num),
            near=cov.services_near.map(self.lang.num),
            nearest=cov.nearest_km.map(lambda x: self.lang.num(x, 1)),
        )
        table = self.table(shown, cols, {"rank", "near", "nearest"})
        return {"coverage": self.long_table(table, "coverage"), "coverage_km": km}

    def in_short(self, c: pd.DataFrame | None, g: pd.DataFrame | None,
                 cov: pd.DataFrame | None) -> list[str]:  # fmt: skip
        """The decision in a few sentences, every number reconciled with the others."""
        a = self.areas
        high = a[a.tier.isin(HIGH)]
        pop = pd.to_numeric(a.population, errors="coerce")
        said = [self.t(
            "%(n)s of the %(all)s areas are at high or very high risk; %(pct)s of residents "
            "live in them.", n=self.lang.num(len(high)), all=self.lang.num(len(a)),
            pct=self.lang.pct(100 * pop[high.index].sum() / pop.sum()))]  # fmt: skip
        if c is not None and len(c):
            named = [self.place_name(r) for r in c.head(3).itertuples(index=False)]
            said.append(self.lang.ngettext(
                "They form %(num)s priority place, a group of neighbouring areas a service could "
                "cover together: %(first)s.",
                "They form %(num)s priority places, groups of neighbouring areas a service could "
                "cover together. The first three: %(first)s.",
                len(c), num=self.lang.num(len(c)), first="; ".join(named)))  # fmt: skip
        said += self._reached(high, g, cov)
        return said

    def _reached(self, high: pd.DataFrame, g: pd.DataFrame | None,
                 cov: pd.DataFrame | None) -> list[str]:  # fmt: skip
        said = []
        if "pilot" in high and g is not None:
            piloted = int((high.pilot.fillna("") != "").sum())
            gap_high = int(g.tier.isin(HIGH).sum())
            text = self.t(
                "%(piloted)s of these %(n)s areas are in a current pilot and %(out)s are not. "
                "The list of areas no pilot reaches holds the %(gap_high)s of those that rank at "
                "least as high as the typical pilot area.", piloted=self.lang.num(piloted),
                n=self.lang.num(len(high)), out=self.lang.num(len(high) - piloted),
                gap_high=self.lang.num(gap_high))  # fmt: skip
            if len(g) > gap_high:
                text += " " + self.t(
                    "It also holds %(more)s areas of lower tiers.",
                    more=self.lang.num(len(g) - gap_high),
                )
            said.append(text)
        if cov is not None:
            none = cov[cov.services_near == 0]
            km = self.lang.num(RADIUS_M / 1000, 1)
            text = self.t(
                "%(none)s of the %(n)s high-risk areas have no youth service in the "
                "Youth Map within %(km)s km of their centre.",
                none=self.lang.num(len(none)),
                n=self.lang.num(len(cov)),
                km=km,
            )
            if g is not None and len(none):
                both = int(none.area_code.isin(g.area_code).sum())
                text += " " + self.t(
                    "%(both)s of them are also on the list no pilot reaches.",
                    both=self.lang.num(both),
                )
            said.append(text)
        return said

    @functools.cached_property
    def _areas_by_code(self) -> pd.DataFrame:
        """The area table indexed by code, built once (``reasons`` looks up every listed area)."""
        return self.data.areas.set_index("area_code")

    def reasons(self, code: str) -> str:
        """Why an area ranks high, in plain words, from its index components."""
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
            said.append(self.t("a hot spot with its neighbours"))
        return "; ".join(said)

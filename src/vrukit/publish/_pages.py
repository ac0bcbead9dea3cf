"""What each page of the SNA site says: its figures, tables and sentences, in one language.
Every number comes from the protected release (``self.pub``)."""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from vrukit.analysis.coverage import RADIUS_M
from vrukit.disclosure import Protected
from vrukit.publish import _charts as charts
from vrukit.publish._data import ALL, SiteData, lorenz_points, slug
from vrukit.publish._i18n import N_, Lang
from vrukit.publish._labels import (
    COLD_PATTERN,
    GI_COLOURS,
    GI_LABELS,
    PATTERN_COLOURS,
    PATTERN_LABELS,
    SEQ,
    SUPPRESSED,
    TIER_COLOURS,
    TIER_LABELS,
)

__all__ = ["Pages"]


def _num(x: object) -> float:
    v = pd.to_numeric(pd.Series([x]), errors="coerce").iloc[0]
    return float(v) if pd.notna(v) else math.nan


class Pages:
    """The page builders; mixed into the site class that holds the attributes below."""

    pub: Protected
    data: SiteData
    lang: Lang
    las: pd.DataFrame
    areas: pd.DataFrame
    region_row: pd.Series
    downloads: dict[str, list[str]]

    def t(self, message: str, **values: Any) -> str:  # pragma: no cover - defined by the site
        raise NotImplementedError

    def type_label(self, crime_type: str) -> str:  # pragma: no cover
        raise NotImplementedError

    def factor_label(self, factor: str, fallback: str) -> str:  # pragma: no cover
        raise NotImplementedError

    def render_fig(self, fig: charts.Figure, depth: int) -> charts.Figure:  # pragma: no cover
        raise NotImplementedError

    # ---- shared pieces --------------------------------------------------------------------

    def period(self) -> dict[str, str]:
        """The mapped window's first and last month, named in this language."""
        return {
            "first": self.lang.month(self.data.window[0]),
            "last": self.lang.month(self.data.window[1]),
        }

    def headlines(self, row: pd.Series, compare: pd.Series | None = None) -> list[dict[str, Any]]:
        """One card per measure: the count, rate, change on the year before, the region's rate."""
        measures = [("count", self.t("All selected violence"))]
        measures += [(slug(t), self.type_label(t)) for t in self.data.types]
        cards = []
        for col, label in measures:
            count = _num(row[col])
            rate = 1000 * count / float(row.population) if row.population else math.nan
            card: dict[str, Any] = {
                "label": label,
                "count": self.lang.count(row[col]),
                "rate": self.lang.num(rate, 1),
            }
            if f"{col}_prev" in row:
                prev = _num(row[f"{col}_prev"])
                change = 100 * (count / prev - 1) if prev and not math.isnan(prev) else math.nan
                card["change"] = self.lang.pct(change, 1, signed=True)
                card["prev"] = self.lang.count(row[f"{col}_prev"])
            if compare is not None:
                region_rate = 1000 * _num(compare[col]) / float(compare.population)
                card["region_rate"] = self.lang.num(region_rate, 1)
            if col == "possession_of_weapons":
                card["note"] = self.t("The nearest police.uk proxy for knife carrying.")
            cards.append(card)
        return cards

    def table(self, frame: pd.DataFrame, columns: dict[str, str], numeric: set[str]) -> dict:
        """A table for a template: headers and rows of display strings (columns ``frame``
        lacks, such as pilots when none were given, are left out)."""
        columns = {c: label for c, label in columns.items() if c in frame}
        rows = []
        for r in frame.itertuples(index=False):
            rows.append(
                [str(getattr(r, c)) if c not in numeric else getattr(r, c) for c in columns]
            )
        return {
            "columns": list(columns.values()),
            "rows": rows,
            "numeric": [c in numeric for c in columns],
        }

    def area_rows(self, frame: pd.DataFrame) -> dict:
        cols = {
            "area_name": self.t("Area"),
            "lad_name": self.t("Local authority"),
            "population": self.t("Residents"),
            "count": self.t("Crimes"),
            "rate_per_1000": self.t("Rate per 1,000"),
            "gi_class": self.t("Gi* class"),
        }
        if "tier" in frame:
            cols["tier"] = self.t("Risk tier")
        shown = frame.assign(
            population=frame.population.map(self.lang.num),
            count=frame["count"].map(self.lang.count),
            rate_per_1000=frame.rate_per_1000.map(lambda x: self.lang.num(x, 1)),
            gi_class=frame.gi_class.map(
                lambda g: self.t(GI_LABELS.get(g, g)) if isinstance(g, str) else ""
            ),
        )
        if "tier" in frame:
            shown["tier"] = frame.tier.map(
                lambda g: self.t(TIER_LABELS.get(str(g), str(g))) if isinstance(g, str) else ""
            )
        return self.table(shown, cols, {"population", "count", "rate_per_1000"})

    def map_config(self, layers: list[str], focus: list[str] | None = None) -> dict[str, Any]:
        """What the map script needs: the layers (property, colours) and which areas to frame."""
        out: dict[str, Any] = {
            "layers": [],
            "focus": focus or [],
            "lang": self.lang.code,
            "labels": {
                "rate": self.t("Rate per 1,000"),
                "count": self.t("Crimes"),
                "harm": self.t("Harm per 1,000"),
                "per_km2": self.t("Crimes per km²"),
                "rank": self.t("Risk rank"),
            },
        }
        for layer in layers:
            out["layers"].append(getattr(self, f"_layer_{layer}")())
        return out

    def _classed(self, key: str, title: str, values: pd.Series, source: str, prop: str) -> dict:
        v = pd.to_numeric(values, errors="coerce").dropna()
        breaks = sorted(set(np.quantile(v, np.linspace(0, 1, 6)).round(6))) if len(v) else []
        legend = [
            {"colour": SEQ[i], "label": f"{self.lang.num(a, 1)} – {self.lang.num(b, 1)}"}
            for i, (a, b) in enumerate(itertools.pairwise(breaks))
        ]
        legend.append({"colour": SUPPRESSED, "label": self.t("not published (small numbers)")})
        return {
            "id": key,
            "title": title,
            "source": source,
            "prop": prop,
            "kind": "class",
            "colours": SEQ[: max(1, len(breaks) - 1)],
            "missing": SUPPRESSED,
            "legend": legend,
        }

    def _layer_rate(self) -> dict:
        return self._classed(
            "rate",
            self.t("Violence rate per 1,000 residents"),
            self.areas.rate_per_1000,
            "areas",
            "c_rate",
        )

    def _layer_harm(self) -> dict:
        harm = pd.to_numeric(self.areas.harm, errors="coerce") * 1000 / self.areas.population
        return self._classed("harm", self.t("Harm per 1,000 residents"), harm, "areas", "c_harm")

    def _layer_density(self) -> dict:
        return self._classed(
            "density",
            self.t("Crimes per km² (H3 hexagons)"),
            self.pub.tables["hexes"].per_km2,
            "hexes",
            "c_density",
        )

    def _categorical(
        self,
        key: str,
        title: str,
        prop: str,
        colours: dict[str, str],
        labels: dict[str, str],
        present: set[str],
        source: str = "areas",
    ) -> dict:
        cats = {k: c for k, c in colours.items() if k in present}
        for k in sorted(present - set(cats)):
            cats[k] = COLD_PATTERN if "cold" in k else SUPPRESSED
        legend = [{"colour": c, "label": self.t(labels.get(k, k))} for k, c in cats.items()]
        return {
            "id": key,
            "title": title,
            "source": source,
            "prop": prop,
            "kind": "category",
            "colours": cats,
            "missing": SUPPRESSED,
            "legend": legend,
        }

    def _layer_gi(self) -> dict:
        return self._categorical(
            "gi",
            self.t("Gi* hot and cold spots"),
            "gi",
            GI_COLOURS,
            GI_LABELS,
            set(self.areas.gi_class.dropna()),
        )

    def _layer_pattern(self) -> dict:
        present = set(self.areas.pattern.dropna()) if "pattern" in self.areas else set()
        return self._categorical(
            "pattern",
            self.t("Emerging hot spots"),
            "pattern",
            PATTERN_COLOURS,
            PATTERN_LABELS,
            present,
        )

    def _layer_hex_pattern(self) -> dict:
        return self._categorical(
            "hex_pattern",
            self.t("Emerging hot spots (H3 hexagons)"),
            "pattern",
            PATTERN_COLOURS,
            PATTERN_LABELS,
            set(self.pub.tables["hexes"].pattern.dropna()),
            source="hexes",
        )

    def _layer_tier(self) -> dict:
        present = set(self.areas.tier.dropna()) if "tier" in self.areas else set()
        return self._categorical(
            "tier", self.t("Risk index tier"), "tier", TIER_COLOURS, TIER_LABELS, present
        )

    def layers_available(self, wanted: list[str]) -> list[str]:
        have = {"rate", "harm", "gi"}
        if "pattern" in self.areas:
            have.add("pattern")
        if "hexes" in self.pub.tables and "hexes" in self.downloads:
            have.add("density")
            if "pattern" in self.pub.tables["hexes"]:
                have.add("hex_pattern")
        if "tier" in self.areas:
            have.add("tier")
        return [w for w in wanted if w in have]

    def monthly_region(self) -> pd.DataFrame:
        m = self.pub.tables["monthly"]
        m = m[m.lad_code == ALL][["month", "count"]].copy()
        m["value"] = pd.to_numeric(m["count"], errors="coerce")
        return m

    def trend_figure(self, depth: int) -> charts.Figure:
        m = self.monthly_region()
        fitted = self.data.fitted
        frame = m.assign(month=m.month.astype(str))
        dashed = None
        if fitted is not None and not m.value.isna().any():
            frame = frame.merge(fitted[["month", "fitted"]], on="month", how="left")
            dashed = "fitted"
        latest = m[m.month.between(*self.data.window)]
        summary = self.t(
            "From %(first)s to %(last)s there were %(n)s selected violent crimes a month "
            "on average.",
            n=self.lang.num(latest.value.mean()),
            **self.period(),
        )
        prev = _num(self.region_row.get("count_prev", math.nan))
        if not math.isnan(prev):
            change = 100 * (_num(self.region_row["count"]) / prev - 1)
            key = (
                N_("That is %(change)s on the same months the year before.")
                if change
                else N_("That is the same as the same months the year before.")
            )
            summary += " " + self.t(key, change=self.lang.pct(change, 1, signed=True))
        fig = charts.Figure(
            "trend",
            self.t("Selected violence per month across the region"),
            summary,
            [self.t("Month"), self.t("Crimes")],
            [[self.lang.month(r.month), self.lang.count(r.count)] for r in m.itertuples()],
            charts.line(
                frame.dropna(subset=["value"]),
                "month",
                "value",
                x_title=self.t("Month"),
                y_title=self.t("Crimes"),
                dashed=dashed,
            ),
        )
        return self.render_fig(fig, depth)

    def la_rates_figure(self, depth: int) -> charts.Figure:
        las = self.las[self.las.lad_code != ALL]
        rates = pd.to_numeric(las.rate_per_1000, errors="coerce")
        frame = pd.DataFrame({"name": las.lad_name, "rate": rates.round(1)})
        region = _num(self.region_row.rate_per_1000)
        top = frame.sort_values("rate", ascending=False).iloc[0]
        summary = self.t(
            "%(la)s has the highest rate, %(rate)s crimes per 1,000 residents; "
            "across the region it is %(region)s.",
            la=top["name"],
            rate=self.lang.num(top.rate, 1),
            region=self.lang.num(region, 1),
        )
        fig = charts.Figure(
            "la_rates",
            self.t("Violence rate by local authority"),
            summary,
            [self.t("Local authority"), self.t("Rate per 1,000")],
            [
                [r.name, self.lang.num(r.rate, 1)]
                for r in frame.sort_values("rate", ascending=False).itertuples()
            ],
            charts.bars(
                frame,
                "rate",
                "name",
                x_title=self.t("Rate per 1,000 residents"),
                y_title="",
                rule=region,
            ),
        )
        return self.render_fig(fig, depth)

    # ---- the pages -----------------------------------------------------------------------

    def page_index(self) -> dict[str, Any]:
        r = self.region_row
        las = self.las[self.las.lad_code != ALL].sort_values("lad_name")
        region_rate = _num(r.rate_per_1000)
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
                    lambda x: self.lang.pct(100 * (_num(x) / region_rate - 1), 0, signed=True)
                ),
            }
        )
        if "change_pct" in las:
            cols["change"] = self.t("Change on the year before")
            shown["change"] = las.change_pct.map(lambda x: self.lang.pct(_num(x), 1, signed=True))
        return {
            "title": self.t("Overview"),
            "cards": self.headlines(r),
            "figures": [self.trend_figure(1), self.la_rates_figure(1)],
            "la_table": self.table(shown, cols, {"count", "rate", "vs", "change"}),
            "crimes": self.lang.count(r["count"]),
            "rate": self.lang.num(region_rate, 1),
        }

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
        return {"title": self.t("When"), "figures": figs, "months": len(m)}

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
        return ctx

    def page_next(self) -> dict[str, Any]:
        ctx: dict[str, Any] = {"title": self.t("Where next"), "has_risk": "tier" in self.areas}
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

    def page_data(self) -> dict[str, Any]:
        c = self.data.analysis.get("choices", {})
        described = {
            "areas": self.t(
                "Each area (LSOA): residents, crimes, rate, harm, hot-spot class, risk index."
            ),
            "local_authorities": self.t(
                "Each local authority and the region: crimes by type, this year and last."
            ),
            "monthly": self.t("Crimes per month in each local authority and the region."),
            "monthly_types": self.t("Crimes per month across the region by type."),
            "deciles": self.t("Crimes and rates by deprivation decile."),
            "clusters": self.t("Priority clusters: neighbouring high-risk areas."),
            "pilots": self.t("Each current pilot: its areas, residents and crimes."),
            "hexes": self.t("H3 hexagons: crimes, density, hot-spot class and emerging hot spots."),
            "risk_factors": self.t("Risk factors: rate ratios with confidence intervals."),
            "gaps": self.t("High-risk areas no current pilot reaches."),
            "coverage": self.t("High-risk areas and the Youth Map services near them."),
            "concentration": self.t("How concentrated violence is across areas."),
        }
        downloads = [
            {"name": n, "what": described.get(n, n), "files": self.downloads[n]}
            for n in self.downloads
        ]
        p = self.pub.policy
        return {
            "title": self.t("Data and methods"),
            "downloads": downloads,
            "crime_types": [self.type_label(t) for t in self.data.types],
            "months": [self.lang.month(m) for m in self.data.months],
            "harm_table": c.get("harm_table", ""),
            "permutations": self.lang.num(c.get("permutations", 0)),
            "suppress_max": p.suppress_max,
            "marker": p.marker,
            "secondary": p.secondary,
            "blank": p.blank,
            "round_to": p.round_to,
            "suppressed": self.pub.suppressed(),
        }

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
        rate, reg = _num(la.rate_per_1000), _num(self.region_row.rate_per_1000)
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
                [self.t("Month"), str(row.lad_name)],
                [
                    [self.lang.month(a), self.lang.count(b)]
                    for a, b in zip(mine.month, mine["count"], strict=True)
                ],
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
                self.layers_available(["rate", "gi", "tier"]), list(areas.area_code)
            ),
            "hot": self.lang.num(hot),
            "n_areas": self.lang.num(len(areas)),
        }

    def page_pilot(self, row: Any) -> dict[str, Any]:
        areas = self.areas[
            self.areas.pilot.fillna("").str.split("; ").map(lambda n: row.pilot in n)
        ]
        rate, reg = _num(row.rate_per_1000), _num(self.region_row.rate_per_1000)
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
                self.layers_available(["rate", "gi", "tier"]), list(areas.area_code)
            ),
            "residents": self.lang.num(row.population),
            "lad": row.lad_name,
        }

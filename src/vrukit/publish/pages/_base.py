"""What every page shares: the attributes the site sets, the labels, tables, headline figures,
map layers and the trend charts. Every number comes from the protected release (``self.pub``)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from vrukit.disclosure import Protected
from vrukit.publish import _charts as charts
from vrukit.publish._data import ALL, SiteData, slug
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
from vrukit.publish._maps import map_file

__all__ = ["PageBase", "num"]


def num(x: object) -> float:
    v = pd.to_numeric(pd.Series([x]), errors="coerce").iloc[0]
    return float(v) if pd.notna(v) else math.nan


class PageBase:
    """What the page builders share; the site class sets the attributes below."""

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

    def iod_year(self) -> str:
        """The IoD edition the risk model used ('2025' or '2019'; 2019 when none is named)."""
        risk = self.data.risk or {}
        edition = str(risk.get("choices", {}).get("deprivation") or "IoD2019")
        return edition.removeprefix("IoD")

    def period(self) -> dict[str, str]:
        """The mapped window's first and last month, named in this language."""
        return {
            "first": self.lang.month(self.data.window[0], in_sentence=True),
            "last": self.lang.month(self.data.window[1], in_sentence=True),
        }

    def headlines(self, row: pd.Series, compare: pd.Series | None = None) -> list[dict[str, Any]]:
        """One card per measure: the count, rate, change on the year before, the region's rate."""
        measures = [("count", self.t("All selected violence"))]
        measures += [(slug(t), self.type_label(t)) for t in self.data.types]
        cards = []
        for col, label in measures:
            count = num(row[col])
            rate = 1000 * count / float(row.population) if row.population else math.nan
            card: dict[str, Any] = {
                "label": label,
                "count": self.lang.count(row[col]),
                "rate": self.lang.num(rate, 1),
            }
            if f"{col}_prev" in row:
                prev = num(row[f"{col}_prev"])
                change = 100 * (count / prev - 1) if prev and not math.isnan(prev) else math.nan
                card["change"] = self.lang.pct(change, 1, signed=True)
                card["prev"] = self.lang.count(row[f"{col}_prev"])
            if compare is not None:
                region_rate = 1000 * num(compare[col]) / float(compare.population)
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
        table = self.table(shown, cols, {"population", "count", "rate_per_1000"})
        # the numbers as numbers, for sorting the table in the reader's browser (the shown text
        # is in the page's locale: "71,2" is 71.2 in Polish)
        raw = {"population": pd.to_numeric(frame.population, errors="coerce"),
               "count": pd.to_numeric(frame["count"], errors="coerce"),
               "rate_per_1000": pd.to_numeric(frame.rate_per_1000, errors="coerce")}  # fmt: skip
        keys = [c for c in cols if c in frame]
        table["sort"] = [
            [("" if pd.isna(raw[c].iloc[i]) else f"{float(raw[c].iloc[i]):.6g}") if c in raw
             else None for c in keys]
            for i in range(len(frame))
        ]  # fmt: skip
        return table

    def map_config(
        self, layers: list[str], focus: list[str] | None = None, areas: str = ""
    ) -> dict[str, Any]:
        """What the map script needs: the layers (property, colours), which areas to frame and
        the files under data/ it loads: ``areas`` (the region's unless given; loaded with the
        page) and the hexagons (loaded only if a reader picks a hexagon layer)."""
        out: dict[str, Any] = {
            "layers": [],
            "focus": focus or [],
            "sources": {"areas": areas or map_file("region"), "hexes": "hexes.js"},
            "tiles": self.tiles(),
            "lang": self.lang.code,
            "labels": {
                "rate": self.t("Rate per 1,000"),
                "count": self.t("Crimes"),
                "harm": self.t("Harm per 1,000 (days in custody)"),
                "per_km2": self.t("Crimes per km²"),
                "rank": self.t("Risk rank"),
                "times": self.t("{x} times the region's"),
                "of": self.t("{rank} of {n}, 1 the highest risk"),
                "ward": self.t("ward"),
                "no_postcode": self.t("That postcode is not in this area."),
            },
            "scale": self.map_scale(),
            # the search finds wards too when the site was given their boundaries
            "wards": self.data.wards is not None and not self.data.wards.empty,
            "postcodes": self.data.postcodes is not None and not self.data.postcodes.empty,
        }
        for layer in layers:
            out["layers"].append(getattr(self, f"_layer_{layer}")())
        return out

    def tiles(self) -> dict[str, str] | None:  # pragma: no cover - defined by the site
        raise NotImplementedError

    def map_scale(self) -> dict[str, float | None]:
        """What a pop-up compares an area with: the region's rate and harm per 1,000 residents
        (over the areas with published figures) and how many areas are ranked."""
        a = self.areas
        pop = pd.to_numeric(a.population, errors="coerce")
        count = pd.to_numeric(a["count"], errors="coerce")
        harm = pd.to_numeric(a.harm, errors="coerce") if "harm" in a else pd.Series(np.nan, a.index)
        rank = pd.to_numeric(a["rank"], errors="coerce") if "rank" in a else pd.Series(dtype=float)

        def per_1000(v: pd.Series) -> float | None:
            ok = v.notna() & (pop > 0)
            return round(1000 * float(v[ok].sum()) / float(pop[ok].sum()), 3) if ok.any() else None

        return {"rate": per_1000(count), "harm": per_1000(harm),
                "ranked": float(rank.notna().sum()) or None}  # fmt: skip

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
        prev = num(self.region_row.get("count_prev", math.nan))
        if not math.isnan(prev):
            change = 100 * (num(self.region_row["count"]) / prev - 1)
            key = (
                N_("That is %(change)s on the same months the year before.")
                if change
                else N_("That is the same as the same months the year before.")
            )
            summary += " " + self.t(key, change=self.lang.pct(change, 1, signed=True))
        names = (self.t("Crimes"), self.t("Trend and season (model)"))
        columns, rows = (
            [self.t("Month"), self.t("Crimes")],
            [[self.lang.month(r.month), self.lang.count(r.count)] for r in m.itertuples()],
        )
        if dashed:  # the dashed line is in the table too
            columns.append(names[1])
            fit = frame.set_index("month").fitted
            for row, r in zip(rows, m.itertuples(), strict=True):
                row.append(self.lang.num(fit.get(str(r.month)), 0))
        fig = charts.Figure(
            "trend",
            self.t("Selected violence per month across the region"),
            summary,
            columns,
            rows,
            charts.line(
                frame.dropna(subset=["value"]),
                "month",
                "value",
                x_title=self.t("Month"),
                y_title=self.t("Crimes"),
                dashed=dashed,
                names=names,
            ),
        )
        return self.render_fig(fig, depth)

    def la_rates_figure(self, depth: int) -> charts.Figure:
        las = self.las[self.las.lad_code != ALL]
        rates = pd.to_numeric(las.rate_per_1000, errors="coerce")
        frame = pd.DataFrame({"name": las.lad_name, "rate": rates.round(1)})
        region = num(self.region_row.rate_per_1000)
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

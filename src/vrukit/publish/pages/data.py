"""The "Data and methods" page: sources, choices, suppression and the downloads."""

from __future__ import annotations

from typing import Any

from vrukit.publish.pages._base import PageBase

__all__ = ["DataPage"]


class DataPage(PageBase):
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
            "ed_total": self.t(
                "Assaults treated in emergency departments in the mapped year (ISTV data)."
            ),
            "ed_hours": self.t("Those assaults by hour of the day."),
            "ed_days": self.t("Those assaults by day of the week."),
            "ed_weapons": self.t("Those assaults by weapon or method."),
            "ed_age_sex": self.t("Those assaults by age and sex."),
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
            "months": [self.lang.month(m, in_sentence=True) for m in self.data.months],
            "harm_table": self.harm_words(str(c.get("harm_table", ""))),
            "iod_year": self.iod_year(),
            "left_out": self._left_out(),
            "permutations": self.lang.num(c.get("permutations", 0)),
            "suppress_max": p.suppress_max,
            "marker": p.marker,
            "secondary": p.secondary,
            "blank": p.blank,
            "round_to": p.round_to,
            "suppressed": self.pub.suppressed(),
        }

    def _left_out(self) -> dict[str, str] | None:
        """Crimes in the police.uk files that no table or map holds: without a location, or in
        an LSOA outside the region (counts shown as the disclosure policy shows a cell)."""
        s = self.data.analysis.get("summary", {})
        if s.get("crimes_no_location") is None:  # one CSP of a force's files: not attributable
            return None
        nowhere, outside = (
            int(s.get("crimes_no_location") or 0),
            int(s.get("crimes_outside_areas") or 0),
        )
        if not nowhere and not outside:
            return None
        policy = self.pub.policy

        def shown(n: int) -> str:
            return self.lang.count(
                policy.marker if 0 < n <= policy.suppress_max else policy.shown(n)
            )

        return {"nowhere": shown(nowhere), "outside": shown(outside), **self.period()}

    def harm_words(self, table: str) -> str:
        """The harm weights in words: what each crime is weighted by, not the table's code."""
        edition = table.rsplit("-", 1)[-1] if "-" in table else ""
        if table.startswith("css-style"):
            return self.t("Crime Severity Score style: each crime counts the days in custody its "
                          "sentences carry on average (vrukit's estimate for police.uk's "
                          "categories, edition %(edition)s)", edition=edition)  # fmt: skip
        if table.startswith("cchi-style"):
            return self.t("Cambridge Crime Harm Index style: each crime counts the days in prison "
                          "of its starting-point sentence (vrukit's estimate for police.uk's "
                          "categories, edition %(edition)s)", edition=edition)  # fmt: skip
        return table

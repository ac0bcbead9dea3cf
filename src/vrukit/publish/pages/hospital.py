"""The hospital (ISTV) section of the "When" page and the overview's hospital sentence: when,
to whom and with what emergency departments saw assaults - what police.uk cannot say."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vrukit.publish import _charts as charts
from vrukit.publish._data import NOT_RECORDED
from vrukit.publish.pages._base import PageBase, num

__all__ = ["HospitalSection"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class HospitalSection(PageBase):
    def _method_label(self, method: str) -> str:
        return {
            "bodily_force": self.t("Bodily force (hit, kicked)"),
            "blunt_object": self.t("Blunt object"),
            "knife": self.t("Knife"),
            "other_sharp": self.t("Other sharp object"),
            "firearm": self.t("Firearm"),
            "other": self.t("Other"),
            "unknown": self.t("Not known"),
        }.get(method, method)

    def _ed_label(self, col: str, value: str) -> str:
        if col == "hour":
            return f"{int(value):02d}:00"
        if col == "weekday":
            return str(self.lang.locale.days["stand-alone"]["wide"][_DAYS.index(value)])
        return self._method_label(value)

    def hospital_figures(self) -> list[charts.Figure]:
        """Hour of day, day of week and weapon of the assaults EDs treated (none without ISTV)."""
        if "ed_hours" not in self.pub.tables:
            return []
        specs = (
            ("ed_hours", "hour", self.t("Assaults treated in hospital by hour of the day"),
             self.t("Hour")),
            ("ed_days", "weekday", self.t("Assaults treated in hospital by day of the week"),
             self.t("Day")),
            ("ed_weapons", "method", self.t("Assaults treated in hospital by weapon or method"),
             self.t("Weapon or method")),
        )  # fmt: skip
        figs = []
        for name, col, title, label in specs:
            t = self.pub.tables[name]
            t = t[t[col].astype(str) != NOT_RECORDED]
            labels = [self._ed_label(col, str(v)) for v in t[col]]
            values = pd.to_numeric(t["count"], errors="coerce")
            frame = pd.DataFrame({"label": labels, "value": values.to_numpy()})
            top = frame.dropna().sort_values("value", ascending=False)
            summary = self.t("Most: %(what)s.", what=top.label.iloc[0]) if len(top) else ""
            figs.append(self.render_fig(charts.Figure(
                name, title, summary, [label, self.t("Assaults")],
                [[lab, self.lang.count(v)] for lab, v in zip(labels, t["count"], strict=True)],
                charts.bars(frame.dropna(), "value", "label", x_title=self.t("Assaults"),
                            y_title="", sort=col == "method"),
            ), 1))  # fmt: skip
        return figs

    def hospital_age_sex(self) -> dict | None:
        """Age band by sex of the assaulted, as a table (None without ISTV)."""
        if "ed_age_sex" not in self.pub.tables:
            return None
        t = self.pub.tables["ed_age_sex"]
        t = t[t.age_band.astype(str) != NOT_RECORDED]
        wide = t.pivot(index="age_band", columns="sex", values="count")
        wide = wide.reindex(list(dict.fromkeys(t.age_band))).reset_index()
        cols = {"age_band": self.t("Age"), "female": self.t("Female"), "male": self.t("Male")}
        shown = pd.DataFrame({c: wide[c].map(self.lang.count) if c != "age_band" else wide[c]
                              for c in cols if c in wide})  # fmt: skip
        return self.table(shown, cols, {"female", "male"})

    def hospital_sentence(self) -> str | None:
        """The overview's line: assaults EDs treated in the year, and the share unknown to
        police with its interval (None without ISTV)."""
        istv = self.data.istv
        if not istv or "ed_total" not in self.pub.tables:
            return None
        total = self.pub.tables["ed_total"]["count"].iloc[0]
        text = self.t(
            "Emergency departments treated %(n)s people for assault from %(first)s to %(last)s.",
            n=self.lang.count(total), **self.period(),
        )  # fmt: skip
        u = istv.get("unknown")
        if u:
            text += " " + self.t(
                "An estimated %(share)s of them (%(low)s to %(high)s) were not known to police.",
                share=self.lang.pct(100 * num(u["share"])), low=self.lang.pct(100 * num(u["low"])),
                high=self.lang.pct(100 * num(u["high"])),
            )  # fmt: skip
        return text

    def hospital_context(self) -> dict[str, Any]:
        return {"ed_figures": self.hospital_figures(), "ed_age_sex": self.hospital_age_sex()}

"""Translated pages hold no English (issue 32, item 8): every Urdu and Polish page of the demo site
and every chart drawn for them, read as a reader meets them (text, alt text, labels), with the
region's own names taken out, has none of the English words that only an untranslated sentence
would carry."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

#: Words an English sentence can hardly do without, and that are not Polish (or Urdu) words
#: ("by", "to", "a", "no" and "on" are Polish words too).
ENGLISH = {"the", "and", "of", "with", "from", "is", "are", "was", "were", "this", "that",
           "for", "its", "their", "which", "areas", "violence", "crimes", "rate",
           "residents", "month", "months", "each", "every", "than", "more", "less"}  # fmt: skip
#: Proper names a translation keeps as they are (sources, licences, ONS's geography).
KEPT = ("Lower layer Super Output Areas", "Open Government Licence",
        "English Indices of Deprivation", "Cambridge Crime Harm Index",
        "Crown copyright and database right")  # fmt: skip


def _names(site) -> list[str]:
    """The region's own names (areas, authorities, pilots, places), longest first."""
    read = {"dtype": str, "keep_default_na": False}
    areas = pd.read_csv(site / "data" / "areas.csv", **read)
    places = pd.read_csv(site / "data" / "clusters.csv", **read)
    names = {*areas.area_name, *areas.lad_name, *places.name}
    names |= {p for cell in areas.get("pilot", []) for p in cell.split("; ")}
    return sorted((n for n in names if n), key=len, reverse=True)


def _read(text: str, names: list[str]) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    shown = " ".join(re.findall(r'(?:alt|aria-label|title|placeholder)="([^"]*)"', text))
    text = html.unescape(re.sub(r"<[^>]+>", " ", text) + " " + shown)
    text = re.sub(r"\b[\w-]+\.(csv|parquet|geojson|js|json|svg|html)\b", " ", text)
    for n in (*KEPT, *names):
        text = text.replace(n, " ")
    return text


@pytest.mark.parametrize("lang", ["ur", "pl"])
def test_no_english_is_left_in_a_translated_page_or_chart(demo_site, lang) -> None:
    run, _ = demo_site
    names = _names(run.out)
    files = [*sorted((run.out / lang).rglob("*.html")),
             *sorted((run.out / "charts" / lang).glob("*.svg"))]  # fmt: skip
    assert len(files) > 40
    left = {}
    for f in files:
        text = _read(f.read_text(), names)
        if f.name == "data.html":  # its table keys are file names
            text = re.sub(r"\b[a-z]+(_[a-z]+)+\b|\bareas\b", " ", text)
        words = [w for w in re.findall(r"[^\W\d_]+", text) if w.lower() in ENGLISH]
        if words:
            at = text.find(words[0])
            left[str(f.relative_to(run.out))] = (words, text[max(0, at - 60) : at + 60])
    assert not left, left


def test_a_polish_sentence_takes_the_month_s_date_form(demo_site) -> None:
    """ "Od kwiecień 2021" read as a form, not a sentence: after "od" and "do" Polish puts the
    month in the genitive, which a date's format gives (the table keeps the nominative)."""
    from vrukit.publish._i18n import language

    pl = language("pl")
    assert pl.month("2021-04", in_sentence=True) == "kwietnia 2021"
    assert pl.month("2021-04") == "kwiecień 2021"
    run, _ = demo_site
    page = (run.out / "pl" / "index.html").read_text()
    assert re.search(r"Od [a-ząćęłńóśźż]+a 20\d\d do [a-ząćęłńóśźż]+a 20\d\d", page)


def test_the_check_finds_english_where_it_is() -> None:
    """The check itself: an English sentence left in an Urdu page is found, a name is not."""
    page = '<p>یہ جائزہ the demo region کے ہر چھوٹے علاقے</p><img alt="Southmoor 028">'
    assert "the" in _read(page, ["Southmoor 028"]).split()
    assert "Southmoor" not in _read(page, ["Southmoor 028"])

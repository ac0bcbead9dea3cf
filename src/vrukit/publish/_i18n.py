"""The site's languages: one gettext catalogue per language (Babel), and numbers and dates
formatted by each locale's CLDR rules."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

__all__ = ["LANGUAGES", "Lang", "language"]

LOCALES = Path(__file__).with_name("locales")
#: code: (name in the language itself, direction, CLDR locale)
LANGUAGES: dict[str, tuple[str, str, str]] = {
    "en": ("English", "ltr", "en_GB"),
    "ur": ("اردو", "rtl", "ur_PK"),
    "pl": ("Polski", "ltr", "pl_PL"),
}


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it here."""
    return message


@dataclass(frozen=True)
class Lang:
    code: str
    name: str
    dir: str
    locale: Locale
    translations: NullTranslations

    def gettext(self, message: str, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def isolate(self, text: str) -> str:
        """In a right-to-left language, keep a number's sign and % on its own side (Unicode
        left-to-right isolate)."""
        return f"\u2066{text}\u2069" if self.dir == "rtl" and text else text

    def num(self, value: object, digits: int = 0) -> str:
        """A number in the locale's digits and separators; "" when missing."""
        try:
            x = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return ""
        if math.isnan(x):
            return ""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return self.isolate(format_decimal(x, format=pattern, locale=self.locale))

    def pct(self, value: float, digits: int = 0, *, signed: bool = False) -> str:
        if value is None or math.isnan(value):
            return ""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        text = format_decimal(abs(value) if signed else value, format=pattern, locale=self.locale)
        if signed:
            text = ("+" if value > 0 else "−" if value < 0 else "") + text
        return self.isolate(text + "%")

    def count(self, published: object) -> str:
        """A published count cell: its marker as is, else the number formatted."""
        text = str(published)
        return self.isolate(text) if text.startswith(("<", "[")) else self.num(text)

    def month(self, ym: str, *, short: bool = False, in_sentence: bool = False) -> str:
        """A month and year: on its own (a table's label: Polish "kwiecień 2021") or
        ``in_sentence``, after "from" or "to" (the form a date takes: Polish "kwietnia 2021")."""
        year, mon = (int(x) for x in ym.split("-"))
        import datetime as dt

        pattern = "MMMM y" if in_sentence else "LLL y" if short else "LLLL y"
        return format_date(dt.date(year, mon, 1), pattern, locale=self.locale)

    def month_name(self, mon: int) -> str:
        return str(self.locale.months["stand-alone"]["wide"][mon])

    def vega_format(self) -> dict[str, object]:
        sym = self.locale.number_symbols.get("latn", self.locale.number_symbols)
        return {"decimal": sym["decimal"], "thousands": sym["group"], "grouping": [3],
                "currency": ["£", ""]}  # fmt: skip

    def vega_time(self) -> dict[str, object]:
        days = self.locale.days["format"]
        months = self.locale.months["stand-alone"]
        order = [6, 0, 1, 2, 3, 4, 5]  # d3 weeks start on Sunday; CLDR's index 0 is Monday
        return {
            "dateTime": "%x, %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [str(days["wide"][i]) for i in order],
            "shortDays": [str(days["abbreviated"][i]) for i in order],
            "months": [str(months["wide"][i]) for i in range(1, 13)],
            "shortMonths": [str(months["abbreviated"][i]) for i in range(1, 13)],
        }  # fmt: skip


@cache
def _translations(code: str) -> NullTranslations:
    po = LOCALES / code / "LC_MESSAGES" / "messages.po"
    if code == "en" or not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=code)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def language(code: str) -> Lang:
    name, direction, loc = LANGUAGES[code]
    return Lang(code, name, direction, Locale.parse(loc), _translations(code))

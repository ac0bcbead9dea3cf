"""The Youth Map's languages: its pages (search, service, survey) read the SNA site's gettext
catalogue (``vrukit.publish.locales``: English, Urdu right to left, Polish), chosen by
``?lang=`` and kept in every link; numbers, distances, days and dates follow the language's
CLDR rules. What providers wrote (a service's name, description, categories) is shown as they
wrote it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from vrukit.directory.models import DirSchedule, DirService
from vrukit.publish._i18n import LANGUAGES, Lang, language

__all__ = ["PAGES", "chooser", "km", "speak", "youth_lang"]

PAGES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGES.env.add_extension("jinja2.ext.i18n")
PAGES.env.policies["ext.i18n.trimmed"] = True  # as `make messages` extracts them
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def youth_lang(code: str | None) -> Lang:
    """The language ``code`` names, English for any other."""
    return language(code if code in LANGUAGES else "en")


def speak(lang: Lang) -> dict[str, Any]:
    """What a page's template needs to speak ``lang``."""
    t = lang.translations
    return {"L": lang, "lang": lang.code, "dir": lang.dir, "gettext": t.gettext,
            "ngettext": t.ngettext}  # fmt: skip


def chooser(request: Request, lang: Lang) -> list[tuple[str, str, str, bool]]:
    """The page in each language, as (code, name in itself, link, whether it is this one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    out = []
    for code, (name, _, _) in LANGUAGES.items():
        query = urlencode(params + ([("lang", code)] if code != "en" else []))
        out.append((code, name, request.url.path + (f"?{query}" if query else ""),
                    code == lang.code))  # fmt: skip
    return out


def _lang(ctx: Context) -> Lang:
    found = ctx.get("L")
    return found if isinstance(found, Lang) else youth_lang("en")


def km(metres: float, lang: Lang | None = None) -> str:
    """A distance as people say it: metres under a kilometre, else kilometres to one place."""
    lang = lang or youth_lang("en")
    if metres < 1000:
        return lang.gettext("%(m)s m", m=lang.num(round(metres)))
    return lang.gettext("%(km)s km", km=lang.num(metres / 1000, 1))


@pass_context
def _km(ctx: Context, metres: float) -> str:
    return km(metres, _lang(ctx))


@pass_context
def age_range(ctx: Context, s: DirService) -> str:
    lang, lo, hi = _lang(ctx), s.minimum_age, s.maximum_age
    if lo is None and hi is None:
        return lang.gettext("All ages")
    if hi is None:
        return lang.gettext("Ages %(lo)s and over", lo=lang.num(lo))
    return lang.gettext("Ages %(lo)s to %(hi)s", lo=lang.num(lo or 0), hi=lang.num(hi))


@pass_context
def when(ctx: Context, schedules: list[DirSchedule]) -> str:
    """Each weekly session's days and times, in the language's short day names."""
    lang = _lang(ctx)
    names = lang.locale.days["format"]["abbreviated"]
    days = {d: str(names[i]) for i, d in enumerate(DAYS)}
    comma = lang.gettext(", ")
    return lang.gettext("; ").join(
        f"{comma.join(days.get(d, d) for d in k.byday.split(',') if d)} "
        f"{lang.isolate(f'{k.opens_at}-{k.closes_at}')}"
        for k in schedules
        if k.byday
    )


@pass_context
def day(ctx: Context, d: date | None) -> str:
    lang = _lang(ctx)
    return format_date(d, "d MMMM y", locale=lang.locale) if d else lang.gettext("never")


PAGES.env.filters.update(km=_km, age_range=age_range, when=when, day=day)

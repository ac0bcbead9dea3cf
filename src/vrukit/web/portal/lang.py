"""The portal's languages (issue 32, item 8): its pages read the SNA site's gettext catalogue
(``vrukit.publish.locales``: English, Urdu right to left, Polish). A person chooses with the
links at the top of every page (``?lang=``); the choice is kept in their session, through
signing in and out. Words the store keeps (a role, a status) are shown in the language through
``tr``; what people wrote (names, notes, a template's labels) is shown as they wrote it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime
from fastapi import Request
from jinja2 import pass_context
from jinja2.runtime import Context

from vrukit.errors import JOIN, Said, recall, t
from vrukit.publish._i18n import LANGUAGES, Lang, language

__all__ = ["JOIN", "Said", "chooser", "kept_language", "portal_lang", "said", "speak", "t"]


def portal_lang(request: Request) -> Lang:
    """The language of ``request``'s page: the one a ``?lang=`` link asks for (kept in the
    session from then on), else the session's, else English."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES and "session" in request.scope:
        request.session["lang"] = asked
    code = request.session.get("lang") if "session" in request.scope else None
    return language(code if code in LANGUAGES else "en")


def kept_language(request: Request) -> dict[str, str]:
    """What of a session outlives signing in and out: the language chosen."""
    code = request.session.get("lang")
    return {"lang": code} if code in LANGUAGES else {}


def chooser(request: Request, lang: Lang) -> list[tuple[str, str, str, bool]]:
    """This page in each language, as (code, name in itself, link, whether it is this one); a
    page that answered a form links to the home page instead (the form's address has no page)."""
    here = request.method == "GET"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] if here else []
    # a link with no path keeps this page: the path a browser sent ("//elsewhere.example/x")
    # never becomes a link to another site
    start = "?" if here else "/?"
    return [(code, name, start + urlencode([*params, ("lang", code)]), code == lang.code)
            for code, (name, _, _) in LANGUAGES.items()]  # fmt: skip


def speak(request: Request) -> dict[str, Any]:
    """What a page's template needs to speak the request's language."""
    lang = portal_lang(request)
    catalogue = lang.translations
    return {"L": lang, "lang": lang.code, "dir": lang.dir, "gettext": catalogue.gettext,
            "ngettext": catalogue.ngettext, "languages": chooser(request, lang)}  # fmt: skip


def said(lang: Lang, text: object, depth: int = 0) -> str:
    """``text`` in ``lang`` when the catalogue has it (a stored word, a message of the
    portal's own, with its values), else as it is."""
    if not isinstance(text, Said) and isinstance(text, str) and depth < 8:
        text = recall(text) or text  # a message a table or a join kept as a plain text
    if isinstance(text, Said) and depth < 8:
        # a value said too only when it is a message or a word of ours (``t(...)``): a name or
        # anything a person typed is shown as typed, even one that reads like a word we say
        # ("Home", "open"); a join ("%(first)s; %(then)s") is not counted as nesting
        deeper = depth + (text.msgid != JOIN)
        said_values = {k: said(lang, v, deeper) if isinstance(v, Said) else v
                       for k, v in text.values.items()}  # fmt: skip
        found = lang.translations.gettext(text.msgid)
        return found % said_values if said_values else found
    shown = str(text)
    return lang.translations.gettext(shown) if shown.strip() else shown


@pass_context
def tr(ctx: Context, text: object) -> str:
    found = ctx.get("L")
    return said(found if isinstance(found, Lang) else language("en"), text)


#: A day, and a day with its time, as pages show them: English as it always read ("08 Oct
#: 2020"); another language by its CLDR rules ("8 paź 2020").
DAY = ("%d %b %Y", "d MMM y")
MOMENT = ("%d %b %Y %H:%M", "d MMM y HH:mm")
LONG_MOMENT = ("%d %B %Y %H:%M", "d MMMM y HH:mm")


def _dated(ctx: Context, when: date | datetime | None, form: tuple[str, str]) -> str:
    if when is None:
        return ""
    found = ctx.get("L")
    if not isinstance(found, Lang) or found.code == "en":
        return when.strftime(form[0])
    if isinstance(when, datetime):
        return format_datetime(when, form[1], locale=found.locale)
    return format_date(when, form[1], locale=found.locale)


@pass_context
def day(ctx: Context, when: date | None) -> str:
    return _dated(ctx, when, DAY)


@pass_context
def moment(ctx: Context, when: datetime | None) -> str:
    return _dated(ctx, when, MOMENT)


@pass_context
def long_moment(ctx: Context, when: datetime | None) -> str:
    return _dated(ctx, when, LONG_MOMENT)


@pass_context
def iso(ctx: Context, text: object) -> str:
    """A signed number kept whole in a right-to-left sentence ("+5", not "5+")."""
    found = ctx.get("L")
    return found.isolate(str(text)) if isinstance(found, Lang) else str(text)


def install(env: Any) -> None:
    """Give a template environment the portal's languages."""
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True  # as `make messages` extracts them
    env.filters.update(tr=tr, day=day, moment=moment, long_moment=long_moment, iso=iso)

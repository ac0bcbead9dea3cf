"""A survey's public link on the Youth Map (``/youth-map/have-your-say/<key>``): one page, no
sign-in, no cookie, no script; in each language the survey is written in (``?lang=ur``,
right to left where the language is). Sending it keeps the response anonymously
(``vrukit.voice.responses``: a one-time token so a form counts once, a throttle per network
address that keeps no record); a problem shows the form again with the answers kept and the
problem named beside its question."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError
from vrukit.programme.models import Place
from vrukit.publish._i18n import N_
from vrukit.voice.design import in_language
from vrukit.voice.models import AGE_BANDS, Survey
from vrukit.voice.responses import ELSEWHERE, AlreadySent, TooMany, issue_token, submit
from vrukit.web._youth_lang import PAGES, speak, youth_lang
from vrukit.web.guard import client_address

__all__ = ["RTL", "open_surveys", "survey_form", "survey_sent", "thanks"]

#: Languages written right to left.
RTL = {"ur", "ar", "fa", "ps", "he", "yi"}
MOST_FIELDS = 200
#: The page's own words (a survey's questions bring their own), through the Youth Map's
#: catalogue; a language it lacks reads them in English.
CHROME: dict[str, str] = {
    "anonymous": N_("Your answers are anonymous: we never ask your name, and we keep nothing "
                    "that could identify you."),
    "where": N_("Where do you live?"),
    "elsewhere": N_("Somewhere else, or I would rather not say"),
    "age": N_("How old are you?"),
    "send": N_("Send my answers"),
    "only_if": N_("Only if you answered"),
    "problem": N_("Please check your answers"),
    "closed": N_("This survey is closed. Thank you for wanting to take part."),
    "thanks": N_("Thank you"),
    "sent": N_("Your answers have been sent. They help make where you live safer."),
    "back": N_("Back to the Youth Map"),
    "optional": N_("optional"),
}  # fmt: skip


def _speak(survey: Survey, lang: str) -> dict[str, Any]:
    """What the survey's pages need to speak ``lang`` (the survey's questions in it, the page's
    own words from the catalogue)."""
    chrome = youth_lang(lang)
    return {**speak(chrome), "lang": lang, "dir": "rtl" if lang in RTL else "ltr",
            "t": lambda text: in_language(text, lang),
            "w": {k: chrome.gettext(v) for k, v in CHROME.items()}}  # fmt: skip


def open_surveys(s: Session, lang: str = "en") -> list[tuple[str, str, str]]:
    """The surveys open now, for the Youth Map to link to: (key, title, the title's language),
    in ``lang`` where the survey is written in it, else in English."""
    rows = s.scalars(select(Survey).where(Survey.status == "open")
                     .order_by(Survey.created_at.desc()).limit(5)).all()  # fmt: skip
    out = []
    for survey in rows:
        written = lang if lang in survey.definition.get("languages", ["en"]) else "en"
        title = in_language(survey.definition.get("title"), written) or survey.title
        out.append((survey.key, title, written))
    return out


def _survey(s: Session, key: str) -> Survey:
    survey = s.scalars(select(Survey).where(Survey.key == key[:60])).first()
    if survey is None or survey.status == "draft":
        raise HTTPException(404, "there is no survey at this address")
    return survey


def _lang(survey: Survey, lang: str | None) -> str:
    languages = survey.definition.get("languages", ["en"])
    return lang if lang is not None and lang in languages else "en"


def _page(request: Request, s: Session, survey: Survey, lang: str, *, sent: dict[str, list[str]],
          problem: str | None, status: int = 200) -> HTMLResponse:  # fmt: skip
    clock = request.app.state.clock
    token = issue_token(s, survey, clock()) if survey.status == "open" else ""
    s.commit()  # the store's token key, made on the first form ever shown
    return PAGES.TemplateResponse(request, "youth_survey.html", {
        **request.app.state.page, **_speak(survey, lang), "survey": survey,
        "d": survey.definition, "elsewhere": ELSEWHERE,
        "places": s.scalars(select(Place).order_by(Place.name)).all(),
        "ages": AGE_BANDS, "token": token, "sent": sent, "problem": problem,
    }, status_code=status)  # fmt: skip


def survey_form(request: Request, key: str, lang: str | None = None) -> HTMLResponse:
    with request.app.state.maker() as s:
        survey = _survey(s, key)
        return _page(request, s, survey, _lang(survey, lang), sent={}, problem=None)


def _keep(request: Request, key: str, sent: dict[str, list[str]]) -> Response:
    """Check and keep the response (on a worker thread: it waits on the store). The transaction
    is for writing from its first statement, as the portal's are: on SQLite, answers sent at the
    same moment then wait their turn (a read turned write failed at once: "database is
    locked", the fourteenth probe)."""
    with request.app.state.maker() as s:
        s.connection(execution_options={"vrukit_write": True})
        survey = _survey(s, key)
        lang, survey_key = _lang(survey, (sent.get("lang") or [""])[0]), survey.key
        guard = getattr(request.app.state, "guard", None)
        client = client_address(request, guard) if guard else (
            request.client.host if request.client else "?")  # fmt: skip
        try:
            submit(s, survey, sent, token=(sent.get("token") or [""])[0], client=client,
                   now=request.app.state.clock(), language=lang)  # fmt: skip
            s.commit()
        except AlreadySent:
            s.rollback()
        except TooMany as e:
            s.rollback()
            return _page(request, s, survey, lang, sent=sent, problem=str(e), status=429)
        except ConfigError as e:
            s.rollback()
            return _page(request, s, survey, lang, sent=sent, problem=str(e), status=422)
    root = request.app.state.page["root"]
    return RedirectResponse(f"{root}/have-your-say/{survey_key}/thanks?lang={lang}",
                            status_code=303)  # fmt: skip


def _same_site(request: Request) -> bool:
    """Whether the form was sent from this site's own page: a browser says where a POST comes
    from (``Sec-Fetch-Site``, ``Origin``), so another site cannot have its visitors' browsers
    send answers (each from a different address, past the throttle)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    # host names compared, not ports: a proxy on another port than 443 may not pass its port on
    host = request.headers.get("host", "").rsplit(":", 1)[0].strip("[]").lower()
    return (urlsplit(origin).hostname or "") == host


async def survey_sent(request: Request, key: str) -> Response:
    if not _same_site(request):
        raise HTTPException(403, "answers are sent from the survey's own page")
    form = await request.form(max_fields=MOST_FIELDS)
    sent: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            sent.setdefault(str(name)[:60], []).append(value[:2000])
    return await run_in_threadpool(_keep, request, key, sent)


def thanks(request: Request, key: str, lang: str | None = None) -> HTMLResponse:
    with request.app.state.maker() as s:
        survey = _survey(s, key)
        lang = _lang(survey, lang)
        context = {**request.app.state.page, **_speak(survey, lang), "survey": survey}
        return PAGES.TemplateResponse(request, "youth_survey_thanks.html", context)

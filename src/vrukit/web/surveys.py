"""A survey's public link on the Youth Map (``/youth-map/have-your-say/<key>``): one page, no
sign-in, no cookie, no script; in each language the survey is written in (``?lang=ur``,
right to left where the language is). Sending it keeps the response anonymously
(``vrukit.voice.responses``: a one-time token so a form counts once, a throttle per network
address that keeps no record); a problem shows the form again with the answers kept and the
problem named beside its question."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError
from vrukit.programme.models import Place
from vrukit.voice.design import in_language
from vrukit.voice.models import AGE_BANDS, Survey
from vrukit.voice.responses import ELSEWHERE, AlreadySent, TooMany, issue_token, submit
from vrukit.web.guard import client_address

__all__ = ["RTL", "open_surveys", "survey_form", "survey_sent", "thanks"]

#: Languages written right to left.
RTL = {"ur", "ar", "fa", "ps", "he", "yi"}
MOST_FIELDS = 200
PAGES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
#: The page's own words (a survey's questions bring their own), in English and Urdu; other
#: languages read the English until a translation is added here.
CHROME: dict[str, dict[str, str]] = {
    "en": {
        "anonymous": "Your answers are anonymous: we never ask your name, and we keep nothing "
        "that could identify you.",
        "where": "Where do you live?",
        "elsewhere": "Somewhere else, or I would rather not say",
        "age": "How old are you?",
        "send": "Send my answers",
        "only_if": "Only if you answered",
        "problem": "Please check your answers",
        "closed": "This survey is closed. Thank you for wanting to take part.",
        "thanks": "Thank you",
        "sent": "Your answers have been sent. They help make where you live safer.",
        "back": "Back to the Youth Map",
        "optional": "optional",
    },
    "ur": {
        "anonymous": "آپ کے جوابات گمنام ہیں: ہم آپ کا نام کبھی نہیں پوچھتے، اور ایسی کوئی چیز "
        "محفوظ نہیں رکھتے جس سے آپ کی شناخت ہو سکے۔",
        "where": "آپ کہاں رہتے ہیں؟",
        "elsewhere": "کہیں اور، یا میں بتانا نہیں چاہتا",
        "age": "آپ کی عمر کیا ہے؟",
        "send": "میرے جوابات بھیجیں",
        "only_if": "صرف اس صورت میں اگر آپ کا جواب تھا",
        "problem": "براہ کرم اپنے جوابات دیکھیں",
        "closed": "یہ سروے بند ہو چکا ہے۔ حصہ لینے کی خواہش کا شکریہ۔",
        "thanks": "شکریہ",
        "sent": "آپ کے جوابات بھیج دیے گئے ہیں۔ "
        "یہ آپ کے علاقے کو زیادہ محفوظ بنانے میں مدد کرتے ہیں۔",
        "back": "یوتھ میپ پر واپس جائیں",
        "optional": "اختیاری",
    },
}


def open_surveys(s: Session) -> list[tuple[str, str]]:
    """The surveys open now, as (key, English title), for the Youth Map to link to."""
    rows = s.execute(select(Survey.key, Survey.title).where(Survey.status == "open")
                     .order_by(Survey.created_at.desc()).limit(5)).all()  # fmt: skip
    return [(k, t) for k, t in rows]


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
        **request.app.state.page, "survey": survey, "d": survey.definition, "lang": lang,
        "dir": "rtl" if lang in RTL else "ltr", "t": lambda text: in_language(text, lang),
        "w": CHROME.get(lang, CHROME["en"]), "elsewhere": ELSEWHERE,
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
        context: dict[str, Any] = {**request.app.state.page, "survey": survey, "lang": lang,
                                   "dir": "rtl" if lang in RTL else "ltr",
                                   "t": lambda text: in_language(text, lang),
                                   "w": CHROME.get(lang, CHROME["en"])}  # fmt: skip
        return PAGES.TemplateResponse(request, "youth_survey_thanks.html", context)

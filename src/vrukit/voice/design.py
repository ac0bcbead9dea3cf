"""Surveys as data: checking a definition (and refusing questions that would identify someone),
and checking a response against it (answer types, routing, required questions).

A definition is JSON::

    {"key": "feel-safe", "title": {"en": "...", "ur": "..."}, "intro": {"en": "..."},
     "languages": ["en", "ur"],
     "questions": [
       {"id": "safe_after_dark", "type": "scale", "min": 1, "max": 5, "measure": "feel_safe",
        "text": {"en": "How safe do you feel where you live after dark?"},
        "labels": {"en": ["Very unsafe", "Unsafe", "Neither", "Safe", "Very safe"]}},
       {"id": "seen_knife", "type": "single", "text": {"en": "..."},
        "options": [{"value": "yes", "text": {"en": "Yes"}}, {"value": "no", "text": {...}}]},
       {"id": "where_seen", "type": "multi", "show_if": {"question": "seen_knife",
        "equals": "yes"}, ...}]}

Types: ``single`` and ``multi`` (options), ``scale`` (whole numbers ``min`` to ``max``, with
labels), ``number`` (a whole number, ``min``/``max``), ``text`` (free text, at most ``most``
characters; kept for the VRU, never published). Every respondent also gives the place they live
in (one of the programme's places, or somewhere else) and their age band: results are grouped by
those and by the quarter, never by anything finer. A ``scale`` question may be marked
``"measure": "feel_safe"``: answers of 4 or 5 on a 1 to 5 scale count as feeling safe, and place
evaluation reads the share by place and quarter as an outcome.

No question may ask for a name, contact details, an address or postcode, a date of birth, a
school, or a social media handle: the designer refuses the definition, naming the question.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from vrukit.csvio import visible_text
from vrukit.errors import ConfigError

__all__ = [
    "ANSWER_TYPES",
    "MEASURES",
    "check_answers",
    "check_definition",
    "in_language",
    "visible",
]

ANSWER_TYPES = ("single", "multi", "scale", "number", "text")
#: Measures a scale question may carry, and the answers that count (on a 1-5 scale).
MEASURES = {"feel_safe": (4, 5)}
MOST_QUESTIONS = 40
_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_KEY = re.compile(r"[a-z0-9][a-z0-9-]{2,59}")
_LANG = re.compile(r"[a-z]{2,3}")
#: Phrases in a survey's texts that ask who someone is, how to reach them or where exactly they
#: live (a question about feeling safe at school, near home, or being called names is fine;
#: "which school do you go to?", "what should we call you?" or "how old are you?" are not:
#: every respondent already gives an age band).
IDENTIFYING = re.compile(
    r"(\byour (first |last |full |sur|middle |nick|real )?name\b|\bwhat is your name\b"
    r"|^\s*(full |first )?name\s*[:?]?\s*$|\bwhat should we call you\b"
    r"|\bnames? of (the )?(person|people|young person|child|friend|attacker|victim)\b"
    r"|\b(contact|reach|call|text|e-?mail|message) you\b"
    r"|\byour (e-?mail|phone|mobile|telephone|contact details|number)\b"
    r"|\b(phone|mobile|telephone) number\b|^\s*(e-?mail|phone|mobile)\s*[:?]?\s*$"
    r"|\b(what is|what's|whats|give|enter|tell us|write|type) (your|the) (home |street |full "
    r"|house )?address\b|^\s*(your )?(home |street |full )?address\s*[:?]?\s*$|\bpost ?codes?\b"
    r"|\b(which|what) street\b|\bhouse (or flat )?number\b"
    r"|\bdate of birth\b|\bd\.o\.b\b|\bbirthday\b|\byear (were )?you (were )?born\b"
    r"|\byear of birth\b|\bwhen were you born\b|\bhow old are you\b|\byour (exact )?age\b"
    r"|\b(which|what) school (do|did) you\b|\bschool do you (go to|attend)\b"
    r"|\bname of your school\b|\byour school'?s name\b"
    r"|\byour (instagram|snapchat|tiktok|facebook|twitter|discord)\b"
    r"|\b(instagram|snapchat|tiktok|facebook|twitter|discord) (handle|name|username|account)\b"
    r"|\buser ?name\b|\bsocial media (handle|name|account)\b"
    r"|\bnhs number\b|\bni number\b|\bnational insurance\b)",
    re.IGNORECASE,
)
#: Words of a question's id that name identifying data (``your_name``, ``home_postcode``...).
IDENTIFYING_ID_WORDS = {"name", "surname", "email", "address", "postcode", "phone", "mobile",
                        "dob", "birthday", "birth", "instagram", "snapchat", "tiktok",
                        "facebook", "username", "nhs"}  # fmt: skip


def _texts(q: dict[str, Any], field: str, languages: list[str], where: str) -> None:
    text = q.get(field)
    if not isinstance(text, dict) or not all(isinstance(text.get(lang), str) and text[lang].strip()
                                             for lang in languages) or not all(
            isinstance(v, str) for v in text.values()):  # fmt: skip
        raise ConfigError(f"{where}: {field!r} needs a text in each language "
                          f"({', '.join(languages)})")  # fmt: skip


def _plain(text: str) -> str:
    """A text as its words read, for the identifying check: compatibility forms folded
    ("ｎａｍｅ" is "name") and invisible format characters taken out ("na\u200bme" is "name",
    as the eighteenth probe's zero-width space showed)."""
    folded = unicodedata.normalize("NFKC", text).translate(_LOOK_ALIKE)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


#: Cyrillic and Greek letters drawn as Latin ones ("nаme" with a Cyrillic а: the nineteenth
#: probe), read as the Latin letter they look like.
_LOOK_ALIKE = str.maketrans(
    "аеорсхуіѕјԁһӏкмтвнАЕОРСХУІЅЈКМТВНαοτνκρɑɡօᴏᴀɪʏıǝ",
    "aeopcxyisjdhlkmtbhAEOPCXYISJKMTBHaotvkpagooaiyie",
    "\u034f",  # and the combining grapheme joiner, which shows nothing
)


def _labels(q: dict[str, Any], languages: list[str], where: str) -> None:
    """A scale's labels, when given: for each language a list of one text per point."""
    labels = q.get("labels")
    if labels is None:
        return
    points = q["max"] - q["min"] + 1
    if not isinstance(labels, dict) or not set(languages) <= set(labels) or not all(
        isinstance(texts, list) and len(texts) == points and all(isinstance(x, str) for x in texts)
        for texts in labels.values()
    ):  # fmt: skip
        raise ConfigError(f"{where}: 'labels' needs, in each language ({', '.join(languages)}), "
                          f"a list of {points} texts, one per point")  # fmt: skip


def _identifying(q: dict[str, Any], where: str) -> None:
    qid = str(q.get("id", "")).lower()
    if set(qid.split("_")) & IDENTIFYING_ID_WORDS or "school_name" in qid:
        raise ConfigError(f"{where}: an answer called {q['id']!r} would identify someone. "
                          "Surveys are anonymous: ask about experiences and views, never who "
                          "someone is")  # fmt: skip
    words = [str(t) for t in (q.get("text") or {}).values()]
    for option in q.get("options") or []:
        words += [str(t) for t in (option.get("text") or {}).values()]
    scale = q.get("labels") if q.get("type") == "scale" else None  # (its shape checked)
    for labels in (scale or {}).values():  # a scale's points are read too
        words += [str(t) for t in labels]
    for w in words:
        hit = IDENTIFYING.search(" ".join(_plain(w).split()))
        if hit:
            raise ConfigError(
                f"{where}: asks for {hit.group(0)!r}, which could identify someone. Surveys "
                "are anonymous: ask about experiences and views, never who someone is"
            )


def _options(q: dict[str, Any], languages: list[str], where: str) -> None:
    options = q.get("options")
    if not isinstance(options, list) or not 2 <= len(options) <= 20:
        raise ConfigError(f"{where}: a {q['type']} question needs 2 to 20 options")
    values = [o.get("value") for o in options if isinstance(o, dict)]
    if len(values) != len(options) or not all(isinstance(v, str) and _ID.fullmatch(v)
                                              for v in values):  # fmt: skip
        raise ConfigError(f"{where}: each option needs a value of lower-case letters, digits "
                          "and _ (e.g. 'yes')")  # fmt: skip
    taken = [str(v) for v in values if v in RESERVED or str(v).startswith("share_")]
    if taken:  # each option is a column of the results, beside these
        raise ConfigError(f"{where}: option value {taken[0]!r} is a name the results use: call "
                          f"it something else (e.g. {taken[0] + '_answer'!r})")  # fmt: skip
    if len(set(values)) != len(values):
        raise ConfigError(f"{where}: option values repeat")
    for o in options:
        _texts(o, "text", languages, f"{where}, option {o['value']!r}")


def _range(q: dict[str, Any], where: str) -> None:
    if not (_whole(q.get("min"), 0, 1000) and _whole(q.get("max"), 0, 1000)) or (
            q["min"] >= q["max"]):  # fmt: skip
        raise ConfigError(f"{where}: give whole numbers 'min' and 'max' (0 to 1000, min < max)")
    lo, hi = int(q["min"]), int(q["max"])
    if q["type"] == "scale" and hi - lo > 10:
        raise ConfigError(f"{where}: a scale has at most 11 points")
    measure = q.get("measure")
    if measure is not None and (not isinstance(measure, str) or measure not in MEASURES
                                or q["type"] != "scale" or (lo, hi) != (1, 5)):  # fmt: skip
        raise ConfigError(f"{where}: measure {measure!r} needs a 1 to 5 scale; known: "
                          f"{', '.join(MEASURES)}")  # fmt: skip


def _routing(q: dict[str, Any], earlier: dict[str, dict[str, Any]], where: str) -> None:
    rule = q.get("show_if")
    if rule is None:
        return
    named = rule.get("question") if isinstance(rule, dict) else None
    target = earlier.get(named) if isinstance(named, str) else None
    if target is None or target["type"] not in ("single", "multi", "scale"):
        raise ConfigError(f"{where}: show_if must name an earlier single, multi or scale question")
    if target.get("measure"):  # its results publish two groups, not the answer routed on
        raise ConfigError(f"{where}: show_if cannot follow the measure question "
                          f"{target['id']!r}: ask another question first")  # fmt: skip
    allowed = ([o["value"] for o in target["options"]] if target["type"] != "scale"
               else list(range(target["min"], target["max"] + 1)))  # fmt: skip
    wanted = rule.get("equals")
    if isinstance(wanted, bool) or wanted not in allowed:
        raise ConfigError(f"{where}: show_if equals {wanted!r}, not an answer of "
                          f"{target['id']!r}")  # fmt: skip


#: Names the results use for their own columns and tables: no option value or question id may
#: be one (an ordinary yes/no question with the value "n" once broke the results page).
RESERVED = {"n", "no_answer", "answered", "place", "period", "age_band", "breakdown",
            "feel_safe", "not_safe", "respondents", "all", "lang", "token"}  # fmt: skip


def _question(q: Any, n: int, languages: list[str], earlier: dict[str, dict[str, Any]]) -> None:
    where = f"question {n}"
    if not isinstance(q, dict):
        raise ConfigError(f"{where}: expected an object with id, type and text")
    qid = q.get("id")
    if not isinstance(qid, str) or not _ID.fullmatch(qid) or qid in earlier or qid in RESERVED:
        raise ConfigError(
            f"{where}: id {qid!r} must be new, lower-case letters, digits and _, "
            "and not a name the form or results use (place, age_band, n...)"
        )
    where = f"question {n} ({qid})"
    if q.get("type") not in ANSWER_TYPES:
        raise ConfigError(
            f"{where}: type {q.get('type')!r} is not one of {', '.join(ANSWER_TYPES)}"
        )
    _texts(q, "text", languages, where)
    if q["type"] in ("single", "multi"):
        _options(q, languages, where)
    elif q["type"] in ("scale", "number"):
        _range(q, where)
        if q["type"] == "scale":
            _labels(q, languages, where)
    elif not _whole(q.get("most", 500), 1, 2000):
        raise ConfigError(f"{where}: 'most' (characters) is 1 to 2000")
    if not isinstance(q.get("required", False), bool):
        raise ConfigError(f"{where}: 'required' is true or false")
    _identifying(q, where)  # once every text is where the form reads it
    _routing(q, earlier, where)
    earlier[qid] = q


def _whole(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def _visible(value: Any, lines: bool = False) -> Any:
    """Every text of a definition as visible text (no control, format or direction-override
    characters, no half of a character: a "\\ud800" in a question once made the public form
    a 500 for everyone: the twenty-first probe); a name holding one is refused."""
    if isinstance(value, str):
        return visible_text(value, lines=lines)
    if isinstance(value, list):
        return [_visible(v, lines) for v in value]
    if isinstance(value, dict):
        broken = [k for k in value if not isinstance(k, str) or visible_text(k) != k]
        if broken:
            raise ConfigError(f"the name {str(broken[0])[:40]!r} holds characters that are not "
                              "letters, digits or signs")  # fmt: skip
        return {k: _visible(v, lines or k == "intro") for k, v in value.items()}
    return value


def check_definition(d: Any) -> dict[str, Any]:
    """``d`` if it is a survey vrukit can run (its texts made visible text); ConfigError naming
    the first problem."""
    if not isinstance(d, dict):
        raise ConfigError("a survey is a JSON object with key, title, languages and questions")
    d = _visible(d)
    if not isinstance(d.get("key"), str) or not _KEY.fullmatch(d["key"]):
        raise ConfigError("key: 3 to 60 lower-case letters, digits and -, e.g. 'feel-safe-2022'")
    languages = d.get("languages", ["en"])
    if (not isinstance(languages, list) or not languages or languages[0] != "en"
            or not all(isinstance(x, str) and _LANG.fullmatch(x) for x in languages)):  # fmt: skip
        raise ConfigError("languages: a list of language codes starting with 'en', e.g. "
                          "['en', 'ur']")  # fmt: skip
    _texts(d, "title", languages, "the survey")
    intro = d.get("intro")
    if intro is not None and not (isinstance(intro, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in intro.items())):  # fmt: skip
        raise ConfigError('intro: a text for each language, e.g. {"en": "..."}')
    _identifying({"text": {**d["title"], **(intro or {})}}, "the title or introduction")
    questions = d.get("questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= MOST_QUESTIONS:
        raise ConfigError(f"questions: a list of 1 to {MOST_QUESTIONS} questions")
    earlier: dict[str, dict[str, Any]] = {}
    for n, q in enumerate(questions, start=1):
        _question(q, n, languages, earlier)
    return d


def in_language(text: dict[str, str] | None, lang: str) -> str:
    """A text in ``lang``, else in English (a definition stored before its shape was checked
    may hold a bare text, or something else: shown as it is, or not at all)."""
    if isinstance(text, str):
        return text
    if not isinstance(text, dict):
        return ""
    return text.get(lang) or text.get("en", "")


def visible(q: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Whether routing shows ``q`` given the ``answers`` so far."""
    rule = q.get("show_if")
    if rule is None:
        return True
    given = answers.get(rule["question"])
    return rule["equals"] in given if isinstance(given, list) else given == rule["equals"]


def _one(q: dict[str, Any], raw: list[str]) -> Any:
    """A question's answer from what was sent (ConfigError naming the question)."""
    kind, label = q["type"], q["id"]
    values = [o["value"] for o in q.get("options", [])]
    if kind == "multi":
        picked = [v for v in values if v in raw]
        if len(picked) != len(set(raw)):
            raise ConfigError(f"{label}: choose from the list")
        return picked
    text = raw[0].strip() if raw else ""
    if kind == "single":
        if text not in values:
            raise ConfigError(f"{label}: choose one answer from the list")
        return text
    if kind in ("scale", "number"):
        if not re.fullmatch(r"[0-9]{1,4}", text) or not q["min"] <= int(text) <= q["max"]:
            raise ConfigError(f"{label}: a whole number from {q['min']} to {q['max']}")
        return int(text)
    return text[: q.get("most", 500)]


def check_answers(definition: dict[str, Any], sent: dict[str, list[str]]) -> dict[str, Any]:
    """The answers of a response, as kept: each question shown by the routing and answered
    (a question hidden by it keeps no answer); ConfigError for a required one left out or an
    answer the question does not take."""
    answers: dict[str, Any] = {}
    for q in definition["questions"]:
        if not visible(q, answers):
            continue
        raw = [v for v in sent.get(q["id"], []) if v.strip()]
        if not raw:
            if q.get("required"):
                raise ConfigError(f"{q['id']}: please answer this question")
            continue
        answers[q["id"]] = _one(q, raw)
    return answers

"""The demo region's young people's voice: a survey of how safe young people feel, in English
and Urdu, answered each quarter from July 2020 to March 2022 in the pilots' places and
elsewhere, and a youth panel meeting monthly through 2021-22.

Planted: in the pilots' places, the chance that a young person feels safe (4 or 5 of 5) is
``BEFORE`` in the quarter before they began (October 2020) and ``AFTER`` from then on; elsewhere
it stays ``ELSEWHERE``. The samples are large enough that the published shares land within a
few points of the planted ones. Written as ``voice.json`` beside the registry; ``truth`` holds
the planted chances and the panel's consent rule.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from vrukit.demo._stable import json_text

__all__ = ["AFTER", "BEFORE", "ELSEWHERE", "SURVEY", "write_voice"]

BEFORE, AFTER, ELSEWHERE = 0.35, 0.58, 0.45
QUARTER_STARTS = [date(2020, 7, 1), date(2020, 10, 1), date(2021, 1, 1), date(2021, 4, 1),
                  date(2021, 7, 1), date(2021, 10, 1), date(2022, 1, 1)]  # fmt: skip
AGE_BANDS = ["11-13", "14-15", "16-17", "18-24"]
AGE_SHARES = [0.3, 0.3, 0.25, 0.15]


def _t(en: str, ur: str) -> dict[str, str]:
    return {"en": en, "ur": ur}


SURVEY: dict[str, Any] = {
    "key": "how-safe-do-you-feel",
    "title": _t("How safe do you feel?", "آپ کتنا محفوظ محسوس کرتے ہیں؟"),
    "intro": _t("Six questions about where you live. It takes two minutes.",
                "آپ کے علاقے کے بارے میں چھ سوالات۔ اس میں دو منٹ لگتے ہیں۔"),
    "languages": ["en", "ur"],
    "questions": [
        {"id": "safe_after_dark", "type": "scale", "min": 1, "max": 5, "measure": "feel_safe",
         "required": True,
         "text": _t("How safe do you feel where you live after dark?",
                    "اندھیرا ہونے کے بعد آپ اپنے علاقے میں کتنا محفوظ محسوس کرتے ہیں؟"),
         "labels": {"en": ["Very unsafe", "Unsafe", "Neither", "Safe", "Very safe"],
                    "ur": ["بہت غیر محفوظ", "غیر محفوظ", "نہ محفوظ نہ غیر محفوظ", "محفوظ",
                           "بہت محفوظ"]}},
        {"id": "seen_knife", "type": "single", "required": True,
         "text": _t("In the last three months, have you seen someone carrying a knife?",
                    "پچھلے تین مہینوں میں، کیا آپ نے کسی کو چاقو لیے ہوئے دیکھا ہے؟"),
         "options": [{"value": "yes", "text": _t("Yes", "ہاں")},
                     {"value": "no", "text": _t("No", "نہیں")},
                     {"value": "rather_not", "text": _t("I would rather not say",
                                                        "میں نہیں بتانا چاہتا")}]},
        {"id": "where_seen", "type": "multi", "show_if": {"question": "seen_knife",
                                                          "equals": "yes"},
         "text": _t("Where was it?", "یہ کہاں تھا؟"),
         "options": [{"value": "street", "text": _t("In the street", "گلی میں")},
                     {"value": "park", "text": _t("In a park", "پارک میں")},
                     {"value": "school", "text": _t("At or near school or college",
                                                    "اسکول یا کالج میں یا اس کے قریب")},
                     {"value": "online", "text": _t("Online", "آن لائن")}]},
        {"id": "trusted_adult", "type": "single",
         "text": _t("Is there an adult you trust that you could talk to if you were worried?",
                    "کیا کوئی بالغ ہے جس پر آپ بھروسہ کرتے ہوں اور پریشانی میں بات کر سکیں؟"),
         "options": [{"value": "yes", "text": _t("Yes", "ہاں")},
                     {"value": "no", "text": _t("No", "نہیں")},
                     {"value": "not_sure", "text": _t("Not sure", "یقین نہیں")}]},
        {"id": "activities", "type": "multi",
         "text": _t("What do you do after school or college?",
                    "آپ اسکول یا کالج کے بعد کیا کرتے ہیں؟"),
         "options": [{"value": "sport", "text": _t("Sport", "کھیل")},
                     {"value": "youth_club", "text": _t("A youth club", "یوتھ کلب")},
                     {"value": "arts", "text": _t("Music, art or drama", "موسیقی، فن یا ڈرامہ")},
                     {"value": "nothing", "text": _t("Nothing much", "کچھ خاص نہیں")}]},
        {"id": "what_would_help", "type": "text", "most": 500,
         "text": _t("What would make you feel safer?",
                    "کس چیز سے آپ زیادہ محفوظ محسوس کریں گے؟")},
    ],
}  # fmt: skip


def _answers(rng: np.random.Generator, safe: float) -> dict[str, Any]:
    feels = rng.random() < safe
    scale = int(rng.integers(4, 6) if feels else rng.integers(1, 4))
    seen = str(
        rng.choice(
            ["yes", "no", "rather_not"],
            p=[0.3 if not feels else 0.15, 0.65 if not feels else 0.8, 0.05],
        )
    )
    out: dict[str, Any] = {"safe_after_dark": scale, "seen_knife": seen,
                           "trusted_adult": str(rng.choice(["yes", "no", "not_sure"],
                                                           p=[0.6, 0.2, 0.2]))}  # fmt: skip
    if seen == "yes":
        out["where_seen"] = sorted({str(x) for x in rng.choice(
            ["street", "park", "school", "online"], size=int(rng.integers(1, 3)))})  # fmt: skip
    out["activities"] = sorted({str(x) for x in rng.choice(
        ["sport", "youth_club", "arts", "nothing"], size=int(rng.integers(1, 3)))})  # fmt: skip
    return out


def _responses(rng: np.random.Generator, places: list[str]) -> list[dict[str, Any]]:
    rows = []
    for k, start in enumerate(QUARTER_STARTS):
        for place in [*places, None]:
            n = 140 if place is None else (120 if k == 0 else 90)
            safe = ELSEWHERE if place is None else (BEFORE if k == 0 else AFTER)
            for _ in range(n):
                rows.append({
                    "submitted_on": (start + timedelta(days=int(rng.integers(0, 90)))).isoformat(),
                    "place": place, "age_band": str(rng.choice(AGE_BANDS, p=AGE_SHARES)),
                    "language": "ur" if rng.random() < 0.08 else "en",
                    "answers": _answers(rng, safe),
                })  # fmt: skip
    return rows


def _panel(rng: np.random.Generator) -> dict[str, Any]:
    """Fourteen members (first names, invented; the under-16s with a parent's or carer's
    consent), monthly sessions through 2021-22 with attendance."""
    names = ["Aaliyah", "Bilal", "Caitlin", "Dawit", "Elif", "Fraser", "Gurpreet", "Hana",
             "Isaac", "Jade", "Kofi", "Leila", "Mason", "Nadia"]  # fmt: skip
    members: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        age = int(rng.integers(13, 20))
        joined = date(2021, 4, 1) + timedelta(days=int(0 if i < 10 else rng.integers(60, 200)))
        members.append({"name": name, "age": age, "joined": joined.isoformat(),
                        "consent_by": "self" if age >= 16 else "parent or carer",
                        "consent_on": (joined - timedelta(days=7)).isoformat()})  # fmt: skip
    sessions = []
    topics = ["Feeling safe in parks", "The Youth Map", "Knife crime education in schools",
              "Funding round questions", "Summer activities", "Online harms"]  # fmt: skip
    for month in range(12):
        held = date(2021 + (month + 3) // 12, (month + 3) % 12 + 1, 15)
        there = [m["name"] for m in members if date.fromisoformat(m["joined"]) <= held
                 and rng.random() < 0.7]  # fmt: skip
        sessions.append({"held_on": held.isoformat(), "topic": topics[month % len(topics)],
                         "present": there})  # fmt: skip
    return {"members": members, "sessions": sessions}


def write_voice(folder: Path, seed: int, places: list[str]) -> Path:
    """Write ``folder/voice.json``: the survey, its responses in ``places`` and elsewhere,
    the youth panel and the truth; its path."""
    rng = np.random.default_rng([seed, 35])
    cell_key = hashlib.sha256(f"vrukit-demo-{seed}-survey-cells".encode()).hexdigest()
    data = {"cell_key": cell_key, "surveys": [{"definition": SURVEY, "status": "open",
                         "responses": _responses(rng, places)}],
            "panel": _panel(rng),
            "truth": {"before": BEFORE, "after": AFTER, "elsewhere": ELSEWHERE,
                      "places": places, "first_quarter": "2020-Q3"}}  # fmt: skip
    path = Path(folder) / "voice.json"
    path.write_text(json_text(data))
    return path

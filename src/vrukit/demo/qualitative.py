"""The demo region's qualitative evidence: a year of interviews and focus groups run by
community researchers about the programme's interventions in the three pilot places, coded
with a codebook of themes, written as the REFI-QDA project (``interviews.qdpx``) a researcher
would export from NVivo or QualCoder.

Every transcript is pseudonymised ("Participant", "P1", ...) and built from short answers, each
answer coded with one or two themes; each source has its consent recorded, except one focus
group whose consent forms were lost: it is kept, uncoded. ``qualitative_truth.json`` holds
what was planted: the excerpts of each theme by place, intervention and Theory of Change step,
and the sources each theme appears in - the counts ``vrukit evaluate`` must give back.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from vrukit.demo._stable import json_text
from vrukit.demo.programme import INTERVENTIONS
from vrukit.ingest.qdpx import (
    LINK_VARIABLE,
    TOC_VARIABLES,
    VARIABLES,
    QdaCase,
    QdaCode,
    QdaProject,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
    excerpt_guid,
    guid,
    theme_guid,
    toc_case_name,
    write_qdpx,
)

__all__ = ["CODEBOOK", "write_qualitative"]

#: (path, colour, Theory of Change stage the theme speaks to, answers). A heading has no answers.
CODEBOOK: list[tuple[tuple[str, ...], str, str | None, list[str]]] = [
    (("Safety",), "#7f8c8d", None, []),
    (
        ("Safety", "Fear of violence"),
        "#c0392b",
        None,
        [
            "I don't walk through {place} after dark, everyone knows someone who got hurt.",
            "My mum worries every time I go out, she rings me if I'm late.",
            "You hear about fights near the shops in {place} most weekends.",
        ],
    ),
    (
        ("Safety", "Knife carrying"),
        "#8e44ad",
        None,
        [
            "Some lads carry because they think everyone else does.",
            "People say it's for protection but it just makes things worse.",
            "I knew someone who carried and he got stabbed with his own blade.",
        ],
    ),
    (
        ("Safety", "Feeling safer"),
        "#27ae60",
        "long_term",
        [
            "It feels calmer round {place} than it did a year ago.",
            "There's less trouble at the bus station since the youth workers started.",
            "I go to the park again now, I didn't last summer.",
        ],
    ),
    (("Relationships",), "#2c3e50", None, []),
    (
        ("Relationships", "Trusted adults"),
        "#2980b9",
        "activity",
        [
            "The worker from {intervention} actually listened, not like the others.",
            "Having someone to text when things kick off made a difference.",
            "She didn't judge me, she just asked what I needed.",
        ],
    ),
    (
        ("Relationships", "Family support"),
        "#16a085",
        None,
        [
            "My family came to one of the sessions and that helped us talk.",
            "Things at home were bad and nobody asked until {intervention}.",
            "My nan is the one who kept me going.",
        ],
    ),
    (
        ("Relationships", "Peer pressure"),
        "#d35400",
        None,
        [
            "Your mates push you into stuff you wouldn't do on your own.",
            "If you say no you get called out online.",
            "Older boys in {place} recruit younger ones through group chats.",
        ],
    ),
    (("Services",), "#34495e", None, []),
    (
        ("Services", "Engagement with services"),
        "#f39c12",
        "short_term",
        [
            "I kept going to {intervention} because they kept checking in.",
            "I didn't want to go at first but now I go every week.",
            "They helped me sign up for college, I wouldn't have done it alone.",
        ],
    ),
    (
        ("Services", "Barriers to taking part"),
        "#e74c3c",
        None,
        [
            "The sessions clash with my shifts so I miss them.",
            "It's two buses to get there from {place}.",
            "I didn't know {intervention} existed until a mate told me.",
        ],
    ),
    (
        ("Services", "Sport and belonging"),
        "#1abc9c",
        None,
        [
            "Boxing gives me somewhere to put my anger.",
            "At the club nobody cares which estate you're from.",
            "Training three nights a week keeps me off the street.",
        ],
    ),
    (
        ("Exploitation and county lines",),
        "#6c3483",
        None,
        [
            "They offer you money and trainers, then you owe them.",
            "Kids from {place} get sent out of town to sell.",
            "Once you're in it's hard to get out, they know where you live.",
        ],
    ),
]
QUESTIONS = [
    "Can you tell me about where you live?",
    "What is it like for young people round here?",
    "How did you hear about the programme?",
    "What has changed for you this year?",
    "What would make things better?",
    "Who do you go to when something goes wrong?",
]
#: Community researchers: named people and, for some sources, their organisation.
RESEARCHERS = ["Amina Hussain", "Dwayne Clarke", "Lucy Nowak", "Canalside Residents' Association"]
CONSENT = ["written consent form", "verbal consent, recorded at the start of the recording"]
FIRST_DAY = date(2021, 4, 1)
SOURCES = 24
#: The focus group whose consent forms were lost (index among the sources): kept, uncoded.
NO_CONSENT = 17


def _toc_step(intervention: int, stage: str) -> tuple[str, str, str]:
    """The Theory of Change step of ``stage`` that ``demo.programme`` registers."""
    name, _provider, _area, _tier, setting, *_rest = INTERVENTIONS[intervention]
    text = {
        "activity": f"{setting}: trusted adult offers support",
        "output": "young people attend sessions",
        "short_term": "young people engage with services",
        "long_term": "less violence involving young people",
    }[stage]
    return (str(name), stage, text)


class _Transcript:
    """A transcript built answer by answer, each answer's span remembered."""

    def __init__(self, header: str) -> None:
        self.text = header + "\n\n"
        self.spans: list[tuple[int, int, list[int]]] = []

    def say(self, speaker: str, words: str, themes: list[int] | None = None) -> None:
        start = len(self.text) + len(speaker) + 2
        self.text += f"{speaker}: {words}\n"
        if themes:
            self.spans.append((start, start + len(words), themes))


def _answers(rng: np.random.Generator, n: int) -> list[list[int]]:
    """``n`` answers' themes: one theme each, a quarter of them two."""
    codable = [k for k, c in enumerate(CODEBOOK) if c[3]]
    out = []
    for _ in range(n):
        first = int(rng.choice(codable))
        themes = [first]
        if rng.random() < 0.25:
            second = int(rng.choice([k for k in codable if k != first]))
            themes.append(second)
        out.append(themes)
    return out


def _source(rng: np.random.Generator, k: int, places: list[str]) -> dict[str, Any]:
    kind = "interview" if k % 2 == 0 else "focus_group"
    held = FIRST_DAY + timedelta(days=int(15 * k + rng.integers(0, 10)))
    place, iv = places[k % len(places)], k % len(INTERVENTIONS)
    people = 1 if kind == "interview" else int(rng.integers(4, 10))
    name = f"{held.isoformat()} {kind.replace('_', ' ')} {place}"
    record = {"name": name, "kind": kind, "held": held, "place": place, "iv": iv,
              "people": people, "researcher": RESEARCHERS[k % len(RESEARCHERS)],
              "consent": k != NO_CONSENT}  # fmt: skip
    t = _Transcript(f"{kind.replace('_', ' ').capitalize()} held in {place} on {held:%d %B %Y}"
                    f" about {INTERVENTIONS[iv][0]}. Participants are not named.")  # fmt: skip
    for a, themes in enumerate(_answers(rng, int(rng.integers(5, 9)))):
        t.say("Researcher", QUESTIONS[a % len(QUESTIONS)])
        words = str(rng.choice(CODEBOOK[themes[0]][3]))
        words = words.format(place=place, intervention=INTERVENTIONS[iv][0])
        speaker = "Participant" if people == 1 else f"P{int(rng.integers(1, people + 1))}"
        t.say(speaker, words, themes if record["consent"] else None)
    record["text"], record["spans"] = t.text, t.spans
    return record


def _variables(r: dict[str, Any]) -> dict[str, str]:
    values = {
        "Source kind": r["kind"],
        "Date held": r["held"].isoformat(),
        "Community researcher": r["researcher"],
        "Participants": str(r["people"]),
        "Consent recorded": "true" if r["consent"] else "false",
    }
    if r["consent"]:
        values["Consent how"] = CONSENT[r["people"] > 1]
        values["Consent date"] = (r["held"] - timedelta(days=r["people"] % 3)).isoformat()
    values |= {"Place": r["place"], "Intervention": str(INTERVENTIONS[r["iv"]][0])}
    return values


def _codes() -> tuple[QdaCode, ...]:
    """The codebook in the order vrukit writes it: by path (each heading before its themes)."""
    return tuple(
        QdaCode(theme_guid(path), path[-1], theme_guid(path[:-1]) if len(path) > 1 else None,
                colour, None, bool(answers))
        for path, colour, _stage, answers in sorted(CODEBOOK, key=lambda c: c[0])
    )  # fmt: skip


def _links(r: dict[str, Any], themes: list[int]) -> list[tuple[str, str]]:
    """The cases an excerpt belongs to: its source's place and intervention, and the step of
    the source's intervention its first theme speaks to."""
    links = [("place", r["place"]), ("intervention", str(INTERVENTIONS[r["iv"]][0]))]
    stage = CODEBOOK[themes[0]][2]
    if stage:
        links.append(("toc_step", json.dumps(list(_toc_step(r["iv"], stage)))))
    return links


def _cases(records: list[dict[str, Any]]) -> tuple[QdaCase, ...]:
    held: dict[tuple[str, str], list[str]] = {}
    for r in records:
        for a, b, themes in r["spans"]:
            for link in _links(r, themes):
                held.setdefault(link, []).append(excerpt_guid(r["name"], a, b))
    out = []
    for kind, key in sorted(held):
        variables = {LINK_VARIABLE: kind}
        name = key
        if kind == "toc_step":
            iv, stage, text = json.loads(key)
            variables |= dict(zip(TOC_VARIABLES, (iv, stage, text), strict=True))
            name = toc_case_name(iv, stage, text)
        out.append(QdaCase(guid(kind, key), name, variables, selections=tuple(held[(kind, key)])))
    return tuple(out)


def _truth(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``vrukit.qualitative.theme_counts`` must find: excerpts of each theme by place,
    intervention and Theory of Change step (an excerpt's step counts for each of its themes),
    and the sources each theme appears in."""
    by: dict[str, dict[str, dict[str, int]]] = {"place": {}, "intervention": {}, "toc_step": {}}
    sources: dict[str, set[str]] = {}
    excerpts = 0
    for r in records:
        for _a, _b, themes in r["spans"]:
            excerpts += 1
            for kind, key in _links(r, themes):
                value = toc_case_name(*json.loads(key)) if kind == "toc_step" else key
                for t in themes:
                    cell = by[kind].setdefault(" / ".join(CODEBOOK[t][0]), {})
                    cell[value] = cell.get(value, 0) + 1
            for t in themes:
                sources.setdefault(" / ".join(CODEBOOK[t][0]), set()).add(r["name"])
    return {"sources": len(records), "coded_sources": sum(bool(r["spans"]) for r in records),
            "excerpts": excerpts, "excerpts_by": by,
            "sources_by_theme": {k: len(v) for k, v in sorted(sources.items())},
            "no_consent": records[NO_CONSENT]["name"]}  # fmt: skip


def write_qualitative(folder: Path, seed: int, places: list[str]) -> Path:
    """Write ``interviews.qdpx`` and ``qualitative_truth.json`` into ``folder``; the .qdpx."""
    rng = np.random.default_rng([seed, 11])
    records = [_source(rng, k, places) for k in range(SOURCES)]
    sources = tuple(
        QdaSource(guid("source", r["name"]), r["name"], r["text"],
                  tuple(QdaSelection(excerpt_guid(r["name"], a, b), a, b,
                                     tuple(theme_guid(p) for p in sorted(CODEBOOK[t][0]
                                                                         for t in themes)))
                        for a, b, themes in r["spans"]),
                  _variables(r), None, guid("user", r["researcher"]))
        for r in sorted(records, key=lambda r: r["name"])
    )  # fmt: skip
    users = tuple(QdaUser(guid("user", k), k) for k in sorted(set(RESEARCHERS)))
    variables = tuple(QdaVariable(guid("variable", k), k, t) for k, t in VARIABLES.items())
    project = QdaProject("vrukit qualitative evidence", users, _codes(), variables,
                         _cases(records), sources)  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qualitative_truth.json").write_text(json_text(_truth(records)))
    return write_qdpx(project, folder / "interviews.qdpx")

"""Keyword search over the directory that forgives typos: "boxng", "footbal" and "mentering" find
the boxing, football and mentoring services.

Every service's words - its name, its categories (taxonomy terms) and its description - go into
one vocabulary; each word keeps the services using it and the best field it is in. A word
typed matches a vocabulary word that is

1. the same, or the same after a light suffix strip ("dancing" and "dance", "mentors" and
   "mentor");
2. begun by it ("box" and "boxing", "footbal" and "football"), from three letters;
3. contained in it ("boxing" and "kickboxing"), from six letters;
4. only when none of those match: at most one edit away (4 to 7 letters) or two (8 or more), as
   the optimal string alignment distance (rapidfuzz: a swap of two letters is one edit). So
   "boxng" finds "boxing" and "mentering" "mentoring", while "sport" never finds "support" (two
   edits) and words under four letters must be exact or a beginning.

A service matches when every word typed matches one of its words. Words that say nothing about
the service ("near", "me", "and") are left out, and so are words that every listing could carry
("club", "youth", "group") when other words remain: "boxing club near me" is "boxing", while
"youth club" is both words. Its score sums, over the words typed, the best match's quality
(same 1, stem 0.95, beginning 0.85, inside 0.8, one edit 0.7, two 0.65) times the weight of the
field it is in (name 1, category 0.9, description 0.6); the order when there is no place to
measure from.

Cost: a word typed is compared with the vocabulary (each distinct word once), never with each
service: a binary search for beginnings, rapidfuzz's C loop for typos, one pass for "inside"
(six letters or more); the matched words' services are then gathered with numpy. On the demo
generator's 5,000 services: under a millisecond a search, the index built in about 0.1 s
(``benchmarks/youth_map_search.py``).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

__all__ = ["FIELD_WEIGHTS", "KeywordIndex", "KeywordMatch", "search_words", "stem", "words"]

#: How much a match counts by where the word is: a service's name, category or description.
FIELD_WEIGHTS = (1.0, 0.9, 0.6)
#: Never a search word.
STOP = frozenset((
    "a", "an", "and", "the", "for", "of", "in", "at", "on", "to", "with", "or", "near", "me", "my",
    "i", "im", "nearby", "around", "local", "please", "want", "find", "looking", "any", "some",
    "something",
))  # fmt: skip
#: Words any listing could carry: left out when other words remain.
GENERIC = frozenset((
    "club", "clubs", "group", "groups", "session", "sessions", "class", "classes", "lesson",
    "lessons", "activity", "activities", "service", "services", "youth", "young", "people",
    "person", "kids", "kid", "teen", "teens", "teenager", "teenagers", "child", "children", "free",
))  # fmt: skip
#: At most this many words of a search are used (the page's box holds 50 characters).
MAX_WORDS = 8
_SUFFIXES = ("ing", "ers", "er", "es", "s", "e")
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """``text`` as lower-case words without accents ("Café-Bar" is ``["cafe", "bar"]``)."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in plain if not unicodedata.combining(c)))


def stem(word: str) -> str:
    """A light stem: one common suffix off, then a doubled last consonant undone ("swimming",
    "swims" and "swim" are all ``swim``)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def _edits(word: str) -> int:
    """How many edits a word of this length may be away from what it means."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def search_words(text: str) -> list[str]:
    """The words of a search that are looked for (see the module's docstring)."""
    typed = [w for w in words(text) if w not in STOP][: MAX_WORDS * 2]
    specific = [w for w in typed if w not in GENERIC and not w.isdigit()]
    return list(dict.fromkeys(specific or typed))[:MAX_WORDS]


@dataclass(frozen=True)
class KeywordMatch:
    """How a search's words match the services: ``score`` (one per service, in the index's
    order) is 0 for a service missing any word; ``unmatched`` are the words nothing has."""

    words: tuple[str, ...]
    score: np.ndarray
    unmatched: tuple[str, ...]
    #: The words as read: a word that matched one word, or only by its typos, is shown as the
    #: word it most likely meant ("boxng" and "footbal" are read as "boxing" and "football").
    read_as: tuple[str, ...] = ()

    @property
    def matches(self) -> np.ndarray:
        """Which services match every word (a boolean mask)."""
        return self.score > 0


class KeywordIndex:
    """The vocabulary of ``services`` - one ``(name, categories, description)`` each - and
    which services use each word."""

    def __init__(self, services: Sequence[tuple[str, Iterable[str], str]]) -> None:
        best: dict[str, dict[int, float]] = defaultdict(dict)
        for k, (name, categories, description) in enumerate(services):
            fields = (name, " ".join(categories), description)
            for text, weight in zip(fields, FIELD_WEIGHTS, strict=True):
                for w in words(text or ""):
                    if best[w].get(k, 0.0) < weight:
                        best[w][k] = weight
        self.size = len(services)
        self.vocabulary = sorted(best)
        self._ids = {w: i for i, w in enumerate(self.vocabulary)}
        self._stems: dict[str, list[int]] = defaultdict(list)
        for i, w in enumerate(self.vocabulary):
            self._stems[stem(w)].append(i)
        self._postings = [
            (np.fromiter(best[w].keys(), int), np.fromiter(best[w].values(), float))
            for w in self.vocabulary
        ]

    def candidates(self, word: str) -> dict[int, float]:
        """The vocabulary words ``word`` matches (by position) and how well: as written
        (``spelt``), else by its typos."""
        return self.spelt(word) or self.typos(word)

    def typos(self, word: str) -> dict[int, float]:
        """The vocabulary words within ``word``'s edits (none under four letters)."""
        if not _edits(word):
            return {}
        near = process.extract(word, self.vocabulary, scorer=OSA.distance, limit=None,
                               score_cutoff=_edits(word))  # fmt: skip
        return {i: 0.75 - 0.05 * d for _, d, i in near}

    def spelt(self, word: str) -> dict[int, float]:
        """The vocabulary words ``word`` is, stems to, begins or is inside."""
        found = dict.fromkeys(self._stems.get(stem(word), ()), 0.95)
        if word in self._ids:
            found[self._ids[word]] = 1.0
        if len(word) >= 3:
            lo = bisect_left(self.vocabulary, word)
            hi = bisect_left(self.vocabulary, word + "\U0010ffff", lo)
            for i in range(lo, hi):
                found.setdefault(i, 0.85)
        if len(word) >= 6:
            for i, w in enumerate(self.vocabulary):
                if word in w:
                    found.setdefault(i, 0.8)
        return found

    def match(self, text: str) -> KeywordMatch:
        """Score every service against the search ``text`` (all of its words must match)."""
        typed = search_words(text)
        total = np.zeros(self.size)
        every = np.ones(self.size, bool)
        unmatched, read_as = [], []
        for word in typed:
            score = np.zeros(self.size)
            found = self.candidates(word)
            for i, quality in found.items():
                services, weights = self._postings[i]
                score[services] = np.maximum(score[services], quality * weights)
            if not found:
                unmatched.append(word)
            read_as.append(self._read_as(word, found))
            every &= score > 0
            total += score
        return KeywordMatch(tuple(typed), np.where(every, total, 0.0), tuple(unmatched),
                            tuple(read_as))  # fmt: skip

    def _read_as(self, word: str, found: dict[int, float]) -> str:
        """The one word ``word`` matched; else the word it most likely meant when only its
        typos matched (the closest, then the most used); else ``word`` as typed."""
        if len(found) == 1:
            return self.vocabulary[next(iter(found))]
        if not found or max(found.values()) >= 0.8:
            return word
        return self.vocabulary[max(found, key=lambda i: (found[i], len(self._postings[i][0])))]

    def suggest(self, text: str) -> str | None:
        """``text`` with each word nothing matches replaced by the most similar word of the
        vocabulary (at least 70% alike); None when there is nothing better to offer."""
        typed = search_words(text)
        better = []
        for word in typed:
            if self.candidates(word):
                better.append(word)
                continue
            near = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=70)
            better.append(near[0] if near else word)
        return " ".join(better) if better != typed else None

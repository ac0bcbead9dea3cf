"""Loading surveys (with responses recorded elsewhere: a paper survey typed in, or the demo's)
and the youth panel's register from data (``voice.json``, as the demo writes it). Everything is
checked as the portal and the public link check it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError
from vrukit.voice.design import check_definition, in_language
from vrukit.voice.models import Survey
from vrukit.voice.panel import add_member, add_session
from vrukit.voice.responses import add_responses

__all__ = ["load_voice"]


def _survey(s: Session, item: dict[str, Any]) -> Survey:
    d = check_definition(item["definition"])
    if s.scalars(select(Survey.id).where(Survey.key == d["key"])).first() is not None:
        raise ConfigError(f"survey {d['key']!r} is in the store already")
    first = min((r["submitted_on"] for r in item.get("responses", [])), default="2000-01-01")
    survey = Survey(
        key=d["key"],
        title=in_language(d["title"], "en")[:200],
        definition=d,
        status=item.get("status", "draft"),
        created_at=datetime.combine(date.fromisoformat(first), datetime.min.time()),
    )
    s.add(survey)
    s.flush()
    return survey


def load_voice(s: Session, data: dict[str, Any]) -> dict[str, int]:
    """Add the surveys, their responses and the panel; how many of each."""
    counts = {"surveys": 0, "responses": 0, "members": 0, "sessions": 0}
    if data.get("cell_key"):  # the demo's own, so its results are the same everywhere
        from vrukit.programme.models import StoreSetting
        from vrukit.voice.results import CELL_KEY

        bytes.fromhex(data["cell_key"])  # ValueError unless hexadecimal
        s.merge(StoreSetting(name=CELL_KEY, value=data["cell_key"]))
    for item in data.get("surveys", []):
        survey = _survey(s, item)
        counts["surveys"] += 1
        counts["responses"] += add_responses(s, survey, item.get("responses", []))
    panel = data.get("panel", {})
    ids: dict[str, int] = {}
    for m in panel.get("members", []):
        member = add_member(s, name=m["name"], age=int(m["age"]), consent_by=m["consent_by"],
                            consent_on=date.fromisoformat(m["consent_on"]),
                            joined=date.fromisoformat(m["joined"]))  # fmt: skip
        ids[m["name"]] = member.id
        counts["members"] += 1
    for x in panel.get("sessions", []):
        unknown = [n for n in x["present"] if n not in ids]
        if unknown:
            raise ConfigError(f"panel session {x['held_on']}: no member {unknown[0]!r}")
        present = [ids[n] for n in x["present"]]
        add_session(s, date.fromisoformat(x["held_on"]), x["topic"], present)
        counts["sessions"] += 1
    s.flush()
    return counts

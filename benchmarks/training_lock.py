"""How long adding training records holds the store's write lock: vrukit's ``add_training``
(one executemany per table) against the same rows added as ORM objects (what it did before),
on the demo programme's SQLite store, same run. Prints seconds and the ratio.

    .venv/bin/python benchmarks/training_lock.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

STATEMENTS = 4


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    rows = ap.parse_args().rows
    from conftest import small_programme
    from vrukit.programme.db import engine, writing
    from vrukit.programme.load import TRAINING_FIELDS, add_training
    from vrukit.programme.models import Intervention, TrainingRecord, TrainingScore
    from vrukit.programme.returns import validate_rows

    url = small_programme(Path(tempfile.mkdtemp()))
    cells = [[f"B{k // STATEMENTS}", "School", f"2022-01-{k % 28 + 1:02d}", "20",
              f"statement {k % STATEMENTS}", "2", str(k % 5 + 1)] for k in range(rows)]  # fmt: skip
    raw = pd.DataFrame(cells, columns=[f.name for f in TRAINING_FIELDS])
    checked, problems = validate_rows(TRAINING_FIELDS, raw, 2)
    assert not problems
    maker = sessionmaker(engine(url))
    with maker() as s:
        iv = s.scalars(select(Intervention).where(Intervention.thematic_area == "trauma_informed"))
        iid, org = (lambda x: (x.id, x.provider_id))(iv.first())

    def clear() -> None:
        with writing(maker) as w:
            ids = select(TrainingRecord.id).where(TrainingRecord.participant_ref.like("B%"))
            w.execute(delete(TrainingScore).where(TrainingScore.record_id.in_(ids)))
            w.execute(delete(TrainingRecord).where(TrainingRecord.participant_ref.like("B%")))

    started = time.perf_counter()
    with writing(maker) as w:
        n = add_training(w, w.get(Intervention, iid), raw, 2, checked=checked)
    ours = time.perf_counter() - started
    clear()
    started = time.perf_counter()
    with writing(maker) as w:  # the peer: one ORM object per participant and score
        people: dict[str, list[dict]] = {}
        for r in checked:
            people.setdefault(str(r["participant_ref"]), []).append(r)
        for ref, g in sorted(people.items()):
            w.add(TrainingRecord(intervention_id=iid, organisation_id=org, participant_ref=ref,
                                 participant_organisation=g[0]["organisation"],
                                 trained_on=date.fromisoformat(g[0]["trained_on"]),
                                 reached_per_week=g[0]["reached_per_week"],
                                 scores=[TrainingScore(statement=r["statement"], pre=r["pre"],
                                                       post=r["post"]) for r in g]))  # fmt: skip
    peer = time.perf_counter() - started
    print(
        f"{rows:,} rows, {n:,} participants: executemany {ours:.2f} s, ORM objects "
        f"{peer:.2f} s, ratio {peer / ours:.1f}x"
    )


if __name__ == "__main__":
    main()

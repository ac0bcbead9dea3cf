"""Uploaded returns and training records are checked and stored in a process of their own.

A 16 MB return is 600,000 rows: checking each cell and storing each row is seconds of pure
Python. On a thread of the server it holds the interpreter's lock, and every other request
(the Youth Map's searches included) slowed fifteenfold while it ran (benchmarks/portal.py). A
process has its own interpreter. Each server process keeps one helper process, started on
first use; uploads queue for it, and waiting costs the server nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vrukit.commissioning.governance import add_spend, check_spend_return
from vrukit.programme.audit import audit
from vrukit.programme.db import engine, writing
from vrukit.programme.load import TRAINING_FIELDS, add_training
from vrukit.programme.models import Intervention, User
from vrukit.programme.returns import (
    Problem,
    ReturnRejected,
    check_return,
    read_upload,
    store_return,
    validate_rows,
)

__all__ = ["Outcome", "submit_spend", "submit_training", "submit_upload"]

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_ENGINES: dict[str, Engine] = {}  # in the helper process: one engine per store
#: Uploads one helper process checks before a fresh one takes over: a large file's memory is
#: given back to the system rather than held by an idle helper.
HELPER_TASKS = 10


@dataclass(frozen=True)
class Outcome:
    """What became of an upload: the stored submission, or the problems that stopped it."""

    submission_id: int | None
    rows: int
    supersedes_id: int | None
    problems: list[Problem] | None
    #: Training records: the participants added (those already recorded are left as they were).
    added: int = 0


def _pool() -> ProcessPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:  # "spawn": a fresh interpreter, never a fork of a threaded server
            _POOL = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_follow,
                initargs=(os.getpid(),), max_tasks_per_child=HELPER_TASKS,
            )  # fmt: skip
        return _POOL


def _follow(parent: int) -> None:
    """In the helper: end when the server process that started it has gone (killed, say),
    rather than live on as an orphan holding its memory."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="vrukit-follow-parent").start()


def _check_and_store(
    store: str, iid: int, period: str, path: str, name: str, limits: dict[str, int],
    organisation_id: int, user_id: int,
) -> Outcome:  # fmt: skip
    """In the helper process: check the file outside any lock, then store it in one write."""
    maker = _maker(store)
    with maker() as s, s.begin():
        iv = s.get(Intervention, iid)
        assert iv is not None
        title = iv.name
        try:
            checked = check_return(s, iv, period, path, name=name, **limits)
        except ReturnRejected as e:
            return Outcome(None, 0, None, e.problems)
    with writing(maker) as w:
        sub = store_return(w, checked, organisation_id=organisation_id, submitted_by=user_id)
        sub.file_name = name
        audit(w, w.get(User, user_id), "submit", "return_submission", str(sub.id), None,
              {"intervention": title, "period": sub.period, "rows": len(checked.rows),
               "supersedes": sub.supersedes_id})  # fmt: skip
        return Outcome(sub.id, len(checked.rows), sub.supersedes_id, None)


def _maker(store: str) -> sessionmaker[Session]:
    return sessionmaker(_ENGINES.setdefault(store, engine(store)))


def _check_and_store_training(
    store: str, iid: int, path: str, name: str, limits: dict[str, int], organisation_id: int,
    user_id: int,
) -> Outcome:  # fmt: skip
    """In the helper process: read and check training records outside any lock, then add
    them in one write (all or nothing)."""
    raw, first = read_upload(path, max_inflated=limits["max_inflated"], name=name,
                             max_rows=limits["max_rows"])  # fmt: skip
    if len(raw) > limits["max_rows"]:
        most = limits["max_rows"]
        why = f"{name} has more than {most:,} rows, the most one upload may hold"
        return Outcome(None, len(raw), None, [Problem(None, None, None, why)])
    rows, problems = validate_rows(TRAINING_FIELDS, raw, first)
    if problems:
        return Outcome(None, len(raw), None, problems)
    with writing(_maker(store)) as w:
        iv = w.get(Intervention, iid)
        assert iv is not None
        try:
            added = add_training(w, iv, raw, first, where=name, organisation_id=organisation_id,
                                 checked=rows)  # fmt: skip
        except ReturnRejected as e:
            return Outcome(None, len(raw), None, e.problems)
        after = {"intervention": iv.name, "participants_added": added, "file": name}
        audit(w, w.get(User, user_id), "add", "training_record", iv.name, None, after)
    return Outcome(None, len(raw), None, None, added)


def _check_and_store_spend(
    store: str, path: str, name: str, limits: dict[str, int], user_id: int
) -> Outcome:
    """In the helper process: read and check a spend return outside any lock, then add it in
    one write (all or nothing)."""
    maker = _maker(store)
    try:
        with maker() as s, s.begin():
            rows = check_spend_return(s, path, name=name, max_inflated=limits["max_inflated"])
        with writing(maker) as w:
            n = add_spend(w, rows, name=name, by=user_id)
            audit(w, w.get(User, user_id), "upload", "spend", name, None, {"lines": n})
    except ReturnRejected as e:
        return Outcome(None, 0, None, e.problems)
    return Outcome(None, n, None, None, n)


def _in_helper(store: str, job: Callable[..., Outcome], *args: Any) -> Outcome:
    """Run ``job`` in the helper process (in this one for a store that lives in memory, which
    another process cannot reach) and wait for its outcome. When the helper dies on a file (a
    reader aborting on memory, the system killing it), that upload is refused and the next
    starts a new helper: one bad file never stops the uploads after it."""
    global _POOL
    if store in ("sqlite://", "sqlite:///:memory:"):
        return job(store, *args)
    pool = _pool()
    try:
        return pool.submit(job, store, *args).result()
    except BrokenProcessPool:
        with _POOL_LOCK:
            if _POOL is pool:
                _POOL = None
        pool.shutdown(wait=False, cancel_futures=True)
        why = ("the file could not be checked: reading it stopped the checker (a sheet that "
               "reaches far beyond its data can do this); save the filled template again, or "
               "send it as CSV")  # fmt: skip
        return Outcome(None, 0, None, [Problem(None, None, None, why)])


def submit_training(
    store: str, iv: Intervention, path: Path, name: str, limits: dict[str, Any],
    organisation_id: int, user_id: int,
) -> Outcome:  # fmt: skip
    """Check and add uploaded training records in the helper process; waits for the outcome."""
    return _in_helper(store, _check_and_store_training, iv.id, str(path), name, limits,
                      organisation_id, user_id)  # fmt: skip


def submit_upload(
    store: str, iv: Intervention, period: str, path: Path, name: str, limits: dict[str, Any],
    organisation_id: int, user_id: int,
) -> Outcome:  # fmt: skip
    """Check and store an uploaded return in the helper process (in this one for a store that
    lives in memory, which another process cannot reach); waits for the outcome."""
    return _in_helper(store, _check_and_store, iv.id, period, str(path), name, limits,
                      organisation_id, user_id)  # fmt: skip


def submit_spend(
    store: str, path: Path, name: str, limits: dict[str, Any], user_id: int
) -> Outcome:
    """Check and add an uploaded spend return in the helper process; waits for the outcome."""
    return _in_helper(store, _check_and_store_spend, str(path), name, limits, user_id)

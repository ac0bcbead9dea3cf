"""Uploaded returns are checked and stored in a process of their own.

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
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from vrukit.programme.audit import audit
from vrukit.programme.db import engine, writing
from vrukit.programme.models import Intervention, User
from vrukit.programme.returns import Problem, ReturnRejected, check_return, store_return

__all__ = ["Outcome", "submit_upload"]

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_ENGINES: dict[str, Engine] = {}  # in the helper process: one engine per store


@dataclass(frozen=True)
class Outcome:
    """What became of an upload: the stored submission, or the problems that stopped it."""

    submission_id: int | None
    rows: int
    supersedes_id: int | None
    problems: list[Problem] | None


def _pool() -> ProcessPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:  # "spawn": a fresh interpreter, never a fork of a threaded server
            _POOL = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_follow,
                initargs=(os.getpid(),),
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
    maker = sessionmaker(_ENGINES.setdefault(store, engine(store)))
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


def submit_upload(
    store: str, iv: Intervention, period: str, path: Path, name: str, limits: dict[str, Any],
    organisation_id: int, user_id: int,
) -> Outcome:  # fmt: skip
    """Check and store an uploaded return in the helper process (in this one for a store that
    lives in memory, which another process cannot reach); waits for the outcome."""
    args = (store, iv.id, period, str(path), name, limits, organisation_id, user_id)
    if store in ("sqlite://", "sqlite:///:memory:"):
        return _check_and_store(*args)
    return _pool().submit(_check_and_store, *args).result()

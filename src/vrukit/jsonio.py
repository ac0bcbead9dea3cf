"""Strict JSON out: every JSON file vrukit writes parses with a strict parser.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which ``JSON.parse`` and most
other parsers reject. ``dumps`` writes a missing or non-finite number as ``null`` instead, turns
numpy scalars and arrays into plain numbers and lists, and refuses anything else it cannot
write (``allow_nan=False`` is the guard that cannot be forgotten).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["dumps", "finite"]


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float (recursively) replaced by None.

    >>> finite({"a": [1.5, float("nan")], "b": np.float64("inf"), "c": np.int64(3)})
    {'a': [1.5, None], 'b': None, 'c': 3}
    """
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, np.ndarray):
        return [finite(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` of ``finite(value)`` that can never write NaN or Infinity.

    >>> dumps({"rate": float("inf"), "n": 2})
    '{"rate": null, "n": 2}'
    """
    return json.dumps(finite(value), allow_nan=False, **kwargs)

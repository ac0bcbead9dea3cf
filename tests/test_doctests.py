"""The Examples in the analysis docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "vrukit.analysis.areas",
    "vrukit.analysis.concentration",
    "vrukit.analysis.harm",
    "vrukit.analysis.hotspots",
    "vrukit.analysis.kde",
    "vrukit.analysis.neighbours",
    "vrukit.analysis.rates",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0

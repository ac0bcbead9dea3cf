"""The Examples in the docstrings run and give what they say: the analysis functions, and the
public API (``import vrukit``) on a small demo region built once."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "vrukit.analysis._scores",
    "vrukit.analysis.areas",
    "vrukit.analysis.concentration",
    "vrukit.analysis.harm",
    "vrukit.analysis.hotspots",
    "vrukit.analysis.kde",
    "vrukit.analysis.neighbours",
    "vrukit.analysis.predictive",
    "vrukit.analysis.rates",
    "vrukit.demo._stable",
    "vrukit.geo",
    "vrukit.ingest.periods",
    "vrukit.ingest.qdpx",
    "vrukit.jsonio",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_the_public_api_examples_run_on_the_demo(tmp_path_factory):
    """``vrukit.demo_region``, ``open_warehouse``, ``analyse``, ``risk`` and ``sna`` as a notebook
    calls them; ``folder`` in the examples is a fresh folder (the demo is built once, reused)."""
    import vrukit

    folder = tmp_path_factory.mktemp("public-api")
    result = doctest.testmod(vrukit, extraglobs={"folder": folder}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10
    assert result.failed == 0
    assert set(vrukit.__all__) == {"analyse", "demo_region", "open_warehouse", "risk", "sna"}
    for name in vrukit.__all__:
        assert ">>> " in (getattr(vrukit, name).__doc__ or ""), f"{name} has no example"

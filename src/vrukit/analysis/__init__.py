"""Small-area analysis: frames in, frames out."""

from vrukit.analysis.areas import best_fit, rollup

__all__ = ["best_fit", "rollup"]

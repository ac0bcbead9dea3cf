"""Qualitative evidence: interviews and focus groups with their consent, a codebook of themes,
coded excerpts linked to places, interventions and Theory of Change steps, theme counts beside
the quantitative evaluation (``counts``), and exchange with qualitative analysis software
through the REFI-QDA project format, ``.qdpx``, both ways (``exchange``; docs/qualitative.md).
"""

from vrukit.qualitative.counts import THEME_COUNT_COLUMNS, theme_counts
from vrukit.qualitative.exchange import QualitativeImport, export_qdpx, import_qdpx

__all__ = ["THEME_COUNT_COLUMNS", "QualitativeImport", "export_qdpx", "import_qdpx", "theme_counts"]

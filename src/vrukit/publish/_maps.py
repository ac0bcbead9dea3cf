"""Where the site's map files live: one script per page kind, so a page loads only the areas it
draws (``vrukit.publish.site`` writes them; the pages name them in their map's settings)."""

from __future__ import annotations

from vrukit.publish._data import slug

__all__ = ["map_file"]


def map_file(kind: str, key: str = "") -> str:
    """The script a page's map loads, under data/: the region's areas (``kind`` "region"),
    one local authority's (``"la"``, its code) or one pilot's (``"pilot"``, its name)."""
    return "map/areas.js" if kind == "region" else f"map/{kind}-{slug(key)}.js"

"""Where the site's front-end files (Leaflet, from the npm registry) are installed."""

from __future__ import annotations

from pathlib import Path

from vrukit.errors import ConfigError

__all__ = ["find_assets"]

HERE = Path(__file__).parent


def find_assets(explicit: Path | None = None) -> Path:
    """The npm ``node_modules`` folder holding Leaflet: ``explicit``, ``VRUKIT_ASSETS`` (via
    settings) or the project's own (``make`` runs ``npm ci``)."""
    candidates = [explicit] if explicit else []
    candidates += [HERE.parents[2] / "node_modules", Path.cwd() / "node_modules"]
    for c in candidates:
        if c is not None and (c / "leaflet" / "dist" / "leaflet.js").exists():
            return c
    raise ConfigError(
        "the site's front-end files are not installed: run `npm ci` in the vrukit folder "
        f"(or `make install`), or point --assets at a node_modules folder; looked in "
        f"{', '.join(str(c) for c in candidates if c)}"
    )

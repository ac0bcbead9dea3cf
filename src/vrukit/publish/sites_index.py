"""The index page over several SNA websites (``vrukit sna --each``): one line per site, with a
link, its number of small areas, and why a site could not be built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

__all__ = ["Entry", "write_index"]


@dataclass(frozen=True)
class Entry:
    """One site on the index: its folder, name, areas, pages written (None: not built) and
    the reason it was not built."""

    slug: str
    name: str
    areas: int
    pages: int | None
    problem: str | None = None
    seconds: float | None = None


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#1b1b1b}
a{color:#1d4f91}a:focus{outline:3px solid #fd0;outline-offset:2px}
td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ccc}
td.n{text-align:right}.problem{color:#8a1c1c}
"""


def write_index(path: Path, title: str, entries: Sequence[Entry]) -> None:
    """Write the index page (plain HTML, no script) to ``path``."""
    rows = []
    for e in entries:
        if e.pages is None:
            why = escape(e.problem or "")
            cell = f'{escape(e.name)}<br><span class="problem">not built: {why}</span>'
        else:
            cell = f'<a href="{escape(e.slug)}/index.html">{escape(e.name)}</a>'
        rows.append(f'<tr><td>{cell}</td><td class="n">{e.areas:,}</td></tr>')
    built = sum(1 for e in entries if e.pages is not None)
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{escape(title)}</h1>\n<p>{built} of {len(entries)} assessments published.</p>\n"
        f"<table>\n<caption>{escape(title)}</caption>\n"
        '<thead><tr><th scope="col">Area</th><th scope="col">Small areas (LSOAs)</th></tr>'
        "</thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n</main>\n</body>\n</html>\n"
    )
    path.write_text(html, encoding="utf-8")

"""vrukit: the public-health approach to serious violence, run on data.

The one-call functions a notebook needs. Each imports its job when called, so ``import vrukit``
stays quick; the command line (``vrukit analyse``, ``vrukit risk``, ``vrukit sna``) calls the
same jobs.

>>> import vrukit
>>> run = vrukit.demo_region(folder, months=14, areas=300)  # a small synthetic region in ``folder``
>>> analysis = vrukit.analyse(run.warehouse, folder / "analysis")
>>> analysis.summary["crimes"] > 0
True

``warehouse`` may be a path (opened read-only, so several notebooks and commands can read one
file at once) or a ``Warehouse`` from ``open_warehouse``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vrukit.jobs.analyse import SurveillanceRun
    from vrukit.jobs.demo import DemoRun
    from vrukit.jobs.risk import RiskRun
    from vrukit.publish.site import SiteRun
    from vrukit.store.warehouse import Warehouse

# ``demo_region``, not ``demo``: the ``vrukit.demo`` package would shadow a function of that name
# as soon as it is imported.
__all__ = ["analyse", "demo_region", "open_warehouse", "risk", "sna"]

__version__ = "0.1.0.dev0"


def open_warehouse(path: str | Path, *, read_only: bool = True) -> Warehouse:
    """Open the warehouse file at ``path``: read-only by default, as the analysis commands do
    (``read_only=False`` to load data into it). Use it in a ``with`` block, or ``close()`` it.

    >>> run = demo_region(folder, months=14, areas=300)
    >>> with open_warehouse(run.warehouse) as wh:
    ...     wh.counts()["crimes"] > 0
    True
    """
    from vrukit.store.warehouse import Warehouse

    return Warehouse(path, read_only=read_only)


def demo_region(
    folder: str | Path = "vrukit-demo",
    *,
    seed: int = 2021,
    months: int = 36,
    areas: int = 1750,
    rebuild: bool = False,
) -> DemoRun:
    """Build the synthetic demo region in ``folder`` and load it into ``folder/vrukit.duckdb``;
    a folder that already holds the same demo (seed, months and areas) is reused unless
    ``rebuild``.

    >>> run = demo_region(folder, months=14, areas=300)
    >>> run.warehouse.name, run.counts["crimes"] > 10_000
    ('vrukit.duckdb', True)
    """
    import json

    from vrukit.jobs.demo import reuse_demo, run_demo

    folder = Path(folder)
    truth = folder / "truth.json"
    if not rebuild and truth.exists() and (folder / "vrukit.duckdb").exists():
        t = json.loads(truth.read_text())
        if (t.get("seed"), len(t.get("months", ())), t.get("areas")) == (seed, months, areas):
            return reuse_demo(folder)
    return run_demo(folder, seed=seed, months=months, n_areas=areas)


@contextmanager
def _reading(warehouse: str | Path | Warehouse) -> Iterator[Warehouse]:
    from vrukit.store.warehouse import Warehouse

    if isinstance(warehouse, Warehouse):
        yield warehouse
        return
    with Warehouse(warehouse, read_only=True) as wh:
        yield wh


def _selection(crime_types: Sequence[str] | None, first: str | None, last: str | None) -> Any:
    from vrukit.schemas import VIOLENCE_TYPES
    from vrukit.store.relational import Selection

    return Selection(tuple(crime_types or VIOLENCE_TYPES), first, last)


def analyse(
    warehouse: str | Path | Warehouse,
    out: str | Path,
    *,
    crime_types: Sequence[str] | None = None,
    first_month: str | None = None,
    last_month: str | None = None,
    **options: Any,
) -> SurveillanceRun:
    """Rates, trends, concentration, hotspots and maps of the selected crimes (the violence
    types by default) into ``out``: what ``vrukit analyse`` does. ``options`` go to
    ``vrukit.jobs.analyse.run_analysis`` (``permutations``, ``alpha``, ``neighbours``, ...).

    >>> run = demo_region(folder, months=14, areas=300)
    >>> a = analyse(run.warehouse, folder / "a", crime_types=["Robbery"], permutations=99)
    >>> a.choices["crime_types"], (folder / "a" / "summary.json").exists()
    (['Robbery'], True)
    """
    from vrukit.jobs.analyse import run_analysis

    sel = _selection(crime_types, first_month, last_month)
    with _reading(warehouse) as wh:
        return run_analysis(wh, Path(out), selection=sel, **options)


def risk(
    warehouse: str | Path | Warehouse,
    out: str | Path,
    *,
    indicators: Sequence[str | Path] = (),
    pilots: str | Path | None = None,
    **options: Any,
) -> RiskRun:
    """Which inequalities go with violence, the risk index, priority places and the gap list
    into ``out``: what ``vrukit risk`` does. ``options`` go to ``vrukit.jobs.risk.run_risk``.

    >>> run = demo_region(folder, months=14, areas=300)
    >>> r = risk(run.warehouse, folder / "r", indicators=[run.files.indicators],
    ...          pilots=run.files.pilots, permutations=99)
    >>> "income_score" in set(r.model.factors.factor)
    True
    """
    from vrukit.jobs.risk import run_risk

    with _reading(warehouse) as wh:
        return run_risk(
            wh, Path(out), indicators=tuple(Path(i) for i in indicators),
            pilots=Path(pilots) if pilots else None, **options,
        )  # fmt: skip


def sna(
    warehouse: str | Path | Warehouse,
    out: str | Path,
    *,
    languages: Sequence[str] = ("en", "ur", "pl"),
    region: str = "",
    **options: Any,
) -> SiteRun:
    """The open Strategic Needs Assessment website into ``out``: what ``vrukit sna`` does (the
    analysis and risk jobs, disclosure control, pages in each language). ``options`` go to
    ``vrukit.jobs.sna.run_sna``.

    >>> run = demo_region(folder, months=14, areas=300)
    >>> site = sna(run.warehouse, folder / "site", languages=["en"], region="Kingsmere")
    >>> (folder / "site" / "en" / "index.html").exists()
    True
    """
    from vrukit.jobs.sna import run_sna
    from vrukit.publish.site import SiteOptions

    with _reading(warehouse) as wh:
        site = SiteOptions(languages=tuple(languages), region=region)
        return run_sna(wh, Path(out), options=site, **options)

"""Jobs that join the layers: the demo build (generate, then load through the real loaders)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vrukit.commissioning.load import load_commissioning
from vrukit.demo import DEMO_PROFILES, DemoFiles, build_demo, build_steps, demo_files
from vrukit.demo.national import NationalFiles
from vrukit.directory.load import DirectoryLoad, load_hsds, load_postcodes
from vrukit.incidents.load import load_incidents
from vrukit.ingest.istv_profile import load_profiles
from vrukit.ingest.pathways import PATHWAYS_FILE
from vrukit.ingest.reference import read_boundaries, read_iod, read_population
from vrukit.jobs.istv import load_venues, locate
from vrukit.partnerships.load import load_partnerships
from vrukit.programme.accounts import add_demo_users
from vrukit.programme.db import session, sqlite_url
from vrukit.programme.load import ReturnsReport, load_registry, load_returns, load_training
from vrukit.qualitative.exchange import import_qdpx
from vrukit.referrals.crypto import Keyring, write_key
from vrukit.referrals.load import load_deprivation, load_referrals
from vrukit.referrals.workflow import load_pathways
from vrukit.store.lake import Lake
from vrukit.store.reports import REPORT_COLUMNS
from vrukit.store.warehouse import IngestReport, Warehouse
from vrukit.voice.load import load_voice

__all__ = [
    "DEMO_LOAD_STEPS",
    "DEMO_PROFILES",
    "DemoRun",
    "demo_key",
    "demo_steps",
    "load_demo",
    "load_demo_crime",
    "load_demo_incidents",
    "load_demo_referrals",
    "load_directory",
    "load_national",
    "load_programme",
    "load_reference",
    "run_demo",
]

#: The demo intervention whose training records ``training.csv`` holds.
TRAINING_DEMO = "Trauma-informed training"


@dataclass(frozen=True)
class DemoRun:
    """What ``run_demo`` produced."""

    files: DemoFiles
    warehouse: Path
    police: IngestReport
    counts: dict[str, int]


#: What ``load_demo`` says as it starts each step (the last only when loading referrals).
DEMO_LOAD_STEPS = (
    "loading police.uk crime, boundaries, population and deprivation",
    "loading the emergency departments' ISTV extracts",
    "placing A&E assaults at venues and areas",
    "loading the programme: registry, monitoring returns, training, interviews",
    "loading the Youth Map",
    "loading two years of referrals (about 11 s) and a year of incidents",
)


def demo_steps(months: int, *, referrals: bool = True) -> int:
    """How many progress messages ``run_demo`` sends for a demo of ``months`` months: one per
    step of ``build_demo`` (one per month) and of ``load_demo``. Progress bars use it."""
    return build_steps(months) + len(DEMO_LOAD_STEPS) - (0 if referrals else 1)


def load_demo(
    wh: Warehouse,
    files: DemoFiles,
    *,
    referrals: bool = True,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Load the demo region's files through the same loaders real data uses (``referrals``:
    also the two years of referrals, about 11 seconds of the load). ``progress`` is told as
    each step (``DEMO_LOAD_STEPS``) starts.

    The steps run one after another: run side by side on a thread, the warehouse's A&E ingest
    and the referrals' workflow (both mostly Python) took as long together as apart.
    """
    say = progress or (lambda _msg: None)
    steps = iter(DEMO_LOAD_STEPS)
    say(next(steps))
    police = load_demo_crime(wh, files)
    say(next(steps))
    wh.ingest_istv([files.istv], load_profiles(DEMO_PROFILES))
    say(next(steps))
    load_venues(wh, files.istv / "venues.csv")
    locate(wh)
    url = sqlite_url(files.folder / "programme.sqlite")
    say(next(steps))
    load_programme(url, files.programme)
    say(next(steps))
    load_directory(url, files.directory)
    if referrals:
        say(next(steps))
        load_demo_referrals(url, files)
        load_demo_incidents(url, files)
    return police


def load_demo_crime(wh: Warehouse, files: DemoFiles) -> IngestReport:
    """Load only what the surveillance and risk analyses read: boundaries, population,
    deprivation and police-recorded crime (no A&E data, programme or directory)."""
    load_reference(wh, files.boundaries, files.population, files.deprivation)
    return wh.ingest_police([files.policeuk])


def load_reference(wh: Warehouse, boundaries: Path, population: Path, deprivation: Path) -> None:
    """Load areas (boundaries), population and IoD2019 deprivation into the warehouse."""
    wh.load_reference("boundaries", read_boundaries(boundaries), table="areas", source=boundaries)
    wh.load_reference(
        "population", read_population(population), table="population", source=population
    )
    wh.load_reference("iod2019", read_iod([deprivation]), table="deprivation", source=deprivation)


def load_national(
    files: NationalFiles,
    wh: Warehouse,
    lake: Lake,
    *,
    months: Sequence[str] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> IngestReport:
    """Load the national region: reference data into the warehouse, crimes into the lake (the
    given ``months`` only, default all; each month is one batch of partitions)."""
    load_reference(wh, files.boundaries, files.population, files.deprivation)
    chosen = files.months if months is None else months
    return lake.ingest_police([files.policeuk / m for m in chosen], progress=progress)


def load_directory(url: str, folder: Path) -> DirectoryLoad:
    """Load the demo's Youth Map (postcodes, then the HSDS services file) into the store."""
    with session(url) as s:
        load_postcodes(s, folder / "postcodes.csv")
        return load_hsds(s, folder / "services.json")


def demo_key(files: DemoFiles) -> Path:
    """The demo's referral key: a file beside the store, never inside it (made on first use)."""
    path = files.folder / "referral.key"
    return path if path.exists() else write_key(path)


def load_demo_referrals(url: str, files: DemoFiles) -> int:
    """Load the seed's pathways, the demo areas' deprivation and two years of referrals into
    the store at ``url`` (which holds the demo programme and its directory's postcodes)."""
    keyring = Keyring.from_file(demo_key(files))
    with session(url) as s:
        load_pathways(s, PATHWAYS_FILE)
        load_deprivation(s, read_iod([files.deprivation]))
        return load_referrals(s, keyring, files.referrals / "referrals.json")


def load_demo_incidents(url: str, files: DemoFiles) -> int:
    """Load the demo's year of significant incidents into the store at ``url`` (which holds
    the Youth Map and the pathways the surge offers name)."""
    if not files.incidents.exists():  # demo folders written before issue 33 lack it
        return 0
    with session(url) as s:
        return load_incidents(s, json.loads(files.incidents.read_text()))


def load_programme(url: str, folder: Path) -> ReturnsReport:
    """Load the demo programme's registry, returns and training records into the store at
    ``url`` (migrated first), as providers' uploads would arrive; then its commissioning year
    (rounds, awards, spend, plan, risks, log), the returns of the grants it awarded, the
    partnerships' year (meetings, actions, networks) and a year of interviews and focus
    groups with their coding (``interviews.qdpx``)."""
    with session(url) as s:
        load_registry(s, json.loads((folder / "registry.json").read_text()))
        report = load_returns(s, folder / "returns")
        load_training(s, folder / "training.csv", TRAINING_DEMO)
        add_demo_users(s)
        load_commissioning(s, folder / "commissioning.json", folder / "spend_return_2022-Q1.csv")
        grants = load_returns(s, folder / "commissioning_returns")
        if (folder / "partnerships.json").exists():  # demo folders written before issue 33 lack it
            load_partnerships(s, json.loads((folder / "partnerships.json").read_text()))
        if (folder / "voice.json").exists():
            load_voice(s, json.loads((folder / "voice.json").read_text()))
        import_qdpx(s, folder / "interviews.qdpx")
    return ReturnsReport(pd.concat([report.files, grants.files], ignore_index=True))


def run_demo(
    folder: Path,
    *,
    seed: int = 2021,
    months: int = 36,
    n_areas: int = 1750,
    memory_limit: str = "512MB",
    progress: Callable[[str], None] | None = None,
) -> DemoRun:
    """Generate the demo region into ``folder`` and load it into ``folder/vrukit.duckdb``."""
    files = build_demo(folder, seed=seed, months=months, n_areas=n_areas, progress=progress)
    db = Path(folder) / "vrukit.duckdb"
    with Warehouse(db, memory_limit=memory_limit) as wh:
        report = load_demo(wh, files, progress=progress)
        counts = wh.counts()
    return DemoRun(files, db, report, counts)


def reuse_demo(folder: Path) -> DemoRun:
    """The demo already built and loaded in ``folder`` (``vrukit.demo`` reuses it), read from its
    files and warehouse without writing either."""
    folder = Path(folder)
    db = folder / "vrukit.duckdb"
    with Warehouse(db, read_only=True) as wh:
        counts = wh.counts()
    files = demo_files(folder, counts.get("crimes", 0))
    return DemoRun(files, db, IngestReport(pd.DataFrame(columns=list(REPORT_COLUMNS))), counts)

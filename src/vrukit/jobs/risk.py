"""The risk job: which inequalities go with violence, where the risk is, and where it is high but
no pilot reaches. It reads one selection through the same area picture as the surveillance job,
builds each area's profile, fits the risk-factor model, scores the risk index and writes the
tables docs/methods.md documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pandas as pd
import shapely

from vrukit import jsonio
from vrukit.analysis.priority import (
    COMPONENTS,
    INDEX_COLUMNS,
    PLACE_LABELS,
    RISK_WEIGHTS,
    clusters,
    gap_list,
    place_names,
    rank_intervals,
    sensitivity,
)
from vrukit.analysis.riskmodel import (
    RiskModel,
    bootstrap_factors,
    fit_risk_model,
    inequality_gradient,
)
from vrukit.errors import ConfigError, VrukitError
from vrukit.jobs.analyse import AreaPicture, Selection, SurveillanceRun, area_picture
from vrukit.jobs.maps import write_geojson
from vrukit.schemas import DEPRIVATION_DOMAINS
from vrukit.store.warehouse import Warehouse

__all__ = [
    "DEFAULT_DOMAINS",
    "RISK_FACTOR_COLUMNS",
    "RiskOptions",
    "RiskRun",
    "area_profile",
    "run_risk",
    "summary_lines",
]

#: IoD domains the model uses by default. The crime domain is left out because it contains
#: violence; the IMD because it is a weighted sum of the domains; IDACI, IDAOPI and the
#: sub-domains because they are parts of domains already in (choose them with ``factors``).
DEFAULT_DOMAINS = ("income", "employment", "education", "health", "barriers", "living_environment")
#: LSOAs in England in each edition of the IoD, to turn national ranks into centiles.
ENGLAND_LSOAS = {"IoD2019": 32_844, "IoD2025": 33_755}
#: The edition of the IoD published on each LSOA vintage.
EDITION_OF_VINTAGE = {2011: "IoD2019", 2021: "IoD2025"}
RISK_FACTOR_COLUMNS = ["factor", "label", "irr", "irr_lo", "irr_hi", "p", "vif", "mean", "sd"]
YOUTH_BANDS = ("10-17", "18-24")
#: The model's control for current pilots (1 in a pilot area): their violence may already have
#: fallen, which is not an inequality. The index's expected rate holds it at 0.
PILOT_AREA = "pilot_area"


@dataclass(frozen=True)
class RiskOptions:
    """How to model and score. ``factors`` (profile column names) replaces the default predictor
    set; ``weights`` the index weights (``priority.RISK_WEIGHTS``)."""

    factors: tuple[str, ...] | None = None
    weights: Mapping[str, float] | None = None
    fixed_effects: bool = False
    spatial_lag: bool = False
    pilot_control: bool = True
    draws: int = 500
    model_draws: int = 0
    seed: int = 2021
    alpha: float = 0.05


@dataclass
class RiskRun(SurveillanceRun):
    """What ``run_risk`` chose, found and wrote, and the fitted model."""

    model: RiskModel | None = None


def deprivation_edition(wh: Warehouse, vintage: int) -> str | None:
    """The IoD edition to use on areas of ``vintage``: the one published on that vintage when
    loaded (IoD2025 on LSOA 2021, IoD2019 on LSOA 2011), else the newest loaded, else None."""
    d = wh.table("deprivation")
    loaded = sorted(d.select("edition").distinct().to_pandas().edition.dropna())
    if not loaded:
        return None
    own = EDITION_OF_VINTAGE.get(int(vintage))
    return own if own in loaded else loaded[-1]


def _deprivation(wh: Warehouse, codes: pd.Series, edition: str | None) -> pd.DataFrame:
    d = wh.table("deprivation")
    d = d.filter(d.lsoa_code.isin(list(codes)) & (d.edition == (edition or ""))).to_pandas()
    out = pd.DataFrame({"area_code": d.lsoa_code})
    for stem, _ in DEPRIVATION_DOMAINS:
        for m in ("score", "rank", "decile"):
            if d[f"{stem}_{m}"].notna().any():
                out[f"{stem}_{m}"] = d[f"{stem}_{m}"].astype(float if m == "score" else "Int64")
        if f"{stem}_rank" in out and edition in ENGLAND_LSOAS:
            n = ENGLAND_LSOAS[edition]
            out[f"{stem}_centile"] = 100 * (1 - (out[f"{stem}_rank"] - 0.5) / n)
    return out


def _youth(wh: Warehouse, codes: pd.Series) -> pd.DataFrame:
    p = wh.table("population")
    p = p.filter(p.lsoa_code.isin(list(codes))).to_pandas()
    if p.empty or not set(YOUTH_BANDS) <= set(p.age_band):
        return pd.DataFrame({"area_code": codes})
    p = p[p.year == p.year.max()]
    wide = p.pivot_table(index="lsoa_code", columns="age_band", values="residents", aggfunc="sum")
    total = wide["all"] if "all" in wide else wide.sum(axis=1)
    share = wide[list(YOUTH_BANDS)].sum(axis=1) / total
    return pd.DataFrame({"area_code": share.index, "youth_share": share.to_numpy()})


def area_profile(
    wh: Warehouse, pic: AreaPicture, indicators: Sequence[pd.DataFrame] = ()
) -> pd.DataFrame:
    """One row per area: violence count, rate and harm (the mapped window), Gi* class, every
    IoD score, rank, decile (and national centile) loaded (the edition of the areas' vintage),
    the share aged 10-24 when population by age is loaded, and every column of the supplied
    ``indicators``."""
    codes = pic.area_table.area_code
    prof = pic.area_table.merge(pic.hotspots[["area_code", "gi_z", "gi_class"]], on="area_code")
    prof = prof.merge(_youth(wh, codes), on="area_code", how="left")
    vintage = int(pic.areas.vintage.iloc[0]) if len(pic.areas) else 2011
    prof = prof.merge(
        _deprivation(wh, codes, deprivation_edition(wh, vintage)), on="area_code", how="left"
    )
    for extra in indicators:
        clash = (set(extra.columns) - {"area_code"}) & set(prof.columns)
        if clash:
            raise ConfigError(f"indicator column(s) {sorted(clash)} repeat profile columns")
        prof = prof.merge(extra, on="area_code", how="left")
    return prof


def _label(col: str) -> str:
    names = dict(DEPRIVATION_DOMAINS)
    stem, _, kind = col.rpartition("_")
    if stem in names:
        what = {"score": "score", "centile": "national centile, 100 = most deprived",
                "rank": "national rank, 1 = most deprived", "decile": "decile"}[kind]  # fmt: skip
        return f"{names[stem]} deprivation ({what})"
    if col == "youth_share":
        return "share of residents aged 10-24"
    if col == PILOT_AREA:
        return "in a current pilot area (control)"
    return col.replace("_", " ")


def _default_factors(prof: pd.DataFrame, extra: Sequence[str]) -> tuple[list[str], list[str]]:
    """Scores where every area has one, else national centiles; youth share; the indicators."""
    chosen, notes = [], []
    for stem in DEFAULT_DOMAINS:
        for col in (f"{stem}_score", f"{stem}_centile"):
            if col in prof and prof[col].notna().all():
                chosen.append(col)
                break
        else:
            notes.append(f"{dict(DEPRIVATION_DOMAINS)[stem]}: not loaded for every area")
    if "youth_share" in prof and prof.youth_share.notna().all():
        chosen.append("youth_share")
    else:
        notes.append("share aged 10-24: population by age band not loaded")
    return chosen + list(extra), notes


def _factors(
    prof: pd.DataFrame, options: RiskOptions, extra: Sequence[str]
) -> tuple[list[str], list[str]]:
    if options.factors is None:
        return _default_factors(prof, extra)
    unknown = [f for f in options.factors if f not in prof]
    if unknown:
        usable = [c for c in prof.columns if c.endswith(("_score", "_centile")) or c in extra]
        raise ConfigError(f"unknown factor(s) {unknown}: the profile has {usable}")
    return list(options.factors), []


def _gradient(prof: pd.DataFrame) -> tuple[pd.DataFrame | None, dict[str, float] | str]:
    if "imd_decile" not in prof or prof.imd_decile.isna().any():
        return None, "IMD deciles not loaded for every area (vrukit ingest iod)"
    return inequality_gradient(
        prof["count"].to_numpy(float), prof.population.to_numpy(float), prof.imd_decile.to_numpy()
    )


def run_risk(
    wh: Warehouse,
    out: Path,
    *,
    selection: Selection | None = None,
    indicators: Sequence[Path] = (),
    pilots: Path | None = None,
    options: RiskOptions = RiskOptions(),
    harm_table: str | Path = "css",
    neighbours: str = "queen",
    permutations: int = 9999,
    progress: Callable[[str], None] | None = None,
    crimes: ir.Table | None = None,
) -> RiskRun:
    """Profile, model, index, clusters and (given ``pilots``) the gap list, written to ``out``
    (crimes counted from ``crimes``, an engine's table over the lake, when given)."""
    from vrukit.ingest.indicators import read_indicators, read_pilots

    say = progress or (lambda _m: None)
    out.mkdir(parents=True, exist_ok=True)
    run = RiskRun(out)
    extra = [read_indicators(p) for p in indicators]
    pilot_frame = read_pilots(pilots) if pilots is not None else None
    selection = selection or Selection()

    def picture(sel: Selection) -> AreaPicture:
        return area_picture(
            wh, sel, harm_table=harm_table, neighbours=neighbours, permutations=permutations,
            seed=options.seed, alpha=options.alpha, progress=say, crimes=crimes,
        )  # fmt: skip

    pic = picture(selection)
    unrated = _without_population(pic)
    if unrated:  # the model and index need residents: those areas are left out, and named
        kept = tuple(sorted(set(pic.areas.lsoa_code) - set(unrated)))
        pic = picture(replace(selection, areas=kept))
    say("area profile")
    prof = area_profile(wh, pic, extra)
    say("risk-factor model")
    extra_cols = [c for e in extra for c in e.columns if c != "area_code"]
    model, factors, chosen, notes = _model(prof, pic, options, pilot_frame, extra_cols)
    run.model = model
    say("risk index and its uncertainty")
    index = _index(prof, pic, model, options)
    run.choices = {
        **pic.choices,
        "factors": chosen,
        "not_used": notes,
        "dropped": model.dropped,
        "family": model.family,
        "fixed_effects": "local authority" if options.fixed_effects else "none",
        "controls": model.controls,
        "spatial_lag": options.spatial_lag,
        "weights": dict(options.weights or RISK_WEIGHTS),
        "bootstrap_draws": options.draws,
        "model_bootstrap_draws": options.model_draws,
        "indicators": [str(p) for p in indicators],
        "pilots": str(pilots) if pilots else None,
        "left_out_no_population": unrated,
        "deprivation": deprivation_edition(wh, int(pic.areas.vintage.iloc[0])),
    }
    _write(run, pic, prof, model, factors, index, pilot_frame)
    return run


def _without_population(pic: AreaPicture) -> list[str]:
    """The areas with no residents loaded (left out of the model and index); an error when that
    is every area, or so many that the model would describe another region."""
    a = pic.areas
    unrated = sorted(a.lsoa_code[~(a.population.astype(float) > 0)].astype(str))
    if len(unrated) > len(a) / 2:
        vintage = int(a.vintage.iloc[0])
        raise VrukitError(
            f"{len(unrated):,} of {len(a):,} areas have no population "
            f"(first: {', '.join(unrated[:5])}): load residents for LSOA {vintage} "
            "areas with `vrukit ingest population` (Census 2021 TS001 for LSOA 2021, mid-year "
            "estimates to 2020 for LSOA 2011)"
        )
    return unrated


def _model(
    prof: pd.DataFrame,
    pic: AreaPicture,
    options: RiskOptions,
    pilots: pd.DataFrame | None,
    extra_cols: Sequence[str],
) -> tuple[RiskModel, pd.DataFrame, list[str], list[str]]:
    """Fit the model (and its bootstrap if asked); the factor table with labels."""
    chosen, notes = _factors(prof, options, extra_cols)
    if not [c for c in chosen if c != PILOT_AREA]:
        raise VrukitError(
            "the risk model has no risk factor to use: the deprivation loaded has no domain "
            "scores (IoD File 1 holds only the IMD's rank and decile). Load File 7 of the "
            "English Indices of Deprivation (or Files 1 to 6 together) with `vrukit build` or "
            f"`vrukit ingest iod`{'; not used: ' + '; '.join(notes) if notes else ''}"
        )
    controls = []
    if pilots is not None and options.pilot_control:
        prof[PILOT_AREA] = prof.area_code.isin(pilots.area_code).astype(float)
        chosen, controls = [*chosen, PILOT_AREA], [PILOT_AREA]
    fit_options: dict[str, Any] = {
        "fixed_effects": prof.lad_code if options.fixed_effects else None,
        "controls": controls,
    }
    y, pop = prof["count"].to_numpy(), prof.population.to_numpy(float)
    model = fit_risk_model(y, pop, prof[chosen], neighbours=pic.nb if options.spatial_lag
                           else None, **fit_options)  # fmt: skip
    factors = model.factors.assign(label=model.factors.factor.map(_label))[RISK_FACTOR_COLUMNS]
    if options.model_draws:
        stability = bootstrap_factors(
            y, pop, prof[chosen], draws=options.model_draws, seed=options.seed, **fit_options
        )
        factors = factors.merge(stability, on="factor", how="left")
    return model, factors, chosen, notes


def _index(
    prof: pd.DataFrame, pic: AreaPicture, model: RiskModel, options: RiskOptions
) -> pd.DataFrame:
    """The risk index with rank intervals and clusters; the model's controls held at 0."""
    hold = dict.fromkeys(model.controls, 0.0)
    frame = prof[["area_code", "population", "count", "harm"]].assign(
        expected=model.expected_if(hold), hotspot=(prof.gi_class == "hot spot").to_numpy()
    )
    index = rank_intervals(
        frame, pic.nb, model.draw_expected(options.draws, seed=options.seed, hold=hold),
        weights=options.weights, alpha=options.alpha, seed=options.seed,
    )  # fmt: skip
    index["cluster"] = clusters(index, pic.nb)
    return index


def _write(
    run: RiskRun,
    pic: AreaPicture,
    prof: pd.DataFrame,
    model: RiskModel,
    factors: pd.DataFrame,
    index: pd.DataFrame,
    pilots: pd.DataFrame | None,
) -> None:
    """Every table, the map layer, the summary JSON and the plain-English summary."""
    out = run.out

    def write(name: str, table: pd.DataFrame) -> None:
        table.to_csv(out / name, index=False)
        run.files.append(out / name)

    names = prof[["area_code", "area_name", "lad_name"]]
    named = index.merge(names, on="area_code")
    cols = ["area_code", "area_name", "lad_name", *INDEX_COLUMNS[1:], "cluster"]
    gaps, threshold = None, None
    if pilots is not None:
        xy = pic.areas[["centroid_easting", "centroid_northing"]].to_numpy(float)
        gaps, threshold = gap_list(index, pilots, xy, index.cluster)
        named["pilot"] = named.area_code.map(pilots.groupby("area_code").pilot.agg("; ".join))
        named["pilot"] = named.pilot.fillna("")
        cols.append("pilot")
    gradient, gradient_info = _gradient(prof)
    ranks, schemes = sensitivity(index)
    write("area_profile.csv", prof)
    write("risk_factors.csv", factors)
    if gradient is not None:
        write("gradient.csv", gradient)
    write("risk_index.csv", named[cols].sort_values("rank"))
    write("risk_sensitivity.csv", ranks)
    write("priority_clusters.csv", _cluster_table(named, prof, pic.areas))
    if gaps is not None:
        write("gaps.csv", gaps.merge(names, on="area_code"))
    if pic.areas.geometry_wkb.notna().all():
        geoms = shapely.from_wkb(pic.areas.geometry_wkb.map(bytes).to_numpy())
        gap = named.area_code.isin(gaps.area_code) if gaps is not None else False
        write_geojson(geoms, named[cols].assign(gap=gap), out / "risk.geojson")
        run.files.append(out / "risk.geojson")
    run.summary = _summary(model, factors, gradient_info, index, schemes, gaps, threshold)
    meta = {"choices": run.choices, "summary": run.summary}
    (out / "risk_summary.json").write_text(jsonio.dumps(meta, indent=1, default=str))
    (out / "summary.md").write_text("\n\n".join(summary_lines(run)) + "\n")
    run.files += [out / "risk_summary.json", out / "summary.md"]


def _cluster_table(named: pd.DataFrame, prof: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """One row per priority place, named after where it is (``place_names``)."""
    m = named[named.cluster > 0].merge(prof[["area_code", "count", "population"]], on="area_code")
    labels = [c for c in PLACE_LABELS if c in areas and c not in m]
    where = areas[["lsoa_code", *labels]].rename(columns={"lsoa_code": "area_code"})
    agg = {
        "areas": ("area_code", "size"),
        "population": ("population", "sum"),
        "violence": ("count", "sum"),
        "mean_risk_score": ("risk_score", "mean"),
        "local_authorities": ("lad_name", lambda s: "; ".join(sorted(set(s.dropna())))),
        "members": ("area_code", lambda s: " ".join(sorted(s))),
    }
    if "pilot" in m:
        agg["pilot_areas"] = ("pilot", lambda s: int((s != "").sum()))
    g = m.groupby("cluster").agg(**agg).reset_index()
    g["rate_per_1000"] = 1000 * g.violence / g.population.where(g.population > 0)
    g = place_names(m.merge(where, on="area_code", how="left")).merge(g, on="cluster")
    return g.round({"mean_risk_score": 2, "rate_per_1000": 2})


def _summary(
    model: RiskModel,
    factors: pd.DataFrame,
    gradient: dict[str, float] | str,
    index: pd.DataFrame,
    schemes: pd.DataFrame,
    gaps: pd.DataFrame | None,
    threshold: float | None,
) -> dict[str, object]:
    width = index.rank_hi - index.rank_lo
    top = index.tier == "very high"
    s: dict[str, object] = {
        "areas": model.areas,
        "family": model.family,
        "dispersion": model.dispersion,
        "pseudo_r2": model.pseudo_r2,
        "aic": model.aic,
        "ranking": model.ranking(labels=dict(zip(factors.factor, factors.label, strict=True))),
        "high_vif": factors.loc[factors.vif > 10, "label"].tolist(),
        "gradient": gradient,
        "tiers": index.tier.value_counts().to_dict(),
        "clusters": int(index.cluster.max()),
        "median_rank_interval_width": float(width.median()),
        "median_rank_interval_width_very_high": float(width[top].median()),
        "sensitivity": schemes.to_dict("records"),
    }
    if "same_direction" in factors:
        s["model_bootstrap"] = {
            "draws": int(factors.draws.min()),
            "stable": factors.loc[factors.same_direction >= 0.95, "label"].tolist(),
            "unstable": factors.loc[factors.same_direction < 0.95, "label"].tolist(),
        }
    if gaps is not None:
        s["gap_threshold"] = threshold
        s["gaps"] = len(gaps)
        s["top_gaps"] = gaps.head(5)[["area_code", "risk_score", "reasons"]].to_dict("records")
    return s


def summary_lines(run: RiskRun) -> list[str]:
    """The plain-English summary of a risk run."""
    s = run.summary
    ranking: list[str] = s["ranking"]  # type: ignore[assignment]
    lines = [
        f"The inequalities most closely linked to violence in this region "
        f"({s['family']} model of {s['areas']:,} areas, pseudo-R² {s['pseudo_r2']:.2f}):"
    ]
    lines += [f"{k}. {line}" for k, line in enumerate(ranking, 1)] or [
        "No factor is significantly linked at the 5% level."
    ]
    if s["high_vif"]:
        lines.append(f"Read together (variance inflation over 10): {', '.join(s['high_vif'])}.")  # type: ignore[arg-type]
    g = s["gradient"]
    if isinstance(g, dict):
        lines.append(
            f"From the least to the most deprived end of the population, violence rises "
            f"{g['rii']:.1f}-fold (relative index of inequality, 95% CI {g['rii_lo']:.1f} to "
            f"{g['rii_hi']:.1f}); the slope index is {g['sii_per_1000']:.1f} per 1,000 residents."
        )
    if "model_bootstrap" in s:
        b: dict = s["model_bootstrap"]  # type: ignore[assignment]
        lines.append(
            f"Refitted on {b['draws']} resamples of areas, {len(b['stable'])} factors keep their "
            f"direction in at least 95% of them"
            + (f"; these do not: {', '.join(b['unstable'])}." if b["unstable"] else ".")
        )
    left: list[str] = run.choices.get("left_out_no_population") or []  # type: ignore[assignment]
    if left:
        named = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
        lines.append(f"{len(left):,} areas with no residents loaded are left out: {named}.")
    tiers: dict[str, int] = s["tiers"]  # type: ignore[assignment]
    weights: dict[str, float] = run.choices["weights"]  # type: ignore[assignment]
    lines.append(
        f"Risk index ({', '.join(f'{COMPONENTS[c]} {w:g}' for c, w in weights.items())}): "
        f"{tiers.get('very high', 0)} areas very high, {tiers.get('high', 0)} high, in "
        f"{s['clusters']} contiguous clusters. Among the very high areas the median 95% rank "
        f"interval spans {s['median_rank_interval_width_very_high']:.0f} places "
        f"({s['median_rank_interval_width']:.0f} over all areas)."
    )
    if "gaps" in s:
        lines.append(
            f"Gap list: {s['gaps']} areas no pilot covers score at least the median pilot area "
            f"({s['gap_threshold']:.1f})."
        )
    return lines

"""Column contracts: every table vrukit stores and every file format it reads, declared once.

The warehouse creates its tables from these declarations, ``validate_frame`` checks frames at the
boundary, and docs/data-model.md is generated from them (a test keeps the doc in step).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from vrukit.errors import SchemaError

__all__ = [
    "CRIME_TYPES",
    "DEPRIVATION_DOMAINS",
    "ISTV_AGE_BANDS",
    "ISTV_ARRIVAL_MODES",
    "ISTV_DISPOSALS",
    "ISTV_LOCATION_TYPES",
    "ISTV_METHODS",
    "ISTV_SEXES",
    "ISTV_VAGUE",
    "OUTCOMES",
    "STREET_COLUMNS",
    "TABLES",
    "VIOLENCE_TYPES",
    "Column",
    "Table",
    "data_model_markdown",
    "validate_frame",
]

#: Header of a police.uk street-level crime CSV, in order, exactly as published.
STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)

#: The 14 crime types police.uk publishes in street-level files (since May 2013).
CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)

#: The default "violence" selection used across vrukit.
VIOLENCE_TYPES: tuple[str, ...] = (
    "Violence and sexual offences",
    "Robbery",
    "Possession of weapons",
)

#: Outcome categories seen in police.uk street files ("Last outcome category").
OUTCOMES: tuple[str, ...] = (
    "Action to be taken by another organisation",
    "Awaiting court outcome",
    "Court result unavailable",
    "Formal action is not in the public interest",
    "Further action is not in the public interest",
    "Further investigation is not in the public interest",
    "Investigation complete; no suspect identified",
    "Local resolution",
    "Offender given a caution",
    "Offender given a drugs possession warning",
    "Offender given penalty notice",
    "Status update unavailable",
    "Suspect charged as part of another case",
    "Unable to prosecute suspect",
    "Under investigation",
)

#: IoD2019 domains, indices and sub-domains: (column stem, published name).
DEPRIVATION_DOMAINS: tuple[tuple[str, str], ...] = (
    ("imd", "Index of Multiple Deprivation (IMD)"),
    ("income", "Income"),
    ("employment", "Employment"),
    ("education", "Education, Skills and Training"),
    ("health", "Health Deprivation and Disability"),
    ("crime", "Crime"),
    ("barriers", "Barriers to Housing and Services"),
    ("living_environment", "Living Environment"),
    ("idaci", "Income Deprivation Affecting Children Index (IDACI)"),
    ("idaopi", "Income Deprivation Affecting Older People (IDAOPI)"),
    ("children_young_people", "Children and Young People Sub-domain"),
    ("adult_skills", "Adult Skills Sub-domain"),
    ("geographical_barriers", "Geographical Barriers Sub-domain"),
    ("wider_barriers", "Wider Barriers Sub-domain"),
    ("indoors", "Indoors Sub-domain"),
    ("outdoors", "Outdoors Sub-domain"),
)

#: IoD2019 population denominators (File 6 / File 7): (column, published name).
DEPRIVATION_DENOMINATORS: tuple[tuple[str, str], ...] = (
    ("denominator_total", "Total population: mid 2015 (excluding prisoners)"),
    ("denominator_children_0_15", "Dependent Children aged 0-15: mid 2015 (excluding prisoners)"),
    ("denominator_16_59", "Population aged 16-59: mid 2015 (excluding prisoners)"),
    ("denominator_60_plus", "Older population aged 60 and over: mid 2015 (excluding prisoners)"),
    (
        "denominator_working_age",
        "Working age population 18-59/64: for use with Employment Deprivation Domain "
        "(excluding prisoners)",
    ),
)


@dataclass(frozen=True)
class Column:
    """One column of a stored table: name, SQL type, whether NULL is allowed, and meaning."""

    name: str
    sql_type: str
    doc: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """A stored table: its name, purpose, columns and (optional) key."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        """``CREATE TABLE IF NOT EXISTS`` statement for this table (portable SQL types)."""
        cols = [f'"{c.name}" {c.sql_type}{"" if c.nullable else " NOT NULL"}' for c in self.columns]
        if self.key:
            cols.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in self.key) + ")")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  " + ",\n  ".join(cols) + "\n)"


C = Column

CRIMES = Table(
    "crimes",
    "One row per police.uk street-level record (crimes and anti-social behaviour), as published, "
    "plus provenance and completeness flags. A force-month is replaced whole when re-published.",
    (
        C("crime_id", "VARCHAR", "Persistent police.uk Crime ID (64 hex). NULL for ASB rows."),
        C("month", "DATE", "First day of the month the record belongs to ('Month').", False),
        C("force", "VARCHAR", "Force slug from the file name, e.g. 'merseyside'.", False),
        C("reported_by", "VARCHAR", "'Reported by': the force that supplied the record.", False),
        C("falls_within", "VARCHAR", "'Falls within': the force area the location lies in."),
        C("longitude", "DOUBLE", "WGS84 longitude of the anonymised map point; NULL if none."),
        C("latitude", "DOUBLE", "WGS84 latitude of the anonymised map point; NULL if none."),
        C("location", "VARCHAR", "'Location', e.g. 'On or near Park Road' or 'No Location'."),
        C(
            "lsoa_code",
            "VARCHAR",
            "LSOA code as published (2011 codes until 2023), or as placed by the record's map "
            "point where `vrukit build` converted it to the build's vintage (`lsoa_published`).",
        ),
        C("lsoa_name", "VARCHAR", "LSOA name, as published or placed with the code."),
        C("crime_type", "VARCHAR", "One of the 14 police.uk crime types.", False),
        C("last_outcome", "VARCHAR", "'Last outcome category'; NULL for ASB."),
        C("context", "VARCHAR", "'Context' free text (almost always empty)."),
        C("no_crime_id", "BOOLEAN", "Flag: the record has no Crime ID (ASB).", False),
        C("no_location", "BOOLEAN", "Flag: the record has no coordinates.", False),
        C(
            "lsoa_unknown",
            "BOOLEAN",
            "Flag: LSOA code given but not in the loaded `areas`; NULL while no areas are loaded.",
        ),
        C("source_file", "VARCHAR", "File (or archive member) the row came from.", False),
        C(
            "source_line",
            "BIGINT",
            "Line number of the row in that file (header is line 1).",
            False,
        ),
        C("ingest_id", "BIGINT", "The `ingest_log` entry that loaded the row.", False),
        # last, so that an older warehouse gains it with ALTER TABLE ADD COLUMN
        C(
            "lsoa_published",
            "VARCHAR",
            "The LSOA code police.uk published, where it was of the other vintage and the "
            "record's map point placed it in a loaded area (`vrukit build`); NULL otherwise.",
        ),
    ),
)

QUARANTINE = Table(
    "quarantine",
    "Rows that could not be trusted, kept with the reason. For every ingested file, "
    "rows read = rows accepted + rows quarantined.",
    (
        C("ingest_id", "BIGINT", "The `ingest_log` entry of the file.", False),
        C("source_file", "VARCHAR", "File (or archive member) the row came from.", False),
        C("line", "BIGINT", "Line number in the file (header is line 1).", False),
        C("column_name", "VARCHAR", "Column at fault, when one is."),
        C("value", "VARCHAR", "The offending value, when one is."),
        C(
            "reason",
            "VARCHAR",
            "Machine-readable reason, e.g. 'unknown_crime_type', 'month_mismatch', "
            "'force_mismatch', 'bad_header', 'invalid_encoding', 'wrong_column_count', "
            "'bad_coordinate'; for ISTV extracts 'bad_date', 'bad_time', 'unknown_code', "
            "'bad_value', 'duplicate_row'.",
            False,
        ),
        C(
            "message",
            "VARCHAR",
            "Human-readable message naming file, line, column and value.",
            False,
        ),
        C("raw", "VARCHAR", "The raw line as read (undecodable bytes shown as U+FFFD)."),
    ),
)

INGEST_LOG = Table(
    "ingest_log",
    "One row per source currently loaded (e.g. one police.uk force-month, one IoD file). "
    "Re-loading identical content changes nothing; a corrected file replaces its row.",
    (
        C("ingest_id", "BIGINT", "Identifier referenced by `crimes` and `quarantine`.", False),
        C("kind", "VARCHAR", "Source kind: 'policeuk-street', 'iod2019', 'population', ...", False),
        C("source_key", "VARCHAR", "What the source covers, e.g. 'merseyside/2022-01'.", False),
        C("source_file", "VARCHAR", "Path of the file as given (archive!member for zips).", False),
        C(
            "sha256",
            "VARCHAR",
            "SHA-256 of the file's bytes as stored (compressed for .gz).",
            False,
        ),
        C("rows_read", "BIGINT", "Data rows read (lines after the header).", False),
        C("rows_accepted", "BIGINT", "Rows loaded.", False),
        C("rows_quarantined", "BIGINT", "Rows sent to `quarantine`.", False),
        C(
            "status",
            "VARCHAR",
            "'loaded', 'replaced' (corrected re-publication) or 'rejected'.",
            False,
        ),
        C("message", "VARCHAR", "Summary of problems found, if any."),
        C("loaded_at", "TIMESTAMP", "When this content was loaded (UTC).", False),
    ),
    key=("kind", "source_key"),
)

AREAS = Table(
    "areas",
    "One row per small area (LSOA) of a vintage, with its rollups, population and geometry. "
    "Geometry is stored in British National Grid (EPSG:27700) as WKB.",
    (
        C("lsoa_code", "VARCHAR", "LSOA code, e.g. E01006412.", False),
        C("vintage", "INTEGER", "2011 or 2021.", False),
        C("lsoa_name", "VARCHAR", "LSOA name."),
        C("msoa_code", "VARCHAR", "MSOA containing the LSOA."),
        C("msoa_name", "VARCHAR", "MSOA name."),
        C("lad_code", "VARCHAR", "Local authority district code."),
        C("lad_name", "VARCHAR", "Local authority district name."),
        C("population", "BIGINT", "Residents (from the population source loaded last)."),
        C("population_source", "VARCHAR", "Which estimate `population` comes from."),
        C("centroid_easting", "DOUBLE", "Centroid, EPSG:27700 metres."),
        C("centroid_northing", "DOUBLE", "Centroid, EPSG:27700 metres."),
        C("centroid_lon", "DOUBLE", "Centroid, WGS84 longitude."),
        C("centroid_lat", "DOUBLE", "Centroid, WGS84 latitude."),
        C("geometry_wkb", "BLOB", "Boundary polygon, EPSG:27700, WKB; NULL when not supplied."),
    ),
    key=("lsoa_code", "vintage"),
)

POPULATION = Table(
    "population",
    "Residents by small area, year and age band (band 'all' is the total).",
    (
        C("lsoa_code", "VARCHAR", "LSOA code.", False),
        C("vintage", "INTEGER", "LSOA vintage of the code (2011 or 2021).", False),
        C("year", "INTEGER", "Reference year of the estimate.", False),
        C("age_band", "VARCHAR", "'all', or a band such as '10-17'.", False),
        C("residents", "BIGINT", "Number of residents.", False),
        C("source", "VARCHAR", "Estimate, e.g. 'census2021-ts001', 'mid2019'.", False),
    ),
    key=("lsoa_code", "vintage", "year", "age_band"),
)

LSOA_LOOKUP = Table(
    "lsoa_lookup",
    "LSOA 2011 to 2021 change lookup. change is U (unchanged), S (split), M (merged) or "
    "X (redrawn); weight is the share of the 2011 area's residents in the 2021 area "
    "(1 for U and M), used for best-fit conversion.",
    (
        C("lsoa11_code", "VARCHAR", "LSOA 2011 code.", False),
        C("lsoa21_code", "VARCHAR", "LSOA 2021 code.", False),
        C("change", "VARCHAR", "U, S, M or X.", False),
        C(
            "weight",
            "DOUBLE",
            "Apportioning weight from 2011 to 2021 (sums to 1 per 2011 code).",
            False,
        ),
        C("method", "VARCHAR", "How the row was derived: 'ons' (published) or 'spatial'.", False),
    ),
    key=("lsoa11_code", "lsoa21_code"),
)


def _deprivation_columns() -> tuple[Column, ...]:
    cols = [
        C("lsoa_code", "VARCHAR", "LSOA code (2011 for IoD2019, 2021 for IoD2025).", False),
        C("lsoa_name", "VARCHAR", "LSOA name."),
        C("lad_code", "VARCHAR", "Local authority district code (2019 or 2024)."),
        C("lad_name", "VARCHAR", "Local authority district name."),
    ]
    for stem, name in DEPRIVATION_DOMAINS:
        cols.append(C(f"{stem}_score", "DOUBLE", f"{name} score (rates are proportions 0-1)."))
        cols.append(C(f"{stem}_rank", "INTEGER", f"{name} rank, 1 = most deprived."))
        cols.append(C(f"{stem}_decile", "INTEGER", f"{name} decile, 1 = most deprived 10%."))
    for col, name in DEPRIVATION_DENOMINATORS:
        cols.append(C(col, "BIGINT", name + "."))
    cols.append(C("source", "VARCHAR", "File(s) the row was assembled from.", False))
    # last, so that a warehouse made before IoD2025 gains it with ALTER TABLE ADD COLUMN
    cols.append(
        C("edition", "VARCHAR", "'IoD2019' (on LSOA 2011) or 'IoD2025' (on LSOA 2021).", False)
    )
    return tuple(cols)


DEPRIVATION = Table(
    "deprivation",
    "English Indices of Deprivation, one row per LSOA and edition (IoD2019 on LSOA 2011, "
    "IoD2025 on LSOA 2021): every score, rank and decile of the IMD, its seven domains, IDACI, "
    "IDAOPI and the six sub-domains, and the population denominators. Columns a loaded file "
    "does not carry are NULL.",
    _deprivation_columns(),
    key=("lsoa_code", "edition"),
)

#: vrukit's standard ISTV assault methods (the data set's ASSAULT METHOD, grouped as the Cardiff
#: Model reports it). A site's local codes are mapped to these in its profile; nothing is guessed.
ISTV_METHODS: tuple[str, ...] = (
    "bodily_force",
    "blunt_object",
    "knife",
    "other_sharp",
    "firearm",
    "other",
    "unknown",
)

#: vrukit's standard ISTV assault location types (ASSAULT LOCATION TYPE).
ISTV_LOCATION_TYPES: tuple[str, ...] = (
    "home",
    "street",
    "licensed_premises",
    "public_transport",
    "shop_commercial",
    "education",
    "workplace",
    "other",
    "unknown",
)

#: Categories that say "we do not know": their share is a data-quality measure.
ISTV_VAGUE = ("other", "unknown")

#: Standard sex and arrival-mode codes for the optional fields.
ISTV_SEXES: tuple[str, ...] = ("female", "male", "other", "unknown")
ISTV_AGE_BANDS: tuple[str, ...] = ("0-9", "10-17", "18-24", "25-34", "35-49", "50-64", "65+")
ISTV_ARRIVAL_MODES: tuple[str, ...] = ("ambulance", "police", "own_transport", "other", "unknown")
ISTV_DISPOSALS: tuple[str, ...] = (
    "discharged",
    "admitted",
    "transferred",
    "left_before_treatment",
    "died",
    "other",
    "unknown",
)

ISTV_SUBMISSIONS = Table(
    "istv_submissions",
    "One row per ISTV submission currently loaded: a site's extract for a reporting period. "
    "A resubmission for the same site and period replaces the earlier one whole.",
    (
        C("ingest_id", "BIGINT", "The `ingest_log` entry of the file.", False),
        C("site_code", "VARCHAR", "SITE CODE (OF TREATMENT), e.g. 'RKM01'.", False),
        C("site_name", "VARCHAR", "Name of the emergency department (from its profile)."),
        C("period_start", "DATE", "REPORTING PERIOD START DATE.", False),
        C("period_end", "DATE", "REPORTING PERIOD END DATE.", False),
        C("received", "DATE", "When the VRU received the extract (file date or as given).", False),
        C(
            "first_received",
            "DATE",
            "When the first extract for this site and period arrived; timeliness is measured "
            "on it, so a later correction does not count as late.",
            False,
        ),
        C("profile", "VARCHAR", "Mapping profile used, e.g. 'rkm01.toml'.", False),
        C("layout", "VARCHAR", "'csv', 'xlsx' or 'xml'.", False),
        C("source_file", "VARCHAR", "The file as given.", False),
        C("replaced", "BOOLEAN", "True when it replaced an earlier submission.", False),
    ),
    key=("site_code", "period_start", "period_end"),
)

ISTV_ASSAULTS = Table(
    "istv_assaults",
    "One row per assault attendance accepted from an ISTV submission, in the standard model "
    "(NHS ISTV Minimum Data Set, DCB1594, plus optional regional fields). Local codes are kept "
    "beside the standard category they were mapped to. No identifiers: the ingest guard "
    "refuses files that carry them.",
    (
        C("ingest_id", "BIGINT", "The submission's `ingest_log` entry.", False),
        C("site_code", "VARCHAR", "SITE CODE (OF TREATMENT).", False),
        C("period_start", "DATE", "Reporting period start of the submission.", False),
        C("source_file", "VARCHAR", "File the row came from.", False),
        C("source_line", "BIGINT", "Line (CSV), row (XLSX) or record number (XML).", False),
        C("arrival_at", "TIMESTAMP", "ARRIVAL DATE AND TIME AT A&E; NULL if not given."),
        C(
            "assault_at",
            "TIMESTAMP",
            "ASSAULT DATE AND TIME; midnight when only the date is known.",
        ),
        C("assault_time_known", "BOOLEAN", "Whether the assault time was given.", False),
        C("method", "VARCHAR", "ASSAULT METHOD, standard category (see docs/istv.md)."),
        C("method_local", "VARCHAR", "The site's own code or text for the method."),
        C("method_other", "VARCHAR", "ASSAULT METHOD OTHER DESCRIPTION (free text)."),
        C("location_type", "VARCHAR", "ASSAULT LOCATION TYPE, standard category."),
        C("location_type_local", "VARCHAR", "The site's own code or text for the location type."),
        C("location_description", "VARCHAR", "ASSAULT LOCATION DESCRIPTION (free text)."),
        C("age_band", "VARCHAR", "Optional: age band of the patient."),
        C("sex", "VARCHAR", "Optional: female, male, other or unknown."),
        C("residence_lsoa", "VARCHAR", "Optional: LSOA of residence (never a postcode)."),
        C("arrival_mode", "VARCHAR", "Optional: ambulance, police, own_transport, other, unknown."),
        C("disposal", "VARCHAR", "Optional: discharged, admitted, transferred, ..."),
        C("assault_after_arrival", "BOOLEAN", "Validity: assault recorded after arrival.", False),
        C("future_date", "BOOLEAN", "Validity: a date after the submission was received.", False),
        C("outside_period", "BOOLEAN", "Validity: arrival outside the reporting period.", False),
    ),
)

ISTV_VENUES = Table(
    "istv_venues",
    "User-supplied venues for resolving ISTV location descriptions: licensed premises, transport "
    "hubs, shopping centres, colleges. Loaded with `vrukit istv venues`; a name may repeat "
    "(chains, common pub names) and is then told apart by the ED's catchment.",
    (
        C("name", "VARCHAR", "Venue name as people say it, e.g. 'The Red Lion'.", False),
        C("kind", "VARCHAR", "A location type: licensed_premises, public_transport, ...", False),
        C("longitude", "DOUBLE", "WGS84 longitude.", False),
        C("latitude", "DOUBLE", "WGS84 latitude.", False),
        C("lsoa_code", "VARCHAR", "LSOA the venue lies in (given, or found from the boundaries)."),
        C("source_file", "VARCHAR", "The venues file.", False),
        C("source_line", "BIGINT", "Line of the venue in that file.", False),
    ),
    key=("source_file", "source_line"),
)

ISTV_LOCATIONS = Table(
    "istv_locations",
    "Where each accepted ISTV assault happened, resolved from its free-text location description "
    "against the gazetteer (police.uk 'On or near' names and `istv_venues`). Rebuilt whole by "
    "`vrukit istv locate`; `review` marks matches below the confidence threshold.",
    (
        C("ingest_id", "BIGINT", "The assault's submission (`istv_assaults.ingest_id`).", False),
        C("source_line", "BIGINT", "The assault's `istv_assaults.source_line`.", False),
        C("site_code", "VARCHAR", "SITE CODE (OF TREATMENT).", False),
        C(
            "status",
            "VARCHAR",
            "resolved, non_specific (home, work, 'not known'), unmatched or blank.",
            False,
        ),
        C("kind", "VARCHAR", "What matched: street, landmark (a police.uk place name) or venue."),
        C("matched", "VARCHAR", "The gazetteer name the description matched."),
        C("score", "DOUBLE", "Text similarity of description and name, 0-100."),
        C("lsoa_code", "VARCHAR", "Most probable LSOA of the assault."),
        C("longitude", "DOUBLE", "WGS84 longitude of the resolved point."),
        C("latitude", "DOUBLE", "WGS84 latitude of the resolved point."),
        C(
            "confidence",
            "DOUBLE",
            "Probability that `lsoa_code` is right: catchment prior x share of the name's "
            "points in that LSOA x text score.",
        ),
        C("review", "BOOLEAN", "Resolved below the confidence threshold: check by hand.", False),
    ),
    key=("ingest_id", "source_line"),
)

#: Every stored table, by name.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        CRIMES,
        QUARANTINE,
        INGEST_LOG,
        AREAS,
        POPULATION,
        LSOA_LOOKUP,
        DEPRIVATION,
        ISTV_SUBMISSIONS,
        ISTV_ASSAULTS,
        ISTV_VENUES,
        ISTV_LOCATIONS,
    )
}


def validate_frame(frame: pd.DataFrame, table: str | Table, *, where: str = "frame") -> None:
    """Check that ``frame`` has exactly the columns of ``table``, in order, and no NULL keys.

    Raises
    ------
    SchemaError
        Naming the missing, unexpected or NULL columns.
    """
    spec = TABLES[table] if isinstance(table, str) else table
    missing = [c for c in spec.names if c not in frame.columns]
    extra = [c for c in frame.columns if c not in spec.names]
    if missing or extra:
        raise SchemaError(
            where,
            f"columns do not match table {spec.name!r}: missing {missing}, unexpected {extra}; "
            "see docs/data-model.md",
        )
    for col in spec.columns:
        if not col.nullable and frame[col.name].isna().any():
            n = int(frame[col.name].isna().sum())
            raise SchemaError(where, f"column {col.name!r} of {spec.name!r} has {n} NULL values")


def _md_table(t: Table) -> Iterable[str]:
    yield f"## `{t.name}`\n"
    yield t.doc + "\n"
    if t.key:
        yield "Key: " + ", ".join(f"`{k}`" for k in t.key) + "\n"
    yield "| column | type | null | meaning |"
    yield "|---|---|---|---|"
    for c in t.columns:
        yield f"| `{c.name}` | {c.sql_type} | {'yes' if c.nullable else 'no'} | {c.doc} |"
    yield ""


def data_model_markdown() -> str:
    """Render docs/data-model.md from the declarations above."""
    head = [
        "# Data model",
        "",
        "Generated from `vrukit/schemas.py` by `python -m vrukit.schemas > docs/data-model.md`;",
        "a test fails when this file and the code disagree.",
        "",
    ]
    body = [line for t in TABLES.values() for line in _md_table(t)]
    return "\n".join(head + body)


if __name__ == "__main__":
    print(data_model_markdown(), end="")

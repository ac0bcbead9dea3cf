"""Settings, declared once.

Each setting has a name, a default and a help text. The same declaration feeds the CLI's
``--help``, the ``VRUKIT_*`` environment variables and docs/settings.md (a test fails when a
setting is missing from the docs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "settings_markdown"]


class Settings(BaseSettings):
    """vrukit's settings; each environment variable is ``VRUKIT_`` + the upper-case name."""

    model_config = SettingsConfigDict(env_prefix="VRUKIT_", extra="ignore")

    db: Path | None = Field(
        default=None,
        description=(
            "Path of the warehouse file. Ingest commands write to it; without it they use "
            "./vrukit.duckdb, and analysis commands use the embedded demo region."
        ),
    )
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description=(
            "Engine for the relational steps over a lake (--lake): DuckDB (embedded) or Spark "
            "(the `spark` extra and Java 17+). The embedded warehouse is always DuckDB."
        ),
    )
    lake: Path | None = Field(
        default=None,
        description=(
            "Folder of the partitioned Parquet lake (force and month). Analysis commands given "
            "it count crimes there, on --engine, and read reference data from --db."
        ),
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master URL for --engine spark: local[N], spark://host:7077, yarn, ...",
    )
    memory_limit: str = Field(
        default="512MB",
        description="Memory the analytical engine may use before spilling to disk (DuckDB syntax).",
    )
    threads: int | None = Field(
        default=None, description="Worker threads for the engine; default is one per core."
    )
    batch_rows: int = Field(
        default=1_000_000,
        description=(
            "Rough number of police.uk rows read and committed per ingest batch (estimated "
            "from each file's uncompressed size). Fewer, larger batches are faster; memory is "
            "bounded by memory_limit."
        ),
    )
    demo_seed: int = Field(default=2021, description="Seed of the synthetic demo region.")
    demo_dir: Path = Field(
        default=Path("vrukit-demo"),
        description="Folder where `vrukit demo` writes the demo region's files and warehouse.",
    )
    chromium: str | None = Field(
        default=None,
        description=(
            "The Chromium that prints board packs to PDF (`vrukit board-pack`); the first "
            "`chromium` on the PATH when unset."
        ),
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "vrukit",
        description="Folder for cached artefacts such as the built demo warehouse.",
    )
    police_api_url: str = Field(
        default="https://data.police.uk/api",
        description="Base URL of the police.uk API.",
    )
    police_api_rate: float = Field(
        default=15.0,
        description="Requests per second allowed to the police.uk API (its documented limit).",
    )
    referral_key_file: Path | None = Field(
        default=None,
        description=(
            "File holding the key that seals referral subjects' identifying details (made by "
            "`vrukit referrals keygen`). Keep it outside the database and its backups; without "
            "it nobody can read who a referral is about. The demo uses vrukit-demo/referral.key."
        ),
    )
    store: str | None = Field(
        default=None,
        description=(
            "Programme store URL: sqlite:///FILE for a few users, "
            "postgresql+psycopg://USER@HOST/DB for a deployment (docs/deploy.md). --store wins; "
            "without either, the demo's."
        ),
    )
    session_secret: str | None = Field(
        default=None,
        description=(
            "Secret that signs the portal's session cookies: 32 or more random characters "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(48))'`). Every worker and "
            "every restart must share it, or users are signed out; `vrukit serve --store` "
            "refuses to start without it. Keep it out of the repository."
        ),
    )
    cookie_secure: bool = Field(
        default=False,
        description=(
            "Mark the session cookie Secure and send Strict-Transport-Security: set to true "
            "whenever the portal is reached over HTTPS (behind the TLS proxy of docs/deploy.md)."
        ),
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses or networks of reverse proxies whose X-Forwarded-For is believed, as a "
            "JSON list ('[\"127.0.0.1\"]'); empty by default, so a client cannot choose the "
            "address sign-in throttling sees."
        ),
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["*"],
        description=(
            "Host names the server answers to, as a JSON list ('[\"vru.example.org\"]'); a "
            "request for any other gets 400. Set it in a deployment: redirects and the API's "
            "links are built from the request's Host. Any host by default (the demo)."
        ),
    )
    upload_max_bytes: int = Field(
        default=32 * 1024 * 1024,
        description="Largest request (an uploaded return) the portal accepts; larger get 413.",
    )
    xlsx_max_inflated_bytes: int = Field(
        default=200 * 1024 * 1024,
        description="Largest size an uploaded XLSX may unpack to; a larger one is refused unread.",
    )
    return_max_rows: int = Field(
        default=100_000, description="Most data rows one monitoring return may hold."
    )
    uploads_at_once: int = Field(
        default=4,
        ge=1,
        description=(
            "Uploads of the largest size (upload_max_bytes) one server process takes at once; "
            "smaller uploads share this room by size, and one account has room for one. An "
            "upload that does not fit is answered at once with a time to try again (503; 429 "
            "for the account's), before it is read. Each upload in the room may use its size "
            "of temporary disk."
        ),
    )
    upload_seconds: float = Field(
        default=600.0,
        gt=0,
        description=(
            "Seconds an upload may take to arrive; a slower one is refused (408), so a client "
            "sending a byte now and then cannot hold the server's room for uploads."
        ),
    )
    referral_duplicate_days: int = Field(
        default=90,
        description=(
            "A referral of someone with the same name and date of birth as a referral in this "
            "many days before is flagged as a possible duplicate, for a person to decide."
        ),
    )
    referral_retention_days: int = Field(
        default=2190,
        description=(
            "`vrukit referrals retain` deletes the identifying details of subjects with nothing "
            "recorded for this many days (six years by default); pseudonymous records stay."
        ),
    )


def get_settings(**overrides: object) -> Settings:
    """Return settings from the environment, with explicit overrides (``None`` means unset)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]


def settings_markdown() -> str:
    """Render docs/settings.md from the declarations above."""
    lines = [
        "# Settings",
        "",
        "Generated from `vrukit/settings.py` by `python -m vrukit.settings > docs/settings.md`.",
        "Each can be set as an environment variable; the CLI options of the same name win.",
        "",
        "| setting | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, f in Settings.model_fields.items():
        default = f.default
        if name == "cache_dir":
            default = "~/.cache/vrukit"
        lines.append(f"| `{name}` | `VRUKIT_{name.upper()}` | `{default}` | {f.description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")

"""The deployed server: the portal with the Youth Map and the Open Referral API mounted in it,
built from settings, on one worker or several.

``vrukit serve`` calls :func:`portal_with_mounts` for one worker. With ``--workers N`` it
migrates the store once, then has uvicorn start N processes, each of which builds the same
server from the environment (:func:`from_environment`); the session secret, the store and the
limits come from ``VRUKIT_*`` settings, so every worker signs and reads the same cookies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError

from vrukit.errors import ConfigError
from vrukit.referrals.crypto import Keyring
from vrukit.settings import Settings, get_settings
from vrukit.web.guard import Guard, tile_source

__all__ = ["MIN_SECRET", "from_environment", "guard_of", "portal_with_mounts", "secret_for"]

#: The shortest session secret accepted for a real store.
MIN_SECRET = 32


def guard_of(s: Settings, tiles: str | None = None) -> Guard:
    """The deployment's limits from settings (and the tile server the Youth Map may load)."""
    return Guard(
        upload_max_bytes=s.upload_max_bytes,
        xlsx_max_inflated_bytes=s.xlsx_max_inflated_bytes,
        return_max_rows=s.return_max_rows,
        uploads_at_once=s.uploads_at_once,
        upload_seconds=s.upload_seconds,
        cookie_secure=s.cookie_secure,
        trusted_proxies=tuple(s.trusted_proxies),
        img_sources=tile_source(tiles),
        allowed_hosts=tuple(s.allowed_hosts),
    )


def secret_for(s: Settings) -> str:
    """The session secret a real store's server must have (ConfigError without one)."""
    if not s.session_secret or len(s.session_secret) < MIN_SECRET:
        raise ConfigError(
            f"set VRUKIT_SESSION_SECRET to a random string of {MIN_SECRET} or more characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'): every worker and "
            "restart must share it, or everyone is signed out (docs/deploy.md)"
        )
    return s.session_secret


def portal_with_mounts(
    store: str,
    s: Settings,
    *,
    secret: str | None = None,
    tiles: str | None = None,
    tiles_attribution: str = "",
    today: Callable[[], date] | None = None,
    now: Callable[[], datetime] | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The portal over ``store`` with the Youth Map at /youth-map and the API at /api."""
    from vrukit.web.open_referral import create_directory_app
    from vrukit.web.portal.app import create_app
    from vrukit.web.youth_map import create_youth_map_app

    key = Keyring.from_file(s.referral_key_file) if s.referral_key_file else None
    portal = create_app(
        store, secret_key=secret, today=today, now=now, referral_key=key,
        duplicate_window=timedelta(days=s.referral_duplicate_days),
        guard=guard_of(s, tiles), migrate=migrate,
    )  # fmt: skip
    api = create_directory_app(store, migrate=False)
    youth = create_youth_map_app(
        store, migrate=False, root="/youth-map", api="/api/", today=today, tiles=tiles,
        tiles_attribution=tiles_attribution, index=api.state.index)  # fmt: skip
    for mounted in (api, youth):  # a NUL byte in a search on PostgreSQL: 400, never a 500
        mounted.add_exception_handler(DataError, _unusable)
    youth.state.guard = portal.state.guard  # a survey's throttle reads the client's address
    portal.mount("/api", api)
    portal.mount("/youth-map", youth)
    return portal


async def _unusable(request: Request, exc: Exception) -> Response:
    """A value the store cannot take (a NUL byte, on PostgreSQL): 400, saying only that."""
    return JSONResponse({"detail": "the request holds a value that cannot be searched for"},
                        status_code=400)  # fmt: skip


def from_environment() -> FastAPI:
    """One worker's server, from ``VRUKIT_*`` settings (the store already migrated)."""
    import os

    s = get_settings()
    if not s.store:
        raise ConfigError("VRUKIT_STORE is not set: `vrukit serve --store URL` sets it")
    return portal_with_mounts(
        s.store, s, secret=secret_for(s), tiles=os.environ.get("VRUKIT_TILES") or None,
        tiles_attribution=os.environ.get("VRUKIT_TILES_ATTRIBUTION", ""), migrate=False,
    )  # fmt: skip

"""What the deployed web apps share against hostile and busy clients: the deployment's limits
(``Guard``), a body-size limit that answers 413 before a large upload is read, security headers
with a per-response Content-Security-Policy nonce, and the client's address (forwarded addresses
are believed only from proxies the deployment names).

The middlewares are plain ASGI, so they wrap the portal and the apps mounted in it (the Youth
Map and the Open Referral API) alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request

__all__ = [
    "BodyLimit", "Guard", "NoHugeIds", "SecurityHeaders", "UploadQueue", "client_address",
    "security_headers",
    "tile_source",
]  # fmt: skip

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MB = 1024 * 1024


@dataclass(frozen=True)
class Guard:
    """A deployment's limits (from settings; docs/settings.md)."""

    #: Largest request body accepted (an upload included); larger ones get 413 at once.
    upload_max_bytes: int = 32 * MB
    #: Largest size an XLSX upload may unpack to (a small zip can inflate to gigabytes).
    xlsx_max_inflated_bytes: int = 200 * MB
    #: Most data rows a monitoring return may hold.
    return_max_rows: int = 100_000
    #: Uploads of the largest size one server process takes at once (received, checked or
    #: waiting to be; smaller ones share the room by size); one of them per account.
    uploads_at_once: int = 4
    #: Seconds an upload's body may take to arrive before it is refused (408).
    upload_seconds: float = 600.0
    #: Send the session cookie with ``Secure`` and HSTS: set when the portal is behind TLS.
    cookie_secure: bool = False
    #: Proxies (addresses or networks) whose X-Forwarded-For is believed; none by default.
    trusted_proxies: tuple[str, ...] = ()
    #: Extra image sources for the Content-Security-Policy (the Youth Map's tile server).
    img_sources: tuple[str, ...] = field(default_factory=tuple)
    #: The host names the server answers to (others get 400): its redirects and the API's
    #: links are built from the request's Host; any by default.
    allowed_hosts: tuple[str, ...] = ("*",)

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies]


def tile_source(tiles: str | None) -> tuple[str, ...]:
    """The CSP source of a Leaflet tile URL template ("https://{s}.tile.example/{z}/..." gives
    "https://*.tile.example"); none for no tiles."""
    if not tiles:
        return ()
    parts = urlsplit(tiles.replace("{s}", "x-sub"))
    host = (parts.hostname or "").replace("x-sub", "*")
    if parts.scheme not in ("http", "https") or not host:
        return ()
    port = f":{parts.port}" if parts.port else ""
    return (f"{parts.scheme}://{host}{port}",)


def client_address(request: Request, guard: Guard) -> str:
    """The client's address: the connecting one, or, when that is a trusted proxy, the last
    address in X-Forwarded-For that is not a trusted proxy (a client can write any address
    into the header, so only what trusted proxies appended is believed)."""
    peer = request.client.host if request.client else "?"
    nets = guard.networks()
    if not nets or not _within(peer, nets):
        return peer
    # every line of the header, in order, as one list (RFC 9110: repeated fields combine); a
    # proxy that adds its own line (HAProxy's forwardfor) puts it after the client's
    lines = ",".join(request.headers.getlist("x-forwarded-for"))
    chain = [a.strip() for a in lines.split(",") if a.strip()]
    for addr in reversed(chain):
        if not _within(addr, nets):
            return addr
    return peer


def _within(addr: str, nets: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def _too_large_message(limit: int) -> str:
    return (
        f"the upload is larger than this server accepts ({limit / MB:g} MB). Split the return, "
        "or ask the administrator to raise VRUKIT_UPLOAD_MAX_BYTES."
    )


class _TooSlow(HTTPException):
    """Raised while a body arrives past its deadline (an HTTPException, as ``_TooLarge``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the upload took longer than {seconds:g} s to arrive")


class _TooLarge(HTTPException):
    """Raised while a body is being read past the limit: an HTTPException, so the frameworks'
    body parsers pass it on (FastAPI turns any other error there into a 400) and the app's
    error page answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes: at once (413) when Content-Length says so,
    and as soon as a body sent without it passes the limit."""

    def __init__(self, app: App, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(self.limit)
            return message

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watching)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = f"413: {_too_large_message(self.limit)}".encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


def _plain(status: int, text: str, *extra: tuple[bytes, bytes]) -> list[Message]:
    body = f"{status}: {text}".encode()
    return [
        {"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()), (b"connection", b"close"), *extra]},
        {"type": "http.response.body", "body": body},
    ]  # fmt: skip


class UploadQueue:
    """Bound what uploads (multipart requests) one server process holds at once, by their size:
    room for ``at_once`` uploads of the largest size ``most`` in all, and for one of them per
    signed-in account; smaller uploads share the room by size (a request without a length
    counts as the largest). A request that does not fit is answered at once, before its body
    is read: 503 when the server is full, 429 when its account's room is, each with a time to
    try again. So a queue of large returns never fills the disk or keeps a provider waiting
    minutes for an answer, while a quarter-end burst of ordinary returns all goes through.
    Sits inside the session middleware, which names the account."""

    def __init__(self, app: App, most: int, at_once: int, seconds: float = 600.0) -> None:
        self.app, self.most, self.room = app, most, most * at_once
        self.seconds = seconds
        self.taken = 0
        self.accounts: dict[Any, int] = {}

    @staticmethod
    async def _send_all(send: Send, messages: list[Message]) -> None:
        for message in messages:
            await send(message)

    def _refusal(self, account: Any, mine: int, size: int) -> list[Message] | None:
        if account is None:  # every upload form is behind sign-in: no room for strangers
            return _plain(403, "sign in before sending a file")
        if mine + size > self.most:
            why = "your last upload is still being checked: wait for its answer, then send the next"
            return _plain(429, why, (b"retry-after", b"30"))
        if self.taken + size > self.room:
            why = "the server is busy checking other uploads: nothing was stored; try again soon"
            return _plain(503, why, (b"retry-after", b"60"))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = list(scope.get("headers") or [])
        headers = dict(raw)
        kinds = [v.lower() for k, v in raw if k.lower() == b"content-type"]
        if scope["type"] == "http" and len(kinds) > 1:  # the body parser reads the first
            await self._send_all(send, _plain(400, "send one Content-Type header"))
            return
        if scope["type"] != "http" or not kinds or b"multipart/" not in kinds[0]:
            await self.app(scope, receive, send)
            return
        length = headers.get(b"content-length", b"")
        size = min(int(length), self.most) if length.isdigit() else self.most
        account = (scope.get("session") or {}).get("uid")
        mine = self.accounts.get(account, 0)
        refusal = self._refusal(account, mine, size)
        if refusal is not None:
            await self._send_all(send, refusal)
            return
        self.taken += size
        self.accounts[account] = mine + size
        deadline = asyncio.get_running_loop().time() + self.seconds

        async def timed() -> Message:
            """The body, as long as it keeps to the deadline: a client that sends a byte now
            and then holds its room no longer than ``seconds``."""
            left = deadline - asyncio.get_running_loop().time()
            try:
                return await asyncio.wait_for(receive(), timeout=max(left, 0.001))
            except TimeoutError:
                raise _TooSlow(self.seconds) from None

        try:
            await self.app(scope, timed, send)
        except _TooSlow:
            for message in _plain(408, f"the upload took longer than {self.seconds:g} s to "
                                  "arrive; try again on a faster connection"):  # fmt: skip
                with contextlib.suppress(Exception):
                    await send(message)
        finally:
            self.taken -= size
            self.accounts[account] -= size
            if not self.accounts[account]:
                del self.accounts[account]


class NoHugeIds:
    """404 for a path with a number of 19 digits or more in it: no record has such an id, and
    the stores cannot take it as one (SQLite overflows; PostgreSQL refuses)."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and re.search(r"(^|/)\d{19,}(/|\.|$)", scope.get("path", "")):
            body = b"404: no such page"
            await send({"type": "http.response.start", "status": 404, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode())]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def security_headers(guard: Guard, nonce: str) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries (``SecurityHeaders`` adds them; the last-resort 500
    page, which the framework sends from outside that middleware, sets them itself)."""
    images = " ".join(("'self'", "data:", *guard.img_sources))
    policy = "; ".join((
        "default-src 'self'", f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'", f"img-src {images}", "connect-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'",
    ))  # fmt: skip
    extra = [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
    ]
    if guard.cookie_secure:
        extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return extra


class SecurityHeaders:
    """Add security headers to every response, with a fresh CSP nonce per request (templates
    put ``request.state.csp_nonce`` on their own ``<script>`` and ``<style>`` elements)."""

    def __init__(self, app: App, guard: Guard) -> None:
        self.app, self.guard = app, guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        extra = security_headers(self.guard, nonce)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra if k not in have]
                if b"cache-control" not in have and "/static/" not in scope.get("path", ""):
                    headers.append((b"cache-control", b"no-store"))  # pages hold personal data
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)

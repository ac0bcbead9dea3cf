"""What every portal page shares: the store session, the signed-in user, CSRF, page rendering
and the access rule (the audit trail is written by ``vrukit.programme.audit``).

Access rules, in one place (``visible``): a **provider** sees and submits only its own
organisation's interventions, returns and training records - anything else answers 404, as if
it did not exist; an **analyst** reads everything and changes nothing; a **commissioner** reads
everything, submits returns and edits the registry; an **admin** may also manage users and read
the audit trail. Every change writes an ``audit_event`` (who, when, before, after). Every form
carries a CSRF token.
"""

from __future__ import annotations

import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vrukit.errors import VrukitError
from vrukit.programme.models import (
    Intervention,
    InterventionProvider,
    ReturnSubmission,
    ReturnTemplate,
    User,
)
from vrukit.web.guard import security_headers
from vrukit.web.portal import lang
from vrukit.web.portal.security import new_csrf_token

#: The portal's pages, and the publishing templates it shares (the evaluation's tiers).
TEMPLATES = [
    Path(__file__).parent / "templates",
    Path(__file__).parents[2] / "publish" / "templates",
]
PAGES = Jinja2Templates(directory=[str(d) for d in TEMPLATES])
lang.install(PAGES.env)
#: Roles that may submit returns and training records (providers only for their own).
SUBMITTERS = ("admin", "commissioner", "provider")
#: Roles that may edit the registry.
EDITORS = ("admin", "commissioner")
#: The VRU's own staff: they read every intervention and return.
STAFF = ("admin", "commissioner", "analyst")
#: Where a "panel" account may go: the funding rounds it scores, its password, signing out.
PANEL_PATHS = ("/", "/logout", "/account/password", "/rounds")
PANEL_PREFIXES = ("/rounds/", "/applications/")


class Redirect(Exception):
    def __init__(self, to: str) -> None:
        self.to = to


def visible(user: User) -> Any:
    """The interventions ``user`` may see, as a WHERE clause."""
    if user.role == "provider":
        partner = select(InterventionProvider.intervention_id).where(
            InterventionProvider.organisation_id == user.organisation_id
        )
        return or_(Intervention.provider_id == user.organisation_id, Intervention.id.in_(partner))
    return Intervention.id.is_not(None) if user.role in STAFF else false()


def own_returns(user: User) -> Any:
    """The returns ``user`` may read, as a WHERE clause: a provider, only its own organisation's
    (the partners delivering one intervention do not read each other's returns)."""
    if user.role == "provider":
        return ReturnSubmission.organisation_id == user.organisation_id
    return ReturnSubmission.id.is_not(None) if user.role in STAFF else false()


def submitting_for(user: User, iv: Intervention) -> int:
    """The organisation a return ``user`` submits is from: a provider's own; for the VRU's
    staff submitting on a provider's behalf, the lead provider's."""
    if user.role == "provider" and user.organisation_id in iv.provider_ids:
        return int(user.organisation_id)
    return iv.provider_id


#: Methods that change nothing: their transaction reads; any other takes the write lock.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def db(request: Request) -> Iterator[Session]:
    """The request's session. A request that may write holds the store's write lock from its
    first statement (on SQLite; ``programme.db.writing``), so bursts of writes queue instead
    of failing. It commits before the response is sent (``scope="function"``): a redirect
    after a change never reaches a page that does not show it yet."""
    with request.app.state.maker() as s, s.begin():
        if request.method not in SAFE_METHODS:
            s.connection(execution_options={"vrukit_write": True})
        yield s


def read_db(request: Request) -> Iterator[Session]:
    """A reading session, for a request that does its slow work before it writes (an upload
    is checked outside any lock, then stored in a write session of its own)."""
    with request.app.state.maker() as s, s.begin():
        yield s


#: Requests one worker runs against the store at once. The rest wait without holding a thread,
#: so those holding the store's write lock always have threads to finish on (with every thread
#: waiting for the lock, the holder could not commit, and all of them failed at once).
STORE_REQUESTS = 16
Db = Annotated[Session, Depends(db, scope="function", max_concurrency=STORE_REQUESTS)]
ReadDb = Annotated[Session, Depends(read_db, scope="function", max_concurrency=STORE_REQUESTS)]
#: Uploads wait for their own two places, never for those sign-in and pages use: ten large
#: returns queued for the helper process held every place, and a sign-in waited 41 s.
UploadDb = Annotated[Session, Depends(read_db, scope="function", max_concurrency=2)]


def _signed_in(request: Request, s: Session) -> User:
    """The signed-in user; a session from before their last sign-out or password change (a
    copied cookie, another browser) is over."""
    uid = request.session.get("uid")
    user = s.get(User, uid) if uid else None
    if user is None or not user.active or request.session.get("epoch") != user.session_epoch:
        kept = lang.kept_language(request)
        request.session.clear()
        request.session.update(kept)
        raise Redirect("/login")
    path = request.url.path
    if user.role == "panel" and path not in PANEL_PATHS and not path.startswith(PANEL_PREFIXES):
        raise HTTPException(403, lang.t("a panel member's account opens the funding rounds only"))
    return user


def current(request: Request, s: Db) -> User:
    return _signed_in(request, s)


def current_reader(request: Request, s: ReadDb) -> User:
    return _signed_in(request, s)


def current_uploader(request: Request, s: UploadDb) -> User:
    return _signed_in(request, s)


Me = Annotated[User, Depends(current)]
MeReading = Annotated[User, Depends(current_reader)]
MeUploading = Annotated[User, Depends(current_uploader)]


async def csrf(request: Request) -> None:
    form = await request.form()
    sent = form.get("csrf_token")
    if not sent or not secrets.compare_digest(str(sent), request.session.get("csrf", "")):
        raise HTTPException(403, lang.t("the form has expired or did not come from this site"))


Csrf = Depends(csrf)


async def posted(request: Request) -> FormData:
    """The request's form, read on the event loop (Starlette keeps it for the CSRF check too),
    so the handler that uses it can be a plain function on a worker thread: a handler that
    waits on the store (a row lock on PostgreSQL) must never wait on the event loop, which
    the lock's holder needs to commit."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted)]


def token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = new_csrf_token()
    return str(request.session["csrf"])


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", None)
    return PAGES.TemplateResponse(
        request,
        name,
        {"csrf": token(request), **lang.speak(request), **context},
        status_code=status,
    )


def upload_name(given: str | None, suffix: str) -> str:
    """An uploaded file's name as pages and the store show it: its last part only, without
    control or format characters, at most 120 characters (the file itself is saved under a name of
    ours, so no name a browser sends can reach the file system)."""
    shown = Path(given or "").name  # control and format characters (a right-to-left override
    name = "".join(ch for ch in shown if unicodedata.category(ch) not in ("Cc", "Cf")).strip()
    if len(name) > 120:
        name = name[: 116 - len(suffix)] + "..." + suffix
    return name or f"upload{suffix}"


def whole_number(text: object, most: int = 10**9) -> int | None:
    """``text`` as a whole number from 0 to ``most`` (ASCII digits only: ``str.isdigit`` also
    takes "²", which ``int`` refuses), else None."""
    t = str(text).strip()
    if not re.fullmatch(r"[0-9]{1,10}", t) or int(t) > most:
        return None
    return int(t)


def plain(value: Any) -> Any:
    """A value as the audit trail keeps it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def intervention(s: Session, user: User, iid: int) -> Intervention:
    """The intervention ``iid`` if ``user`` may see it; 404 otherwise."""
    iv = s.scalars(select(Intervention).where(Intervention.id == iid, visible(user))).first()
    if iv is None:
        raise HTTPException(404, lang.t("no such intervention"))
    return iv


def need_role(user: User, roles: tuple[str, ...], what: str) -> None:
    if user.role not in roles:
        raise HTTPException(
            403, lang.t("your role (%(role)s) may not %(what)s", role=lang.t(user.role), what=what)
        )


def admin_only(user: User) -> None:
    if user.role != "admin":
        raise HTTPException(403, lang.t("only an admin may do this"))


def template_of(s: Session, iid: int) -> ReturnTemplate | None:
    """An intervention's current return template (highest version), if it has one."""
    return s.scalars(select(ReturnTemplate).where(ReturnTemplate.intervention_id == iid)
                     .order_by(ReturnTemplate.version.desc())).first()  # fmt: skip


async def to_redirect(request: Request, exc: Redirect) -> Response:
    return RedirectResponse(exc.to, status_code=303)


#: Paths on the server a message must not show (the temporary folder uploads are kept in,
#: the installation): replaced by what they stand for.
_HIDDEN = sorted({tempfile.gettempdir(), str(Path(__file__).parents[3])}, key=len, reverse=True)
_SERVER_PATHS = re.compile("(" + "|".join(map(re.escape, _HIDDEN)) + r")[^\s'\":;,]*")


def public(message: object) -> str:
    """A message as a browser may see it: no server path in it (a message of the portal's own,
    ``lang.t``, is kept whole so the page can say it in its reader's language)."""
    if isinstance(message, lang.Said) and not _SERVER_PATHS.search(message):
        return message
    return _SERVER_PATHS.sub("the uploaded file", str(message))


async def error_page(request: Request, exc: HTTPException) -> Response:
    response = render(request, "error.html", exc.status_code, code=exc.status_code,
                      message=public(exc.detail))  # fmt: skip
    for name, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[name] = value  # Retry-After, for one
    return response


async def unreadable(request: Request, exc: Exception) -> Response:
    """A path or form value of the wrong kind (a word where an id goes): the error page, saying
    which, without echoing what was sent."""
    where = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) or "value"
                      for e in getattr(exc, "errors", lambda: [])()[:5])  # fmt: skip
    message = (lang.t("this page cannot use what was sent for: %(where)s", where=where) if where
               else lang.t("this page cannot use what was sent"))  # fmt: skip
    return render(request, "error.html", 422, code=422, message=message)


async def too_large_id(request: Request, exc: Exception) -> Response:
    """An id in the path larger than the store can hold (2**63 and up): no such record."""
    return render(request, "error.html", 404, code=404, message=lang.t("no such page"))


async def too_long(request: Request, exc: Exception) -> Response:
    """A value the store refused (on PostgreSQL, text longer than its column): 422 saying so,
    never a 500, and nothing of the statement shown."""
    return render(request, "error.html", 422, code=422, message=lang.t(
        "a value was longer or larger than the store holds: shorten it and try again; nothing "
        "was saved"))  # fmt: skip


async def changed_meanwhile(request: Request, exc: Exception) -> Response:
    """Two identical changes at once (a double click), the second refused by the store: 409,
    never a 500; the first went through."""
    message = lang.t("the same change was made a moment ago (a second click?): reload to see it")
    return render(request, "error.html", 409, code=409, message=message)


async def busy(request: Request, exc: Exception) -> Response:
    """The store stayed locked past its wait (a burst larger than it can queue), or chose this
    request to give way in a deadlock (PostgreSQL): 503 with a time to try again, never a 500;
    nothing of it was kept."""
    if not any(w in str(exc) for w in ("is locked", "busy", "lock timeout",
                                        "deadlock detected", "could not serialize")):  # fmt: skip
        raise exc
    response = render(request, "error.html", 503, code=503, message=lang.t(
        "the store is busy with other changes just now: nothing was lost; try again in a "
        "few seconds"))  # fmt: skip
    response.headers["Retry-After"] = "5"
    return response


async def unforeseen(request: Request, exc: Exception) -> Response:
    """A fault no other handler knows: the error page, saying nothing of the fault, with the
    security headers (the framework's own 500 is sent from outside their middleware and had
    none: the thirty-third probe's L4)."""
    nonce = getattr(request.state, "csp_nonce", None) or secrets.token_urlsafe(16)
    request.state.csp_nonce = nonce
    try:
        response: Response = render(request, "error.html", 500, code=500, message=lang.t(
            "the server could not finish this request: try again, and tell the VRU's "
            "administrator if it happens again"))  # fmt: skip
    except Exception:  # the page itself could not be made: a plain one
        response = HTMLResponse("<!doctype html><title>Server error</title><p>The server could "
                                "not finish this request.</p>", 500)  # fmt: skip
    for name, value in security_headers(request.app.state.guard, nonce):
        response.headers[name.decode()] = value.decode()
    response.headers["Cache-Control"] = "no-store"
    return response


async def refused(request: Request, exc: VrukitError) -> Response:
    """A store or input error the user can correct (a malformed quarter, a missing template);
    one raised with a catalogue message (``errors.t``) is said in the reader's language."""
    said = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], lang.Said) else exc
    return render(request, "error.html", 422, code=422, message=public(said))

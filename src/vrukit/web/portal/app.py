"""The portal application: sign-in, roles, interventions, returns (download, upload, history),
users and the audit trail. Server-rendered HTML; no script is needed to use it.

Access rules and what every page shares live in ``vrukit.web.portal.web``; returns entered in
the web form and training records in ``entry``; registry and user edits in ``registry``; the
evaluation pages in ``evaluation``. Sign-in failures are rate-limited per client and e-mail.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from vrukit.directory.models import DirService
from vrukit.errors import VrukitError, joined
from vrukit.programme.accounts import EMAIL
from vrukit.programme.audit import audit
from vrukit.programme.db import engine, upgrade, writing
from vrukit.programme.load import TRAINING_FIELDS
from vrukit.programme.models import (
    ROLES,
    AuditEvent,
    Intervention,
    Organisation,
    ReturnRow,
    ReturnSubmission,
    ReturnTemplate,
    TrainingRecord,
    User,
)
from vrukit.programme.returns import (
    fields_of,
    write_template,
)
from vrukit.referrals.crypto import Keyring
from vrukit.referrals.identity import check_key
from vrukit.referrals.workflow import NotAllowed
from vrukit.web.guard import (
    BodyLimit,
    Guard,
    NoHugeIds,
    SecurityHeaders,
    UploadQueue,
    client_address,
)
from vrukit.web.portal import (
    applications,
    directory,
    entry,
    evaluation,
    governance,
    incidents,
    partnerships,
    referrals,
    registry,
    rounds,
    setup,
    voice,
)
from vrukit.web.portal.lang import kept_language, portal_lang, t
from vrukit.web.portal.offload import submit_upload
from vrukit.web.portal.security import (
    DEVICE_COOKIE,
    DEVICE_DAYS,
    Devices,
    RateLimit,
    check_password,
    hash_password,
    new_csrf_token,
)
from vrukit.web.portal.todo import to_do
from vrukit.web.portal.web import (
    EDITORS,
    SUBMITTERS,
    Csrf,
    Db,
    Me,
    MeReading,
    MeUploading,
    ReadDb,
    Redirect,
    UploadDb,
    admin_only,
    busy,
    changed_meanwhile,
    error_page,
    intervention,
    own_returns,
    refused,
    render,
    submitting_for,
    template_of,
    to_redirect,
    too_large_id,
    too_long,
    unforeseen,
    unreadable,
    upload_name,
    visible,
    whole_number,
)

__all__ = ["ROUTERS", "ROUTES", "create_app"]

#: The rows a return's page shows (a return may hold 100,000; the page would be megabytes).
RETURN_PAGE_ROWS = 500


def create_app(
    store_url: str,
    *,
    secret_key: str | None = None,
    rate_limit: RateLimit | None = None,
    today: Callable[[], date] | None = None,
    now: Callable[[], datetime] | None = None,
    referral_key: Keyring | None = None,
    duplicate_window: timedelta = timedelta(days=90),
    guard: Guard | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The portal over the programme store at ``store_url`` (migrated first, unless
    ``migrate`` is False: ``vrukit serve --workers`` migrates once before starting them).
    ``today`` decides which Youth Map listings are overdue for verification and ``now`` runs
    the referrals' SLA clocks (the demo passes its own). ``referral_key`` seals and opens
    referral subjects' identifying details (a store refuses a key other than the one it was
    first used with); without it, pages that need them say so. A subject referred again within
    ``duplicate_window`` is flagged as a possible duplicate. ``secret_key`` signs session and
    device cookies (a random one when not given: sessions then end at a restart); ``guard``
    holds the deployment's limits."""
    if migrate:
        upgrade(store_url)
    guard = guard or Guard()
    secret = secret_key or secrets.token_hex(32)
    app = FastAPI(title="vrukit programme portal", docs_url=None, redoc_url=None,
                  openapi_url=None)  # fmt: skip
    app.state.maker, app.state.store_url = sessionmaker(engine(store_url)), store_url
    if referral_key is not None:
        with writing(app.state.maker) as s:
            check_key(s, referral_key)
    app.state.limit = rate_limit or RateLimit()
    app.state.devices, app.state.guard = Devices(secret), guard
    app.state.today, app.state.now = today, now
    app.state.keyring, app.state.duplicate_window = referral_key, duplicate_window
    app.add_middleware(UploadQueue, most=guard.upload_max_bytes, at_once=guard.uploads_at_once,
                       seconds=guard.upload_seconds)  # fmt: skip
    app.add_middleware(
        SessionMiddleware, secret_key=secret, session_cookie="vrukit_portal",
        same_site="strict", max_age=8 * 3600, https_only=guard.cookie_secure,
    )  # fmt: skip
    app.add_middleware(NoHugeIds)
    app.add_middleware(BodyLimit, limit=guard.upload_max_bytes)
    if guard.allowed_hosts != ("*",):  # a Host of the attacker's choosing: 400
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(guard.allowed_hosts),
                           www_redirect=False)  # fmt: skip
    # outermost, so that every answer carries the headers: a 413 for a declared body over the
    # limit had none (the eleventh probe)
    app.add_middleware(SecurityHeaders, guard=guard)
    app.add_exception_handler(Redirect, to_redirect)  # type: ignore[arg-type]
    # the routing's own 404 and 405 (Starlette's) and malformed parameters get the portal's
    # error page too, not a framework's JSON echoing the input
    app.add_exception_handler(StarletteHTTPException, error_page)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, unreadable)
    app.add_exception_handler(VrukitError, refused)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, busy)
    app.add_exception_handler(DataError, too_long)
    app.add_exception_handler(IntegrityError, changed_meanwhile)
    # the same rows deleted by two requests at once (PostgreSQL): the second finds them gone
    app.add_exception_handler(StaleDataError, changed_meanwhile)
    app.add_exception_handler(OverflowError, too_large_id)
    app.add_exception_handler(NotAllowed, referrals.not_allowed)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unforeseen)  # the last resort, with the headers
    for r in ROUTERS:
        app.include_router(r)
    return app


router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html")


@router.post("/login", dependencies=[Csrf])
def login(
    request: Request, s: ReadDb, email: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    """Sign in. The password is checked (argon2id, on purpose slow) outside any write lock; the
    throttle's count is written in a short transaction of its own."""
    email = email.strip().lower()[:254]
    state, at = request.app.state, datetime.now()
    client = client_address(request, state.guard)
    user = s.scalars(select(User).where(User.email == email)).first()
    device = state.devices.known(request.cookies.get(DEVICE_COOKIE), email,
                                 user.password_hash if user else None)  # fmt: skip
    with writing(state.maker) as w:  # check and count in one write: parallel tries queue here
        blocked = state.limit.blocked(w, at, client, email, device)
        counted = [] if blocked else state.limit.failed(w, at, client, email, device)
    if blocked:
        wait = t("Too many failed sign-ins: wait 15 minutes and try again, or sign in from a "
                "browser you have signed in on before.")  # fmt: skip
        return render(request, "login.html", 429, error=wait)
    ok = check_password(user.password_hash if user else None, password)
    if user is None or not user.active or not ok:
        return render(request, "login.html", 401, error=t("E-mail or password is wrong."))
    with writing(state.maker) as w:
        state.limit.forget(w, counted)
        state.limit.succeeded(w, device)
    kept = kept_language(request)
    request.session.clear()
    request.session.update(kept, uid=user.id, epoch=user.session_epoch, csrf=new_csrf_token())
    done = RedirectResponse("/", status_code=303)
    done.set_cookie(DEVICE_COOKIE, device or state.devices.issue(email, user.password_hash),
                    max_age=DEVICE_DAYS * 86400, httponly=True, samesite="strict",
                    secure=state.guard.cookie_secure)  # fmt: skip
    return done


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, s: Db) -> Response:
    """Sign out: the session ends on the server too, so a copy of its cookie opens nothing
    (every session of the user ends: sign-out is everywhere)."""
    uid = request.session.get("uid")
    user = s.get(User, uid) if uid else None
    if user is not None and request.session.get("epoch") == user.session_epoch:
        user.session_epoch += 1
    kept = kept_language(request)
    request.session.clear()
    request.session.update(kept)
    return RedirectResponse("/login", status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, me: Me) -> HTMLResponse:
    return render(request, "password.html", user=me)


@router.post("/account/password", dependencies=[Csrf])
def change_password(
    request: Request, s: ReadDb, me: MeReading, current: Annotated[str, Form()],
    new: Annotated[str, Form()],
) -> Response:  # fmt: skip
    """A new password ends every other session of the user (this one goes on). Wrong current
    passwords count against the account as wrong sign-ins do: a stolen session cannot guess.
    As at sign-in, each try is counted before its password is checked, and the checking and
    hashing (argon2id, slow on purpose) happen outside any write lock."""
    state, at = request.app.state, datetime.now()
    client = client_address(request, state.guard)
    device = None  # counted against the account: a stolen session brings its device cookie
    with writing(state.maker) as w:
        blocked = state.limit.blocked(w, at, client, me.email, device)
        counted = [] if blocked else state.limit.failed(w, at, client, me.email, device)
    if blocked:
        return render(request, "password.html", 429, user=me,
                      error=t("Too many wrong passwords: wait 15 minutes."))  # fmt: skip
    if not check_password(me.password_hash, current):
        return render(request, "password.html", 403, user=me,
                      error=t("The current password is wrong."))  # fmt: skip
    if len(new) < 12:
        with writing(state.maker) as w:
            state.limit.forget(w, counted)
        return render(request, "password.html", 422, user=me,
                      error=t("The new password must have at least 12 characters."))  # fmt: skip
    hashed = hash_password(new)
    with writing(state.maker) as w:
        state.limit.forget(w, counted)
        user = w.get(User, me.id)
        assert user is not None
        user.password_hash = hashed
        user.session_epoch += 1
        audit(w, user, "password", "app_user", str(user.id), None, {"sessions_ended": True})
        epoch = user.session_epoch
    request.session["epoch"] = epoch
    return render(request, "password.html", user=me, done=True)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, s: Db, me: Me) -> HTMLResponse:
    ivs = s.scalars(select(Intervention).where(visible(me)).order_by(Intervention.name)).all()
    org = s.get(Organisation, me.organisation_id) if me.organisation_id else None
    state = request.app.state
    today = state.today() if state.today else date.today()
    noon = datetime.combine(today, datetime.min.time()) + timedelta(hours=12)
    now = state.now() if state.now else noon if state.today else datetime.now()
    return render(request, "home.html", user=me, interventions=ivs, organisation=org,
                  rounds=rounds.home_rounds(s, me),
                  todo=to_do(s, me, today, now, portal_lang(request)))  # fmt: skip


@router.get("/interventions", response_class=HTMLResponse)
def interventions(request: Request, s: Db, me: Me) -> HTMLResponse:
    ivs = s.scalars(select(Intervention).where(visible(me)).order_by(Intervention.name)).all()
    return render(request, "interventions.html", user=me, interventions=ivs)


@router.get("/interventions/{iid}", response_class=HTMLResponse)
def intervention_page(request: Request, s: Db, me: Me, iid: int) -> HTMLResponse:
    iv = intervention(s, me, iid)
    subs = s.scalars(select(ReturnSubmission).where(ReturnSubmission.intervention_id == iid,
                                                    own_returns(me))
                     .order_by(ReturnSubmission.period, ReturnSubmission.id)).all()  # fmt: skip
    trained = s.scalar(select(func.count()).select_from(TrainingRecord)
                       .where(TrainingRecord.intervention_id == iid)) or 0  # fmt: skip
    return render(
        request, "intervention.html", user=me, iv=iv, submissions=subs,
        can_submit=me.role in SUBMITTERS, can_edit=me.role in EDITORS,
        template=template_of(s, iid), trained=trained, training_fields=TRAINING_FIELDS,
        takes_training=bool(trained) or iv.thematic_area == "trauma_informed",
        listings=s.scalars(select(DirService).where(DirService.intervention_id == iid)
                           .order_by(DirService.name)).all(),
    )  # fmt: skip


@router.get("/interventions/{iid}/template.{fmt}")
def template_download(s: Db, me: Me, iid: int, fmt: str) -> Response:
    iv = intervention(s, me, iid)
    found = template_of(s, iid)
    if found is None or fmt not in ("csv", "xlsx"):
        raise HTTPException(404, t("no such template"))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_template(fields_of(found.fields), Path(tmp) / f"return-template.{fmt}")
        content = path.read_bytes()
    name = f"{iv.name} return template v{found.version}.{fmt}"
    kind = "text/csv" if fmt == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )  # fmt: skip
    return Response(content, media_type=kind, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"
    })  # fmt: skip


@router.post("/interventions/{iid}/returns", dependencies=[Csrf])
def upload(
    request: Request, s: UploadDb, me: MeUploading, iid: int, period: Annotated[str, Form()],
    file: UploadFile,
) -> Response:  # fmt: skip
    """A return uploaded as the template's CSV or XLSX. The handler is a plain function, on a
    worker thread; the file is checked, then stored in one write, in a helper process
    (``offload``), so a large upload never holds up other requests."""
    iv = intervention(s, me, iid)
    if me.role not in SUBMITTERS:
        raise HTTPException(403, t("your role may read returns but not submit them"))
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise HTTPException(422, t("upload the return as the CSV or XLSX template"))
    name = upload_name(file.filename, suffix)
    g = request.app.state.guard
    limits = {"max_rows": g.return_max_rows, "max_inflated": g.xlsx_max_inflated_bytes}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1024 * 1024)
        done = submit_upload(request.app.state.store_url, iv, period.strip(), path, name, limits,
                             submitting_for(me, iv), me.id)  # fmt: skip
    if done.problems is not None:
        return render(request, "problems.html", 422, user=me, iv=iv, problems=done.problems,
                      file=name)  # fmt: skip
    return RedirectResponse(f"/returns/{done.submission_id}", status_code=303)


@router.get("/returns", response_class=HTMLResponse)
def returns(request: Request, s: Db, me: Me) -> HTMLResponse:
    q = (select(ReturnSubmission, Intervention.name)
         .join(Intervention, Intervention.id == ReturnSubmission.intervention_id)
         .where(visible(me), own_returns(me))
         .order_by(Intervention.name, ReturnSubmission.period))  # fmt: skip
    rows = s.execute(q).all()
    # counted in the store: loading every row of every return to count them took minutes
    ids = [sub.id for sub, _ in rows]
    counts = dict(s.execute(select(ReturnRow.submission_id, func.count())
                            .where(ReturnRow.submission_id.in_(ids))
                            .group_by(ReturnRow.submission_id)).all()) if ids else {}  # fmt: skip
    return render(request, "returns.html", user=me, rows=rows, counts=counts)


@router.get("/returns/{rid}", response_class=HTMLResponse)
def return_page(request: Request, s: Db, me: Me, rid: int) -> HTMLResponse:
    sub = s.get(ReturnSubmission, rid)
    mine = sub is not None and (me.role != "provider" or sub.organisation_id == me.organisation_id)
    if sub is None or not mine:
        raise HTTPException(404, t("no such return"))
    iv = intervention(s, me, sub.intervention_id)  # 404 when not visible
    fields = [f.name for f in fields_of(s.get(ReturnTemplate, sub.template_id).fields)]  # type: ignore[union-attr]
    total = s.scalar(select(func.count()).select_from(ReturnRow)
                     .where(ReturnRow.submission_id == rid)) or 0  # fmt: skip
    shown = s.scalars(select(ReturnRow).where(ReturnRow.submission_id == rid)
                      .order_by(ReturnRow.row_number).limit(RETURN_PAGE_ROWS)).all()  # fmt: skip
    return render(request, "return.html", user=me, sub=sub, iv=iv, fields=fields, total=total,
                  shown=shown)  # fmt: skip


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, s: Db, me: Me) -> HTMLResponse:
    admin_only(me)
    everyone = s.scalars(select(User).order_by(User.email)).all()
    orgs = s.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render(request, "users.html", user=me, users=everyone, orgs=orgs, roles=ROLES)


@router.post("/admin/users", dependencies=[Csrf])
def add_user(
    request: Request, s: Db, me: Me, email: Annotated[str, Form()],
    password: Annotated[str, Form()], role: Annotated[str, Form()],
    organisation_id: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    admin_only(me)
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):  # "1e400" and a NUL were once accounts' e-mail addresses
        raise HTTPException(
            422, t("%(email)s is not an e-mail address", email=repr(email[:60]))
        )  # (before a query)
    problems = []
    if role not in ROLES:
        problems.append(t("role must be one of %(choices)s", choices=", ".join(ROLES)))
    if len(password) < 12:
        problems.append(t("the password must have at least 12 characters"))
    if s.scalars(select(User).where(User.email == email)).first():
        problems.append(t("%(email)s already has an account", email=email))
    org = whole_number(organisation_id)
    if role == "provider" and (org is None or s.get(Organisation, org) is None):
        problems.append(t("a provider user needs their organisation"))
    if problems:
        raise HTTPException(422, joined(problems))
    new = User(email=email, password_hash=hash_password(password), role=role,
               organisation_id=org)  # fmt: skip
    s.add(new)
    s.flush()
    audit(s, me, "create", "app_user", str(new.id), None,
          {"email": email, "role": role, "organisation_id": org})  # fmt: skip
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, s: Db, me: Me) -> HTMLResponse:
    admin_only(me)
    events = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)).all()
    who = {uid: email for uid, email in s.execute(select(User.id, User.email))}
    return render(request, "audit.html", user=me, events=events, who=who)


#: The portal's routers, in the order they are included.
ROUTERS = (setup.router, router, entry.router, registry.router, evaluation.router,
           directory.router, referrals.router, rounds.router, applications.router,
           governance.router, partnerships.router, incidents.router,
           voice.router)  # fmt: skip
#: Every route, for the access tests: (method, path with {iid}/{rid}/{fmt} placeholders).
ROUTES = (
    ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/"),
    ("GET", "/interventions"), ("GET", "/interventions/{iid}"),
    ("GET", "/interventions/{iid}/template.{fmt}"), ("POST", "/interventions/{iid}/returns"),
    ("GET", "/returns"), ("GET", "/returns/{rid}"), ("GET", "/admin/users"),
    ("POST", "/admin/users"), ("GET", "/audit"), ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("GET", "/interventions/{iid}/returns/new"), ("POST", "/interventions/{iid}/returns/form"),
    ("POST", "/interventions/{iid}/training"), ("GET", "/interventions/{iid}/edit"),
    ("POST", "/interventions/{iid}/edit"), ("POST", "/admin/users/{uid}"),
    ("GET", "/evaluation"), ("GET", "/evaluation/charts/{eid}.svg"),
    ("GET", "/directory"), ("GET", "/directory/services/{sid}"),
    ("POST", "/directory/services/{sid}"), ("POST", "/directory/services/{sid}/verify"),
    ("POST", "/directory/edits/{did}"),
    *setup.ROUTES,
    *referrals.ROUTES,
    *rounds.ROUTES,
    *applications.ROUTES,
    *governance.ROUTES,
    *partnerships.ROUTES,
    *incidents.ROUTES,
    *voice.ROUTES,
)  # fmt: skip

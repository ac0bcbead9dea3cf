"""Entering data in the portal: a quarterly return typed into a web form (for providers with a
handful of participants and no wish to touch a spreadsheet), and a training-records file.

The web form sends the same text cells an uploaded file would hold, and they pass through the
same validation (``submit_table``): a form with any problem is shown again with the values kept
and every problem named by row and column; nothing is stored until it is all correct.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vrukit.programme.audit import audit
from vrukit.programme.models import Intervention
from vrukit.programme.returns import (
    Field,
    ReturnRejected,
    fields_of,
    latest_template,
    submit_table,
)
from vrukit.web.portal.lang import portal_lang, t
from vrukit.web.portal.offload import submit_training
from vrukit.web.portal.web import (
    SUBMITTERS,
    Csrf,
    Db,
    Me,
    MeUploading,
    Posted,
    UploadDb,
    intervention,
    need_role,
    render,
    submitting_for,
    upload_name,
    whole_number,
)

__all__ = ["router"]

router = APIRouter()
#: Blank rows the form offers at first, and the most it will take.
FORM_ROWS, MAX_ROWS = 5, 200


def _form(
    request: Request, iv: Intervention, fields: list[Field], cells: list[dict[str, str]],
    period: str, status: int = 200, **context: object,
) -> HTMLResponse:  # fmt: skip
    return render(request, "return_form.html", status, user=context.pop("user"), iv=iv,
                  fields=fields, cells=cells, period=period, **context)  # fmt: skip


@router.get("/interventions/{iid}/returns/new", response_class=HTMLResponse)
def return_form(
    request: Request, s: Db, me: Me, iid: int, period: str = "", rows: int = FORM_ROWS
) -> HTMLResponse:
    iv = intervention(s, me, iid)
    need_role(me, SUBMITTERS, t("submit returns"))
    fields = fields_of(latest_template(s, iv).fields)
    blank = [
        dict.fromkeys((f.name for f in fields), "") for _ in range(max(1, min(rows, MAX_ROWS)))
    ]
    return _form(request, iv, fields, blank, period, user=me)


@router.post("/interventions/{iid}/returns/form", dependencies=[Csrf])
def submit_form(request: Request, s: Db, me: Me, iid: int, form: Posted) -> Response:
    iv = intervention(s, me, iid)
    need_role(me, SUBMITTERS, t("submit returns"))
    fields = fields_of(latest_template(s, iv).fields)
    period = str(form.get("period", "")).strip()
    rows = str(form.get("rows", ""))
    n = min(whole_number(rows) or 0, MAX_ROWS)
    cells = [{f.name: str(form.get(f"r{k}.{f.name}", "")).strip() for f in fields}
             for k in range(n)]  # fmt: skip
    if form.get("more"):  # "add rows" keeps what was typed and offers five more
        cells += [dict.fromkeys((f.name for f in fields), "") for _ in range(FORM_ROWS)]
        return _form(request, iv, fields, cells[:MAX_ROWS], period, user=me)
    filled = [c for c in cells if any(c.values())]
    raw = pd.DataFrame(filled, columns=[f.name for f in fields], dtype=str)
    try:
        with s.begin_nested():
            sub = submit_table(s, iv, period, raw, 1, organisation_id=submitting_for(me, iv),
                               submitted_by=me.id)  # fmt: skip
    except ReturnRejected as e:
        return _form(request, iv, fields, filled or cells, period, 422, user=me,
                     problems=e.problems)  # fmt: skip
    audit(s, me, "submit", "return_submission", str(sub.id), None,
          {"intervention": iv.name, "period": sub.period, "rows": len(sub.rows),
           "source": "form", "supersedes": sub.supersedes_id})  # fmt: skip
    return RedirectResponse(f"/returns/{sub.id}", status_code=303)


@router.post("/interventions/{iid}/training", dependencies=[Csrf])
def training_upload(
    request: Request, s: UploadDb, me: MeUploading, iid: int, file: UploadFile
) -> Response:
    """Training records as CSV or XLSX, read, checked and added in the helper process that
    checks returns (``offload``), within the deployment's row and size limits."""
    iv = intervention(s, me, iid)
    need_role(me, SUBMITTERS, t("add training records"))
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise HTTPException(422, t("upload training records as CSV or XLSX"))
    name = upload_name(file.filename, suffix)
    g = request.app.state.guard
    limits = {"max_rows": g.return_max_rows, "max_inflated": g.xlsx_max_inflated_bytes}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1024 * 1024)
        done = submit_training(request.app.state.store_url, iv, path, name, limits,
                               submitting_for(me, iv), me.id)  # fmt: skip
    if done.problems is not None:
        return render(request, "problems.html", 422, user=me, iv=iv, problems=done.problems,
                      file=name, what=t("Training records"))  # fmt: skip
    lang = portal_lang(request)
    message = lang.ngettext(
        "%(num)s participant added from %(file)s (%(rows)s rows; participants already "
        "recorded were left as they were).",
        "%(num)s participants added from %(file)s (%(rows)s rows; participants already "
        "recorded were left as they were).",
        done.added, num=lang.num(done.added), file=name, rows=lang.num(done.rows),
    )  # fmt: skip
    return render(request, "done.html", user=me, iv=iv, message=message)

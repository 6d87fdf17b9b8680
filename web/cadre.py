"""The cadre's desk: the workbench for one applicant (/cadre), a shared estimate reopened from its
link (/cadre/case), the applicant's sheet as PDF (/cadre/sheet.pdf), the roster (/cadre/batch …)
and a household's year (/cadre/household). Nothing a cadre enters is stored on the server: a
roster lives for the request, a share link carries the case's fields, the 台账 stays in the browser.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

import engine
from engine.vocabulary import FACTS

from . import batch, household, labels, share, sheet
from .cases import YTD, read_case
from .rendering import render, render_error
from .render import estimate_view

router = APIRouter(include_in_schema=False)

FORM_FIELDS = ("region", "care", "self_pay", "date", *YTD, *FACTS)  # the facts common.yaml declares
# what stays for 下一位: the cadre's region and usual choices, never the applicant's amounts
KEEP_FOR_NEXT = ("region", "care", "date", "where", "hospital_level")
PAGE_SIZE = 50
MAX_SHEETS = 1000           # pages in one PDF request (about 20 s of work); more: upload in parts


def _form_options() -> dict:
    return {
        "regions": labels.region_options(), "identities": labels.identity_options(),
        "cares": labels.care_options(), "wheres": labels.where_options(), "kinds": labels.kind_options(),
        "veterans": labels.veteran_options(),
    }


def _next_link(values: dict) -> str:
    kept = {k: values[k] for k in KEEP_FOR_NEXT if values.get(k)}
    return "/cadre" + ("?" + urlencode(kept) if kept else "")


def _page(request: Request, values: dict, chosen: list[str], identity_text: str = "", errors=(), result=None,
          readings=(), case: dict | None = None, status: int = 200) -> HTMLResponse:
    error_fields = {e["field"].split(".")[-1] if e["field"].startswith("facts.") else e["field"] for e in errors}
    error_fields |= {"ytd_" + e["field"].split(".")[-1] for e in errors if e["field"].startswith("year_to_date.")}
    links = None
    if case is not None and result is not None:
        base = str(request.base_url).rstrip("/")
        links = {"case": share.case_path(case), "sheet": share.sheet_path(case)}
        links["qr"] = share.qr_svg(base + links["case"])
        links["full"] = base + links["case"]
    return render(request, "cadre.html", status=status, active="cadre", title="干部工作台", values=values,
                  chosen=chosen, identity_text=identity_text, errors=list(errors), error_fields=error_fields,
                  result=result, readings=list(readings), links=links, next_link=_next_link(values),
                  **_form_options())


@router.get("/cadre", response_class=HTMLResponse)
def cadre_page(request: Request):
    values = {name: "" for name in FORM_FIELDS}
    values["date"] = dt.date.today().isoformat()
    for name in KEEP_FOR_NEXT:  # 下一位 carries these in its link
        given = str(request.query_params.get(name) or "").strip()[:40]
        if given:
            values[name] = given
    return _page(request, values, [])


def _estimate(values: dict, chosen: list[str], identity_text: str, date_said: str | None = None):
    """(case, estimate view, errors, readings) for the form's fields (date_said: a share link's care
    date as said, when the day was not)."""
    identities = chosen + ([identity_text] if identity_text else [])
    case, errors, readings = read_case({**values, "identities": identities})
    result = None
    if not errors:
        try:
            checked = engine.parse_case(case)
            result = estimate_view(engine.estimate(checked), checked, date_said)
        except engine.CaseError as exc:
            errors = exc.errors
    return case, result, errors, readings


@router.post("/cadre", response_class=HTMLResponse)
async def cadre_submit(request: Request):
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:100] for name in FORM_FIELDS}
    chosen = [str(v) for v in form.getlist("identities")][:20]
    identity_text = str(form.get("identity_text") or "").strip()[:100]
    case, result, errors, readings = _estimate(values, chosen, identity_text)
    return _page(request, values, chosen, identity_text, errors, result, readings, case,
                 status=422 if errors else 200)


def _values_of(case: dict) -> tuple[dict, list[str]]:
    """A case (from a share link) back into the form's fields."""
    values = {name: "" for name in FORM_FIELDS}
    for name in ("region", "care", "self_pay", "date"):
        values[name] = str(case.get(name) or "")
    for key, value in (case.get("year_to_date") or {}).items():
        values["ytd_" + key] = str(value)
    for key, value in (case.get("facts") or {}).items():
        if key in values:
            values[key] = ("是" if value else "否") if isinstance(value, bool) else str(value)
    identities = case.get("identities") or []
    return values, [str(i) for i in identities] if isinstance(identities, list) else []


def _shared(c: str):
    try:
        case = share.decode_case(c)
    except share.ShareError as exc:
        return None, str(exc)
    return case, None


@router.get("/cadre/case", response_class=HTMLResponse)
def shared_case(request: Request, c: str = ""):
    """A share link or a roster row's 详情: the same estimate again, from the case's fields only."""
    case, problem = _shared(c)
    if case is None:
        return render_error(request, 400, problem)
    fields, said = share.split_said(case)  # the links below keep the date as said
    values, chosen = _values_of(fields)
    _, result, errors, readings = _estimate(values, chosen, "", said)
    return _page(request, values, chosen, "", errors, result, readings, case, status=422 if errors else 200)


@router.get("/cadre/sheet.pdf")
def sheet_pdf(request: Request, c: str = ""):
    """One applicant's sheet as PDF — what the chat's 打印版 links to (with the chat's case as `c`)."""
    case, problem = _shared(c)
    if case is None:
        return render_error(request, 400, problem)
    said_case, said = share.split_said(case)
    try:
        checked = engine.parse_case(said_case)
    except engine.CaseError as exc:
        return render_error(request, 422, "；".join(f"{e['field_zh']}{e['message_zh']}" for e in exc.errors))
    try:
        pdf = sheet.new_document()
    except sheet.SheetError as exc:
        return render_error(request, 503, str(exc))
    link = str(request.base_url).rstrip("/") + share.case_path(case)
    sheet.add_sheet(pdf, estimate_view(engine.estimate(checked), checked, said), link)
    return _download(sheet.to_bytes(pdf), "application/pdf", "sheet", "pdf", inline=True)


def _download(data: bytes, media: str, stem: str, ext: str, inline: bool = False) -> Response:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    how = "inline" if inline else "attachment"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f"{how}; filename=\"{stem}-{stamp}.{ext}\""})


# ------------------------------------------------------------------------------------------ roster

@router.get("/cadre/batch", response_class=HTMLResponse)
def batch_page(request: Request):
    return _batch_page(request, None, None)


def _batch_page(request: Request, report, error: str | None, status: int = 200):
    rows, roster_text, lines = [], "", ""
    if report is not None:
        rows = [(row, share.case_path(row.case) if row.case else None) for row in report.rows]
        roster_text, lines = report.input_csv(), report.line_numbers()
    return render(request, "batch.html", status=status, active="batch", title="批量估算", report=report, rows=rows,
                  roster=roster_text, lines=lines, error=error, headers=batch.TEMPLATE_HEADERS, groups=batch.GROUP_TEXT,
                  page_size=PAGE_SIZE)


@router.get("/cadre/batch/template.csv")
def batch_template():
    return Response(batch.template_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=\"roster-template.csv\"; "
                                                    "filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.csv"})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/cadre/batch/template.xlsx")
def batch_template_xlsx():
    return Response(batch.template_xlsx(), media_type=XLSX,
                    headers={"Content-Disposition": "attachment; filename=\"roster-template.xlsx\"; "
                                                    "filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx"})


async def _report(request: Request):
    """(report, form, error): the uploaded file, or the roster text the result page sends back."""
    form = await request.form()
    limit = request.app.state.jz.settings.max_rows
    upload = form.get("file")
    try:
        if upload is not None and hasattr(upload, "read") and upload.size:
            return batch.run_file(upload.file, upload.filename or "", max_rows=limit), form, None
        text = form.get("roster")
        if isinstance(text, str) and text.strip():
            numbers = batch.parse_numbers(str(form.get("lines") or ""), limit)
            return batch.run_batch(text, max_rows=limit, numbers=numbers), form, None
    except batch.RosterError as exc:
        return None, form, str(exc)
    return None, form, "请先选择一个Excel（.xlsx）或CSV文件。"


@router.post("/cadre/batch", response_class=HTMLResponse)
async def batch_submit(request: Request):
    report, _, error = await _report(request)
    return _batch_page(request, report, error, status=422 if error else 200)


@router.post("/cadre/batch/download")
async def batch_download(request: Request):
    report, form, error = await _report(request)
    if report is None:
        raise HTTPException(422, error)
    if str(form.get("format") or "") == "xlsx":
        return _download(report.xlsx_bytes(), XLSX, "results", "xlsx")
    return _download(report.csv_bytes(), "text/csv; charset=utf-8", "results", "csv")


@router.post("/cadre/batch/sheets.pdf")
async def batch_sheets(request: Request):
    """One A4 page per roster row (a refused row's page says why), in roster order."""
    report, _, error = await _report(request)
    if report is None:
        raise HTTPException(422, error)
    if len(report.rows) > MAX_SHEETS:
        raise HTTPException(422, f"一次最多打印{MAX_SHEETS}人，请把花名册分开上传。")
    try:
        pdf = sheet.new_document()
    except sheet.SheetError as exc:
        raise HTTPException(503, str(exc)) from None
    base = str(request.base_url).rstrip("/")
    for row in report.rows:
        if row.ok:
            checked = engine.parse_case(row.case)
            sheet.add_sheet(pdf, estimate_view(engine.estimate(checked), checked), base + share.case_path(row.case))
        else:
            sheet.refused_page(pdf, row.number, row.error)
    return _download(sheet.to_bytes(pdf), "application/pdf", "sheets", "pdf")


# ------------------------------------------------------------------------------------------ household

@router.get("/cadre/household", response_class=HTMLResponse)
def household_page(request: Request):
    return render(request, "household.html", active="cadre", title="家庭年度台账", **_form_options())


@router.post("/cadre/household")
async def household_year(request: Request):
    """The year's bills in order → each estimated with the earlier ones filled in (JSON in, JSON out).
    Nothing is kept: the browser holds the 台账 (localStorage) and sends it each time."""
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"detail": {"message_zh": "请求不是JSON。", "errors": []}}, status_code=422)
    try:
        return household.year(body)
    except household.HouseholdError as exc:
        return JSONResponse({"detail": {"message_zh": str(exc), "errors": exc.errors}}, status_code=422)




"""The applicant's sheet as PDF: one A4 page per applicant, CJK font embedded, body ≥ 12 pt.

fpdf2 is used because it embeds (and subsets) OpenType/CFF fonts such as Debian's
fonts-noto-cjk, which ReportLab cannot embed (it needs TrueType outlines); it is pure Python,
and 100 pages take about two seconds. The content is the workbench's own view of the Estimate
(`render.estimate_view`), so the printed page, the chat's 打印版 and the bulk PDF say the same:
the amount (large), the calculation with its clauses, the documents as a checklist, where to
apply, a QR code of the share link, and blanks for 申请人签字 / 经办人 / 日期.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

import engine

from . import share, whatif
from .render import money
from .sheetstyle import BODY, LINE, SIGN_SPACE, SheetError  # noqa: F401  (SheetError: web.sheet.SheetError)

if TYPE_CHECKING:
    from .sheetpdf import Sheets

def _head(pdf: Sheets, view: dict, link: str | None) -> None:
    if link:
        pdf.image(io.BytesIO(share.qr_png(link)), x=pdf.w - pdf.r_margin - 30, y=12, w=30, h=30)
        pdf.set_font("cjk", "", 9)
        pdf.set_xy(pdf.w - pdf.r_margin - 34, 42)
        pdf.cell(38, 4, "扫码可再次打开这份估算", align="C")
        pdf.set_xy(pdf.l_margin, 14)
    width = pdf.epw - (36 if link else 0)
    pdf.set_font("cjk", "", 20)
    pdf.cell(width, 10, "医疗救助估算单", new_x="LMARGIN", new_y="NEXT")
    for text in filter(None, [f"{view['region_full']} · {view['category']} · 结算方式：{view['settlement']}",
                              view.get("inputs")]):
        for line in pdf.wrap(text, width, BODY):
            pdf.cell(width, LINE, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if link:
        pdf.set_y(max(pdf.get_y(), 49))   # below the QR code and its caption


def _amount(pdf: Sheets, view: dict) -> None:
    top = pdf.get_y()
    pdf.set_x(pdf.l_margin + 3)
    pdf.set_font("cjk", "", 14)
    pdf.cell(0, 8, view["status_text"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(pdf.l_margin + 3)
    pdf.set_font("cjk", "", 28)
    pdf.cell(0, 14, view["amount"], new_x="LMARGIN", new_y="NEXT")
    pdf.text_block(f"救助后个人还需自付：{view['self_pay_after']}", indent=3)
    for line in filter(None, [view.get("reason"), "还需要知道：" + "、".join(view["missing"]) if view["missing"] else "",
                              view.get("if_known")]):
        pdf.text_block(line, indent=3)
    pdf.set_draw_color(60, 60, 60)
    pdf.rect(pdf.l_margin, top - 1, pdf.epw, pdf.get_y() - top + 3)
    pdf.ln(5)


def _section(pdf: Sheets, title: str, lines: list[str], bullet: str = "") -> bool:
    """Draws the section when it fits on the page; False (and nothing drawn) when it does not."""
    need = 9 + sum(pdf.height(bullet + line, indent=4) for line in lines)
    if not lines or need > pdf.room():
        return False
    pdf.set_font("cjk", "", 14)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    for line in lines:
        pdf.text_block(bullet + line, indent=4)
    pdf.ln(1.5)
    return True


def _trace_lines(view: dict) -> list[str]:
    return [f"{i}. {text}" + (f"（依据：{clause}）" if clause else "") for i, (text, clause) in enumerate(view["trace"], 1)]


def _parts_settled_apart(view: dict) -> list[str]:
    """Parts settled differently from the answer (contract: `parts[].settlement`, e.g. 乌鲁木齐's
    倾斜救助 by application) — read from the Estimate, absent on an engine without the field."""
    est = view["est"]
    common = engine.load_policies().common
    lines = []
    for part in est.parts:
        settled = getattr(part, "settlement", None)
        if settled and settled != est.settlement and part.amount:
            kind = common.part_kinds.get(part.kind, part.kind)
            lines.append(f"{kind}{money(part.amount)}：{common.settlement.get(settled, settled)}")
    return lines


def _signatures(pdf: Sheets, view: dict) -> None:
    pdf.set_y(pdf.h - SIGN_SPACE + 4)
    pdf.set_font("cjk", "", 13)
    pdf.cell(0, 10, "申请人签字：____________   经办人：____________   日期：_____年___月___日",
             new_x="LMARGIN", new_y="NEXT")
    ref = view["policy"]
    doc = f"政策依据：{ref.title}" + (f"（{ref.doc_no}）" if ref.doc_no else "")
    pdf.text_block(doc + "。" + view["disclaimer"], size=10, h=4.6)


def add_sheet(pdf: Sheets, view: dict, link: str | None = None) -> None:
    """One page for one applicant. What does not fit on the page is left off, least needed first."""
    pdf.add_page()
    _head(pdf, view, link)
    _amount(pdf, view)
    trace = _trace_lines(view)
    if not _section(pdf, "怎么算的", trace):
        # a very long calculation: keep its steps and clauses, only shorten each to the room left
        _section(pdf, "怎么算的", [t if len(t) < 120 else t[:118] + "…" for t in trace])
    _section(pdf, "其他可选类别", whatif.alternatives(view["est"]), bullet="· ")
    _section(pdf, "另行办理", _parts_settled_apart(view), bullet="· ")
    _section(pdf, "要带的材料（备齐后打勾）", view["documents"], bullet="□ ")
    _section(pdf, "到哪里办", view["where_to_apply"], bullet="· ")
    _section(pdf, "说明", view["notes"][:4], bullet="· ")
    _signatures(pdf, view)


def refused_page(pdf: Sheets, number: int, error: str) -> None:
    """A roster row that could not be estimated still gets its page, saying why."""
    pdf.add_page()
    pdf.set_font("cjk", "", 20)
    pdf.cell(0, 12, "医疗救助估算单（未能估算）", new_x="LMARGIN", new_y="NEXT")
    pdf.text_block(f"花名册第{number}行没有估算：{error}")
    pdf.text_block("请改正这一行后重新上传。")


def new_document() -> Sheets:
    from .sheetpdf import Sheets  # fpdf2 is loaded on the first sheet, not at start-up (see sheetpdf)

    return Sheets()


def to_bytes(pdf: Sheets) -> bytes:
    return bytes(pdf.output())

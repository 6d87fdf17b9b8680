"""A cadre's roster (CSV or .xlsx, Chinese headers) → one result per row, on the page, as CSV or as .xlsx.

    jiuzhu batch 花名册.xlsx -o 结果.xlsx      (or .csv; the format follows each file's extension)

Input: what Excel saves in China — .xlsx, or CSV in UTF-8 (with or without BOM), GB18030/GBK or
UTF-16; comma, tab or semicolon separated. Headers in Chinese (序号,姓名,地区,身份,就医类型,自付金额 …)
or the contract's field names. Cells are read the way the chat reads them (两万, 地保户, 紫阳县).
Output: every input column, then the results. Every input person is a row of the output: a row
that cannot be estimated keeps its line number and says why in 错误. Rows in and rows out are
counted and said. Rows are read, estimated and written one at a time (bounded memory).
"""
from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Iterable, Iterator

import engine
from engine.money import yuan

from . import roster, rostertemplate, whatif
from .cases import read_case
from .render import STATUS_TEXT
from .roster import Record, RosterError

TEMPLATE_HEADERS = ["序号", "姓名", "地区", "身份", "就医类型", "自付金额", "就医日期", "本年已自付", "本年已获救助",
                    "本年已获倾斜救助", "就医地点", "是否转诊备案", "残疾等级", "残疾类别", "年龄", "医院等级",
                    "本次住院总费用", "是否特殊疾病", "家庭上年收入"]
TEMPLATE_ROWS = [
    ["1", "张三", "广西", "低保", "住院", "20000", "2024-06-01", "", "", "", "本地", "", "", "", "", "", "", "", ""],
    ["2", "李四", "黔江", "特困人员", "住院", "35000", "2024-06-01", "", "", "", "", "", "", "", "", "3", "50000", "否", ""],
    ["3", "王五", "安康", "低保边缘、重度残疾人", "门诊慢特病", "8000", "2024-06-01", "3000", "", "", "", "", "2", "肢体",
     "", "", "", "", ""],
]




def template_csv() -> bytes:
    return rostertemplate.template_csv(TEMPLATE_HEADERS, TEMPLATE_ROWS)


def template_xlsx() -> bytes:
    return rostertemplate.template_xlsx(TEMPLATE_HEADERS, TEMPLATE_ROWS)


# header (as people write it) → canonical field
HEADER_MAP = {
    "地区": "region", "所在地区": "region", "区域": "region", "region": "region", "县区": "region", "参保地": "region",
    "身份": "identities", "救助身份": "identities", "身份类别": "identities", "人员类别": "identities",
    "identities": "identities", "identity": "identities",
    "就医类型": "care", "类型": "care", "就诊类型": "care", "care": "care",
    "自付金额": "self_pay", "政策范围内个人自付": "self_pay", "个人自付": "self_pay", "自付": "self_pay",
    "本次自付": "self_pay", "self_pay": "self_pay",
    "就医日期": "date", "日期": "date", "结算日期": "date", "出院日期": "date", "date": "date",
    "本年已自付": "ytd_self_pay", "今年已自付": "ytd_self_pay", "year_to_date.self_pay": "ytd_self_pay",
    "本年已获救助": "ytd_aid", "今年已获救助": "ytd_aid", "year_to_date.aid": "ytd_aid",
    "本年已获倾斜救助": "ytd_tilt_aid", "今年已获倾斜救助": "ytd_tilt_aid", "year_to_date.tilt_aid": "ytd_tilt_aid",
    "就医地点": "where", "就医地": "where", "where": "where",
    "是否转诊备案": "referred", "是否转诊": "referred", "转诊备案": "referred", "referred": "referred",
    "残疾等级": "disability_grade", "disability_grade": "disability_grade",
    "残疾类别": "disability_kind", "disability_kind": "disability_kind",
    "年龄": "age", "age": "age",
    "医院等级": "hospital_level", "hospital_level": "hospital_level",
    "本次住院总费用": "stay_policy_total", "住院总费用": "stay_policy_total", "stay_policy_total": "stay_policy_total",
    "是否特殊疾病": "special_disease", "特殊疾病": "special_disease", "special_disease": "special_disease",
    "家庭上年收入": "family_income", "家庭收入": "family_income", "family_income": "family_income",
    "家庭人口": "family_size", "family_size": "family_size",
    "优抚对象类别": "veteran_kind", "veteran_kind": "veteran_kind",
    "居民医保档次": "insurance_tier", "insurance_tier": "insurance_tier",
    "个人缴费金额": "contribution", "contribution": "contribution",
}
REQUIRED = ("region", "care", "self_pay")
RESULT_HEADERS = ["估算状态", "救助类别", "估算救助金额（元）", "救助后自付（元）", "结算方式", "金额说明",
                  "为0或不符合的原因", "需补充（补充后可能的变化）", "其他可选类别", "怎么读的", "错误"]
# the page's four groups: 算好 / 需补充 / 不符合 / 有误
GROUPS = {"paid": "ok", "zero": "ok", "undecided": "need", "not_eligible": "no"}
GROUP_TEXT = {"ok": "算好", "need": "需补充", "no": "不符合", "bad": "有误"}


class BatchError(RosterError):
    """The whole file cannot be read (not a table, no header, too many rows)."""


@dataclass
class Row:
    number: int                 # the row as Excel shows it (the header is row 1)
    cells: list[str]
    ok: bool = False
    status: str = ""
    status_code: str = ""
    category: str = ""
    assistance: Decimal | None = None
    self_pay_after: Decimal | None = None
    settlement: str = ""
    amount_text: str = ""
    reason: str = ""
    needed: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    readings: list[str] = field(default_factory=list)
    error: str = ""
    raw: str = ""
    case: dict | None = None    # the case fields (no names): for the row's link to its explanation

    @property
    def missing(self) -> str:
        return "；".join(self.needed)

    @property
    def group(self) -> str:
        return GROUPS.get(self.status_code, "ok") if self.ok else "bad"

    def result_cells(self) -> list[str]:
        if not self.ok:
            return [""] * (len(RESULT_HEADERS) - 2) + ["；".join(self.readings), self.error]
        return [self.status, self.category, _num(self.assistance), _num(self.self_pay_after), self.settlement,
                self.amount_text, self.reason, self.missing, "；".join(self.alternatives),
                "；".join(self.readings), ""]


@dataclass
class Tally:
    rows_in: int = 0            # data rows read (blank lines not counted)
    blank: int = 0
    good: int = 0
    bad: int = 0
    total: Decimal = Decimal(0)
    groups: dict = field(default_factory=lambda: {k: 0 for k in GROUP_TEXT})

    @property
    def rows_out(self) -> int:
        return self.good + self.bad

    def add(self, row: Row) -> None:
        self.groups[row.group] += 1
        if row.ok:
            self.good += 1
            self.total += row.assistance or Decimal(0)
        else:
            self.bad += 1

    def summary(self) -> str:
        blank = f"（另有{self.blank}个空行，已跳过）" if self.blank else ""
        parts = "，".join(f"{v}行{GROUP_TEXT[k]}" for k, v in self.groups.items())
        return (f"读入{self.rows_in}行{blank}，写出{self.rows_out}行：{parts}。"
                f"合计估算救助{yuan(self.total)}。")


@dataclass
class Report:
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)

    @property
    def good(self) -> int:
        return self.tally.good

    @property
    def bad(self) -> int:
        return self.tally.bad

    @property
    def total(self) -> Decimal:
        return self.tally.total

    def csv_bytes(self) -> bytes:
        out = io.BytesIO()
        write(self.headers, iter(self.rows), out, "csv")
        return out.getvalue()

    def csv_text(self) -> str:
        return self.csv_bytes().decode("utf-8-sig")

    def input_csv(self) -> str:
        """The roster as read, as CSV text, for the result page to send back for a download (with
        `line_numbers()`, so every row keeps the line number of the uploaded file, xlsx or CSV).
        A refused line is sent as it was, so it is refused again the same way."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.headers)
        for row in self.rows:
            if row.raw:
                out.write(row.raw + "\n")
            else:
                writer.writerow(row.cells)
        return out.getvalue()

    def line_numbers(self) -> str:
        return ",".join(str(row.number) for row in self.rows)

    def xlsx_bytes(self) -> bytes:
        out = io.BytesIO()
        write(self.headers, iter(self.rows), out, "xlsx")
        return out.getvalue()


def _num(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.quantize(Decimal("0.01")), "f")


def _canonical(header: str) -> str | None:
    key = header.strip().lstrip("\ufeff").replace(" ", "")
    key = key.split("（")[0].split("(")[0] if key not in HEADER_MAP else key
    return HEADER_MAP.get(key) or HEADER_MAP.get(key.lower())


def check_headers(headers: list[str]) -> list[str | None]:
    fields = [_canonical(h) for h in headers]
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        zh = {"region": "地区", "care": "就医类型", "self_pay": "自付金额"}
        raise BatchError("表头缺少：" + "、".join(zh[m] for m in missing) + "。第一行应是表头，请下载模板对照填写。")
    return fields


def estimate_record(record: Record, fields: list[str | None], common) -> Row:
    row = Row(number=record.line, cells=record.cells, raw=record.raw)
    if record.problem:
        row.error = f"第{record.line}行：{record.problem}"
        return row
    values = {name: cell for name, cell in zip(fields, record.cells) if name and cell}
    case, errors, row.readings = read_case(values)
    est = None
    if not errors:
        try:
            est = engine.estimate(case)
        except engine.CaseError as exc:
            errors = exc.errors
    if errors:
        row.error = f"第{record.line}行：" + "；".join(f"{e['field_zh']}{e['message_zh']}" for e in errors)
        return row
    row.ok, row.case = True, case
    row.status_code = est.status
    row.status = STATUS_TEXT.get(est.status, est.status)
    row.category = est.category.name if est.category else "无救助类别"
    row.assistance = Decimal(est.assistance)
    row.self_pay_after = Decimal(est.self_pay_after)
    row.settlement = common.settlement.get(est.settlement, est.settlement)
    row.amount_text = yuan(Decimal(est.assistance))
    if est.status in ("not_eligible", "zero") and est.reason:
        row.reason = est.reason
    # with no identity at all no fact can open a category: nothing to probe
    if (est.status != "paid" or est.missing_facts) and (case.get("identities") or est.status != "not_eligible"):
        row.needed = whatif.needed(case, est)
    elif est.assumed:  # paid on an assumption the cadre can check (残疾等级 …): what else it would be
        row.needed = whatif.assumed(case, est)
    if est.if_known and est.if_known not in row.needed:
        row.needed.append(est.if_known)
    row.alternatives = whatif.alternatives(est)
    return row


def process(headers: list[str], records: Iterable[Record], tally: Tally, max_rows: int) -> Iterator[Row]:
    """Estimated rows in input order, one at a time; `tally` counts as they go."""
    fields = check_headers(headers)
    common = engine.load_policies().common
    for record in records:
        if not record.problem and not any(c.strip() for c in record.cells):
            tally.blank += 1
            continue
        if tally.rows_in >= max_rows:
            raise BatchError(f"一次最多{max_rows}行，请分几次上传。")
        tally.rows_in += 1
        row = estimate_record(record, fields, common)
        tally.add(row)
        yield row


def open_roster(raw: IO[bytes], filename: str = "") -> tuple[list[str], Iterator[Record], object]:
    """(headers, records, closer or None) for an open binary file of either kind."""
    head = raw.read(8)
    raw.seek(0)
    if roster.kind_of(filename, head) == "xlsx":
        return roster.read_xlsx(raw)
    headers, records = roster.read_csv(raw)
    return headers, records, None


def run_file(raw: IO[bytes], filename: str = "", max_rows: int = 5000, numbers: list[int] | None = None) -> Report:
    """The whole roster as a Report (the page shows every row). BatchError/RosterError for the file.
    `numbers`: the line numbers of the file the rows first came from (a re-sent roster)."""
    headers, records, book = open_roster(raw, filename)
    try:
        report = Report(headers=headers)
        report.rows = list(process(headers, _renumber(records, numbers), report.tally, max_rows))
    finally:
        if book is not None:
            book.close()
    if not report.rows:
        raise BatchError("表里没有数据行。")
    return report


def run_batch(text: str, max_rows: int = 5000, numbers: list[int] | None = None) -> Report:
    """A roster given as text (pasted, or re-sent by the result page's download button)."""
    if not text.strip():
        raise BatchError("文件是空的。")
    return run_file(io.BytesIO(text.lstrip("\ufeff").encode("utf-8")), "roster.csv", max_rows, numbers)


def _renumber(records: Iterator[Record], numbers: list[int] | None) -> Iterator[Record]:
    if not numbers:
        yield from records
        return
    for i, record in enumerate(records):
        if i < len(numbers):
            record.line = numbers[i]
        yield record


def parse_numbers(text: str, limit: int) -> list[int] | None:
    """The result page's hidden list of line numbers; None when it is not one (then lines count anew)."""
    parts = str(text or "").split(",")
    if not text or len(parts) > limit or not all(p.isdigit() and len(p) < 9 for p in parts):
        return None
    return [int(p) for p in parts]


def decode_roster(raw: bytes) -> str:
    """Bytes of a CSV as text, in whatever encoding Excel saved it (kept for callers of the old API)."""
    headers, records = roster.read_csv(io.BytesIO(raw))
    out = io.BytesIO()
    writer = roster.CsvWriter(out)
    writer.row(headers)
    for record in records:
        writer.row(record.cells)
    writer.close()
    return out.getvalue().decode("utf-8-sig")


def write(headers: list[str], rows: Iterator[Row], out: IO[bytes], kind: str) -> None:
    """Input columns then the results, row by row, to a CSV or an .xlsx."""
    width = len(headers)
    if kind == "xlsx":
        writer = roster.XlsxWriter(out, widths=[10] * width + [12, 18, 14, 14, 14, 24, 36, 40, 30, 24, 30])
    else:
        writer = roster.CsvWriter(out)
    writer.row(["行号"] + headers + RESULT_HEADERS)
    for row in rows:
        cells = (row.cells + [""] * width)[:width]
        writer.row([row.number] + cells + row.result_cells())
    writer.close()


def run_batch_cli(input_path: str, output_path: str) -> int:
    """`jiuzhu batch IN -o OUT` (.csv or .xlsx each); `-` reads stdin / writes stdout as CSV.
    Exit 1 if any row was refused, 2 if the file could not be read at all."""
    try:
        raw = io.BytesIO(sys.stdin.buffer.read()) if input_path == "-" else open(input_path, "rb")
    except OSError as exc:
        sys.stderr.write(f"读不到文件：{input_path}（{exc.strerror}）\n")
        return 2
    kind = "xlsx" if output_path.lower().endswith(".xlsx") else "csv"
    tally = Tally()
    refused: list[str] = []
    try:
        with raw:
            headers, records, book = open_roster(raw, input_path)
            rows = _note_refused(process(headers, records, tally, max_rows=10_000_000), refused)
            if output_path == "-":
                write(headers, rows, sys.stdout.buffer, kind)
                sys.stdout.flush()
            else:
                _write_file(headers, rows, Path(output_path), kind)
            if book is not None:
                book.close()
    except RosterError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"写不了文件：{output_path}（{exc.strerror}）\n")
        return 2
    if not tally.rows_in:
        sys.stderr.write("表里没有数据行。\n")
        return 2
    sys.stderr.write(tally.summary() + "\n")
    for line in refused:
        sys.stderr.write(line + "\n")
    return 1 if tally.bad else 0


def _note_refused(rows: Iterator[Row], refused: list[str]) -> Iterator[Row]:
    for row in rows:
        if not row.ok:
            refused.append(row.error)
        yield row


def _write_file(headers: list[str], rows: Iterator[Row], path: Path, kind: str) -> None:
    """Written beside the target and renamed at the end: a failed run leaves no half-written file."""
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as out:
            write(headers, rows, out, kind)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)

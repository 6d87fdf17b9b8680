"""A cadre's roster (CSV, Chinese headers) → one result per row, as a table and as a CSV for Excel.

    jiuzhu batch 花名册.csv -o 结果.csv

Input: UTF-8 (with or without BOM) or GB18030/GBK (what Excel saves in China); comma, tab or
semicolon separated. Headers in Chinese (序号,姓名,地区,身份,就医类型,自付金额 …) or the contract's
field names. Identities are separated by 、 or ; and may be Chinese words or codes.
Output: every input column, then the results; UTF-8 with BOM and CRLF so Excel opens it directly.
A bad row gets its row number and the reason in 错误 and the other rows go on.
"""
from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import engine
from engine.money import yuan

from .cases import build_case
from .render import STATUS_TEXT

TEMPLATE_HEADERS = ["序号", "姓名", "地区", "身份", "就医类型", "自付金额", "就医日期", "本年已自付", "本年已获救助",
                    "本年已获倾斜救助", "就医地点", "是否转诊备案", "残疾等级", "残疾类别", "年龄", "医院等级",
                    "本次住院总费用", "是否特殊疾病", "家庭上年收入"]
TEMPLATE_ROWS = [
    ["1", "张三", "广西", "低保", "住院", "20000", "2024-06-01", "", "", "", "本地", "", "", "", "", "", "", "", ""],
    ["2", "李四", "黔江", "特困人员", "住院", "35000", "2024-06-01", "", "", "", "", "", "", "", "", "3", "50000", "否", ""],
    ["3", "王五", "安康", "低保边缘、重度残疾人", "门诊慢特病", "8000", "2024-06-01", "3000", "", "", "", "", "2", "肢体",
     "", "", "", "", ""],
]

# header (as people write it) → canonical field
HEADER_MAP = {
    "地区": "region", "所在地区": "region", "区域": "region", "region": "region",
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
RESULT_HEADERS = ["估算状态", "救助类别", "估算救助金额（元）", "救助后自付（元）", "结算方式", "金额说明", "需补充", "错误"]


class BatchError(ValueError):
    """The whole file cannot be read (not a CSV, no header, too many rows)."""


@dataclass
class Row:
    number: int                 # the row as Excel shows it (the header is row 1)
    cells: list[str]
    ok: bool = False
    status: str = ""
    category: str = ""
    assistance: Decimal | None = None
    self_pay_after: Decimal | None = None
    settlement: str = ""
    amount_text: str = ""
    missing: str = ""
    error: str = ""

    def result_cells(self) -> list[str]:
        if not self.ok:
            return ["", "", "", "", "", "", "", self.error]
        return [self.status, self.category, _num(self.assistance), _num(self.self_pay_after), self.settlement,
                self.amount_text, self.missing, ""]


@dataclass
class Report:
    headers: list[str]
    rows: list[Row] = field(default_factory=list)

    @property
    def good(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def bad(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    @property
    def total(self) -> Decimal:
        return sum((r.assistance or Decimal(0) for r in self.rows if r.ok), Decimal(0))

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([_safe(h) for h in self.headers] + RESULT_HEADERS)
        for row in self.rows:
            cells = (row.cells + [""] * len(self.headers))[: len(self.headers)]
            writer.writerow([_safe(c) for c in cells] + [_safe(c) for c in row.result_cells()])
        return out.getvalue()

    def csv_bytes(self) -> bytes:
        return ("\ufeff" + self.csv_text()).encode("utf-8")


def _num(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.quantize(Decimal("0.01")), "f")


def _safe(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    text = str(cell)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except Exception:
        return False


def decode_roster(raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise BatchError("这不是CSV文本文件。请在Excel里“另存为”CSV格式再上传。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BatchError("读不出文件的文字编码，请另存为“CSV UTF-8”格式再上传。")


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerows(TEMPLATE_ROWS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _dialect(text: str):
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";", "，")}
    delim = max(counts, key=counts.get)
    return delim if counts[delim] else ","


def _canonical(header: str) -> str | None:
    key = header.strip().lstrip("\ufeff").replace(" ", "")
    key = key.split("（")[0].split("(")[0] if key not in HEADER_MAP else key
    return HEADER_MAP.get(key) or HEADER_MAP.get(key.lower())


def run_batch(text: str, max_rows: int = 5000) -> Report:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise BatchError("文件是空的。")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    try:
        headers = next(reader)
    except (StopIteration, csv.Error):
        raise BatchError("读不出表头。第一行应是表头，例如：序号,姓名,地区,身份,就医类型,自付金额。") from None
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    fields = [_canonical(h) for h in headers]
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        zh = {"region": "地区", "care": "就医类型", "self_pay": "自付金额"}
        raise BatchError("表头缺少：" + "、".join(zh[m] for m in missing) + "。请下载模板对照填写。")
    report = Report(headers=headers)
    policies = engine.load_policies()
    common = policies.common
    number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            report.rows.append(Row(number=number, cells=[], error=f"第{number}行：格式有误（{exc}）"))
            continue
        number += 1
        if not any(c.strip() for c in cells):
            continue
        if len(report.rows) >= max_rows:
            raise BatchError(f"一次最多{max_rows}行，请分几次上传。")
        row = Row(number=number, cells=[c.strip() for c in cells])
        values: dict[str, str] = {}
        for name, cell in zip(fields, row.cells):
            if name and cell:
                values[name] = cell
        case, errors = build_case(values)
        est = None
        if not errors:
            try:
                est = engine.estimate(case)
            except engine.CaseError as exc:
                errors = exc.errors
        if errors:
            row.error = f"第{number}行：" + "；".join(f"{e['field_zh']}{e['message_zh']}" for e in errors)
        else:
            row.ok = True
            row.status = STATUS_TEXT.get(est.status, est.status)
            row.category = est.category.name if est.category else "无救助类别"
            row.assistance = Decimal(est.assistance)
            row.self_pay_after = Decimal(est.self_pay_after)
            row.settlement = common.settlement.get(est.settlement, est.settlement)
            row.amount_text = yuan(Decimal(est.assistance))
            if est.status == "undecided":
                row.missing = "、".join(engine.FACT_LABELS.get(f, f) for f in est.missing_facts)
                if est.if_known:
                    row.missing += "（" + est.if_known + "）" if row.missing else est.if_known
            elif est.reason and est.status in ("not_eligible", "zero"):
                row.amount_text += "；" + est.reason
        report.rows.append(row)
    if not report.rows:
        raise BatchError("表里没有数据行。")
    return report


def run_batch_cli(input_path: str, output_path: str) -> int:
    """`jiuzhu batch IN.csv -o OUT.csv`; `-` reads stdin / writes stdout. Exit 1 if any row was bad."""
    try:
        raw = sys.stdin.buffer.read() if input_path == "-" else Path(input_path).read_bytes()
    except OSError as exc:
        sys.stderr.write(f"读不到文件：{input_path}（{exc.strerror}）\n")
        return 2
    try:
        report = run_batch(decode_roster(raw), max_rows=1_000_000)
    except BatchError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    data = report.csv_bytes()
    if output_path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(output_path).write_bytes(data)
    sys.stderr.write(f"共{len(report.rows)}行：{report.good}行已估算，{report.bad}行有误。合计估算救助{yuan(report.total)}。\n")
    for row in report.rows:
        if not row.ok:
            sys.stderr.write(row.error + "\n")
    return 1 if report.bad else 0

"""The roster template a cadre downloads (headers and example rows from web/batch.py), and (in
the .xlsx) a second sheet saying what each column means and which values it accepts. The accepted
values are taken from the policy labels, so they never disagree with what the reader accepts."""
from __future__ import annotations

import io

from . import labels, roster

def _names(options) -> str:
    return "、".join(name.split("（")[0] for _, name in options)


def column_help() -> list[list[str]]:
    """[column, required?, what it means, accepted values] for every template column."""
    money = "数字，可写20000、2万、1.2万、两万"
    return [
        ["序号", "否", "您自己编的号，方便对照；结果表原样保留", "任意"],
        ["姓名", "否", "可不填；只留在您的表里，系统不保存", "任意，可留空或写编号"],
        ["地区", "是", "参保地", _names(labels.region_options()) + "；也可写县区名，如紫阳县、柳州"],
        ["身份", "否", "救助身份，多个用“、”分开；不填表示没有", _names(labels.identity_options()) + "；也认低保户、五保户等叫法"],
        ["就医类型", "是", "这次看病的类型", _names(labels.care_options())],
        ["自付金额", "是", "这次医保和大病保险报销后，政策范围内个人自付的钱（看结算单）", money],
        ["就医日期", "否", "出院或结算日期；不填按今天", "2024-06-01、2024/6/1、2024年6月1日"],
        ["本年已自付", "否", "今年这次以前的政策范围内个人自付合计", money],
        ["本年已获救助", "否", "今年这次以前已拿到的医疗救助合计", money],
        ["本年已获倾斜救助", "否", "今年这次以前已拿到的倾斜救助合计", money],
        ["就医地点", "否", "在哪里看的病；不填按本地", _names(labels.where_options()) + "；也可写本地、省内、省外"],
        ["是否转诊备案", "否", "在外地看病时是否办了转诊或异地备案", "是、否"],
        ["残疾等级", "否", "残疾证上的等级", "1、2、3、4（或一级、二级…）"],
        ["残疾类别", "否", "残疾证上的类别", _names(labels.kind_options())],
        ["年龄", "否", "周岁", "数字"],
        ["医院等级", "否", "看病医院的等级", "1、2、3（或一级、二级、三级）"],
        ["本次住院总费用", "否", "这次住院政策范围内的总费用（报销前）", money],
        ["是否特殊疾病", "否", "黔江：是否属于特殊疾病", "是、否"],
        ["家庭上年收入", "否", "家庭去年总收入（因病支出型困难家庭要用）", money],
    ]


def template_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.BytesIO()
    writer = roster.CsvWriter(out)
    writer.row(headers)
    for row in rows:
        writer.row(row)
    writer.close()
    return out.getvalue()


def template_xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.BytesIO()
    writer = roster.XlsxWriter(out, title="花名册", widths=[8, 10, 10, 22, 14, 12, 13] + [12] * 12)
    writer.row(headers)
    for row in rows:
        writer.row(row)
    writer.sheet("填写说明", [["列名", "必填", "填什么", "可以填的值"], *column_help()])
    writer.close()
    return out.getvalue()

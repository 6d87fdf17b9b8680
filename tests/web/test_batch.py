"""The roster: good rows, bad rows by row number, BOM output, the CLI and the upload."""
from __future__ import annotations

import csv
import io

import pytest

from web.batch import BatchError, run_batch, run_batch_cli, template_csv

HEAD = "序号,姓名,地区,身份,就医类型,自付金额,就医日期\n"


def _rows(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode("utf-8"))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_template_runs_clean():
    report = run_batch(template_csv().decode("utf-8-sig"))
    assert report.bad == 0 and report.good == 3
    rows = _rows(report.csv_bytes())
    assert rows[0]["估算救助金额（元）"] == "18000.00"
    assert rows[0]["姓名"] == "张三"  # input columns are kept


def test_labels_codes_and_lenient_values():
    text = HEAD + ("1,甲,广西,低保、重度残疾人,住院,\"5万\",2024/6/1\n"
                   "2,乙,guangxi,dibao;severe_disability,inpatient,50000,2024-06-01\n"
                   "3,丙,广西壮族自治区,低保户，重残,住院,\"50,000元\",2024年6月1日\n")
    report = run_batch(text)
    assert report.bad == 0
    amounts = {r.assistance for r in report.rows}
    assert len(amounts) == 1  # three ways to write the same case


def test_bad_rows_by_number_and_others_go_on():
    text = HEAD + ("1,甲,广西,低保,住院,20000,2024-06-01\n"
                   "2,乙,火星,低保,住院,20000,2024-06-01\n"
                   "3,丙,广西,外星人,住院,20000,2024-06-01\n"
                   "4,丁,广西,低保,住院,-5,2024-06-01\n"
                   "5,戊,广西,低保,住院,20000,2024-02-30\n"
                   "\n"
                   "6,己,广西,低保,住院,20000,2024-06-01\n")
    report = run_batch(text)
    assert report.good == 2 and report.bad == 4
    rows = _rows(report.csv_bytes())
    assert len(rows) == 6
    errors = [r["错误"] for r in rows]
    assert errors[0] == "" and errors[5] == ""
    assert errors[1].startswith("第3行") and "地区" in errors[1]
    assert errors[2].startswith("第4行") and "外星人" in errors[2]
    assert errors[3].startswith("第5行") and "不能是负数" in errors[3]
    assert errors[4].startswith("第6行") and "日期" in errors[4]
    assert rows[5]["估算救助金额（元）"] == "18000.00"


def test_gbk_and_tabs():
    text = HEAD.replace(",", "\t") + "1\t甲\t广西\t低保\t住院\t20000\t2024-06-01\n"
    report = run_batch(text)
    assert report.good == 1
    from web.batch import decode_roster

    assert "广西" in decode_roster((HEAD + "1,甲,广西,低保,住院,20000,2024-06-01\n").encode("gbk"))


def test_formula_cells_are_defused():
    report = run_batch(HEAD + "1,=HYPERLINK(\"http://x\"),广西,低保,住院,20000,2024-06-01\n")
    assert "'=HYPERLINK" in report.csv_text()


@pytest.mark.parametrize("text,word", [("", "空"), ("a,b,c\n1,2,3\n", "表头缺少"), (HEAD, "没有数据")])
def test_whole_file_errors(text, word):
    with pytest.raises(BatchError, match=word):
        run_batch(text)


def test_too_many_rows():
    with pytest.raises(BatchError, match="最多"):
        run_batch(HEAD + "1,甲,广西,低保,住院,20000,2024-06-01\n" * 11, max_rows=10)


def test_cli(tmp_path, capsys):
    src = tmp_path / "in.csv"
    out = tmp_path / "out.csv"
    src.write_bytes((HEAD + "1,甲,广西,低保,住院,20000,2024-06-01\n2,乙,火星,低保,住院,1,2024-06-01\n").encode("gbk"))
    assert run_batch_cli(str(src), str(out)) == 1
    rows = _rows(out.read_bytes())
    assert rows[0]["估算救助金额（元）"] == "18000.00" and rows[1]["错误"].startswith("第3行")
    assert "1行有误" in capsys.readouterr().err
    src.write_text(HEAD + "1,甲,广西,低保,住院,20000,2024-06-01\n", encoding="utf-8")
    assert run_batch_cli(str(src), str(out)) == 0
    assert run_batch_cli(str(tmp_path / "missing.csv"), str(out)) == 2


def test_cli_entry_point(tmp_path):
    from jiuzhu.cli import main

    src = tmp_path / "in.csv"
    out = tmp_path / "out.csv"
    src.write_text(HEAD + "1,甲,广西,低保,住院,20000,2024-06-01\n", encoding="utf-8")
    assert main(["batch", str(src), "-o", str(out)]) == 0
    assert _rows(out.read_bytes())[0]["估算状态"] == "可以救助"


def test_upload_and_download(client):
    files = {"file": ("roster.csv", (HEAD + "1,甲,广西,低保,住院,20000,2024-06-01\n2,乙,广西,低保,住院,abc,\n").encode("utf-8"), "text/csv")}
    r = client.post("/cadre/batch", files=files)
    assert r.status_code == 200
    assert "1行有误" in r.text and "第3行" in r.text and "1.8万元（18,000元）" in r.text
    r = client.post("/cadre/batch/download", files=files)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert len(_rows(r.content)) == 2
    # the download button of the result page re-sends the roster text
    r = client.post("/cadre/batch/download", data={"roster": HEAD + "1,甲,广西,低保,住院,20000,2024-06-01\n"})
    assert _rows(r.content)[0]["估算救助金额（元）"] == "18000.00"


def test_upload_errors(client):
    r = client.post("/cadre/batch", data={})
    assert r.status_code == 422 and "请先选择" in r.text
    r = client.post("/cadre/batch", files={"file": ("x.xlsx", b"PK\x03\x04\x00\x00binary", "application/octet-stream")})
    assert r.status_code == 422 and "打不开这个Excel文件" in r.text
    r = client.post("/cadre/batch", files={"file": ("x.bin", b"\x00\x01\x02\x03" * 100, "application/octet-stream")})
    assert r.status_code == 422 and "不是表格文件" in r.text


def test_template_download(client):
    r = client.get("/cadre/batch/template.csv")
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    assert r.content.decode("utf-8-sig").splitlines()[0].startswith("序号,姓名,地区,身份,就医类型,自付金额")


def test_upload_escapes_html_and_refuses_huge_files(client):
    roster = HEAD + "1,<script>alert(1)</script>,广西,低保,住院,20000,2024-06-01\n"
    r = client.post("/cadre/batch", files={"file": ("r.csv", roster.encode(), "text/csv")})
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text
    huge = (HEAD + "1,甲,广西,低保,住院,20000,2024-06-01\n" * 150_000).encode()
    assert len(huge) > 4 * 1024 * 1024
    r = client.post("/cadre/batch", files={"file": ("big.csv", huge, "text/csv")})
    assert r.status_code == 413 and "太大" in r.text


def test_a_care_date_of_a_month_or_a_year_is_read_and_said():
    text = HEAD + ("1,甲,广西,低保,住院,20000,2025年12月\n"
                   "2,乙,广西,低保,住院,20000,2025.12\n"
                   "3,丙,广西,低保,住院,20000,2025年\n"
                   "4,丁,广西,低保,住院,20000,2025-13\n")
    report = run_batch(text)
    rows = _rows(report.csv_bytes())
    assert [r["怎么读的"] for r in rows[:3]] == ["就医日期只填了2025年12月，按12月15日算。"] * 2 + [
        "就医日期只填了2025年，按7月1日算。"]
    assert all(r["估算救助金额（元）"] == "18000.00" for r in rows[:3])
    assert report.bad == 1 and "日期" in rows[3]["错误"]  # no 13th month: refused, not read


def test_a_month_whose_rules_change_inside_it_asks_for_the_day():
    """黔江's document starts on 12 Oct 2023: 2023年10月 alone is priced on the side with rules, and
    the reading asks for the day; a whole date or a month without such a day is read as before."""
    head = "序号,姓名,地区,身份,就医类型,自付金额,就医日期,是否特殊疾病,医院等级,本次住院总费用,就医地点\n"
    text = head + ("1,甲,黔江,低保,住院,20000,2023年10月,否,2,80000,本地\n"
                   "2,乙,黔江,低保,住院,20000,2023-10-05,否,2,80000,本地\n"
                   "3,丙,黔江,低保,住院,20000,2023-10-15,否,2,80000,本地\n"
                   "4,丁,黔江,低保,住院,20000,2024年10月,否,2,80000,本地\n")
    rows = _rows(run_batch(text).csv_bytes())
    assert "2023年10月12日前后算法不一样：请填具体哪一天" in rows[0]["怎么读的"]
    assert "要是2023年10月12日以前，当时的办法这里没有收录" in rows[0]["怎么读的"]
    assert rows[0]["估算救助金额（元）"] == rows[2]["估算救助金额（元）"] != ""
    assert rows[1]["估算状态"] != rows[2]["估算状态"] and rows[1]["怎么读的"] == ""
    assert rows[3]["怎么读的"] == "就医日期只填了2024年10月，按10月15日算。"

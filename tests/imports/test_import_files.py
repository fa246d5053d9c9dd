"""Reading import files (CONTRACT.md: Import file): encodings, header names, row numbers,
and every kind of file that must be refused or row-errored with a clear message."""
from __future__ import annotations

import os
from datetime import datetime

import openpyxl
import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.imports import sheets
from feedback.imports.run import create_import, run_import
from feedback.imports.models import ImportJob, ImportRow
from feedback.tickets.models import Ticket
from feedback.timeutil import LOCAL
from tests.imports.files import HEADER, add_cached_values, edit_sheet, row, write_csv, write_xlsx, zip_bomb


def import_file(path, owner=None) -> ImportJob:
    job = create_import(path, path.name, owner=owner, origin="cli")
    db.session.commit()
    return run_import(job.id)


def results(job) -> list[tuple]:
    return db.session.execute(sa.select(ImportRow.row, ImportRow.platform_id, ImportRow.status, ImportRow.reason)
                              .where(ImportRow.job_id == job.id).order_by(ImportRow.row)).all()


def ticket(pid: str) -> Ticket:
    return db.session.execute(sa.select(Ticket).where(Ticket.platform_id == pid)).scalar_one()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_each_office_encoding_reads_the_same_chinese(world, tmp_path, encoding):
    path = write_csv(tmp_path / "台账.csv", [row("E1", description="“政务公开”栏目三年未更新"),
                                             row("E2", description="错别字：“惠民政策”写成“慧民政策”")],
                     encoding=encoding)
    job = import_file(path)
    assert (job.status, job.created_rows, job.error_rows) == ("done", 2, 0), job.error
    assert ticket("E1").description == "“政务公开”栏目三年未更新"
    assert ticket("E2").description == "错别字：“惠民政策”写成“慧民政策”"


def test_columns_in_any_order_with_chinese_or_english_names_and_extra_columns_ignored(world, tmp_path):
    header = ["序号", "description", "Platform ID", "转办时间", "问题网址", "备注"]
    path = write_csv(tmp_path / "mixed.csv", [["1", "链接打不开", "M1", "2026-09-30 15:00",
                                               "http://edu.dongcheng.gov.cn/a.html", "无"]], header=header)
    job = import_file(path)
    assert (job.status, job.created_rows) == ("done", 1), job.error
    t = ticket("M1")
    assert t.description == "链接打不开"
    assert t.unit.code == "D1"  # routed by the URL prefix of 东城县教育局网站


def test_tab_separated_text_is_read_too(world, tmp_path):
    path = write_csv(tmp_path / "export.txt", [row("T1")], delimiter="\t")
    assert import_file(path).created_rows == 1


def test_xlsx_time_cells_without_offset_are_beijing_time(world, tmp_path):
    path = write_xlsx(tmp_path / "ledger.xlsx", [["X1", datetime(2026, 9, 30, 15, 0), "栏目链接打不开",
                                                  "http://edu.dongcheng.gov.cn/x"]])
    job = import_file(path)
    assert job.created_rows == 1, job.error
    t = ticket("X1")
    assert t.received_at == datetime(2026, 9, 30, 15, 0, tzinfo=LOCAL)
    # DESIGN.md example: Wed 30 Sep 15:00 + 5 working days → Oct 8, 9, 10 (make-up), 12, 13
    assert t.platform_due_at == datetime(2026, 10, 13, 23, 59, 59, tzinfo=LOCAL)


def test_results_are_numbered_as_excel_shows_the_rows(world, tmp_path):
    # Row 1 header; 2 good; 3 blank (skipped, but it keeps its number); 4 no description;
    # 5 bad time; 6 good.
    path = write_xlsx(tmp_path / "rows.xlsx", [
        row("R2"), [None, None, None, None], row("R4", description=None), row("R5", received="30/09/2026"),
        row("R6"),
    ])
    job = import_file(path)
    assert (job.created_rows, job.duplicate_rows, job.error_rows) == (2, 0, 2)
    got = results(job)
    assert [(r.row, r.platform_id, r.status) for r in got] == [
        (2, "R2", "created"), (4, "R4", "error"), (5, "R5", "error"), (6, "R6", "created")]
    assert got[1].reason == "问题描述: 必填，不能为空"
    assert got[2].reason.startswith("转办时间: “30/09/2026”不是日期时间")
    assert (job.rows_total, job.rows_done) == (5, 5)


def test_header_without_platform_id_is_refused_naming_the_column(app, tmp_path):
    path = write_csv(tmp_path / "no-id.csv", [["2026-09-30 15:00", "链接打不开"]], header=["转办时间", "问题描述"])
    job = import_file(path)
    assert job.status == "failed"
    assert "缺少必填列：留言编号（platform_id）" in job.error
    assert db.session.query(Ticket).count() == 0


def test_the_same_column_twice_is_refused(app, tmp_path):
    path = write_csv(tmp_path / "twice.csv", [["A", "B", "2026-09-30 15:00", "x"]],
                     header=["留言编号", "platform_id", "转办时间", "问题描述"])
    job = import_file(path)
    assert job.status == "failed" and "“留言编号”和“platform_id”是同一列" in job.error


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "不是电子表格"),
    (sheets.OLE2_MAGIC + bytes(600), "旧版 Excel（.xls）"),
    ("留言编号\t".encode("utf-16"), "UTF-16"),
    (b"PK\x03\x04 this is not really a zip", "不是有效的 XLSX 工作簿"),
    ("留言编号,".encode("gbk") + b"\xff\xff\n", "无法识别文件的文字编码"),  # 0xFF is neither UTF-8 nor GB18030
    (b"Dear office, please find attached our ledger.\n", "缺少必填列"),
    (b"", "文件是空的"),
])
def test_what_is_not_a_spreadsheet_is_refused_with_what_to_do(app, tmp_path, content, message):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    job = import_file(path)
    assert job.status == "failed"
    assert message in job.error


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(app, tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:  # 200 MB, sparse: nothing is written to disk
        f.truncate(200 * 1024 * 1024)
    monkeypatch.setattr(sheets, "_open_csv", lambda *a: pytest.fail("a refused file was parsed"))
    job = import_file(path)
    assert job.status == "failed"
    assert job.error == "文件有 200.0 MB，超过导入上限 100.0 MB；请拆成几个文件分别导入"

    app.config["IMPORT_MAX_BYTES"] = 100  # the limit is configuration (FEEDBACK_IMPORT_MAX_BYTES)
    small = write_csv(tmp_path / "small.csv", [row("S1"), row("S2")])
    assert os.path.getsize(small) > 100
    assert "超过导入上限" in import_file(small).error


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(app, tmp_path, monkeypatch):
    bomb = zip_bomb(tmp_path / "bomb.xlsx", unpacked_mb=200)
    assert os.path.getsize(bomb) < 1024 * 1024  # 200 MB of padding packs into well under 1 MB
    monkeypatch.setattr(sheets.openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl opened a bomb"))
    job = import_file(bomb)
    assert job.status == "failed"
    assert "xl/worksheets/sheet1.xml 压缩比异常" in job.error and "疑似压缩炸弹" in job.error


def test_an_xlsx_unpacking_past_the_configured_total_is_refused(app, tmp_path):
    app.config["IMPORT_MAX_UNPACKED_BYTES"] = 2000
    job = import_file(write_xlsx(tmp_path / "ok.xlsx", [row("U1")]))
    assert job.status == "failed" and "解压后" in job.error and "超过上限" in job.error


def test_formulas_use_their_saved_value_and_a_formula_without_one_is_a_row_error(world, tmp_path):
    path = write_xlsx(tmp_path / "formulas.xlsx", [
        ['="F"&"2"', "2026-09-30 15:00", "有缓存值的公式", "http://edu.dongcheng.gov.cn/f"],  # row 2
        ['="F"&"3"', "2026-09-30 15:00", "没有缓存值的公式", "http://edu.dongcheng.gov.cn/f"],  # row 3
        ["F4", "2026-09-30 15:00", '=A4&"栏目"', "http://edu.dongcheng.gov.cn/f"],  # row 4
    ])
    add_cached_values(path, {"A2": "F2"})  # as if Excel had saved row 2's result only
    job = import_file(path)
    assert (job.created_rows, job.error_rows) == (1, 2), job.error
    assert ticket("F2").description == "有缓存值的公式"
    got = {r.row: r for r in results(job)}
    assert got[3].reason == "留言编号: 公式没有保存计算结果；请在 Excel 中打开并保存，或把该列粘贴为数值"
    assert (got[4].platform_id, got[4].reason) == (
        "F4", "问题描述: 公式没有保存计算结果；请在 Excel 中打开并保存，或把该列粘贴为数值")


def test_a_long_number_that_excel_already_rounded_is_a_row_error(world, tmp_path):
    path = write_xlsx(tmp_path / "numbers.xlsx", [[202609300000123456, "2026-09-30 15:00", "x", None],
                                                  [20260930001, "2026-09-30 15:00", "y", None]])
    job = import_file(path)
    assert (job.created_rows, job.error_rows) == (1, 1)
    assert ticket("20260930001")  # an id Excel keeps exactly is read as its digits
    assert "Excel 已丢失精度" in results(job)[0].reason


def test_a_sheet_claiming_more_rows_than_excel_allows_is_refused(app, tmp_path):
    # Row 2 renumbered to one billion: openpyxl would dutifully yield a billion empty rows first.
    path = edit_sheet(write_xlsx(tmp_path / "liar.xlsx", [row("L1")]),
                      lambda xml: xml.replace('<row r="2">', '<row r="1000000000">').replace('r="A2"', 'r="A1000000000"'))
    job = import_file(path)
    assert job.status == "failed" and "超过 Excel 的上限" in job.error


def test_header_row_is_the_first_sheet_only(world, tmp_path):
    path = tmp_path / "two-sheets.xlsx"
    wb = openpyxl.Workbook()
    first = wb.active
    first.append(HEADER)
    first.append(row("W1"))
    second = wb.create_sheet("说明")
    second.append(["这一页不是数据"])
    wb.save(path)
    assert import_file(path).created_rows == 1

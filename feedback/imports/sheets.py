"""Reading an office's spreadsheet as a stream, refusing what is not one (CONTRACT.md: Import file).

XLSX goes through openpyxl's read-only mode; CSV may be UTF-8 (with or without BOM) or
GB18030/GBK, detected, never asked. What a broken or hostile file could do to a worker — a
huge file, a zip bomb, binary junk, a sheet claiming a billion rows, a formula whose value was
never computed — is caught here, before or while reading, with a message that says what to do.
"""
from __future__ import annotations

import csv
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Iterator

import openpyxl

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
ZIP_MAGIC = b"PK\x03\x04"
EXCEL_MAX_ROWS = 1_048_576
# Deflate cannot do better than about 1032:1, and real sheets (repetitive XML) stay well under
# 100:1; a big part packed tighter than this is built to explode.
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # parts smaller than this unpack harmlessly whatever their ratio
SCAN_CHUNK = 1024 * 1024
SCAN_OVERLAP = 4096  # longer than any <row …> or <f …> start tag


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


class _NoCachedValue:
    def __repr__(self) -> str:
        return "NO_CACHED_VALUE"


# A formula cell whose computed value was never saved (e.g. a sheet written by a program, not Excel).
NO_CACHED_VALUE = _NoCachedValue()


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_unpacked_bytes: int


@dataclass
class Table:
    """A file's first sheet: its header and a way to stream the rows below it."""

    path: str
    kind: str  # xlsx | csv
    header: list
    last_row: int  # Excel's number of the last row; the header is row 1
    encoding: str | None = None
    delimiter: str = ","
    has_formulas: bool = False

    @property
    def data_rows(self) -> int:
        return max(0, self.last_row - 1)

    def rows(self, start: int = 2) -> Iterator[tuple[int, tuple]]:
        """(row number, cell values) from row `start` on, blank rows included."""
        if self.kind == "xlsx":
            return _xlsx_rows(self, start)
        return _csv_rows(self, start)


def size_text(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def open_table(path: str, limits: Limits) -> Table:
    try:
        size = os.stat(path).st_size
        with open(path, "rb") as f:
            head = f.read(8192)
    except FileNotFoundError:
        raise FileRefused(f"找不到文件 {path}") from None
    except OSError as exc:
        raise FileRefused(f"无法读取文件：{exc.strerror}") from None
    if size == 0:
        raise FileRefused("文件是空的：第一行应是表头，其下每行一条留言")
    if size > limits.max_bytes:
        raise FileRefused(f"文件有 {size_text(size)}，超过导入上限 {size_text(limits.max_bytes)}；请拆成几个文件分别导入")
    if head.startswith(ZIP_MAGIC):
        return _open_xlsx(path, limits)
    if head.startswith(OLE2_MAGIC):
        raise FileRefused("这是旧版 Excel（.xls）文件，无法导入；请在 Excel 中另存为 .xlsx 或 CSV 后再导入")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused("这是 UTF-16 编码的文本（Excel 的“Unicode 文本”）；请另存为 CSV（UTF-8）后再导入")
    if b"\x00" in head:
        raise FileRefused("不是电子表格：文件含二进制内容；请上传 XLSX 或 CSV 文件")
    return _open_csv(path)


# --- XLSX -------------------------------------------------------------------------------------

_NOT_A_WORKBOOK = "不是有效的 XLSX 工作簿（{}）；请在 Excel 中另存为 .xlsx 或 CSV 后再导入"
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, TypeError, SyntaxError)


def check_zip(path: str, limits: Limits) -> None:
    """Refuse a zip bomb from the sizes the archive declares, before anything is unpacked.
    (zipfile never unpacks a part beyond its declared size, so the declaration is binding.)"""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(_NOT_A_WORKBOOK.format(f"ZIP 结构损坏：{exc}")) from None
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        raise FileRefused(f"XLSX 解压后有 {size_text(total)}，超过上限 {size_text(limits.max_unpacked_bytes)}；"
                          "疑似压缩炸弹，已拒绝。真实台账请拆分文件或另存为 CSV")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise FileRefused(f"XLSX 中的 {info.filename} 压缩比异常（{ratio}:1），疑似压缩炸弹，已拒绝")


def _load(path: str, *, data_only: bool):
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except _BROKEN as exc:
        raise FileRefused(_NOT_A_WORKBOOK.format(type(exc).__name__)) from None
    except Exception as exc:  # openpyxl's InvalidFileException and friends
        raise FileRefused(_NOT_A_WORKBOOK.format(exc)) from None


def _first_sheet(wb):
    if not wb.worksheets:
        raise FileRefused("工作簿里没有工作表；请把留言放在第一个工作表")
    ws = wb.worksheets[0]
    ws.reset_dimensions()  # the declared size may be wrong; read what is there
    return ws


def _open_xlsx(path: str, limits: Limits) -> Table:
    check_zip(path, limits)
    wb = _load(path, data_only=True)
    try:
        ws = _first_sheet(wb)
        part = ws._worksheet_path
        try:
            header = list(next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ()))
        except _BROKEN as exc:
            raise FileRefused(_NOT_A_WORKBOOK.format(f"表头无法读取：{type(exc).__name__}")) from None
    finally:
        wb.close()
    last_row, has_formulas = _scan_sheet(path, part)
    return Table(path, "xlsx", header, max(last_row, 1), has_formulas=has_formulas)


_ROW_NUMBER = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\sr="(\d+)"')
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _scan_sheet(path: str, part: str) -> tuple[int, bool]:
    """One cheap pass over the sheet's XML: the last row number (for progress) and whether any
    cell holds a formula (only then is the slower formula-aware read needed)."""
    highest, counted, formulas = 0, 0, False
    tail = b""
    try:
        with zipfile.ZipFile(path) as zf, zf.open(part) as src:
            while True:
                chunk = src.read(SCAN_CHUNK)
                buf = tail + chunk
                # A match is counted only if it starts before the overlap kept for the next round.
                cut = len(buf) if not chunk else max(0, len(buf) - SCAN_OVERLAP)
                for m in _ROW_NUMBER.finditer(buf):
                    if m.start() < cut:
                        highest = max(highest, int(m.group(1)))
                counted += sum(1 for m in _ROW.finditer(buf) if m.start() < cut)
                formulas = formulas or _FORMULA.search(buf) is not None
                tail = buf[cut:]
                if not chunk:
                    break
    except _BROKEN as exc:
        raise FileRefused(_NOT_A_WORKBOOK.format(f"工作表损坏：{type(exc).__name__}")) from None
    last = highest or counted
    if last > EXCEL_MAX_ROWS:
        raise FileRefused(f"工作表声称有第 {last} 行，超过 Excel 的上限 {EXCEL_MAX_ROWS} 行；文件已损坏或被篡改")
    return last, formulas


def _is_formula(value) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__ == "ArrayFormula"


def _xlsx_rows(table: Table, start: int) -> Iterator[tuple[int, tuple]]:
    values_wb = _load(table.path, data_only=True)
    formulas_wb = _load(table.path, data_only=False) if table.has_formulas else None
    number = start
    try:
        values = _first_sheet(values_wb).iter_rows(min_row=start, values_only=True)
        if formulas_wb is None:
            for number, row in enumerate(values, start=start):
                yield number, row
            return
        # Same XML, same parser: the two reads stay row for row in step.
        formulas = _first_sheet(formulas_wb).iter_rows(min_row=start, values_only=True)
        for number, (row, source) in enumerate(zip(values, formulas), start=start):
            yield number, tuple(NO_CACHED_VALUE if v is None and _is_formula(f) else v
                                for v, f in zip(row, source))
    except _BROKEN as exc:
        raise FileRefused(f"工作表在第 {number} 行附近损坏（{type(exc).__name__}）；"
                          "已导入的行保留，请修好文件后重新导入") from None
    finally:
        values_wb.close()
        if formulas_wb is not None:
            formulas_wb.close()


# --- CSV --------------------------------------------------------------------------------------

def _open_csv(path: str) -> Table:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            header, delimiter, last_row = _scan_csv(path, encoding)
        except UnicodeDecodeError:
            continue
        return Table(path, "csv", header, max(last_row, 1), encoding=encoding, delimiter=delimiter)
    raise FileRefused("无法识别文件的文字编码：请把 CSV 存为 UTF-8 或 GBK（GB18030），或上传 XLSX")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _scan_csv(path: str, encoding: str) -> tuple[list, str, int]:
    """Decode the whole file once (so a bad byte deep inside is found before anything is stored)
    and count its records."""
    with open(path, encoding=encoding, newline="") as f:
        delimiter = _sniff_delimiter(f.readline())
        f.seek(0)
        reader = csv.reader(f, delimiter=delimiter)
        header, count = [], 0
        try:
            for count, record in enumerate(reader, start=1):
                if count == 1:
                    header = record
        except csv.Error as exc:
            raise FileRefused(f"CSV 第 {reader.line_num} 行无法读取（{exc}）；请检查引号是否成对") from None
    return header, delimiter, count


def _csv_rows(table: Table, start: int) -> Iterator[tuple[int, tuple]]:
    with open(table.path, encoding=table.encoding, newline="") as f:
        for number, record in enumerate(csv.reader(f, delimiter=table.delimiter), start=1):
            if number >= start:
                yield number, tuple(record)

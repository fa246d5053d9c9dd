"""Reading the office's spreadsheets: XLSX, or CSV in UTF-8 (with or without BOM) or GB18030/GBK.

Rows keep the number a person sees in Excel (the header is row 1), so every error can point
at the row to fix.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


class UnreadableFile(Exception):
    """The file as a whole cannot be read: missing, not CSV/XLSX, bad encoding."""


@dataclass
class Table:
    header: list[str]  # the cells of row 1, stripped
    rows: list[tuple[int, list[str]]]  # (Excel row number, cells as stripped text), blank rows left out


def decode_text(data: bytes) -> str | None:
    """UTF-8 (a BOM is dropped), else GB18030, a superset of GBK; None when neither fits."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_table(path: str | Path) -> Table:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if data.startswith(b"PK\x03\x04"):
        cells = _xlsx_rows(path, data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(f"{path}: an old Excel .xls workbook; save it as .xlsx or CSV and load that")
    else:
        text = decode_text(data)
        if text is None or "\x00" in text:
            raise UnreadableFile(f"{path}: neither XLSX nor CSV text in UTF-8 or GB18030/GBK")
        cells = list(csv.reader(io.StringIO(text, newline="")))
    return _table(path, cells)


def _xlsx_rows(path: Path, data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(f"{path}: not a readable XLSX workbook ({exc})") from None
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _table(path: Path, cells: list[list]) -> Table:
    rows = [(number, [cell_text(c) for c in row]) for number, row in enumerate(cells, start=1)]
    rows = [(number, row) for number, row in rows if any(row)]
    if not rows or rows[0][0] != 1:
        raise UnreadableFile(f"{path}: row 1 must be the header (column names); it is empty")
    return Table(header=rows[0][1], rows=rows[1:])


def cell_text(value) -> str:
    """A cell as text: Excel's 1101000001.0 or 1101000001 become "1101000001"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def column_indexes(header: list[str], aliases: dict[str, tuple[str, ...]],
                   required: tuple[str, ...]) -> tuple[dict[str, int], list[str]]:
    """Map header cells (English or Chinese names, any order, any case) to fields.

    Returns the field → column index map and a list of problems: an unknown, repeated or
    missing column. Unknown columns are refused rather than ignored, so a misspelt
    `parent_code` cannot silently move every unit to the top of the tree.
    """
    lookup = {alias.lower(): field for field, names in aliases.items() for alias in names}
    indexes: dict[str, int] = {}
    problems: list[str] = []
    for index, name in enumerate(header):
        if not name:
            continue
        field = lookup.get(name.lower())
        if field is None:
            problems.append(f"column {name!r} is not known; the columns are {', '.join(aliases)}")
        elif field in indexes:
            problems.append(f"column {name!r} repeats column {header[indexes[field]]!r}; keep one of them")
        else:
            indexes[field] = index
    missing = [field for field in required if field not in indexes]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}; row 1 must name them "
                        f"(expected {', '.join(aliases)})")
    return indexes, problems

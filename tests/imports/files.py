"""Building import files for tests: CSV in each encoding the office sends, XLSX, broken ones."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl

from feedback.extensions import db
from feedback.imports.models import ImportJob

HEADER = ["留言编号", "转办时间", "问题描述", "问题网址"]


def row(pid: str, url: str = "http://edu.dongcheng.gov.cn/tzgg/1.html", received="2026-09-30 15:00",
        description="首页“通知公告”栏目链接打不开") -> list:
    return [pid, received, description, url]


def upload(client, path: Path, name: str | None = None, **data):
    """Post a file to the import page as a browser would."""
    return client.post("/imports", data={"file": (io.BytesIO(path.read_bytes()), name or path.name), **data},
                       content_type="multipart/form-data")


def write_csv(path: Path, rows: list, *, encoding: str = "utf-8", header=HEADER, delimiter=",") -> Path:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list, *, header=HEADER) -> Path:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("留言")
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def big_rows(n: int, *, prefix: str = "BIG"):
    """n valid rows; every third (i = 0, 3, 6, …) names a site no rule matches and waits in triage."""
    for i in range(n):
        url = "http://nowhere.example.org/x" if i % 3 == 0 else f"http://edu.dongcheng.gov.cn/p/{i}.html"
        yield [f"{prefix}{i:06d}", "2026-09-30 15:00", f"第 {i} 条：栏目链接打不开", url]


def big_csv(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(big_rows(n))
    return path


def big_xlsx(path: Path, n: int) -> Path:
    return write_xlsx(path, big_rows(n))


def edit_sheet(path: Path, edit) -> Path:
    """Rewrite the first sheet's XML with `edit(xml) -> xml`, the way another program might have saved it."""
    with zipfile.ZipFile(path) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet] = edit(parts[sheet].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    return path


def add_cached_values(path: Path, values: dict[str, str]) -> Path:
    """Give formula cells a saved result, as Excel does on save (openpyxl never computes one).
    `values` maps a cell reference such as "A2" to the text Excel would have stored."""
    def edit(xml: str) -> str:
        for ref, value in values.items():
            xml, n = re.subn(rf'<c r="{ref}">(<f>[^<]*</f>)<v></v>', rf'<c r="{ref}" t="str">\1<v>{value}</v>', xml)
            assert n == 1, f"no formula cell {ref}"
        return xml

    return edit_sheet(path, edit)


def zip_bomb(path: Path, unpacked_mb: int = 200) -> Path:
    """A valid-looking workbook whose sheet unpacks to `unpacked_mb` MB of padding."""
    small = write_xlsx(path.with_suffix(".seed.xlsx"), [row("Z1")])
    with zipfile.ZipFile(small) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            if name != sheet:
                zout.writestr(name, data)
        with zout.open(sheet, "w") as f:
            f.write(parts[sheet].replace(b"</worksheet>", b""))
            block = b" " * (1024 * 1024)
            for _ in range(unpacked_mb):
                f.write(block)
            f.write(b"</worksheet>")
    return path


def fresh(job_id: int) -> ImportJob:
    """The job as another process left it: end our transaction so the next read sees new commits."""
    db.session.rollback()
    return db.session.get(ImportJob, job_id)

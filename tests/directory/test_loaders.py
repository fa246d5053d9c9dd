"""`feedback units load` / `feedback properties load` with real files (CONTRACT.md: Command line)."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from feedback.directory.models import Property, RoutingRule, Unit
from feedback.directory.routing import Query, route_many
from feedback.extensions import db


def write_csv(path, rows, encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def load(app, noun, path):
    return app.test_cli_runner().invoke(args=[noun, "load", str(path)])


def units() -> dict[str, Unit]:
    db.session.expire_all()
    return {u.code: u for u in db.session.execute(sa.select(Unit)).scalars()}


def tree(us: dict[str, Unit]) -> dict[str, str]:
    """Each unit's path written with codes instead of ids: {"D1": "/C0/R1/D1/"}."""
    code_of = {u.id: u.code for u in us.values()}
    return {c: "/" + "".join(code_of[int(i)] + "/" for i in u.path.strip("/").split("/")) for c, u in us.items()}


CITY = [
    ["code", "name", "parent_code", "kind"],
    ["D1", "东城县教育局", "R1", "department"],  # the child comes before its parent
    ["R1", "东城县", "C0", "region"],
    ["C0", "示例市人民政府办公室", "", "office"],
]


class TestUnits:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
    def test_csv_in_every_encoding_offices_use(self, app, tmp_path, encoding):
        result = load(app, "units", write_csv(tmp_path / "units.csv", CITY, encoding))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == "units: created 3, updated 0, unchanged 0"
        us = units()
        assert us["D1"].name == "东城县教育局" and us["C0"].kind == "office"
        assert tree(us) == {"C0": "/C0/", "R1": "/C0/R1/", "D1": "/C0/R1/D1/"}
        assert (us["C0"].depth, us["R1"].depth, us["D1"].depth) == (0, 1, 2)

    def test_xlsx_with_chinese_headers_kind_words_and_numeric_codes(self, app, tmp_path):
        path = write_xlsx(tmp_path / "单位.xlsx", [
            ["单位编码", "单位名称", "上级单位编码", "类型"],
            [510100, "成都市人民政府办公厅", None, "主管单位"],
            [None, None, None, None],  # an empty row in the middle is skipped
            [510104, "锦江区", 510100, "地区"],
            [5101040001, "锦江区教育局", 510104.0, "部门"],  # Excel numbers: no ".0" in codes
        ])
        result = load(app, "units", path)
        assert result.exit_code == 0, result.output
        us = units()
        assert tree(us) == {"510100": "/510100/", "510104": "/510100/510104/",
                            "5101040001": "/510100/510104/5101040001/"}
        assert [us[c].kind for c in ("510100", "510104", "5101040001")] == ["office", "region", "department"]

    def test_a_second_load_updates_by_code(self, app, tmp_path):
        load(app, "units", write_csv(tmp_path / "a.csv", CITY))
        renamed = [row[:] for row in CITY]
        renamed[1][1] = "东城县教育和体育局"
        result = load(app, "units", write_csv(tmp_path / "b.csv", renamed + [["D2", "东城县卫健局", "R1", "department"]]))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == "units: created 1, updated 1, unchanged 2"
        assert units()["D1"].name == "东城县教育和体育局"
        assert len(units()) == 4

    def test_re_parenting_moves_the_whole_subtree(self, app, world, tmp_path):
        # R1 (with D1, D2 under it) moves from the office C0 to under R2.
        result = load(app, "units", write_csv(tmp_path / "move.csv", [
            ["code", "name", "parent_code", "kind"], ["R1", "东城县", "R2", "region"]]))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == "units: created 0, updated 1, unchanged 0"
        paths = tree(units())
        assert paths["R1"] == "/C0/R2/R1/"
        assert paths["D1"] == "/C0/R2/R1/D1/" and paths["D2"] == "/C0/R2/R1/D2/"
        assert paths["D3"] == "/C0/R2/D3/" and paths["D9"] == "/C0/D9/"  # untouched
        assert units()["D1"].depth == 3

    def test_a_new_parent_later_in_the_file_and_a_move_to_the_top(self, app, world, tmp_path):
        result = load(app, "units", write_csv(tmp_path / "f.csv", [
            ["code", "name", "parent_code", "kind"],
            ["D1", "东城县教育局", "R9", "department"],  # R9 is created three rows below
            ["D9", "示例市交通局", "", "office"],  # leaves the tree: a root of its own
            ["R9", "新区", "C0", "region"],
        ]))
        assert result.exit_code == 0, result.output
        paths = tree(units())
        assert paths["D1"] == "/C0/R9/D1/" and paths["R9"] == "/C0/R9/" and paths["D9"] == "/D9/"

    def test_a_cycle_is_refused_and_nothing_changes(self, app, world, tmp_path):
        before = tree(units())
        # C0 under D1 while D1 is under R1 under C0: C0 → D1 → R1 → C0
        result = load(app, "units", write_csv(tmp_path / "cycle.csv", [
            ["code", "name", "parent_code", "kind"],
            ["X1", "新单位", "C0", "department"],
            ["C0", "示例市人民政府办公室", "D1", "office"],
        ]))
        assert result.exit_code == 2
        assert result.stderr.splitlines()[0].startswith("feedback: error: ")
        assert "row 3, parent_code: would put 'C0' under itself (C0 → D1 → R1 → C0)" in result.stderr
        assert tree(units()) == before and "X1" not in units()

    def test_a_cycle_within_the_file(self, app, tmp_path):
        result = load(app, "units", write_csv(tmp_path / "cycle.csv", [
            ["code", "name", "parent_code", "kind"], ["A", "甲", "B", "region"], ["B", "乙", "A", "region"]]))
        assert result.exit_code == 2
        assert "row 2, parent_code: would put 'A' under itself (A → B → A)" in result.stderr
        assert "row 3, parent_code: would put 'B' under itself (B → A → B)" in result.stderr
        assert units() == {}

    def test_every_bad_row_is_reported_with_its_excel_row_and_nothing_is_written(self, app, world, tmp_path):
        before = tree(units())
        result = load(app, "units", write_csv(tmp_path / "bad.csv", [
            ["code", "name", "parent_code", "kind"],  # row 1
            ["N1", "好单位", "C0", "department"],  # row 2: good, yet not stored
            ["N2", "", "C0", "department"],  # row 3: no name
            ["N3", "某局", "C0", "bureau"],  # row 4: unknown kind
            [],  # row 5: blank (Excel shows it; numbering continues)
            ["N4", "某局", "NOPE", "department"],  # row 6: unknown parent
            ["N1", "重复", "C0", "department"],  # row 7: code repeated
            ["N5", "自己", "N5", "department"],  # row 8: its own parent
        ]))
        assert result.exit_code == 2
        lines = result.stderr.splitlines()
        assert lines[0] == f"feedback: error: {tmp_path / 'bad.csv'}: 5 problem(s) in 5 row(s); nothing was loaded"
        assert lines[1:] == [
            "  row 3, name: empty; give the unit's name",
            "  row 4, kind: 'bureau' is not a kind; write one of office, region, department, 主管单位, 地区, 部门",
            "  row 6, parent_code: no unit with code 'NOPE' in this file or already loaded; "
            "add a row for it or correct the code",
            "  row 7, code: 'N1' is already on row 2; keep one row per unit",
            "  row 8, parent_code: a unit cannot be its own parent; give the code of the unit above 'N5' "
            "or leave it empty",
        ]
        assert tree(units()) == before

    def test_unknown_or_missing_columns_are_refused(self, app, tmp_path):
        result = load(app, "units", write_csv(tmp_path / "h.csv", [
            ["code", "name", "parent_cod", "kind"], ["C0", "办公室", "", "office"]]))
        assert result.exit_code == 2
        assert "header: column 'parent_cod' is not known" in result.stderr
        assert "header: missing column(s) parent_code" in result.stderr
        assert units() == {}

    @pytest.mark.parametrize("content, message", [
        (None, "no such file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither XLSX nor CSV text"),
        (b"PK\x03\x04 this is no zip", "not a readable XLSX workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls workbook; save it as .xlsx or CSV"),
        (b"", "row 1 must be the header"),
        (b"code,name,parent_code,kind\r\n", "the file has a header but no data rows"),
    ])
    def test_missing_or_unreadable_files_exit_2(self, app, tmp_path, content, message):
        path = tmp_path / "units.csv"
        if content is not None:
            path.write_bytes(content)
        result = load(app, "units", path)
        assert result.exit_code == 2
        assert result.stderr.startswith("feedback: error: ") and message in result.stderr
        if content != b"code,name,parent_code,kind\r\n":
            assert len(result.stderr.strip().splitlines()) == 1

    def test_a_directory_is_not_a_file(self, app, tmp_path):
        result = load(app, "units", tmp_path)
        assert result.exit_code == 2 and "is a directory" in result.stderr


def rule_owners() -> dict[tuple[str, str], str]:
    code_of = {u.id: u.code for u in units().values()}
    return {(r.kind, r.pattern): code_of[r.unit_id] for r in db.session.execute(sa.select(RoutingRule)).scalars()}


def routed(**query) -> str | None:
    [match] = route_many(db.session, [Query(**query)])
    return {u.id: u.code for u in units().values()}[match.unit_id] if match else None


PROPS_HEADER = ["unit_code", "kind", "name", "site_code", "url_prefixes", "account"]


class TestProperties:
    def test_sites_and_accounts_are_stored_with_their_routing_rules(self, app, world, tmp_path):
        result = load(app, "properties", write_csv(tmp_path / "p.csv", [
            PROPS_HEADER,
            ["D3", "website", "西城区人社局网站", "1102000003", "http://rsj.xicheng.gov.cn; www.xicheng.gov.cn/rsj", ""],
            ["D9", "网站", "示例市交通局网站", "1100000009", "jtj.example.gov.cn", ""],
            ["D9", "政务新媒体", "示例交通微博", "", "", "示例交通"],
        ], "gbk"))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == "properties: created 3, updated 0, unchanged 0"
        site = db.session.execute(sa.select(Property).where(Property.site_code == "1102000003")).scalar_one()
        assert site.prefixes == ["rsj.xicheng.gov.cn", "xicheng.gov.cn/rsj"]
        assert routed(url="https://www.xicheng.gov.cn/rsj/tzgg/1.html") == "D3"
        assert routed(site_code="1100000009") == "D9"
        assert routed(account="示例交通") == "D9"

    def test_a_website_keyed_by_site_code_moves_and_its_rules_follow(self, app, world, tmp_path):
        # world: 1101000002 is D2's site on wsj.dongcheng.gov.cn; it moves to D1 with a new address
        result = load(app, "properties", write_csv(tmp_path / "p.csv", [
            PROPS_HEADER, ["D1", "website", "东城县卫健局网站（并入）", "1101000002", "wsjk.dongcheng.gov.cn", ""]]))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == "properties: created 0, updated 1, unchanged 0"
        owners = rule_owners()
        assert owners[("site_code", "1101000002")] == "D1"
        assert owners[("url_prefix", "wsjk.dongcheng.gov.cn")] == "D1"
        assert ("url_prefix", "wsj.dongcheng.gov.cn") not in owners  # the old prefix is gone
        assert db.session.query(Property).filter_by(site_code="1101000002").count() == 1

    def test_empty_cells_keep_what_is_stored(self, app, world, tmp_path):
        # D1's site matched by site code: no prefixes given, so its two prefixes stay
        result = load(app, "properties", write_csv(tmp_path / "p.csv", [
            PROPS_HEADER, ["D1", "website", "东城县教育局网站", "1101000001", "", ""]]))
        assert result.stdout.strip() == "properties: created 0, updated 0, unchanged 1"
        assert routed(url="http://www.dongcheng.gov.cn/jyj/1") == "D1"

    def test_upsert_keys(self, app, world, tmp_path):
        rows = [
            PROPS_HEADER,
            ["D2", "website", "卫健局旧网站", "", "old-wsj.dongcheng.gov.cn", ""],  # key: unit + name
            ["D3", "new_media", "西城人社微信公众号", "", "", "西城人社"],  # the world's account: same key
            ["D3", "new_media", "西城人社微博", "", "", "西城人社"],  # other name: another property
        ]
        first = load(app, "properties", write_csv(tmp_path / "p1.csv", rows))
        assert first.stdout.strip() == "properties: created 2, updated 0, unchanged 1"
        rows[1][4] = "old.wsj.dongcheng.gov.cn"
        again = load(app, "properties", write_csv(tmp_path / "p2.csv", rows))
        assert again.stdout.strip() == "properties: created 0, updated 1, unchanged 2"
        assert routed(url="old.wsj.dongcheng.gov.cn/a") == "D2" and routed(url="old-wsj.dongcheng.gov.cn") is None
        # a site stored without its code takes the code instead of being doubled
        rows[1][3] = "1101000012"
        third = load(app, "properties", write_csv(tmp_path / "p3.csv", rows))
        assert third.stdout.strip() == "properties: created 0, updated 1, unchanged 2"
        assert db.session.query(Property).filter_by(name="卫健局旧网站").one().site_code == "1101000012"

    def test_xlsx_with_chinese_headers_and_a_numeric_site_code(self, app, world, tmp_path):
        path = write_xlsx(tmp_path / "sites.xlsx", [
            ["单位编码", "类型", "网站名称", "网站标识码", "网址", "账号"],
            ["D9", "网站", "示例市交通局网站", 1100000009, "jtj.example.gov.cn；www.example.gov.cn/jtj", None],
        ])
        result = load(app, "properties", path)
        assert result.exit_code == 0, result.output
        assert routed(site_code="1100000009") == "D9"
        assert routed(url="http://example.gov.cn/jtj/x") == "D9"

    def test_every_bad_row_is_reported_and_nothing_is_written(self, app, world, tmp_path):
        before = (db.session.query(Property).count(), rule_owners())
        result = load(app, "properties", write_csv(tmp_path / "bad.csv", [
            PROPS_HEADER,  # row 1
            ["NOPE", "website", "某网站", "1101000099", "a.gov.cn", ""],  # 2: unknown unit
            ["D1", "website", "某网站", "110100001", "", ""],  # 3: nine characters
            ["D1", "app", "某应用", "", "", ""],  # 4: unknown kind
            ["D1", "new_media", "某公众号", "", "", ""],  # 5: account missing
            ["D1", "website", "某网站", "", "http://", ""],  # 6: not a prefix
            ["D1", "website", "某网站二", "", "", ""],  # 7: a new site that could never be routed
            ["D1", "website", "好网站", "1101000098", "good.gov.cn", ""],  # 8: good
            ["D2", "website", "抢网址", "1101000097", "good.gov.cn/sub;good.gov.cn", ""],  # 9: D1's on row 8
            ["D2", "website", "重复", "1101000098", "", ""],  # 10: same site code as row 8
        ]))
        assert result.exit_code == 2
        lines = result.stderr.splitlines()
        assert lines[0].endswith("bad.csv: 8 problem(s) in 8 row(s); nothing was loaded")
        assert lines[1:] == [
            "  row 2, unit_code: no unit with code 'NOPE'; load units first (feedback units load FILE) "
            "or correct the code",
            "  row 3, site_code: '110100001' is not a 网站标识码 (ten letters or digits, e.g. 1101000001); "
            "in Excel format the column as text to keep leading zeros",
            "  row 4, kind: 'app' is not a kind; write one of website, new_media, 网站, 政务新媒体, 新媒体",
            "  row 5, account: empty; a new-media account needs its account name (账号)",
            "  row 6, url_prefixes: 'http://' is not a URL prefix; write a host and optional path such as "
            "www.example.gov.cn/jyj, several separated by ;",
            "  row 7, url_prefixes: a new website needs its site_code (网站标识码) or url_prefixes so that "
            "reports can be routed to it; fill in one of them",
            "  row 9, url_prefixes: 'good.gov.cn' is also given on row 8 for unit 'D1'; "
            "reports can go to one unit only",
            "  row 10, site_code: the same website is already on row 8; keep one row for it",
        ]
        assert (db.session.query(Property).count(), rule_owners()) == before

    def test_a_file_of_only_bad_rows(self, app, tmp_path):
        result = load(app, "properties", write_csv(tmp_path / "p.csv", [
            PROPS_HEADER, ["NOPE", "website", "某网站", "", "a.gov.cn", ""]]))
        assert result.exit_code == 2 and "row 2, unit_code: no unit with code 'NOPE'" in result.stderr
        assert db.session.query(Property).count() == 0

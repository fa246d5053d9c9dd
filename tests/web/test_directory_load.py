"""管理 → 单位 → 批量导入: the office administrator loads units and sites from a file on the web,
with the same loaders as `feedback units load` / `feedback properties load`: all or nothing,
every problem named by the row number Excel shows, in Chinese."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa

from feedback.directory.models import Property, RoutingRule, Unit
from feedback.directory.routing import Query, route_many
from feedback.extensions import db
from tests.directory.test_loaders import write_csv, write_xlsx

UNITS = [
    ["单位编码", "单位名称", "上级单位编码", "类型"],
    ["D5", "东城县文旅局", "R1", "部门"],
    ["R3", "南湖区", "C0", "地区"],
    ["D6", "南湖区民政局", "R3", "部门"],
]
SITES = [
    ["单位编码", "类型", "名称", "网站标识码", "网址前缀", "账号"],
    ["D5", "网站", "东城县文旅局网站", "1101000005", "wlj.dongcheng.gov.cn", ""],
    ["D6", "政务新媒体", "南湖民政微信公众号", "", "", "南湖民政"],
]


def post_file(client, what, path):
    return client.post(f"/admin/units/load/{what}",
                       data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


def codes() -> set[str]:
    db.session.expire_all()
    return set(db.session.execute(sa.select(Unit.code)).scalars())


def problem_rows(html: str) -> list[tuple[str, str, str]]:
    block = html[html.index('id="load-problems"'):html.index("</table>", html.index('id="load-problems"'))]
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S))
            for tr in re.findall(r"<tr>(.*?)</tr>", block, re.S) if "<td" in tr]


def test_units_then_sites_load_and_route(world, as_user, tmp_path):
    boss = as_user("boss")
    r = post_file(boss, "units", write_xlsx(tmp_path / "单位.xlsx", UNITS))
    assert r.status_code == 302 and r.headers["Location"] == "/admin/units"
    page = boss.get("/admin/units").get_data(as_text=True)
    assert "已导入单位（单位.xlsx）：新建 3，更新 0，未变 0。" in page
    db.session.expire_all()
    d6 = db.session.execute(sa.select(Unit).where(Unit.code == "D6")).scalar_one()
    assert d6.parent.code == "R3" and d6.parent.parent.code == "C0" and d6.kind == "department"

    r = post_file(boss, "properties", write_csv(tmp_path / "sites.csv", SITES, "gbk"))
    assert r.status_code == 302
    assert "已导入网站与账号（sites.csv）：新建 2，更新 0，未变 0。" in boss.get("/admin/units").get_data(as_text=True)
    [rule] = route_many(db.session, [Query(url="http://wlj.dongcheng.gov.cn/news/1.html")])
    assert db.session.get(Unit, rule.unit_id).code == "D5"
    assert db.session.execute(sa.select(sa.func.count()).select_from(Property)).scalar_one() == 4 + 2

    # the same file again changes nothing
    post_file(boss, "units", write_xlsx(tmp_path / "单位.xlsx", UNITS))
    assert "新建 0，更新 0，未变 3" in boss.get("/admin/units").get_data(as_text=True)


def test_a_file_with_bad_rows_loads_nothing_and_names_each_row_in_chinese(world, as_user, tmp_path):
    bad = UNITS[:2] + [
        ["R3", "南湖区", "C0", "街道"],          # row 3: not a kind
        ["D6", "南湖区民政局", "R9", "部门"],    # row 4: no such parent
        ["D7", "", "R3", "部门"],               # row 5: no name
    ]
    before = codes()
    r = post_file(as_user("boss"), "units", write_xlsx(tmp_path / "units.xlsx", bad))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "文件有 3 处问题，没有导入任何一行" in html
    assert problem_rows(html) == [
        ("3", "类型", "“街道”不是可用的类型；请填写 office, region, department, 主管单位, 地区, 部门 之一"),
        ("4", "上级单位编码", "文件中和系统里都没有编码为“R9”的单位；请为它添加一行，或改正编码"),
        ("5", "名称", "为空；请填写"),
    ]
    assert codes() == before  # D5 on row 2 was good, and is not stored either


def test_the_web_reports_the_same_rows_as_the_command_line(app, world, as_user, tmp_path):
    bad = SITES + [["D1", "网站", "重复", "1101000001x", "", ""], ["NOPE", "网站", "无主", "", "a.gov.cn", ""]]
    path = write_csv(tmp_path / "sites.csv", bad)
    cli = app.test_cli_runner().invoke(args=["properties", "load", str(path)])
    cli_rows = re.findall(r"^  row (\d+), (\w+):", cli.output, re.M)
    html = post_file(as_user("boss"), "properties", path).get_data(as_text=True)
    assert [(row, column) for row, column, _ in problem_rows(html)] == [
        (row, {"site_code": "网站标识码", "unit_code": "单位编码", "url_prefixes": "网址前缀"}[field])
        for row, field in cli_rows]
    assert [row for row, _ in cli_rows] == ["2", "3", "4", "5"]  # D5, D6 not loaded yet: units first


def test_an_old_xls_or_an_empty_form_is_refused_in_words(world, as_user, tmp_path):
    boss = as_user("boss")
    xls = tmp_path / "units.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    html = post_file(boss, "units", xls).get_data(as_text=True)
    assert "这是旧版 Excel（.xls）文件；请另存为 .xlsx 或 CSV 后再上传" in html
    assert str(tmp_path) not in html
    r = boss.post("/admin/units/load/units", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "请选择要上传的 XLSX 或 CSV 文件。" in r.get_data(as_text=True)


def test_only_the_top_office_loads_the_directory(world, as_user, tmp_path):
    east = as_user("east_boss")
    assert "由市级主管单位批量导入" in east.get("/admin/units").get_data(as_text=True)
    assert post_file(east, "units", write_xlsx(tmp_path / "u.xlsx", UNITS)).status_code == 403
    assert "D5" not in codes()
    assert as_user("edu_clerk").post("/admin/units/load/units").status_code == 403
    assert db.session.execute(sa.select(sa.func.count()).select_from(RoutingRule)).scalar_one() > 0

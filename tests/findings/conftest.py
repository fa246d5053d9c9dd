"""Fixtures for the findings tests: the small world, files of a notice's 附件 table."""
from __future__ import annotations

import pytest
from openpyxl import Workbook


HEADER_ZH = ["单位编码", "网站标识码", "账号", "问题类型", "问题描述", "问题网址", "整改期限", "来源"]
NOTICE = "2026年第三季度政府网站检查通报"

# Three findings: D1 (东城县教育局) two, D3 (西城区人社局) one; hand-counted below.
ROWS = [
    ["D1", "1101000001", "", "错别字", "首页“通知公告”栏目有错别字", "http://edu.dongcheng.gov.cn/tzgg/", "2026-11-30", NOTICE],
    ["D1", "1101000001", "", "信息不更新", "“政策解读”栏目超过6个月未更新", "http://edu.dongcheng.gov.cn/zcjd/", "2026-11-25", NOTICE],
    ["D3", "", "西城人社", "互动回应差", "公众号留言未回复", "", "2026-12-10", NOTICE],
]


def write_xlsx(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


@pytest.fixture
def notice_xlsx(tmp_path):
    return write_xlsx(tmp_path / "附件.xlsx", [HEADER_ZH, *ROWS])

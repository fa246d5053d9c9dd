"""Validation messages in the reader's language.

The checks of ingest (tickets/reports.py), of the directory files (directory/loaders.py,
tabular.py) and of the lifecycle speak English: that text is part of the API's 422 answers
and of the command line's output (CONTRACT.md). People on the pages and in an import's
per-row results read Chinese first: `localize(message)` matches each of those English
messages and says it again through the Babel catalog. tests/web/test_messages.py makes every
check fail on purpose and requires each message to be matched here, so a new check without a
Chinese wording fails the suite instead of reaching a page in English.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# Field names as the office's spreadsheets and pages call them.
FIELD_NAMES = {
    "platform_id": _l("留言编号"),
    "received_at": _l("收到时间"),
    "submitted_at": _l("提交时间"),
    "assigned_at": _l("转办时间"),
    "replied_at": _l("答复时间"),
    "closed_at": _l("办结时间"),
    "description": _l("问题描述"),
    "url": _l("网址"),
    "site_name": _l("网站名称"),
    "site_code": _l("网站标识码"),
    "unit_code": _l("单位编码"),
    "state": _l("状态"),
    "category": _l("问题类型"),
    "reporter": _l("留言人"),
    "reporter_name": _l("留言人姓名"),
    "reporter_phone": _l("留言人电话"),
    "reporter_email": _l("留言人邮箱"),
    "reply_text": _l("答复内容"),
    "code": _l("单位编码"),
    "name": _l("名称"),
    "parent_code": _l("上级单位编码"),
    "kind": _l("类型"),
    "url_prefixes": _l("网址前缀"),
    "account": _l("账号"),
}

_Q = r"'(?P<v>(?:[^'\\]|\\.)*)'|\"(?P<w>(?:[^\"\\]|\\.)*)\""  # a Python repr of a string

# (English pattern, Chinese wording). Named groups are the wording's parameters.
PATTERNS: list[tuple[re.Pattern, object]] = [(re.compile(p + r"\Z"), text) for p, text in [
    # tickets/reports.py
    (r"required", _l("必填，不能为空")),
    (r"required: give a non-empty text", _l("必填，请填写内容")),
    (rf"(?:{_Q}) is not a time; use ISO 8601, e\.g\. .*",
     _l("“%(value)s”不是日期时间；请写成 2026-09-30 15:00 这样的格式")),
    (r"must be a time string, e\.g\. .*", _l("应为日期时间，例如 2026-09-30 15:00")),
    (rf"(?:{_Q}) has no UTC offset; add one, e\.g\. \+08:00", _l("“%(value)s”没有时区；请加上 +08:00")),
    (rf"(?:{_Q}) is outside the years 2000–2100", _l("“%(value)s”不在 2000 至 2100 年之间")),
    (r"must be a text value", _l("应为文字")),
    (r"must be a string", _l("应为文字")),
    (r"contains a NUL character", _l("含有不可见的空字符（NUL），请删除它")),
    (r"at most (?P<n>\d+) characters \((?P<m>\d+) given\)", _l("不能超过 %(n)s 个字符（现为 %(m)s 个）")),
    (r"at most (?P<n>\d+) letters, digits or - _ \. : /", _l("最多 %(n)s 个字母、数字或 - _ . : /")),
    (r"must be an object \{name, phone, email\}", _l("应包含姓名、电话、邮箱")),
    (r"must be an object with the report's fields", _l("应为一条留言的各个字段")),
    (rf"(?:{_Q}): use 办结 \(closed\), 无效 \(invalid\) or leave empty",
     _l("“%(value)s”不是可用的状态；请填写“办结”“无效”或留空")),
    (r"required for a closed \(办结\) row", _l("状态为办结的行必须填写")),
    (r"required when a reply or close time is given", _l("填写了答复时间或办结时间时必须填写")),
    (r"a row with 办结时间 must have 状态 办结 or 无效", _l("填写了办结时间的行，状态应为“办结”或“无效”")),
    (r"is earlier than (?P<field>\w+)", _l("早于%(field)s")),
    # tickets/ingest.py
    (rf"no unit with code (?:{_Q}); load units first", _l("没有编码为“%(value)s”的单位；请先导入单位")),
    # tickets/lifecycle.py
    (r"required: a whole number of working days", _l("必填，请填写工作日数")),
    (r"must be a whole number of working days from 1 to (?P<n>\d+)", _l("应为 1 到 %(n)s 之间的工作日数")),
    (r"required: the code of the unit to assign to", _l("请选择要转办的单位")),
    (rf"no unit with code (?:{_Q}) in your scope", _l("您的管辖范围内没有编码为“%(value)s”的单位")),
    (r"required: true or false", _l("请选择同意或不同意")),
    (r"give the id or 留言编号 of another existing ticket", _l("请填写另一张已有工单的编号或留言编号")),
    (r"a whole number", _l("应为整数")),
    (r"no such ticket in scope", _l("您的管辖范围内没有这张工单")),
    (r"cannot (?P<action>[\w-]+) a ticket in state (?P<state>\w+)",
     _l("办理流程不允许对“%(state)s”的工单“%(action)s”")),
    # tabular.py: the header
    (rf"column (?:{_Q}) is not known; the columns are (?P<known>.+)",
     _l("不认识的列“%(value)s”；可用的列：%(known)s")),
    (rf"column (?:{_Q}) repeats column '(?P<other>[^']*)'; keep one of them",
     _l("列“%(value)s”与列“%(other)s”重复；请只保留一列")),
    (r"missing column\(s\) (?P<cols>.+); row 1 must name them \(expected (?P<known>.+)\)",
     _l("缺少列：%(cols)s；第 1 行应为列名（%(known)s）")),
    (r"the file has a header but no data rows", _l("文件只有表头，没有数据行")),
    (r"an old Excel \.xls workbook; save it as \.xlsx or CSV and load that",
     _l("这是旧版 Excel（.xls）文件；请另存为 .xlsx 或 CSV 后再上传")),
    (r"neither XLSX nor CSV text in UTF-8 or GB18030/GBK",
     _l("既不是 XLSX，也不是 UTF-8 或 GBK 编码的 CSV；请另存为 .xlsx 或 CSV 后再上传")),
    (r"not a readable XLSX workbook \(.*\)", _l("XLSX 文件已损坏，无法读取；请在 Excel 中重新保存后再上传")),
    (r"row 1 must be the header \(column names\); it is empty", _l("第 1 行应为列名，但它是空的")),
    # directory/loaders.py
    (r"empty; give the (?P<what>.+)", _l("为空；请填写")),
    (r"longer than (?P<n>\d+) characters; shorten it", _l("超过 %(n)s 个字符；请缩短")),
    (rf"(?:{_Q}) is not a kind; write one of (?P<kinds>.+)", _l("“%(value)s”不是可用的类型；请填写 %(kinds)s 之一")),
    (rf"(?:{_Q}) is already on row (?P<row>\d+); keep one row per unit",
     _l("“%(value)s”已在第 %(row)s 行出现；每个单位只写一行")),
    (rf"a unit cannot be its own parent; give the code of the unit above (?:{_Q}) or leave it empty",
     _l("单位不能是自己的上级；请填写“%(value)s”的上级单位编码，或留空")),
    (rf"no unit with code (?:{_Q}) in this file or already loaded; add a row for it or correct the code",
     _l("文件中和系统里都没有编码为“%(value)s”的单位；请为它添加一行，或改正编码")),
    (rf"would put (?:{_Q}) under itself \((?P<loop>.+)\); correct the parent_code of one unit in that loop",
     _l("会把“%(value)s”放到它自己下面（%(loop)s）；请改正这个环中某个单位的上级单位编码")),
    (rf"no unit with code (?:{_Q}); load units first \(feedback units load FILE\) or correct the code",
     _l("没有编码为“%(value)s”的单位；请先导入单位，或改正编码")),
    (r"a new website needs its site_code \(网站标识码\) or url_prefixes so that reports can be routed to it; "
     r"fill in one of them", _l("新网站需要填写网站标识码或网址前缀，留言才能转办给它；请至少填写一项")),
    (r"only websites have a 网站标识码; leave it empty for new_media", _l("只有网站有网站标识码；政务新媒体请留空")),
    (rf"(?:{_Q}) is not a 网站标识码 \(ten letters or digits, e\.g\. 1101000001\); in Excel format the column "
     r"as text to keep leading zeros",
     _l("“%(value)s”不是网站标识码（10 位字母或数字，例如 1101000001）；在 Excel 中请把该列设为文本以保留开头的 0")),
    (rf"(?:{_Q}) is not a URL prefix; write a host and optional path such as www\.example\.gov\.cn/jyj, "
     r"several separated by ;",
     _l("“%(value)s”不是网址前缀；请写域名和可选的路径，例如 www.example.gov.cn/jyj，多个用分号隔开")),
    (r"empty; a new-media account needs its account name \(账号\)", _l("为空；政务新媒体需要填写账号名称")),
    (r"only new_media rows have an account; leave it empty for a website", _l("只有政务新媒体有账号；网站请留空")),
    (r"the same (?P<kind>\w+) is already on row (?P<row>\d+); keep one row for it",
     _l("同一个网站或账号已在第 %(row)s 行出现；请只保留一行")),
    (rf"(?:{_Q}) is also given on row (?P<row>\d+) for unit '(?P<unit>[^']*)'; reports can go to one unit only",
     _l("“%(value)s”在第 %(row)s 行已给了单位 %(unit)s；留言只能转给一个单位")),
    (rf"(?:{_Q}) is not a URL prefix \(host and optional path\)", _l("“%(value)s”不是网址前缀（域名和可选的路径）")),
]]


def localize(message) -> str:
    """The message in the current locale: a known English check message said again through the
    catalog; any other text (already Chinese, or a lazy string) as it is."""
    text = str(message)
    match = match_pattern(text)
    if match is None:
        return text
    groups, wording = match
    return str(wording) % groups


def match_pattern(text: str):
    for pattern, wording in PATTERNS:
        m = pattern.match(text)
        if m:
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            if "v" in groups or "w" in groups:
                groups["value"] = groups.pop("v", None) or groups.pop("w", "")
            if "field" in groups:
                groups["field"] = field_name(groups["field"])
            if "action" in groups or "state" in groups:  # a lifecycle refusal, in the pages' words
                from feedback.web.helpers import ACTION_LABELS, STATE_LABELS

                groups["action"] = str(ACTION_LABELS.get(groups["action"], groups["action"]))
                groups["state"] = str(STATE_LABELS.get(groups["state"], groups["state"]))
            for name in ("known", "cols"):  # lists of column names: as the office calls them
                if name in groups:
                    groups[name] = "、".join(field_name(f.strip()) for f in groups[name].split(","))
            return groups, wording
    return None


def field_name(field: str) -> str:
    return str(FIELD_NAMES.get(field, field))


def localize_errors(errors: dict) -> dict[str, str]:
    """{field: message} of an InputError, each message in the reader's language."""
    return {field: localize(message) for field, message in errors.items()}

"""What netizens write and what units answer, in the words such messages use.

Labels are the platform's category labels from CONTRACT.md, so ingest files each report
under its category exactly as a real export would be.
"""
from __future__ import annotations

import random
import string
from datetime import date, timedelta

COLUMNS = [
    ("政务动态", "zwdt"), ("通知公告", "tzgg"), ("政策文件", "zcwj"), ("政策解读", "zcjd"),
    ("人事信息", "rsxx"), ("政府信息公开", "zfxxgk"), ("财政预决算", "czyjs"), ("办事指南", "bszn"),
    ("互动交流", "hdjl"), ("专题专栏", "ztzl"), ("统计数据", "tjsj"), ("规划计划", "ghjh"),
    ("建议提案办理", "jytabl"), ("机构职能", "jgzn"), ("领导信息", "ldxx"),
]
TITLES = [
    "关于{topic}有关事项的通知", "{unit}{year}年度部门预算公开", "{unit}{year}年政府信息公开工作年度报告",
    "关于做好{year}年{topic}工作的通知", "{unit}{year}年法治政府建设情况报告",
    "《关于进一步优化{topic}服务的实施意见》政策解读", "关于公布{year}年{topic}办理流程的公告",
    "关于开展{year}年度安全生产大检查的通知", "关于{topic}“一件事”集成办理的公告",
]
ACCOUNT_TITLES = ["{topic}最新政策来了！", "@所有人，{topic}这样办", "一图读懂{topic}", "{topic}，这些变化要知道"]
TYPOS = [  # (written, meant)
    ("布署", "部署"), ("按排", "安排"), ("再接再励", "再接再厉"), ("防讯", "防汛"), ("贯澈", "贯彻"),
    ("报消", "报销"), ("登计", "登记"), ("申清", "申请"), ("营商环竟", "营商环境"), ("截止日其", "截止日期"),
    ("办理时现", "办理时限"), ("公共服各", "公共服务"), ("既往不究", "既往不咎"), ("决对", "绝对"),
]
MAILBOXES = ["局长信箱", "在线咨询", "网上信访", "咨询投诉"]
MENUS = ["微服务", "办事大厅", "便民查询", "互动留言"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "海燕", "志强", "文静", "子涵", "浩然", "雨萱",
         "思远", "欣怡", "宇航", "梓轩", "佳怡", "俊杰", "晨曦", "一鸣", "婷婷", "晓琳", "建国", "国强",
         "春梅", "玉兰", "丽娟", "红霞", "凯", "斌", "鑫", "颖"]
PHONE_PREFIXES = ["138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188",
                  "177", "180", "189", "199", "133", "153", "181"]
MAIL_DOMAINS = ["163.com", "qq.com", "126.com", "sina.com", "foxmail.com"]

REPLIES = {
    "content_error": "您好！感谢您对{site}的关注。经核实，您反映的问题属实，我单位已于{day}完成更正，并对相关栏目开展了全面自查。今后我们将严格落实信息发布“三审”制度。",
    "outdated": "您好！您反映的栏目更新不及时问题已收悉。我单位已于{day}补充发布相关信息，并明确专人负责该栏目日常维护。",
    "broken_link": "您好！经核查，该链接失效系栏目迁移后地址未同步更新所致，已于{day}修复，现可正常访问。感谢您的监督！",
    "no_response": "您好！经核查，您的留言因工作人员疏漏未及时回复，我单位已于{day}安排专人电话联系您并作答复，对此深表歉意。",
    "service": "您好！我单位已会同政务服务中心窗口对办事指南进行逐项核对，于{day}按最新要求更新了申请材料和办理流程。",
    "security": "您好！经核查，相关页面确存在个人信息未脱敏问题，已于{day}下线处理，并对全站公示类信息开展了排查整改。",
    "other": "您好！您反映的问题已转交网站技术运维单位处理，于{day}修复完毕。感谢您对{site}的关注与支持！",
}
REDO = "补充答复：针对您反映的问题，我单位已于{day}再次组织核查并整改到位，整改后页面可正常访问，相关栏目已纳入每周巡检。"
REJECT_REASONS = ["答复内容过于简单，请说明具体整改情况并附整改后页面链接。", "经复核问题仍未整改到位，请重新处理。",
                  "答复未针对网民反映的问题，请重新答复。"]
EXTENSION_REASONS = ["涉及多个科室数据核实，需延期办理。", "网站栏目改版需协调运维公司进行技术调整，申请延期。",
                     "需会同相关乡镇（街道）共同核查，申请延期。"]
DENY_REASON = "问题较为简单，请按期办结。"
INVALID_REASONS = ["留言内容与政府网站无关，属个人诉求，已建议通过12345热线反映。", "所反映的网站不属于我市政府网站。",
                   "测试留言。", "经核查，所反映页面内容无误。"]
DUPLICATE_REASON = "重复留言，与已受理留言内容相同。"


def reporter(rng: random.Random) -> dict:
    """Reporter details as the platform forwards them: phones and mailboxes already masked."""
    name = None if rng.random() < 0.08 else rng.choice(SURNAMES) + rng.choice(GIVEN)
    phone = f"{rng.choice(PHONE_PREFIXES)}****{rng.randint(0, 9999):04d}"
    email = None
    if rng.random() < 0.2:
        email = f"{rng.choice(string.ascii_lowercase)}****@{rng.choice(MAIL_DOMAINS)}"
    return {"name": name, "phone": phone, "email": email}


def person_name(rng: random.Random, taken: set[str] | None = None) -> str:
    """A name nobody in `taken` has (then added to it): two staff of one demo city never share
    a name, or the history could not tell them apart."""
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if taken is None or name not in taken:
            break
    if taken is not None:
        taken.add(name)
    return name


def book(title: str) -> str:
    """A title in 书名号; one quoted inside it takes the inner marks 〈〉, never 《《…》…》."""
    return "《" + title.replace("《", "〈").replace("》", "〉") + "》"


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _article_url(prefix: str, slug: str, published: date, rng: random.Random) -> str:
    scheme = "https" if rng.random() < 0.8 else "http"
    return f"{scheme}://{prefix}/{slug}/{published:%Y%m}/t{published:%Y%m%d}_{rng.randint(1000000, 9999999)}.html"


def website_report(prefix: str, unit_name: str, topics, category: str, received: date,
                   rng: random.Random) -> tuple[str, str, str]:
    """(category label, description, url) for a report about a website or channel."""
    col, slug = rng.choice(COLUMNS)
    topic = rng.choice(topics)
    published = received - timedelta(days=rng.randint(1, 200))
    title = rng.choice(TITLES).format(topic=topic, unit=unit_name, year=published.year)
    article = _article_url(prefix, slug, published, rng)
    column = f"https://{prefix}/{slug}/"
    if category == "content_error":
        pick = rng.randrange(4)
        if pick <= 1:
            wrong, right = rng.choice(TYPOS)
            return "错别字", f"“{col}”栏目{book(title)}一文中“{wrong}”应为“{right}”，请核实更正。", article
        if pick == 2:
            n = rng.randint(5, 40)
            return ("内容错误", f"{book(title)}中引用的文件文号“江政办发〔{published.year}〕{n + 9}号”有误，"
                    f"应为“江政办发〔{published.year}〕{n}号”。", article)
        return "表述错误", f"{book(title)}页面显示发布日期为{_day(published)}，与正文落款日期不一致。", article
    if category == "outdated":
        months = rng.randint(3, 14)
        last = received - timedelta(days=months * 30 + rng.randint(0, 20))
        pick = rng.randrange(3)
        if pick == 0:
            return "栏目不更新", f"“{col}”栏目最后一条信息发布于{_day(last)}，已超过{months}个月未更新。", column
        if pick == 1:
            return ("信息不更新", "“领导信息”栏目中的领导分工未随人事调整及时更新，仍显示已调离的领导。",
                    f"https://{prefix}/ldxx/")
        return "信息不更新", f"“{topic}”办事指南仍引用已废止的{last.year - 2}年版文件，办理依据未更新。", column
    if category == "broken_link":
        label = rng.choice(["链接错误", "无法访问", "错链断链"])
        pick = rng.randrange(4)
        if pick == 0:
            return label, f"首页“{col}”栏目链接打不开，提示“404 页面不存在”。", column
        if pick == 1:
            return label, f"{book(title)}文末附件下载链接失效，点击后提示文件不存在。", article
        if pick == 2:
            return label, f"“{col}”栏目翻页到第2页后显示空白页。", column + "index_1.html"
        return label, f"“网上办事”入口跳转的“{topic}”办理页面无法访问。", f"https://{prefix}/bszn/"
    if category == "no_response":
        asked = received - timedelta(days=rng.randint(12, 60))
        if rng.random() < 0.7:
            return ("留言不回复", f"本人于{_day(asked)}在“{rng.choice(MAILBOXES)}”咨询{topic}相关问题，"
                    f"至今已超过{rng.randint(10, 30)}个工作日未收到答复。", f"https://{prefix}/hdjl/")
        return ("互动回应差", "“互动交流”栏目中大量网民留言显示“待回复”，最早的留言已超过一个月。",
                f"https://{prefix}/hdjl/")
    if category == "service":
        pick = rng.randrange(3)
        text = [f"“{topic}”办事指南所列申请材料与窗口实际要求不一致，群众多跑了一趟。",
                f"“{topic}”在线申报页面填写完成后点击提交无反应，无法完成申报。",
                f"“{topic}”相关表格模板下载后打开为乱码，无法使用。"][pick]
        return "办事服务不实用", text, f"https://{prefix}/bszn/"
    if category == "security":
        if rng.random() < 0.6:
            return ("个人信息泄露", f"“{col}”栏目公示的《{topic}名单》中包含完整身份证号码和手机号码，"
                    "存在个人信息泄露风险。", article)
        return "安全问题", "网站部分页面提示安全证书已过期，浏览器显示“不安全”。", f"https://{prefix}/"
    text = rng.choice(["网站在手机端浏览时页面排版错乱，文字重叠无法阅读。",
                       f"站内搜索输入标题搜索不到已发布的{book(title)}。",
                       "网站“长辈版”切换后部分页面无法返回标准版。", "网站无障碍浏览工具条点击后无反应。"])
    return "其他", text, f"https://{prefix}/"


def account_report(account: str, platform: str, topics, category: str, received: date,
                   rng: random.Random) -> tuple[str, str, str | None]:
    """(category label, description, url) for a report about a new-media account."""
    topic = rng.choice(topics)
    published = received - timedelta(days=rng.randint(1, 90))
    title = rng.choice(ACCOUNT_TITLES).format(topic=topic)
    url = None
    if platform == "微信公众号":
        url = "https://mp.weixin.qq.com/s/" + "".join(rng.choice(string.ascii_letters + string.digits + "-_")
                                                      for _ in range(22))
    if category == "content_error":
        wrong, right = rng.choice(TYPOS)
        return "错别字", f"“{account}”{_day(published)}发布的{book(title)}中“{wrong}”应为“{right}”。", url
    if category == "outdated":
        last = received - timedelta(days=rng.randint(40, 150))
        return "信息不更新", f"“{account}”自{_day(last)}以来未发布新的信息，账号长期不更新。", None
    if category == "broken_link":
        return "无法访问", f"“{account}”底部菜单“{rng.choice(MENUS)}”点击后跳转的页面无法打开。", None
    if category == "no_response":
        return "留言不回复", f"在“{account}”后台留言咨询{topic}，一周以来未收到任何回复。", None
    return "办事服务不实用", f"“{account}”菜单中的“{topic}”在线办理入口已失效，无法办理。", None


def reply(category: str, site: str, day: date) -> str:
    return REPLIES.get(category, REPLIES["other"]).format(site=site, day=_day(day))


def redo_reply(day: date) -> str:
    return REDO.format(day=_day(day))

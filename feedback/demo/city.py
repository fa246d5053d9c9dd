"""江南市, the fictional demo city: its units, sites, channels and new-media accounts.

The area code 3399 does not exist (Zhejiang's cities stop at 11), so the 10-character
网站标识码 below cannot collide with a real site; the domains are made up too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CITY = "江南市"
PORTAL_HOST = "www.jiangnanshi.gov.cn"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str  # office | region | department
    parent: str | None
    slug: str = ""  # the path of its channel (子频道) under the portal, e.g. "jyj"
    topics: tuple[str, ...] = ()  # its own services and columns, for realistic reports
    late_rate: float = 0.04  # share of replies that miss the unit clock


@dataclass(frozen=True)
class Target:
    """Something netizens report about: a website, a channel of a portal, or an account."""

    unit: str  # the unit that owns it
    kind: str  # website | channel | new_media | unregistered
    name: str  # 网站名称 / account name as the platform sends it
    prefix: str | None = None  # URL prefix (host + path)
    site_code: str | None = None  # the code reports carry: the portal's for a channel
    weight: int = 1
    assign_to: str | None = None  # unregistered: where the supervisor sends it from triage
    platform: str = ""  # new media: 微信公众号, 微博, 抖音


@dataclass
class PropertySpec:
    unit: str
    kind: str
    name: str
    site_code: str | None = None
    prefixes: list[str] = field(default_factory=list)
    account: str | None = None


OFFICE = UnitSpec("JN", "江南市人民政府办公室", "office", None,
                  topics=("政务服务", "政府信息公开", "12345热线"))

CITY_DEPARTMENTS = [
    UnitSpec("JN-JYJ", "江南市教育局", "department", "JN", "jyj",
             ("义务教育招生", "教师资格认定", "学校名录", "中考报名")),
    UnitSpec("JN-GAJ", "江南市公安局", "department", "JN", "gaj",
             ("户籍迁移", "出入境证件办理", "机动车违法查询", "居住证办理")),
    UnitSpec("JN-MZJ", "江南市民政局", "department", "JN", "mzj",
             ("婚姻登记预约", "养老服务补贴", "社会组织年检", "最低生活保障")),
    UnitSpec("JN-RSJ", "江南市人力资源和社会保障局", "department", "JN", "rsj",
             ("社保缴费基数", "失业保险金申领", "职称评审", "事业单位公开招聘")),
    UnitSpec("JN-ZRZYJ", "江南市自然资源和规划局", "department", "JN", "zrzyj",
             ("不动产登记", "国土空间规划", "建设工程规划许可", "土地出让公告"), late_rate=0.18),
    UnitSpec("JN-ZJJ", "江南市住房和城乡建设局", "department", "JN", "zjj",
             ("保障性住房申请", "商品房预售许可", "物业服务投诉", "建筑业企业资质")),
    UnitSpec("JN-JTYSJ", "江南市交通运输局", "department", "JN", "jtysj",
             ("公交线路调整", "道路运输证办理", "出租车投诉", "网约车许可")),
    UnitSpec("JN-WJW", "江南市卫生健康委员会", "department", "JN", "wjw",
             ("医疗机构查询", "出生医学证明", "疫苗接种点", "医师执业注册")),
    UnitSpec("JN-SCJGJ", "江南市市场监督管理局", "department", "JN", "scjgj",
             ("企业开办", "食品经营许可", "食品安全抽检", "消费投诉")),
    UnitSpec("JN-STHJJ", "江南市生态环境局", "department", "JN", "sthjj",
             ("空气质量日报", "环评审批公示", "排污许可", "环境信访")),
    UnitSpec("JN-WGLJ", "江南市文化广电旅游局", "department", "JN", "wglj",
             ("景区开放信息", "文化惠民活动", "旅行社许可", "非遗名录")),
    UnitSpec("JN-YBJ", "江南市医疗保障局", "department", "JN", "ybj",
             ("医保异地备案", "定点医药机构名单", "门诊慢特病申请", "城乡居民医保缴费")),
    UnitSpec("JN-YJGLJ", "江南市应急管理局", "department", "JN", "yjglj",
             ("安全生产许可", "防汛防台", "应急避难场所", "危险化学品经营许可")),
]

# (code, name, portal host, area code for 网站标识码)
REGIONS = [
    ("QH", "清河区", "www.jnqinghe.gov.cn", "339902"),
    ("LJ", "临江区", "www.jnlinjiang.gov.cn", "339903"),
    ("QS", "青山县", "www.jnqingshan.gov.cn", "339921"),
    ("MX", "梅溪县", "www.jnmeixi.gov.cn", "339922"),
]

# Each county runs these departments, as channels of its portal.
COUNTY_DEPARTMENTS = [
    ("JYJ", "教育局", "jyj", ("义务教育招生", "学前教育补助", "学校名录")),
    ("WJJ", "卫生健康局", "wjj", ("预防接种门诊", "家庭医生签约", "医疗机构名单")),
    ("RSJ", "人力资源和社会保障局", "rsj", ("灵活就业社保", "公益性岗位招聘", "城乡居民养老保险")),
    ("SCJGJ", "市场监督管理局", "scjgj", ("个体工商户登记", "食品安全抽检", "价格投诉")),
]

# Units that often miss the clock: they show up in the assessment's overdue column.
SLOW_UNITS = {"QS-WJJ": 0.32, "MX-SCJGJ": 0.26, "LJ-RSJ": 0.15}

CITY_SITES = {  # city departments that run a site of their own; the others are channels
    "JN-JYJ": ("江南市教育局网站", "jyj.jiangnanshi.gov.cn", "3399000002"),
    "JN-GAJ": ("江南市公安局网站", "gaj.jiangnanshi.gov.cn", "3399000003"),
    "JN-RSJ": ("江南市人力资源和社会保障局网站", "rsj.jiangnanshi.gov.cn", "3399000004"),
    "JN-WJW": ("江南市卫生健康委员会网站", "wjw.jiangnanshi.gov.cn", "3399000005"),
    "JN-SCJGJ": ("江南市市场监督管理局网站", "scjgj.jiangnanshi.gov.cn", "3399000006"),
}
PORTAL_CODE = "3399000001"

# (unit, account, platform, report weight)
ACCOUNTS = [
    ("JN", "江南发布", "微信公众号", 4),
    ("JN-JYJ", "江南教育", "微信公众号", 2),
    ("JN-RSJ", "江南人社", "微信公众号", 2),
    ("JN-GAJ", "平安江南", "微博", 1),
    ("JN-WJW", "健康江南", "微信公众号", 1),
    ("JN-WGLJ", "江南文旅", "抖音", 1),
    ("QH", "清河发布", "微信公众号", 1),
    ("LJ", "临江发布", "微信公众号", 1),
    ("QS", "青山发布", "微信公众号", 1),
    ("MX", "梅溪发布", "微信公众号", 1),
]

# Sites and accounts not in the directory: their reports wait in triage (state new) until
# the city supervisor assigns them.
UNREGISTERED = [
    Target("QS", "unregistered", "青山县石门镇人民政府网站", "smz.jnqingshan.gov.cn", "3399210012",
           weight=2, assign_to="QS"),
    Target("JN", "unregistered", "江南市公共资源交易网", "ggzy.jiangnanshi.gov.cn", "3399000015",
           weight=2, assign_to="JN"),
    Target("JN-ZJJ", "unregistered", "江南市住房公积金管理中心网站", "gjj.jiangnanshi.gov.cn",
           weight=2, assign_to="JN-ZJJ"),
    Target("QH", "unregistered", "清河区政务服务网", "zwfw.jnqinghe.gov.cn", weight=1, assign_to="QH"),
    Target("MX", "unregistered", "梅溪文旅", None, weight=1, assign_to="MX", platform="抖音"),
]


def units() -> list[UnitSpec]:
    """Every unit, parents before children."""
    out = [OFFICE, *CITY_DEPARTMENTS]
    for code, name, _, _ in REGIONS:
        out.append(UnitSpec(code, name, "region", "JN", topics=("政务服务", "乡村振兴", "政府信息公开")))
    for code, name, _, _ in REGIONS:
        for suffix, dept, slug, topics in COUNTY_DEPARTMENTS:
            unit_code = f"{code}-{suffix}"
            out.append(UnitSpec(unit_code, name + dept, "department", code, slug, topics,
                                SLOW_UNITS.get(unit_code, 0.04)))
    return out


def sites():
    """Each site, channel and account as (what the directory holds, what netizens report on,
    with how often they write about it). A channel is routed by its URL prefix alone, but its
    reports may carry the portal's site code."""
    portal = f"{CITY}人民政府门户网站"
    yield (PropertySpec("JN", "website", portal, PORTAL_CODE, [PORTAL_HOST]),
           Target("JN", "website", portal, PORTAL_HOST, PORTAL_CODE, weight=14))
    for dept in CITY_DEPARTMENTS:
        if dept.code in CITY_SITES:
            name, host, code = CITY_SITES[dept.code]
            yield (PropertySpec(dept.code, "website", name, code, [host]),
                   Target(dept.code, "website", name, host, code, weight=6))
        else:
            prefix = f"{PORTAL_HOST}/{dept.slug}"
            yield (PropertySpec(dept.code, "website", f"{portal}·{dept.name}频道", None, [prefix]),
                   Target(dept.code, "channel", portal, prefix, PORTAL_CODE, weight=4))
    for code, name, host, area in REGIONS:
        portal = f"{name}人民政府门户网站"
        yield (PropertySpec(code, "website", portal, f"{area}0001", [host]),
               Target(code, "website", portal, host, f"{area}0001", weight=6))
        for suffix, dept, slug, _ in COUNTY_DEPARTMENTS:
            prefix = f"{host}/{slug}"
            yield (PropertySpec(f"{code}-{suffix}", "website", f"{portal}·{dept}频道", None, [prefix]),
                   Target(f"{code}-{suffix}", "channel", portal, prefix, f"{area}0001", weight=3))
    for unit, account, platform, weight in ACCOUNTS:
        yield (PropertySpec(unit, "new_media", f"{account}（{platform}）", account=account),
               Target(unit, "new_media", account, weight=weight, platform=platform))


def properties() -> list[PropertySpec]:
    return [prop for prop, _ in sites()]


def targets() -> list[Target]:
    """What reports are about: the directory's sites and accounts, and a few it lacks."""
    return [target for _, target in sites()] + UNREGISTERED

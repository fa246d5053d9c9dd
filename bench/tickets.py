"""One generated ticket: its row and its events, built from a timeline cut at `as_of`.

Each ticket gets a whole life first — received, routed (or triaged and assigned by a
reviewer), accepted, perhaps an extension, replied on time or late (perhaps rejected once and
replied again), approved; or marked invalid — and then only the events up to `as_of` happen.
The ticket's columns are folded from the events that happened, exactly as lifecycle.apply
would have left them, so every row satisfies the model's invariants:
unit_due_at = due_after(assigned_at, unit_clock_days), handling_workdays set when closed, one
`receive` event first and one event per state change.

The states and the fold mirror feedback/tickets/lifecycle.py (RULES, transition, fold) in plain
integers and strings, for speed at a million tickets; tests/bench/test_bench_smoke.py checks
every generated event against lifecycle.transition and replays the lives lifecycle.fold can play
through it, comparing the columns.
"""
from __future__ import annotations

import json
import math
import random

from bench.daytable import DAY, DayTable, TimeText, end_of_local_day, local_day, local_time
from bench.province import Prop, Province

UNIT_DAYS = 3  # config defaults (FEEDBACK_UNIT_DEADLINE_DAYS / _PLATFORM_): the server uses the same
PLATFORM_DAYS = 5

TICKET_COLUMNS = (
    "id", "platform_id", "state", "category", "category_label", "description", "url", "site_code",
    "site_name", "property_id", "reporter_name", "reporter_phone", "reporter_email", "submitted_at",
    "received_at", "platform_due_at", "platform_clock_days", "unit_id", "assigned_at", "unit_due_at",
    "unit_clock_days", "deadline_provisional", "extensions", "extension_requested_days",
    "extension_request_reason", "replied_at", "reply_text", "closed_at", "handling_workdays",
    "invalid_reason", "duplicate_of_id", "created_at", "updated_at",
)
EVENT_COLUMNS = ("id", "ticket_id", "at", "actor_id", "actor", "action", "from_state", "to_state", "unit_id", "data")

CATEGORIES = (  # (code, the label the platform sends, share)
    ("content_error", "错别字", 0.18), ("content_error", "内容错误", 0.12), ("broken_link", "链接错误", 0.16),
    ("broken_link", "无法访问", 0.12), ("outdated", "信息不更新", 0.14), ("outdated", "栏目不更新", 0.08),
    ("no_response", "留言不回复", 0.08), ("service", "办事服务不实用", 0.06), ("security", "个人信息泄露", 0.02),
    ("other", "其他", 0.04),
)
PROBLEMS = {
    "错别字": ("“{s}”栏目文章标题有错别字", "“{s}”栏目正文中“的地得”使用错误", "“{s}”栏目发布的通知日期写错"),
    "内容错误": ("“{s}”栏目公布的办公电话是空号", "“{s}”栏目政策解读与原文不一致", "“{s}”栏目机构职能信息有误"),
    "链接错误": ("“{s}”栏目附件下载链接打不开", "首页“{s}”入口链接指向错误页面", "“{s}”栏目文章内链接失效"),
    "无法访问": ("网站首页无法访问", "“{s}”栏目打开显示404", "手机端访问“{s}”栏目页面空白"),
    "信息不更新": ("“{s}”栏目超过半年未更新", "“{s}”栏目最新信息停留在去年", "“{s}”栏目领导信息未及时调整"),
    "栏目不更新": ("“{s}”栏目长期空白", "“{s}”栏目内容为空", "“{s}”栏目仍显示建设中"),
    "留言不回复": ("在“{s}”留言超过一个月未回复", "互动交流栏目留言无人答复", "“{s}”咨询问题未得到回复"),
    "办事服务不实用": ("“{s}”办事指南材料清单过时", "在线办理“{s}”无法提交", "“{s}”表格下载后无法打开"),
    "个人信息泄露": ("“{s}”栏目公示名单泄露身份证号", "“{s}”附件中含有群众手机号", "“{s}”公示材料未脱敏"),
    "其他": ("“{s}”页面图片显示异常", "网站无障碍浏览功能无法使用", "“{s}”栏目字体显示乱码"),
}
SECTIONS = (("通知公告", "tzgg"), ("政务动态", "zwdt"), ("政策文件", "zcwj"), ("政策解读", "zcjd"),
            ("办事服务", "bsfw"), ("互动交流", "hdjl"), ("人事信息", "rsxx"), ("财政预决算", "czyjs"),
            ("机构职能", "jgzn"), ("政府信息公开", "zfxxgk"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强春梅海燕红梅文博子涵雨欣浩然思远"
REPLIES = ("已更正，感谢您的监督。", "已修复链接，现可正常访问。", "已更新栏目内容。", "经核实已整改完毕。",
           "已联系技术服务商处理完毕。", "已删除相关信息并加强审核。")
REASONS = ("需协调技术服务商修改", "涉及多个栏目整改", "需上级部门确认内容")
INVALID = ("重复留言", "非本省政府网站问题", "留言内容无具体问题", "反映的问题不属于网站问题")
REJECT = ("答复未说明整改情况，请补充", "问题仍未整改，请重新处理")
HOURS = (1, 1, 1, 1, 1, 1, 2, 4, 10, 16, 16, 14, 8, 12, 16, 16, 14, 10, 6, 4, 3, 3, 2, 1)  # received, by hour


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class TicketMaker:
    def __init__(self, province: Province, table: DayTable, text: TimeText, as_of: int, rng: random.Random):
        self.p, self.table, self.text, self.as_of, self.rng = province, table, text, as_of, rng
        self.rule_for = {(r.property_id, r.kind): r for r in province.rules}
        self.labels = [(code, label) for code, label, _ in CATEGORIES]
        self.label_cum = _cumulative(share for _, _, share in CATEGORIES)
        self.prop_cum = _cumulative(prop.weight for prop in province.properties)
        self.hour_cum = _cumulative(HOURS)
        self.label_of = {u[0]: u[2] for u in province.users}
        self.descriptions = PROBLEMS

    # --- what and when ----------------------------------------------------------------------

    def properties(self, n: int, triage_share: float = 0.08) -> list[Prop | None]:
        """The site or account each of n reports is about; None for one no rule knows (triage).
        A few portals and big bureaus get most of the reports."""
        props = self.rng.choices(self.p.properties, cum_weights=self.prop_cum, k=n)
        rnd = self.rng.random
        return [None if rnd() < triage_share else prop for prop in props]

    def received_times(self, n: int, first_day: int) -> list[int]:
        """n forwarding times between first_day and as_of, sorted: workdays busier than weekends,
        volume growing over the years, bursts on the first working days after a long holiday."""
        rng, table = self.rng, self.table
        days = list(range(first_day, local_day(self.as_of) + 1))
        weights = []
        days_off = after_break = 0
        for i, day in enumerate(days):
            growth = 0.8 + 0.4 * i / max(1, len(days) - 1)
            if table.works(day):
                if days_off >= 3:
                    after_break = 3
                weights.append(growth * (1.0, 1.3, 1.6, 2.2)[after_break])
                after_break = max(0, after_break - 1)
                days_off = 0
            else:
                weights.append(growth * 0.3)
                days_off += 1
        picked = rng.choices(days, cum_weights=_cumulative(weights), k=n)
        hours = rng.choices(range(24), cum_weights=self.hour_cum, k=n)
        out = []
        for day, hour in zip(picked, hours):
            t = local_time(day, hour * 3600 + rng.randrange(3600))
            out.append(t if t <= self.as_of else self.as_of - rng.randrange(3600))
        out.sort()
        return out

    def _work_time(self, day: int, k: int, after: int) -> int:
        """Office hours on the kth working day from `day` (0 = that day, if a working day), and
        strictly after `after`: units and reviewers act on working days."""
        table, rng = self.table, self.rng
        d = table.workday_on_or_after(day, k)
        t = local_time(d, rng.randint(30_600, 63_000))  # 08:30–17:30
        while t <= after:
            d = table.workday_on_or_after(d, 1)
            t = local_time(d, rng.randint(30_600, 63_000))
        return t

    # --- one ticket's life ------------------------------------------------------------------
    # A timeline entry: (at, action, from_state, to_state, unit_id, actor_id, actor, data JSON, value);
    # from_state → to_state as lifecycle.RULES give them for the action

    def make(self, tid: int, received: int, prop: Prop | None, eid: int, *, force_open: bool = False):
        """(ticket row, event rows) of ticket `tid`, its event ids counting from `eid`.
        force_open: a ticket nobody has answered yet (for the workloads that need open tickets)."""
        rng = self.rng
        with_code = prop is not None and prop.site_code is not None and rng.random() < 0.7
        ingested = received + min(rng.randint(5, 600), self.as_of - received)
        api = self.p.api_user
        timeline = [(ingested, "receive", None, "new", None, api, self.label_of[api],
                     f'{{"source": "api", "received_at": "{self.text.iso(received)}"}}', None)]
        invalid = not force_open and rng.random() < (0.12 if prop is None else 0.03)
        if prop is None and invalid:
            at = self._work_time(local_day(ingested), rng.choice((0, 1)), ingested)
            timeline.append(self._invalidate(at, "new", None))
        else:
            assigned, unit_id = self._assign(prop, with_code, ingested, timeline)
            if invalid:
                at = self._work_time(local_day(assigned), rng.choice((0, 1, 2)), assigned)
                timeline.append(self._invalidate(at, "assigned", unit_id))
            else:
                self._handle(assigned, unit_id, received, timeline, force_open)
        return self._fold(tid, received, prop, with_code, timeline, eid)

    def _assign(self, prop, with_code, ingested, timeline):
        if prop is not None:  # routed on ingest, which starts the unit clock at ingest time
            kind = "site_code" if with_code else "url_prefix" if prop.kind == "website" else "account"
            rule = self.rule_for[(prop.id, kind)]
            timeline.append((ingested, "assign", "new", "assigned", prop.unit_id, self.p.api_user, "routing",
                             f'{{"rule_id": {rule.id}, "rule": "{rule.kind}:{rule.pattern}"}}', None))
            return ingested, prop.unit_id
        # triage: a reviewer picks the unit within a working day or two
        rng = self.rng
        unit = self.p.unit(self.properties(1, 0)[0].unit_id)
        at = self._work_time(local_day(ingested), rng.choice((0, 0, 1, 1, 2)), ingested)
        due_day, _ = self.table.nth_after(local_day(at), UNIT_DAYS)
        reviewer = rng.choice(self.p.reviewers)
        timeline.append((at, "assign", "new", "assigned", unit.id, reviewer, self.label_of[reviewer],
                         f'{{"unit": "{unit.code}", "unit_due_at": "{self.text.iso(end_of_local_day(due_day))}"}}',
                         None))
        return at, unit.id

    def _invalidate(self, at, from_state, unit_id):
        reviewer = self.rng.choice(self.p.reviewers)
        reason = self.rng.choice(INVALID)
        return (at, "invalidate", from_state, "invalid", unit_id, reviewer, self.label_of[reviewer],
                f'{{"reason": {_q(reason)}}}', reason)

    def _handle(self, assigned, unit_id, received, timeline, force_open):
        """accept → (extension) → reply, on time or late (perhaps rejected once) → approve."""
        rng, table = self.rng, self.table
        clerk = self.p.clerk_of[unit_id]
        aday = local_day(assigned)
        days = UNIT_DAYS
        due = end_of_local_day(table.nth_after(aday, days)[0])
        last = assigned
        if rng.random() < 0.7:  # 签收
            last = self._work_time(aday, rng.choice((0, 0, 1)), last)
            timeline.append((last, "accept", "assigned", "in_progress", unit_id, clerk, self.label_of[clerk],
                             "{}", None))
        state = timeline[-1][3]
        if rng.random() < 0.04:
            last, days, due = self._extension(aday, last, state, unit_id, clerk, days, due, timeline)
        if force_open or self._abandoned(received):
            if force_open and rng.random() < 0.25:  # replied, waiting for the office's review
                last = self._work_time(local_day(last), 0, last)
                timeline.append(self._reply(last, state, unit_id, clerk, due))
            return
        u = rng.random()
        if u < 0.88:  # on time: most replies come on the first or second working day
            k = rng.choice((0, 1, 1, 1, 2, 2, 2, 3) if days == UNIT_DAYS else range(days + 1))
        elif u < 0.98:
            k = days + rng.randint(1, 8)
        else:
            k = days + rng.randint(9, 40)
        last = self._work_time(aday, k, last)
        timeline.append(self._reply(last, state, unit_id, clerk, due))
        if rng.random() < 0.04:  # 退回重办, then a second reply; the unit clock keeps running
            last = self._reject_and_reply(last, unit_id, clerk, due, timeline)
        replied = last
        reviewer = rng.choice(self.p.reviewers)
        last = self._work_time(local_day(last), rng.choice((0, 1, 1, 2, 3)), last)
        on_time = "true" if replied <= due else "false"
        timeline.append((last, "approve", "replied", "closed", unit_id, reviewer, self.label_of[reviewer],
                         f'{{"replied_at": "{self.text.iso(replied)}", "on_time": {on_time}}}', None))

    def _extension(self, aday, last, state, unit_id, clerk, days, due, timeline):
        """延期申请 and the office's decision; an approved one moves the unit clock."""
        rng, iso = self.rng, self.text.iso
        extra = rng.choice((3, 5, 7, 10))
        reason = rng.choice(REASONS)
        last = self._work_time(aday, rng.choice((1, 2)), last)
        timeline.append((last, "request-extension", state, state, unit_id, clerk, self.label_of[clerk],
                         f'{{"days": {extra}, "reason": {_q(reason)}}}', (extra, reason)))
        last = self._work_time(local_day(last), rng.choice((0, 1)), last)
        reviewer = rng.choice(self.p.reviewers)
        if rng.random() < 0.85:
            days += extra
            old, due = due, end_of_local_day(self.table.nth_after(aday, days)[0])
            data = (f'{{"approve": true, "requested_days": {extra}, "days": {extra}, '
                    f'"old_due_at": "{iso(old)}", "unit_due_at": "{iso(due)}"}}')
            granted = extra
        else:
            data = f'{{"approve": false, "requested_days": {extra}, "reason": "不符合延期条件"}}'
            granted = 0
        timeline.append((last, "decide-extension", state, state, unit_id, reviewer, self.label_of[reviewer],
                         data, granted))
        return last, days, due

    def _reject_and_reply(self, first, unit_id, clerk, due, timeline):
        rng = self.rng
        reviewer = rng.choice(self.p.reviewers)
        last = self._work_time(local_day(first), rng.choice((0, 1)), first)
        timeline.append((last, "reject", "replied", "in_progress", unit_id, reviewer, self.label_of[reviewer],
                         f'{{"reason": {_q(rng.choice(REJECT))}, "rejected_reply_at": "{self.text.iso(first)}"}}',
                         None))
        last = self._work_time(local_day(last), rng.choice((1, 2, 3)), last)
        timeline.append(self._reply(last, "in_progress", unit_id, clerk, due))
        return last

    def _reply(self, at, from_state, unit_id, clerk, due):
        text = self.rng.choice(REPLIES)
        return (at, "reply", from_state, "replied", unit_id, clerk, self.label_of[clerk],
                f'{{"text": {_q(text)}, "on_time": {"true" if at <= due else "false"}}}', text)

    def _abandoned(self, received: int) -> bool:
        """A ticket its unit leaves unanswered: the overdue ones, a few percent of all, mostly
        recent (old ones were chased down long ago)."""
        age_days = (self.as_of - received) / DAY
        return self.rng.random() < 0.15 * math.exp(-age_days / 150)

    # --- the row, from the events that happened by as_of --------------------------------------

    def _fold(self, tid, received, prop, with_code, timeline, eid):
        """The ticket's columns as lifecycle.apply leaves them after the events up to as_of (a
        mirror of lifecycle.fold's column changes, plus the extensions apply makes)."""
        table, db = self.table, self.text.db
        happened = [e for e in timeline if e[0] <= self.as_of]
        unit_id = assigned = days = req = req_reason = None
        replied = reply_text = closed = workdays = invalid_reason = None
        ext = 0
        for at, action, _, _, ev_unit, _, _, _, value in happened:
            if action == "assign":
                unit_id, assigned, days = ev_unit, at, UNIT_DAYS
            elif action == "request-extension":
                req, req_reason = value
            elif action == "decide-extension":
                if value:
                    days += value
                    ext += 1
                req = req_reason = None
            elif action == "reply":
                replied, reply_text = at, value
            elif action == "approve":
                closed = at
                workdays = table.between(local_day(assigned), local_day(replied))
            elif action == "invalidate":
                invalid_reason = value
        rday = local_day(received)
        pdue_day, provisional = table.nth_after(rday, PLATFORM_DAYS)
        unit_due = None
        if assigned is not None:
            udue_day, unit_provisional = table.nth_after(local_day(assigned), days)
            unit_due, provisional = end_of_local_day(udue_day), provisional or unit_provisional
        code, label, description, url, site_code, site_name = self.report_fields(prop, with_code)
        rng = self.rng
        email = f"user{rng.randrange(10**6)}@example.cn" if rng.random() < 0.3 else None
        row = (
            tid, f"ZC{self.text.dates[rday - self.text.first].replace('-', '')}{tid:08d}", happened[-1][3],
            code, label, description, url, site_code, site_name, prop.id if prop else None,
            rng.choice(SURNAMES) + rng.choice(GIVEN), f"1{rng.randint(3_000_000_000, 9_999_999_999)}", email,
            db(received - rng.randint(3600, 3 * DAY)), db(received), db(end_of_local_day(pdue_day)), PLATFORM_DAYS,
            unit_id, db(assigned), db(unit_due), days, provisional, ext, req, req_reason,
            db(replied), reply_text, db(closed), workdays, invalid_reason, None,
            db(happened[0][0]), db(happened[-1][0]),
        )
        events = [(eid + i, tid, db(e[0]), e[5], e[6], e[1], e[2], e[3], e[4], e[7]) for i, e in enumerate(happened)]
        return row, events

    def report_fields(self, prop: Prop | None, with_code: bool):
        """What the netizen reported: category, description, and where."""
        rng = self.rng
        code, label = rng.choices(self.labels, cum_weights=self.label_cum)[0]
        section, slug = rng.choice(SECTIONS)
        description = rng.choice(self.descriptions[label]).replace("{s}", section)
        if prop is None:  # a site no rule knows: it waits in triage
            n = rng.randrange(1000)
            return code, label, description, f"https://www.site{n}.example.cn/{slug}/", None, f"某网站{n}"
        if prop.kind == "new_media":
            return code, label, description, None, None, prop.account
        url = f"https://www.{prop.url_prefix}/{slug}/{rng.randrange(10**6)}.html"
        return code, label, description, url, prop.site_code if with_code else None, prop.name


def _cumulative(weights) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out

"""Which unit gets a report (DESIGN.md: RoutingRule). Plain Python first, then the database
and one report through the API."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.directory.admin import add_rule
from feedback.directory.models import RoutingRule
from feedback.directory.routing import (
    Query, RuleRow, candidate_prefixes, choose, normalize_pattern, normalize_url, route_many,
)
from feedback.extensions import db
from feedback.tickets.models import Ticket, TicketEvent


def rules(*specs) -> list[RuleRow]:
    """(kind, pattern as an admin writes it, unit_id) → rules as stored (patterns normalised)."""
    return [RuleRow(i, kind, normalize_pattern(kind, pattern), unit, None)
            for i, (kind, pattern, unit) in enumerate(specs, start=1)]


RULES = rules(
    ("url_prefix", "http://www.dongcheng.gov.cn", 10),  # the county portal
    ("url_prefix", "www.dongcheng.gov.cn/jyj", 11),  # the education bureau's column on it
    ("url_prefix", "www.dongcheng.gov.cn/jyj/zcwj", 12),  # a deeper column run by another office
    ("site_code", "1101000002", 20),
    ("account", "西城人社", 30),
)


def unit_for(**query) -> int | None:
    hit = choose(Query(**query), RULES)
    return hit.unit_id if hit else None


@pytest.mark.parametrize("url, expected", [
    ("https://WWW.Dongcheng.GOV.cn:443/jyj/1.html?id=3#top", "dongcheng.gov.cn/jyj/1.html"),
    ("dongcheng.gov.cn/jyj/", "dongcheng.gov.cn/jyj"),
    ("http://dongcheng.gov.cn:80", "dongcheng.gov.cn"),
    ("http://dongcheng.gov.cn:8080/jyj", "dongcheng.gov.cn:8080/jyj"),  # another port is another site
    ("//dongcheng.gov.cn//jyj//a", "dongcheng.gov.cn/jyj/a"),
    ("dongcheng.gov.cn./jyj", "dongcheng.gov.cn/jyj"),
    ("  http://dongcheng.gov.cn/JYJ  ", "dongcheng.gov.cn/JYJ"),  # paths keep their case
    # a URL inside the query string is not the scheme
    ("dongcheng.gov.cn/go?to=http://other.gov.cn/x", "dongcheng.gov.cn/go"),
    ("dongcheng.gov.cn/%E6%96%B0%E9%97%BB/1", "dongcheng.gov.cn/新闻/1"),
    ("dongcheng.gov.cn/jyj/../wsj/a", "dongcheng.gov.cn/wsj/a"),
    ("", None), ("   ", None), (None, None), ("http://", None), ("http://a.gov.cn:notaport/", None),
])
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


def test_candidate_prefixes_stop_at_segment_boundaries_longest_first():
    assert candidate_prefixes("a.gov.cn/news/2026/1.html") == [
        "a.gov.cn/news/2026/1.html", "a.gov.cn/news/2026", "a.gov.cn/news", "a.gov.cn"]


class TestChoose:
    def test_longest_prefix_wins(self):
        assert unit_for(url="http://www.dongcheng.gov.cn/jyj/zcwj/2026/3.html") == 12
        assert unit_for(url="http://www.dongcheng.gov.cn/jyj/tzgg/3.html") == 11
        assert unit_for(url="http://www.dongcheng.gov.cn/zwgk/3.html") == 10

    def test_prefixes_match_whole_segments_only(self):
        # /jyjx is not under /jyj: it falls back to the host rule
        assert unit_for(url="http://www.dongcheng.gov.cn/jyjx/1.html") == 10
        # a longer host is another site, not a prefix of this one
        assert unit_for(url="http://www.dongcheng.gov.cn.evil.example/jyj") is None

    @pytest.mark.parametrize("url", [
        "https://www.dongcheng.gov.cn/jyj",
        "http://dongcheng.gov.cn/jyj/",
        "HTTP://WWW.DONGCHENG.GOV.CN/jyj",
        "www.dongcheng.gov.cn:443/jyj?from=home",
        "dongcheng.gov.cn/jyj#section-2",
    ])
    def test_scheme_www_case_default_ports_slash_query_and_fragment_are_ignored(self, url):
        assert unit_for(url=url) == 11

    def test_exact_site_code_beats_any_prefix(self):
        # the URL's longest prefix says 12, the site code says 20
        assert unit_for(site_code="1101000002", url="http://www.dongcheng.gov.cn/jyj/zcwj/1") == 20
        assert unit_for(site_code=" 1101000002 ") == 20

    def test_an_unknown_site_code_falls_back_to_the_url(self):
        assert unit_for(site_code="9999999999", url="http://www.dongcheng.gov.cn/jyj/1") == 11

    def test_an_account_name_is_exact_and_comes_last(self):
        assert unit_for(account="西城人社") == 30
        assert unit_for(account="西城人社局") is None
        assert unit_for(account="西城人社", url="http://www.dongcheng.gov.cn/a") == 10

    def test_no_match_is_none(self):
        assert unit_for(url="http://unknown.example.org/x") is None
        assert unit_for() is None
        assert choose(Query(url="http://www.dongcheng.gov.cn"), []) is None


class TestChannelsWithinTheNamedSite:
    """DESIGN.md: RoutingRule — a site_code names a site; a URL under it goes to the longest
    prefix within that site (a 子频道), a URL elsewhere to the site_code's owner."""

    SITE_RULES = [
        RuleRow(1, "site_code", "3399000001", 100, 1),  # the city portal (property 1) → the office
        RuleRow(2, "url_prefix", "jiangnanshi.gov.cn", 100, 1),  # the portal's own prefix
        RuleRow(3, "url_prefix", "jiangnanshi.gov.cn/mzj", 101, 2),  # 民政局's channel (property 2)
        RuleRow(4, "url_prefix", "jiangnanshi.gov.cn/mzj/shzz", 102, 3),  # a deeper channel
        RuleRow(5, "site_code", "3399000002", 200, 4),  # the education bureau's own site
        RuleRow(6, "url_prefix", "jyj.jiangnanshi.gov.cn", 200, 4),
        RuleRow(7, "url_prefix", "other.gov.cn/a", 300, 5),  # another site's page
    ]

    def unit(self, **query):
        hit = choose(Query(**query), self.SITE_RULES)
        return hit.unit_id if hit else None

    def test_a_channel_carrying_the_portal_code_goes_to_its_department(self):
        assert self.unit(site_code="3399000001", url="http://www.jiangnanshi.gov.cn/mzj/tzgg/1.html") == 101
        assert self.unit(site_code="3399000001", url="http://www.jiangnanshi.gov.cn/mzj/shzz/2.html") == 102

    def test_the_portal_own_pages_stay_with_the_portal(self):
        assert self.unit(site_code="3399000001", url="http://www.jiangnanshi.gov.cn/zwgk/1.html") == 100
        assert self.unit(site_code="3399000001", url="http://www.jiangnanshi.gov.cn/mzjx/1.html") == 100

    def test_a_url_outside_the_named_site_goes_by_the_site_code(self):
        # the page is other.gov.cn/a (unit 300 by prefix), but the report names the portal
        assert self.unit(site_code="3399000001", url="http://other.gov.cn/a/1.html") == 100
        # another site's code on a portal channel's URL: the named site still wins
        assert self.unit(site_code="3399000002", url="http://www.jiangnanshi.gov.cn/mzj/1.html") == 200

    def test_without_a_site_code_the_longest_prefix_wins(self):
        assert self.unit(url="http://www.jiangnanshi.gov.cn/mzj/1.html") == 101
        assert self.unit(url="http://other.gov.cn/a/1.html") == 300


def test_a_county_channel_with_the_county_portal_code_is_routed_to_the_department(app, world, client, clock):
    # world: 东城县 R1 owns www.dongcheng.gov.cn (site 1101000000); 教育局 D1's site has the
    # channel prefix dongcheng.gov.cn/jyj on the portal
    answer = client.post("/api/v1/reports", headers=world.headers("boss"), json={
        "platform_id": "CH-1", "received_at": clock().isoformat(), "description": "错别字",
        "site_code": "1101000000", "url": "https://www.dongcheng.gov.cn/jyj/tzgg/1.html"})
    assert answer.status_code == 201 and answer.json["unit"]["code"] == "D1"
    answer = client.post("/api/v1/reports", headers=world.headers("boss"), json={
        "platform_id": "CH-2", "received_at": clock().isoformat(), "description": "错别字",
        "site_code": "1101000000", "url": "https://wsj.dongcheng.gov.cn/1.html"})  # not under R1's site
    assert answer.status_code == 201 and answer.json["unit"]["code"] == "R1"


def test_route_many_reads_the_stored_rules(app, world):
    # world: D1 owns edu.dongcheng.gov.cn and dongcheng.gov.cn/jyj (site 1101000001),
    # D2 wsj.dongcheng.gov.cn (1101000002), R1 dongcheng.gov.cn (1101000000), D3 the account 西城人社
    d = {code: unit.id for code, unit in world.units.items()}
    queries = [
        Query(url="https://www.dongcheng.gov.cn/jyj/tzgg/1.html"),
        Query(url="https://www.dongcheng.gov.cn/zwgk/1.html"),
        Query(site_code="1101000002", url="https://www.dongcheng.gov.cn/jyj/1.html"),
        Query(url="http://EDU.dongcheng.gov.cn:80/"),
        Query(account="西城人社"),
        Query(url="http://nowhere.example.org/"),
    ]
    assert [m.unit_id if m else None for m in route_many(db.session, queries)] == [
        d["D1"], d["R1"], d["D2"], d["D1"], d["D3"], None]


def test_a_manual_rule_takes_a_prefix_over(app, world):
    add_rule("url_prefix", "https://www.dongcheng.gov.cn/jyj/", world.units["D9"])
    db.session.commit()
    rule = db.session.execute(sa.select(RoutingRule).where(RoutingRule.pattern == "dongcheng.gov.cn/jyj")).scalar_one()
    assert rule.unit_id == world.units["D9"].id and rule.property_id is None
    [match] = route_many(db.session, [Query(url="http://www.dongcheng.gov.cn/jyj/1.html")])
    assert match.unit_id == world.units["D9"].id


def test_an_unmatched_report_through_the_api_waits_in_triage(client, world, clock):
    clock.set("2026-09-30T15:00:00+08:00")
    r = client.post("/api/v1/reports", headers=world.headers("boss"), json={
        "platform_id": "UNROUTED-1", "received_at": "2026-09-30T15:00:00+08:00", "description": "错别字",
        "url": "https://www.dongcheng.gov.cn.example.org/jyj/1.html", "site_code": "9999999999"})
    assert r.status_code == 201, r.get_json()
    ticket = db.session.execute(sa.select(Ticket).where(Ticket.platform_id == "UNROUTED-1")).scalar_one()
    assert (ticket.state, ticket.unit_id, ticket.unit_due_at) == ("new", None, None)
    actions = db.session.execute(sa.select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id)).scalars()
    assert list(actions) == ["receive"]  # no assignment event
    # the platform clock runs all the same: Oct 8, 9, 10, 12, 13
    assert r.get_json()["platform_due_at"] == "2026-10-13T23:59:59+08:00"

"""GET /api/v1/metrics/closure: the contract's shape, parameters, errors and scope."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from feedback.accounts.scope import Actor
from feedback.figures.closure import Figures, closure
from tests.figures.worlds import OCTOBER_AS_OF, october

URL = "/api/v1/metrics/closure"
OCT = "from=2026-10-01&to=2026-10-31"


@pytest.fixture
def api(client, world, story, clock):
    october(story)
    clock.set("2026-11-24T10:00:00+08:00")

    def get(query: str, who: str = "boss"):
        return client.get(f"{URL}?{query}", headers=world.headers(who))

    return get


def test_the_contract_shape(api):
    r = api(f"{OCT}&as_of=2026-11-02T12:00:00%2B08:00")
    assert r.status_code == 200
    body = r.get_json()
    assert {"from", "to", "as_of", "rows", "total"} <= set(body)
    assert (body["from"], body["to"], body["as_of"]) == ("2026-10-01", "2026-10-31", "2026-11-02T12:00:00+08:00")
    assert set(Figures.KEYS) <= set(body["total"])
    d1 = next(row for row in body["rows"] if row["unit"]["code"] == "D1")
    assert d1["unit"] == {"code": "D1", "name": "东城县教育局", "parent_code": "R1"}
    # hand-counted in test_closure.py: 10 received, 6 closed, 4 on time, 2 late, 2 overdue, 2 pending
    assert [d1[k] for k in ("received", "closed", "on_time", "late", "overdue_open", "pending", "on_time_rate")] \
        == [10, 6, 4, 2, 2, 2, 0.5]
    assert (d1["avg_handling_hours"], d1["median_handling_hours"], d1["p90_handling_hours"],
            d1["avg_handling_workdays"]) == (141.0, 145.0, 192.5, 3.5)
    assert body["total"]["received"] == 13 and body["total"]["on_time_rate"] == 6 / 11
    # FIGURES on each row's clock; the platform clock is the office's own figure, not each row's
    assert "platform" not in body["total"] and not any("platform" in row for row in body["rows"])
    assert set(Figures.KEYS) == set(body["office"])
    c0 = next(row for row in body["rows"] if row["unit"]["code"] == "C0")
    assert c0["unit"]["parent_code"] is None and c0["on_time_rate"] is None and c0["avg_handling_hours"] is None


def test_the_api_says_what_the_domain_says(api, world):
    body = api(f"{OCT}&as_of=2026-11-02T12:00:00%2B08:00&group=region").get_json()
    report = closure(Actor.of(world.users["boss"]), date(2026, 10, 1), date(2026, 10, 31),
                     datetime.fromisoformat(OCTOBER_AS_OF), group="region", platform=False)
    assert body == report.to_json()
    assert [row["unit"]["code"] for row in body["rows"]] == ["C0", "R1", "R2"]


@pytest.mark.parametrize("group", ["unit", "region"])
def test_the_rows_are_written_byte_for_byte_as_their_dicts(api, world, app, group):
    """The API writes each row from parts encoded once (ClosureReport._rows_encoded): the same
    bytes as the rows' dicts through the app's JSON provider, key order, floats, nulls and zero
    rows included; and so with each row's platform clock, which closure() gives when asked."""
    raw = api(f"{OCT}&as_of=2026-11-02T12:00:00%2B08:00&group={group}").data
    as_of = datetime.fromisoformat(OCTOBER_AS_OF)
    boss = Actor.of(world.users["boss"])
    report = closure(boss, date(2026, 10, 1), date(2026, 10, 31), as_of, group=group, platform=False)
    rows = report.to_json()["rows"]
    assert any(row["on_time_rate"] is None for row in rows)
    assert raw == app.json.response(report.to_json()).get_data()
    both = closure(boss, date(2026, 10, 1), date(2026, 10, 31), as_of, group=group, json_rows=True)
    assert any(row["platform"] for row in both.to_json()["rows"])
    assert app.json.response(both.to_json(encoded_rows=True)).get_data() == \
        app.json.response(both.to_json()).get_data()


def test_as_of_defaults_to_now_and_a_naive_time_is_shanghai(api):
    now = api(OCT).get_json()
    assert now["as_of"] == "2026-11-24T10:00:00+08:00"
    # by Nov 24 T10 (due Nov 4) is overdue too: 4 overdue (T9 T10 T12 T16), pending T11 only
    assert (now["total"]["overdue_open"], now["total"]["pending"]) == (4, 1)
    naive = api(f"{OCT}&as_of=2026-11-02T12:00:00").get_json()
    aware = api(f"{OCT}&as_of=2026-11-02T04:00:00Z").get_json()
    assert naive["as_of"] == aware["as_of"] == "2026-11-02T12:00:00+08:00"
    assert naive["total"] == aware["total"] and naive["total"]["pending"] == 2


def test_one_unit_with_its_subtree(api):
    body = api(f"{OCT}&as_of=2026-11-02T12:00:00&unit=R1").get_json()
    assert [row["unit"]["code"] for row in body["rows"]] == ["R1", "D1", "D2"]
    assert body["rows"][0]["received"] == 1 and body["total"]["received"] == 12
    assert body["unit"] == {"code": "R1", "name": "东城县", "parent_code": "C0"}


@pytest.mark.parametrize("query, field", [
    ("to=2026-10-31", "from"),
    ("from=2026-10-01", "to"),
    ("from=2026-10-01&to=31.10.2026", "to"),
    ("from=2026-10-31&to=2026-10-01", "to"),
    (f"{OCT}&as_of=yesterday", "as_of"),
    (f"{OCT}&group=county", "group"),
    (f"{OCT}&unit=NOPE", "unit"),
])
def test_bad_parameters_are_422_naming_the_parameter(api, query, field):
    r = api(query)
    assert r.status_code == 422
    assert field in r.get_json()["errors"], r.get_json()


def test_every_bad_parameter_is_named_at_once(api):
    errors = api("from=x&to=2026-10-01&as_of=x&group=x").get_json()["errors"]
    assert set(errors) == {"from", "as_of", "group"}


def test_each_role_in_its_scope(api):
    clerk = api(OCT, "edu_clerk").get_json()
    assert [row["unit"]["code"] for row in clerk["rows"]] == ["D1"] and clerk["total"]["received"] == 10
    assert api(f"{OCT}&unit=D1", "health_clerk").status_code == 422
    county = api(OCT, "east_boss").get_json()
    assert [row["unit"]["code"] for row in county["rows"]] == ["R1", "D1", "D2"]
    assert api(f"{OCT}&unit=D3", "east_boss").status_code == 422
    assert api(OCT, "watcher").get_json()["total"]["received"] == 13


def test_a_token_is_required(client, world):
    assert client.get(f"{URL}?{OCT}").status_code == 401


def test_a_bare_date_as_of_means_that_day_at_local_midnight(api):
    midnight = api(f"{OCT}&as_of=2026-11-02").get_json()
    explicit = api(f"{OCT}&as_of=2026-11-02T00:00:00%2B08:00").get_json()
    assert midnight["as_of"] == explicit["as_of"] == "2026-11-02T00:00:00+08:00"
    assert midnight["total"] == explicit["total"]

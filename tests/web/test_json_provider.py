"""JSON responses say what Flask's default provider says, only faster (feedback/web/json_provider.py)."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from flask.json.provider import DefaultJSONProvider

from feedback.web.json_provider import FastJSONProvider


@dataclass
class Point:
    x: int
    label: str


SAMPLE = {
    "units": [{"code": "SC01", "name": "四川省政府办公厅", "rate": 0.8447, "median": None}],
    "as_of": datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc),
    "day": date(2026, 10, 1),
    "money": Decimal("3.125"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "point": Point(1, "甲"),
    "b": True, "a": [1, 2.5, "x"],
}


def test_same_document_as_flasks_provider(app):
    fast, plain = FastJSONProvider(app), DefaultJSONProvider(app)
    assert json.loads(fast.dumps(SAMPLE)) == json.loads(plain.dumps(SAMPLE))
    assert json.loads(fast.dumps(SAMPLE))["as_of"] == "Wed, 02 Dec 2026 08:00:00 GMT"  # Flask's date form


def test_int_keys_as_flask_writes_them(app):
    ints = {7: "x", 10: "y"}
    assert json.loads(FastJSONProvider(app).dumps(ints)) == json.loads(DefaultJSONProvider(app).dumps(ints))


def test_keys_sorted_and_text_readable(app):
    text = FastJSONProvider(app).dumps({"b": 1, "a": {"d": 2, "c": "办结"}})
    assert text == '{"a":{"c":"办结","d":2},"b":1}'


def test_the_app_answers_json_through_it(app, client):
    assert isinstance(app.json, FastJSONProvider)
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.is_json and r.get_json()["openapi"]


def test_a_response_is_the_compact_document_and_a_newline(app):
    with app.test_request_context():
        body = FastJSONProvider(app).response({"b": [1, 2], "a": "办结"}).get_data()
    assert body == '{"a":"办结","b":[1,2]}\n'.encode()

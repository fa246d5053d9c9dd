"""Schemathesis against /api/v1/openapi.json: generated requests, positive and negative, as a
supervisor and as a clerk. No answer may be a 5xx, and every answer must be one the document
lists, with the documented content type and a body matching its schema.

Bounded and repeatable: hypothesis derandomized (a fixed seed), a fixed number of examples.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 150  # per role and mode: every operation is drawn many times over


@pytest.fixture
def tickets(world, make_ticket):
    """A few tickets, so detail and action routes meet real ids (1..3) as well as absent ones."""
    return [make_ticket("ST-1"), make_ticket("ST-2", url="http://wsj.dongcheng.gov.cn/a"), make_ticket("ST-3", url=None)]


@pytest.mark.parametrize("who", ["boss", "edu_clerk"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_documented_answers_and_never_a_5xx(app, world, tickets, who, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    seen = {"cases": 0, "statuses": {}}

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy(mode, headers=world.headers(who)))
    def run(case):
        case.headers = {**(case.headers or {}), **world.headers(who)}
        response = case.call()
        seen["cases"] += 1
        seen["statuses"][response.status_code] = seen["statuses"].get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS)

    run()
    print(f"schemathesis {who} {mode.value}: {seen['cases']} cases, statuses {sorted(seen['statuses'].items())}")
    assert seen["cases"] >= EXAMPLES // 2
    assert not any(status >= 500 for status in seen["statuses"])

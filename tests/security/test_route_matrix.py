"""The role × route matrix, generated from the app's URL map (issue 17).

Every rule and every method of the URL map is requested as every role: signed out, the city
office's supervisor and viewer, a county's supervisor and viewer, a department's clerk. API
routes are requested with each role's API token instead of a session (signed out = no token).
Each answer must be the one in ROUTES, and no page, JSON or file answer of a county or clerk
may show a ticket, finding or attachment outside their scope.

A route with a path parameter is requested twice: with an object *inside* the county (the
clerk's department, 东城县教育局) and one *outside* it (西城区人社局, another county). Objects
are made fresh for each request, so a request that changes or deletes one never changes what
the next one meets.

Adding a route: add one line to ROUTES (method and rule as the URL map spells them, then the
expected status per role, in ROLES order; for a rule with a path parameter, the answers with
an outside object after a "|"). A new path parameter also needs one line in PARAMS saying how
to make an inside and an outside object. A route missing from ROUTES fails this test; so does
an entry whose route no longer exists.
"""
from __future__ import annotations

import io
import itertools
import re

import pytest
import sqlalchemy as sa
from flask import g

from feedback.accounts.login import session_token
from feedback.accounts.models import ApiToken, User
from feedback.accounts.scope import Actor
from feedback.attachments import store
from feedback.directory.admin import add_property, add_rule
from feedback.exports.jobs import new_job
from feedback.extensions import db
from feedback.findings import lifecycle
from feedback.findings.fields import parse
from feedback.imports.models import ImportJob
from feedback.knowledge.service import save_template
from feedback.settings import service as settings
from feedback.timeutil import now

from tests.factories import make_user

ROLES = ("anon", "boss", "east_boss", "east_viewer", "clerk", "viewer")
USERS = {"boss": "boss", "east_boss": "east_boss", "east_viewer": "east_watcher", "clerk": "edu_clerk",
         "viewer": "watcher"}
# Who must never see an outside ticket (the city office's roles see every ticket).
SCOPED = ("east_boss", "east_viewer", "clerk")

# "METHOD rule": "inside answers by role" [ "| outside answers by role" ]
#  role order:   anon boss east_boss east_viewer clerk viewer
ROUTES = {
    "GET /": "302 302 302 302 302 302",
    "GET /healthz": "200 200 200 200 200 200",
    "GET /static/<path:filename>": "200 200 200 200 200 200",
    "GET /login": "200 302 302 302 302 302",
    "POST /login": "200 302 302 302 302 302",
    "POST /logout": "302 302 302 302 302 302",
    "POST /account/locale": "302 302 302 302 302 302",
    "GET /account/password": "302 200 200 200 200 200",
    "POST /account/password": "302 200 200 200 200 200",
    "GET /account/tokens": "302 200 200 200 200 200",
    "POST /account/tokens/<int:token_id>/revoke": "302 302 302 302 302 302 | 302 404 404 404 404 404",
    "GET /dashboard": "302 200 200 200 302 200",
    "GET /inbox": "302 200 200 200 200 200",
    "GET /triage": "302 200 200 403 403 403",
    "GET /review": "302 200 200 403 403 403",
    "GET /extensions": "302 200 200 403 403 403",
    "GET /notices": "302 200 200 200 200 200",
    "GET /tickets/<int:ticket_id>": "302 200 200 200 200 200 | 302 200 404 404 404 200",
    "POST /tickets/<int:ticket_id>/<action>": "302 403 403 403 302 403 | 302 403 404 404 404 403",
    "GET /exports": "302 200 200 200 403 200",
    "POST /exports": "302 422 422 422 403 422",
    "GET /exports/<int:job_id>": "302 200 200 200 403 200 | 302 200 404 404 403 200",
    "GET /exports/<int:job_id>/status": "302 200 200 200 403 200 | 302 200 404 404 403 200",
    "GET /exports/<int:job_id>/download": "302 404 404 404 403 404 | 302 404 404 404 403 404",
    "GET /imports": "302 200 200 403 403 403",
    "POST /imports": "302 400 400 403 403 403",
    "GET /imports/<int:job_id>": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "GET /imports/<int:job_id>/status": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "GET /imports/<int:job_id>/results.csv": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "GET /admin/units": "302 200 200 403 403 403",
    "POST /admin/units": "302 200 200 403 403 403",
    "GET /admin/units/<int:unit_id>": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "POST /admin/units/<int:unit_id>": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "GET /admin/properties": "302 200 200 403 403 403",
    "POST /admin/properties": "302 200 200 403 403 403",
    "GET /admin/properties/<int:property_id>": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "POST /admin/properties/<int:property_id>": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "GET /admin/rules": "302 200 200 403 403 403",
    "POST /admin/rules": "302 200 200 403 403 403",
    "POST /admin/rules/<int:rule_id>/delete": "302 302 302 403 403 403 | 302 302 404 403 403 403",
    "GET /admin/users": "302 200 200 403 403 403",
    "POST /admin/users": "302 200 200 403 403 403",
    "GET /admin/users/<int:user_id>": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "POST /admin/users/<int:user_id>": "302 200 200 403 403 403 | 302 200 404 403 403 403",
    "GET /admin/calendar": "302 200 200 403 403 403",
    "POST /admin/calendar": "302 302 403 403 403 403",
    # the top office's: settings and loading the directory from a file (an empty form: 422)
    "GET /admin/settings": "302 200 403 403 403 403",
    "POST /admin/settings": "302 422 403 403 403 403",
    "POST /admin/units/load/<what>": "302 422 403 403 403 403 | 302 422 403 403 403 403",
    # 整改: everyone reads the findings of their scope; supervisors record; "accept" an open one: 409
    "GET /findings": "302 200 200 200 200 200",
    "GET /findings/export.xlsx": "302 200 200 200 403 200",
    "POST /findings/import": "302 302 302 403 403 403",
    "GET /findings/new": "302 200 200 403 403 403",
    "POST /findings/new": "302 422 422 403 403 403",
    "GET /findings/<int:finding_id>": "302 200 200 200 200 200 | 302 200 404 404 404 200",
    "GET /findings/<int:finding_id>/files/<int:attachment_id>":
        "302 200 200 200 200 200 | 302 200 404 404 404 200",
    "POST /findings/<int:finding_id>/<action>": "302 302 302 403 403 403 | 302 302 404 404 404 403",
    "GET /attachments/<int:attachment_id>": "302 200 200 200 200 200 | 302 200 404 404 404 200",
    # 知识库: every supervisor reads the office's templates, the top office edits them
    "GET /templates": "302 200 200 403 403 403",
    "POST /templates": "302 422 403 403 403 403",
    "GET /templates/<int:template_id>": "302 200 200 403 403 403 | 302 200 200 403 403 403",
    "POST /templates/<int:template_id>": "302 422 403 403 403 403 | 302 422 403 403 403 403",
    # 公开: no login; the top office's code only (publication switched on in the test)
    "GET /public/<code>": "200 200 200 200 200 200 | 404 404 404 404 404 404",
    "GET /public/<code>.json": "200 200 200 200 200 200 | 404 404 404 404 404 404",
    # API: each role's token; signed out = no token
    "GET /api/v1/openapi.json": "200 200 200 200 200 200",
    "POST /api/v1/reports": "401 422 422 403 403 403",
    "GET /api/v1/tickets": "401 200 200 200 200 200",
    "GET /api/v1/tickets/<int:ticket_id>": "401 200 200 200 200 200 | 401 200 404 404 404 200",
    "POST /api/v1/tickets/<int:ticket_id>/<action>": "401 403 403 403 200 403 | 401 403 404 404 404 403",
    "GET /api/v1/metrics/closure": "401 200 200 200 200 200",
    "GET /api/v1/assessment/<quarter>": "401 200 200 200 403 200",
    "GET /api/v1/assessment": "401 200 200 200 403 200",
    # no file sent: 422 once scope (404) and role (403) are passed
    "POST /api/v1/tickets/<int:ticket_id>/attachments": "401 422 422 403 422 403 | 401 422 404 404 404 403",
    "GET /api/v1/attachments/<int:attachment_id>": "401 200 200 200 200 200 | 401 200 404 404 404 200",
    "GET /api/v1/findings": "401 200 200 200 200 200",
    "POST /api/v1/findings": "401 422 422 403 403 403",
    "GET /api/v1/findings/<int:finding_id>": "401 200 200 200 200 200 | 401 200 404 404 404 200",
    "POST /api/v1/findings/<int:finding_id>/<action>": "401 409 409 403 403 403 | 401 409 404 404 404 403",
    "POST /api/v1/findings/<int:finding_id>/attachments":
        "401 422 422 403 422 403 | 401 422 404 404 404 403",
}

INSIDE, OUTSIDE = "inside", "outside"
SECRET = "界外留言"  # every ticket, finding and attachment outside the county carries it
OTHER_DEPARTMENT = "他科室留言"  # a ticket of the county's other department: not the clerk's


class Maker:
    """Makes the objects a request's path names, inside or outside the county, fresh each time."""

    counter = itertools.count(1)

    def __init__(self, world, make_ticket):
        self.world, self.make_ticket = world, make_ticket

    def unit(self, where, inside="D1"):
        return self.world.units[inside if where == INSIDE else "D3"]

    def ticket(self, where, role):
        n = next(self.counter)
        if where == INSIDE:
            return self.make_ticket(f"IN-{n}").id
        return self.make_ticket(f"OUT-{n}", url=None, unit_code="D3", description=f"{SECRET} {n}",
                                reporter_name=SECRET).id

    def finding(self, where, text=None):
        n = next(self.counter)
        return make_finding("D1" if where == INSIDE else "D3",
                            text or (f"整改 {n}" if where == INSIDE else f"{SECRET} 整改 {n}")).id

    def attachment(self, where, *, finding_id=None):
        """A PNG on a ticket (or on the finding given); outside, its name and bytes carry SECRET."""
        n = next(self.counter)
        marker = SECRET if where == OUTSIDE else "界内"
        att = store.save(io.BytesIO(PNG + f" {marker} {n}".encode()), f"{marker}{n}.png",
                         actor=Actor.system(), at=now(),
                         ticket_id=None if finding_id else self.ticket(where, None))
        att.finding_id = finding_id
        db.session.commit()
        return att.id


PNG = b"\x89PNG\r\n\x1a\n"


def make_finding(unit_code, description):
    fields, errors = parse({"unit_code": unit_code, "description": description, "fix_by": "2026-12-31",
                            "category": "内容错误", "source": "矩阵通报"})
    assert not errors, errors
    finding = lifecycle.create(fields, Actor.system("matrix"), now(), via="import")
    db.session.commit()
    return finding


def _ticket_id(m, where, role, rule):
    return m.ticket(where, role)


def _unit_id(m, where, role, rule):
    return m.unit(where).id


def _user_id(m, where, role, rule):
    return m.world.users["health_clerk" if where == INSIDE else "west_clerk"].id


def _property_id(m, where, role, rule):
    n = next(m.counter)
    prop = add_property(m.unit(where), "website", f"站点{n}", url_prefixes=[f"p{n}.example.gov.cn"])
    db.session.commit()
    return prop.id


def _rule_id(m, where, role, rule):
    n = next(m.counter)
    made = add_rule("url_prefix", f"r{n}.example.gov.cn", m.unit(where))
    db.session.commit()
    return made.id


def _job_id(m, where, role, rule):
    owner = m.world.users["east_boss" if where == INSIDE else "west_boss"]
    if rule.startswith("/exports"):
        job = new_job("closure", "csv", {"date_from": "2026-10-01", "date_to": "2026-10-31"}, owner.unit,
                      owner_id=owner.id)
    else:
        job = ImportJob(origin="web", filename="x.csv", path="/nonexistent/x.csv", size=1, owner_id=owner.id,
                        scope_unit_id=owner.unit_id, status="done", created_at=now(), finished_at=now())
        db.session.add(job)
    db.session.commit()
    return job.id


def _token_id(m, where, role, rule):
    """Inside: one of the requester's own tokens; outside: someone else's."""
    owner = USERS.get(role, "boss") if where == INSIDE else "west_boss"
    row, _ = ApiToken.issue(m.world.users[owner], "matrix")
    db.session.add(row)
    db.session.commit()
    return row.id


def _finding_file(m, where):
    """The files route's finding and its attachment, made once for the two path parameters."""
    if getattr(m, "pair", None) is None:
        finding_id = m.finding(where)
        m.pair = [finding_id, m.attachment(where, finding_id=finding_id), 2]
    pair = m.pair
    pair[2] -= 1
    if not pair[2]:
        m.pair = None
    return pair


def _finding_id(m, where, role, rule):
    return _finding_file(m, where)[0] if "/files/" in rule else m.finding(where)


def _attachment_id(m, where, role, rule):
    return _finding_file(m, where)[1] if rule.startswith("/findings/") else m.attachment(where)


def _template_id(m, where, role, rule):
    """The 知识库 is the top office's, one for the whole city: inside and outside alike."""
    n = next(m.counter)
    made = save_template(None, title=f"模板{n}", body="您好，已处理。", category=None, active=True,
                         actor=Actor.system(), at=now())
    db.session.commit()
    return made.id


# path parameter → how to fill it: (maker, inside|outside, role, rule) → value
PARAMS = {
    "ticket_id": _ticket_id,
    "unit_id": _unit_id,
    "user_id": _user_id,
    "property_id": _property_id,
    "rule_id": _rule_id,
    "job_id": _job_id,
    "token_id": _token_id,
    "finding_id": _finding_id,
    "attachment_id": _attachment_id,
    "template_id": _template_id,
    "code": lambda m, where, role, rule: "C0" if where == INSIDE else "R2",
    "what": lambda m, where, role, rule: "units" if where == INSIDE else "properties",
    "action": lambda m, where, role, rule: "accept",
    "quarter": lambda m, where, role, rule: "2026Q4",
    "filename": lambda m, where, role, rule: "app.css",
}

QUERY = {"/api/v1/metrics/closure": "?from=2026-11-01&to=2026-11-30",
         "/api/v1/assessment": "?from=2026-10-01&to=2026-10-31"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield f"{method} {rule.rule}", rule


def _expected(entry: str) -> dict[str, dict[str, int]]:
    inside, _, outside = entry.partition("|")
    out = {INSIDE: dict(zip(ROLES, map(int, inside.split())))}
    if outside:
        out[OUTSIDE] = dict(zip(ROLES, map(int, outside.split())))
    return out


@pytest.fixture
def matrix_world(world):
    make_user(world, "east_watcher", "viewer", "R1")
    make_user(world, "west_boss", "supervisor", "R2")
    make_user(world, "west_clerk", "unit_staff", "D3")
    # 公开 answers only while it is on: on, so that /public/C0 is requested down its 200 path
    settings.set_value("publication.enabled", "true", Actor.system("matrix"), now())
    db.session.commit()
    return world


def _client(app, world, role):
    client = app.test_client()
    if role != "anon":
        user = db.session.get(User, world.users[USERS[role]].id)
        db.session.refresh(user)
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session["pwv"] = session_token(user)
        g.pop("_login_user", None)
    return client


def _request(app, world, maker, key, rule, role, where):
    method, path = key.split(" ", 1)
    values = {}
    for name in rule.arguments:
        assert name in PARAMS, f"{key}: add a line for the path parameter {name!r} to PARAMS"
        values[name] = PARAMS[name](maker, where, role, rule.rule)
    url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda mo: str(values[mo.group(1)]), path) + QUERY.get(path, "")
    headers = {}
    if path.startswith("/api/"):
        client = app.test_client()
        if role != "anon":
            headers["Authorization"] = f"Bearer {world.tokens[USERS[role]]}"
    else:
        client = _client(app, world, role)
    body = {"json": {}} if path.startswith("/api/") and method == "POST" else {"data": {}}
    return client.open(url, method=method, headers=headers, **body)


def test_every_route_of_the_url_map_has_an_entry(app):
    routes = dict(_routes(app))
    missing = sorted(set(routes) - set(ROUTES))
    stale = sorted(set(ROUTES) - set(routes))
    assert not missing, f"routes without a line in ROUTES (tests/security/test_route_matrix.py): {missing}"
    assert not stale, f"lines in ROUTES for routes that no longer exist: {stale}"
    for key, rule in routes.items():
        assert bool(rule.arguments - {"filename", "quarter", "action"}) == ("|" in ROUTES[key]), \
            f"{key}: a route with an object id needs outside answers after '|' (and only such a route)"


def test_each_role_gets_the_expected_answer_on_every_route_and_nothing_outside_its_scope(
        app, matrix_world, make_ticket, clock):
    world = matrix_world
    maker = Maker(world, make_ticket)
    make_ticket("HEALTH-1", url="http://wsj.dongcheng.gov.cn/x", description=f"{OTHER_DEPARTMENT} 卫健局")
    make_ticket("WEST-1", url=None, unit_code="D3", description=f"{SECRET} 西城", reporter_name=SECRET)
    make_finding("D2", f"{OTHER_DEPARTMENT} 卫健局整改")
    make_finding("D3", f"{SECRET} 西城整改")
    wrong, leaks, requests = [], [], 0
    for key, rule in sorted(_routes(app), key=lambda kv: kv[0]):
        if key not in ROUTES:
            continue  # the test above names it
        for where, expected in _expected(ROUTES[key]).items():
            for role in ROLES:
                response = _request(app, world, maker, key, rule, role, where)
                # streamed answers too: read to the end; files are bytes, their text is searched too
                text = response.get_data().decode("utf-8", "replace")
                response.close()
                requests += 1
                if response.status_code != expected[role]:
                    wrong.append(f"{key} [{where}] as {role}: {response.status_code}, expected {expected[role]}")
                if role in SCOPED and SECRET in text or role == "clerk" and OTHER_DEPARTMENT in text:
                    leaks.append(f"{key} [{where}] as {role}")
    # The markers do show where they may: the leak check can fail.
    boss = _client(app, world, "boss")
    for page in ("/inbox?per_page=200", "/findings", f"/attachments/{maker.attachment(OUTSIDE)}"):
        everything = boss.get(page).get_data().decode("utf-8", "replace")
        assert SECRET in everything and ("/attachments/" in page or OTHER_DEPARTMENT in everything), page
    print(f"route matrix: {len(ROUTES)} routes × methods, {len(ROLES)} roles, {requests} requests")
    assert not wrong, "\n".join(wrong)
    assert not leaks, "outside tickets, findings or files shown: " + ", ".join(leaks)


def test_api_routes_ignore_a_session_and_pages_ignore_a_token(app, matrix_world):
    world = matrix_world
    session_only = _client(app, world, "boss")
    assert session_only.get("/api/v1/tickets").status_code == 401
    token_only = app.test_client()
    r = token_only.get("/inbox", headers={"Authorization": f"Bearer {world.tokens['boss']}"})
    assert r.status_code == 302 and "/login" in r.headers["Location"]

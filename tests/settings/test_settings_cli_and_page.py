"""`feedback settings show|set` and the settings page (CONTRACT.md: Command line; DESIGN.md:
edited by the top office's supervisors, audited)."""
from __future__ import annotations

import re

from feedback.extensions import db
from feedback.settings import service
from feedback.settings.models import SettingChange
from feedback.settings.registry import SETTINGS
from tests.support.signin import csrf_token_from, sign_in


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["settings", *args])


def test_show_prints_every_key_and_its_value_one_a_line(app):
    result = cli(app, "show")
    assert result.exit_code == 0, result.output
    lines = dict(line.split(" ", 1) for line in result.output.strip().splitlines())
    assert list(lines) == list(SETTINGS)
    assert lines["publication.enabled"] == "false"
    assert lines["deadline.unit_days"] == "3"
    assert lines["deadline.platform_days"] == "5"
    assert lines["notice.section"] == "（三）"
    assert lines["notice.scope_word"] == "-"


def test_set_saves_an_audited_change_and_show_reads_it(app, clock):
    result = cli(app, "set", "publication.enabled", "true")
    assert result.exit_code == 0, result.output
    assert "publication.enabled true (was false)" in result.output
    result = cli(app, "set", "notice.scope_word", "全市")
    assert result.exit_code == 0
    shown = cli(app, "show").output
    assert "publication.enabled true\n" in shown and "notice.scope_word 全市\n" in shown
    [row] = db.session.query(SettingChange).filter_by(key="publication.enabled").all()
    assert (row.previous, row.value, row.actor, row.at) == ("false", "true", "command line", clock())


def test_set_refuses_an_unknown_key_or_a_bad_value_with_one_line_and_exit_2(app):
    for args, says in ((("no.such", "1"), "no.such: no such setting"),
                       (("deadline.unit_days", "soon"), "deadline.unit_days: expected a whole number")):
        result = cli(app, "set", *args)
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("feedback: error: " + says), result.output
    assert db.session.query(SettingChange).count() == 0


def test_only_the_top_offices_supervisors_reach_the_page(app, world, as_user):
    assert as_user("boss").get("/admin/settings").status_code == 200
    for who in ("east_boss", "edu_clerk", "watcher"):  # a county's supervisor, a clerk, a viewer
        c = as_user(who)
        assert c.get("/admin/settings").status_code == 403
        assert c.post("/admin/settings", data={"deadline.unit_days": "9"}).status_code == 403
    assert service.get("deadline.unit_days") == 3


def _form(page_html: str) -> dict:
    """The form as a browser would send it unchanged."""
    data = {}
    for name, value in re.findall(r'<input type="text" id="[^"]+" name="([^"]+)" value="([^"]*)"', page_html):
        data[name] = value
    for name, value in re.findall(r'name="([^"]+)" value="([^"]+)" checked', page_html):
        data.setdefault(name, []).append(value)
    for select in re.finditer(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', page_html, re.S):
        data[select.group(1)] = re.search(r'value="([^"]+)" selected', select.group(2)).group(1)
    return data


def test_the_page_saves_changes_lists_them_and_refuses_a_bad_value_whole(app, world, clock):
    app.config["WTF_CSRF_ENABLED"] = True
    c = app.test_client()
    sign_in_page = c.get("/login").get_data(as_text=True)
    assert c.post("/login", data={"username": "boss", "password": "correct horse",
                                  "csrf_token": csrf_token_from(sign_in_page)}).status_code == 302
    page = c.get("/admin/settings").get_data(as_text=True)
    assert "还没有修改过设置" in page
    data = _form(page)
    assert c.post("/admin/settings", data=dict(data, **{"deadline.unit_days": "4"})).status_code == 400  # no CSRF
    data["csrf_token"] = csrf_token_from(page)

    bad = c.post("/admin/settings", data=dict(data, **{"deadline.unit_days": "4", "deadline.platform_days": "x"}))
    assert bad.status_code == 422 and "deadline.platform_days: expected" not in bad.get_data(as_text=True)
    assert "expected a whole number" in bad.get_data(as_text=True)
    assert service.get("deadline.unit_days") == 3  # nothing saved when one value is bad

    done = c.post("/admin/settings", data=dict(data, **{"deadline.unit_days": "4", "notice.scope_word": "全市"}))
    assert done.status_code == 302
    assert service.get("deadline.unit_days") == 4 and service.get("notice.scope_word") == "全市"
    page = c.get("/admin/settings").get_data(as_text=True)
    audit = page[page.index('id="settings-audit"'):]
    # two audit lines, who / key / old / new (the form's other values were unchanged)
    assert audit.count("<tr><td") == 2
    assert re.search(r"<td>boss</td><td class=\"mono\">deadline.unit_days</td><td>3</td><td>4</td>", audit)
    assert re.search(r"<td>boss</td><td class=\"mono\">notice.scope_word</td><td>-</td><td>全市</td>", audit)


def test_a_page_number_out_of_range_shows_a_page_not_an_error(app, world, as_user):
    # ?page=abc reads as the first page; a page number past any OFFSET the database can hold
    # is capped (an empty audit page under the form), never a server error.
    c = as_user("boss")
    cli(app, "set", "notice.scope_word", "全市")
    first = c.get("/admin/settings?page=abc")
    assert first.status_code == 200 and "notice.scope_word" in first.get_data(as_text=True)
    far = c.get("/admin/settings?page=99999999999999999999")
    assert far.status_code == 200 and 'name="deadline.unit_days"' in far.get_data(as_text=True)

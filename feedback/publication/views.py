"""公开: GET /public/OFFICE_CODE (a page) and /public/OFFICE_CODE.json (CONTRACT.md: Publication).

No login; the page links only to its own pages and feed. 404 for any other code and while the
top office has not switched publication on.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request

from feedback.publication.feed import PER_PAGE, feed, office
from feedback.timeutil import MAX_PAGE, now

bp = Blueprint("publication", __name__)


def _page() -> int:
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        abort(404)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def _office(code: str):
    unit = office(code, now())
    if unit is None:
        abort(404)
    return unit


@bp.get("/public/<code>.json")
def public_json(code: str):
    body = feed(_office(code), now(), _page())
    response = jsonify(body)
    response.headers["Access-Control-Allow-Origin"] = "*"  # a public feed, read by other sites
    return response


@bp.get("/public/<code>")
def public_page(code: str):
    page = _page()
    body = feed(_office(code), now(), page)
    pages = max(1, (body["total"] + PER_PAGE - 1) // PER_PAGE)
    return render_template("publication/page.html", feed=body, page=page, pages=pages, code=code)

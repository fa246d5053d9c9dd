"""In-app notices (issue 6): a person's list of what they were told, and the banner that says
background work is delayed while Redis is unreachable."""
from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from feedback.jobs import queue
from feedback.notices import notify

bp = Blueprint("notices", __name__)

STATUS_CACHE_SECONDS = 15  # a page render must not wait on a Redis ping every time
_status_cache: dict[str, tuple[float, bool]] = {}


@bp.get("/notices")
@login_required
def index():
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 10**6:
        abort(404)
    per_page = current_app.config.get("PER_PAGE", 50)
    notices = notify.notices_for(current_user, int(page), per_page)
    return render_template("notices/index.html", notices=notices, rows=notices.items)


@bp.app_context_processor
def background_status():
    return {"background_delayed": not background_available_cached()}


def background_available_cached() -> bool:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return True
    checked = _status_cache.get(url)
    if checked is None or time.monotonic() - checked[0] > STATUS_CACHE_SECONDS:
        checked = (time.monotonic(), queue.background_available())
        _status_cache[url] = checked
    return checked[1]

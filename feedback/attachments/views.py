"""Serving an attachment to a signed-in person in its ticket's scope (404 otherwise)."""
from __future__ import annotations

from flask import Blueprint, send_file
from flask_login import login_required

from feedback.attachments import service, store
from feedback.web.helpers import actor

bp = Blueprint("attachments", __name__)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def show(attachment_id: int):
    att = service.get_in_scope(actor(), attachment_id)
    # Images are shown in the page (preview); everything else is downloaded, never rendered.
    response = send_file(store.open_file(att), mimetype=att.content_type, as_attachment=not att.is_image,
                         download_name=att.name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"  # scoped: never in a shared cache
    return response

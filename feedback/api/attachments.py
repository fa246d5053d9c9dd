"""POST /api/v1/tickets/ID/attachments and GET /api/v1/attachments/ID (CONTRACT.md: attachments)."""
from __future__ import annotations

from flask import g, jsonify, request, send_file

from feedback.api import bp
from feedback.attachments import service, store
from feedback.errors import InputError
from feedback.extensions import db
from feedback.timeutil import now


@bp.post("/tickets/<int:ticket_id>/attachments")
def upload_attachment(ticket_id: int):
    # This route alone takes bodies up to the attachment limit, whatever MAX_CONTENT_LENGTH says.
    request.max_content_length = store.body_limit()
    service.upload_target(g.actor, ticket_id)
    upload = request.files.get("file")
    if upload is None:
        raise InputError({"file": "send the file as multipart/form-data in the field `file`"})
    att = service.upload(g.actor, ticket_id, upload.stream, upload.filename, now())
    db.session.commit()
    return jsonify(service.as_json(att)), 201


@bp.get("/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int):
    att = service.get_in_scope(g.actor, attachment_id)
    response = send_file(store.open_file(att), mimetype=att.content_type, as_attachment=True,
                         download_name=att.name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"  # scoped: never in a shared cache
    return response

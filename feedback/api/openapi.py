from flask import jsonify

from feedback.api import bp
from feedback.api.spec import SPEC


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)

from flask import Blueprint

bp = Blueprint("base", __name__)


@bp.get("/healthz")
def healthz():
    return {"ok": True}

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from feedback.web.helpers import landing_endpoint

bp = Blueprint("base", __name__)


@bp.get("/healthz")
def healthz():
    return {"ok": True}


@bp.get("/")
def index():
    """Signed out → the login page; signed in → the person's landing page (CONTRACT.md: Web)."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for(landing_endpoint(current_user)))

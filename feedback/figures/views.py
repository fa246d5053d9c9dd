"""Pages for figures: filled in by its own issue."""
from flask import Blueprint

bp = Blueprint("figures", __name__)

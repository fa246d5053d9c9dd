"""Pages for calendar: filled in by its own issue."""
from flask import Blueprint

bp = Blueprint("calendar", __name__)

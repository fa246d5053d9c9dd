"""Pages for tickets: filled in by its own issue."""
from flask import Blueprint

bp = Blueprint("tickets", __name__)

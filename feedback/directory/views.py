"""Pages for directory: filled in by its own issue."""
from flask import Blueprint

bp = Blueprint("directory", __name__)

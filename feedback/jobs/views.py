"""Pages for jobs: filled in by its own issue."""
from flask import Blueprint

bp = Blueprint("jobs", __name__)

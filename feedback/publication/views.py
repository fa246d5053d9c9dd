"""公开: the office's public page and feed (CONTRACT.md: Publication)."""
from flask import Blueprint

bp = Blueprint("publication", __name__)

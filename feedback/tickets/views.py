"""Pages for tickets."""
from flask import Blueprint

bp = Blueprint("tickets", __name__)

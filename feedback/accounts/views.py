"""Pages for accounts: filled in by its own issue."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

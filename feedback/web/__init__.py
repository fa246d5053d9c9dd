"""The pages people work in. Each capability keeps its pages in its own `views.py` with a `bp`."""
from __future__ import annotations

from importlib import import_module

from flask import Flask

VIEW_MODULES = (
    "feedback.web.base",
    "feedback.accounts.views",
    "feedback.tickets.views",
    "feedback.attachments.views",
    "feedback.knowledge.views",
    "feedback.directory.views",
    "feedback.calendar.views",
    "feedback.figures.views",
    "feedback.exports.views",
    "feedback.imports.views",
    "feedback.notices.views",
    "feedback.findings.views",
    "feedback.publication.views",
    "feedback.settings.views",
)


def register(app: Flask) -> None:
    from feedback.web.helpers import init_pages
    from feedback.web.security import init_security

    init_security(app)
    init_pages(app)
    for name in VIEW_MODULES:
        app.register_blueprint(import_module(name).bp)

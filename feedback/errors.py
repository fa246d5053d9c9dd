"""Domain errors; the API and the web map them to 404/403/409/422."""
from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str = "", errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(DomainError):
    """No such object in the caller's scope."""

    status = 404


class Forbidden(DomainError):
    """The caller's role may not do this."""

    status = 403


class Conflict(DomainError):
    """The action is not allowed from the object's current state."""

    status = 409


class InputError(DomainError):
    """Invalid input; `errors` maps each field to what is wrong with it."""

    status = 422

    def __init__(self, errors: dict, message: str = "invalid input"):
        super().__init__(message, errors)


class TooLarge(DomainError):
    """The body or file is over the configured limit."""

    status = 413

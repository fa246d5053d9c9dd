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


# No column stores a NUL character (PostgreSQL refuses one, even as a value to look something up
# by), so a field holding one is named in a 422 before anything reaches the database.
NUL = "contains a NUL character"


def nul_errors(values: dict) -> dict[str, str]:
    """{name: NUL} for each text value of `values` that holds a NUL character."""
    return {name: NUL for name, value in values.items() if isinstance(value, str) and "\x00" in value}


class InputError(DomainError):
    """Invalid input; `errors` maps each field to what is wrong with it."""

    status = 422

    def __init__(self, errors: dict, message: str = "invalid input"):
        super().__init__(message, errors)


class TooLarge(DomainError):
    """The body or file is over the configured limit."""

    status = 413

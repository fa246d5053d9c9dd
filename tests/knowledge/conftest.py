"""Fixtures for the 知识库 tests."""
from tests.web_helpers import make_ticket  # noqa: F401  (fixture)

"""The import tests' fixtures live with the other worker fixtures in tests/jobs/conftest.py."""
from tests.jobs.conftest import login, redis_url, workers  # noqa: F401  (fixtures)

from tests.web_helpers import as_user, make_ticket  # noqa: F401  (fixtures)

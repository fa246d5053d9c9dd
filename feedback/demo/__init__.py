"""The demo city (CONTRACT.md: `feedback seed-demo`)."""
from feedback.demo.cli import seed_demo_command  # noqa: F401
from feedback.demo.seed import DemoAccount, DemoAccounts, seed_demo  # noqa: F401

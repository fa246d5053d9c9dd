"""The README and docs/ point only at files a clone has: no ../shared, no missing page."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def local_links(text: str) -> list[str]:
    """Markdown link targets and `path.md`-like references that are not URLs."""
    targets = re.findall(r"\]\(([^)#\s]+)", text) + re.findall(r"`([^`\s]+\.md)`", text)
    return [t for t in targets if not re.match(r"[a-z]+://", t)]


def test_the_docs_the_readme_promises_exist():
    assert {p.name for p in PAGES} >= {"README.md", "design.md", "contract.md", "operations.md"}


def test_every_link_stays_inside_the_repository_and_resolves():
    bad = []
    for page in PAGES:
        for target in local_links(page.read_text(encoding="utf-8")):
            resolved = (page.parent / target).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                bad.append(f"{page.name}: {target}")
    assert bad == []
    assert "../shared" not in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_contract_names_every_command_of_the_cli(app):
    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    for group in ("units", "properties", "user", "token", "import", "calendar", "export", "seed-demo"):
        assert group in app.cli.commands, group
        assert f"`feedback {group}" in text, group

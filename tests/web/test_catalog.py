"""The English catalog covers every UI string, and the committed .mo matches the .po.

When this fails after adding UI text:
  pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-output -o feedback/translations/messages.pot .
  pybabel update -i feedback/translations/messages.pot -d feedback/translations
  (translate the new msgstr in feedback/translations/en/LC_MESSAGES/messages.po)
  pybabel compile -d feedback/translations
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
EN = ROOT / "feedback/translations/en/LC_MESSAGES"


def test_every_ui_string_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (EN / "messages.po").open("rb") as f:
        translated = {m.id for m in read_po(f)
                      if m.id and m.string and all(m.string) and "fuzzy" not in m.flags}
    assert sorted(wanted - translated) == []


def _entries(catalog) -> dict:
    # Plural messages have tuple ids and list/tuple strings: compare them as tuples.
    return {tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id: tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string
            for m in catalog if m.id and m.string and "fuzzy" not in m.flags}


def test_compiled_catalog_matches_the_po_file():
    with (EN / "messages.po").open("rb") as f:
        po = _entries(read_po(f))
    with (EN / "messages.mo").open("rb") as f:
        mo = _entries(read_mo(f))
    assert mo == po

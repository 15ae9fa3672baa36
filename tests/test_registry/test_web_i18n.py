"""The French catalogue covers every message of the pages and charts, and is compiled."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "registry" / "translations"
KEYWORDS = DEFAULT_KEYWORDS | {"_l": None}
METHODS = [("**.py", "python"), ("**.html", "jinja2")]


def _messages(folder: str) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / folder, METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_of_the_pages_has_a_french_translation() -> None:
    """Run `pybabel extract/update/compile` (see babel.cfg) when this fails."""
    wanted = _messages("registry/web") | _messages("registry/templates")
    wanted |= _messages("registry/presentation")  # the charts' words, marked with N_
    with (CATALOGUES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        po = read_po(f, locale="fr")
    with (CATALOGUES / "fr" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        mo = read_mo(f)
    translated = {
        (m.id[0] if isinstance(m.id, list | tuple) else m.id)
        for m in po
        if m.id and (all(m.string) if isinstance(m.string, list | tuple) else m.string)
    }
    compiled = {(m.id[0] if isinstance(m.id, list | tuple) else m.id) for m in mo if m.id}
    assert sorted(wanted - translated) == []
    assert sorted(wanted - compiled) == []

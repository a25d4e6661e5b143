"""Russian is the users' language: the catalogue is complete and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _po_entries(path: Path) -> list[tuple[str, list[str], bool]]:
    """(msgid, msgstrs, fuzzy) for every entry but the header."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        text = "\n".join(lines)
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', text + "\n", re.M)
        if not msgid:
            continue
        ident = "".join(re.findall(r'"(.*)"', msgid.group(1)))
        if not ident:
            continue
        # Entries with a context are compiled as "context\x04msgid" (pgettext).
        context = re.search(r'^msgctxt ((?:".*"\n?)+)', text + "\n", re.M)
        if context:
            ident = "".join(re.findall(r'"(.*)"', context.group(1))) + "\x04" + ident
        strs = [
            "".join(re.findall(r'"(.*)"', m))
            for m in re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', text + "\n", re.M)
        ]
        entries.append((ident, strs, "#, fuzzy" in text or ", fuzzy" in text))
    return entries


def test_every_russian_string_is_translated() -> None:
    entries = _po_entries(LOCALE / "ru" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 300
    missing = [msgid for msgid, strs, fuzzy in entries if fuzzy or not all(strs)]
    assert not missing, f"untranslated or fuzzy: {missing[:10]}"


def test_the_compiled_catalogue_matches_the_source() -> None:
    po = LOCALE / "ru" / "LC_MESSAGES" / "django.po"
    with (LOCALE / "ru" / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, strs, _fuzzy in _po_entries(po)
        if "\\" not in msgid and compiled.gettext(msgid) == msgid and strs[0] != msgid
    ]
    assert not stale, f"run `make messages`: {stale[:5]}"

"""The Chinese interface text: the .po file is its source, edited directly (`make messages` refreshes it from
the code and compiles it). Every entry translated, none fuzzy, placeholders kept, the .mo compiled from it, and
every literal the code and templates mark for translation present in it."""
import re
from pathlib import Path

import polib
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "wageguard"
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


@pytest.fixture(scope="module")
def catalogue():
    return polib.pofile(str(PO))


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue):
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_placeholders_are_kept(catalogue):
    changed = [(e.msgid, e.msgstr) for e in catalogue if e.msgstr and sorted(PLACEHOLDER.findall(e.msgid)) != sorted(PLACEHOLDER.findall(e.msgstr))]
    assert changed == []


def test_the_compiled_catalogue_is_the_po_file(catalogue):
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo")))}
    source = {(e.msgctxt, e.msgid): e.msgstr for e in catalogue if not e.obsolete}
    assert {k: v for k, v in source.items() if compiled.get(k) != v} == {}, "run `make messages` (compilemessages)"


MARKED = [
    (re.compile(r"""\{%\s*(?:trans|translate)\s+"((?:[^"\\]|\\.)*)"(?:\s+as\s+\w+)?\s*%\}"""), "templates/**/*.html"),
    (re.compile(r"""(?<![\w.])_\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]"""), "**/*.py"),
]


def test_every_literal_marked_for_translation_is_in_the_catalogue(catalogue):
    known = {e.msgid for e in catalogue}
    missing = set()
    for pattern, glob in MARKED:
        for path in PACKAGE.glob(glob):
            if "migrations" in path.parts:
                continue
            for text in pattern.findall(path.read_text(encoding="utf-8")):
                text = text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8") if "\\" in text else text
                if text not in known:
                    missing.add(f"{path.relative_to(PACKAGE)}: {text}")
    assert sorted(missing) == [], "run `make messages` and translate the new entries in the .po file"

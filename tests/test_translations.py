"""Every user-facing string is translated, and translations keep their placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "survey" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(lang: str):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=lang)


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory) -> set[str]:
    """The msgids a fresh extraction of the source finds."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_catalog_has_every_source_string(lang, source_ids):
    ids = {m.id for m in _catalog(lang) if m.id}
    missing = sorted(source_ids - ids)
    assert not missing, f"run 'flask translate update' and translate: {missing[:5]}"


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_every_string_translated_with_its_placeholders(lang):
    problems = []
    for message in _catalog(lang):
        if not message.id:
            continue
        # A plural message has a tuple of ids and of strings (one per plural form).
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
            continue
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        if any(set(PLACEHOLDER.findall(s)) != wanted for s in strings):
            problems.append(f"placeholders differ: {message.id!r}")
    assert not problems, problems[:5]


def _template_ids() -> set[str]:
    """The msgids of the templates (each plural by its singular), as the extraction finds them."""
    from babel.messages.extract import extract_from_dir

    found = extract_from_dir(
        str(ROOT / "survey" / "templates"),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {m if isinstance(m, str) else m[0] for _file, _line, m, _comments, _context in found}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_template_strings_format_as_jinja_formats_them(lang):
    """Jinja's gettext formats every string with % (its variables, or none): a bare
    "%" in a translation of a template's string is a 500 for that page, in that
    language only (the evaluator's cycle page in Chinese was one)."""
    catalog = _catalog(lang)
    problems = []
    for msgid in _template_ids():
        message = catalog.get(msgid)
        if message is None or not message.string:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        names = {name: 1 for name in re.findall(r"%\((\w+)\)", msgid)} | {"num": 1}
        for text in strings:
            try:
                text % names
            except (ValueError, TypeError, KeyError) as error:
                problems.append(f"{msgid!r} -> {text!r}: {error}")
    assert not problems, problems[:5]


def test_pages_speak_the_chosen_language(client):
    assert "Page not found" in client.get("/nope?lang=en").get_data(as_text=True)
    assert "页面不存在" in client.get("/nope?lang=zh_Hans").get_data(as_text=True)
    assert "頁面不存在" in client.get("/nope?lang=zh_Hant").get_data(as_text=True)

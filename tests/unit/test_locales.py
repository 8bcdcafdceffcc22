"""The locales the app hands Flask-Babel are the ones Babel would parse from the language codes (issue 21: chosen
without loading Babel's global tables in each worker)."""

from __future__ import annotations

from babel import Locale

from app import LOCALES
from app.config import Config


def test_each_language_has_its_locale_equal_to_babels_parse() -> None:
    assert set(LOCALES) == set(Config.LANGUAGES)
    for code, locale in LOCALES.items():
        parsed = Locale.parse(code)
        assert (locale.language, locale.territory, locale.script, locale.variant) == \
            (parsed.language, parsed.territory, parsed.script, parsed.variant)
        assert str(locale) == str(parsed)

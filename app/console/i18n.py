"""The console's languages through gettext catalogues (Babel): German first, English second.

Every string an operator sees goes through ``app/console/locale/<language>/LC_MESSAGES/
console.po`` (compiled to ``console.mo``; a test checks they match and that every extracted
message has a German translation). Source texts are English; German is the default language.

Templates call Jinja's newstyle gettext ``_("Run %(id)s", id=run.id)``, ``label(group, value)``
for a value the gateway stores (``labels.LABELS``), ``msg(key, ...)`` for a message a route
chose (``labels.MESSAGES``), ``server(text)`` for a message from the API or the domain
(``messages.translate``), ``when(moment)`` and ``num(number)`` for dates and numbers in the
operator's locale. Each language has its own Jinja environment, so nothing is shared between
requests. Catalogues: extract, update and compile with the commands in ``docs/console.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import Translations

from app.console.labels import LABELS, MESSAGES

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LOCAL_ZONE = ZoneInfo("Europe/Berlin")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "console"
# Dates and numbers: German as in Germany, English as in Britain (day before month).
LOCALES = {"de": "de_DE", "en": "en_GB"}


@cache
def catalogue(language: str) -> Translations:
    loaded = Translations.load(str(LOCALE_DIR), [language], DOMAIN)
    if not isinstance(loaded, Translations):
        raise FileNotFoundError(f"no {DOMAIN}.mo for {language!r} in {LOCALE_DIR}")
    return loaded


@dataclass(frozen=True)
class Texts:
    """One language's words, for routes and templates alike."""

    language: str

    @property
    def _catalogue(self) -> Translations:
        return catalogue(self.language)

    def gettext(self, message: str, **fields: Any) -> str:
        text = self._catalogue.gettext(message)
        return text % fields if fields else text

    def label(self, group: str, value: str | None) -> str:
        """The text of a stored value; a value a later release added shows as stored."""
        if value is None:
            return "–"
        english = LABELS.get(group, {}).get(value)
        if english is None:
            return value
        return str(self._catalogue.pgettext(group, english))

    def msg(self, key: str, **fields: Any) -> str:
        text = self._catalogue.gettext(MESSAGES[key])
        return text % fields if fields else text

    def when(self, moment: dt.datetime | None) -> str:
        """Stored in UTC, shown in German local time (Europe/Berlin), in the locale's form."""
        if moment is None:
            return "–"
        return format_datetime(moment, "medium", tzinfo=LOCAL_ZONE, locale=LOCALES[self.language])

    def day(self, value: dt.date) -> str:
        return format_date(value, "medium", locale=LOCALES[self.language])

    def num(self, value: int | float | None) -> str:
        return "–" if value is None else format_decimal(value, locale=LOCALES[self.language])


def texts(language: str) -> Texts:
    return Texts(language if language in LANGUAGES else DEFAULT_LANGUAGE)

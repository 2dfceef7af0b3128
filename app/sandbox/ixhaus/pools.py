"""Pools of realistic German values, built once per seed with Faker (de_DE).

Faker per row is slow; the generator picks from these pools with a seeded ``random.Random``
instead. Everything here is deterministic for a given seed (and Faker version).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from faker import Faker

# RFC 2606 domains: realistic-looking addresses that can never reach a real mailbox.
MAIL_DOMAINS = ("example.org", "example.com", "example.net")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe"})

TICKET_SUBJECTS = (
    "Heizung fällt aus",
    "Heizkörper wird nicht warm",
    "Wasserhahn tropft",
    "Rohrbruch im Keller",
    "Schimmel im Badezimmer",
    "Fenster schließt nicht richtig",
    "Aufzug steht still",
    "Treppenhausbeleuchtung defekt",
    "Klingelanlage funktioniert nicht",
    "Warmwasser bleibt kalt",
    "Abfluss in der Küche verstopft",
    "Feuchtigkeit an der Außenwand",
    "Haustür schließt nicht",
    "Rauchwarnmelder piept",
    "Lärmbelästigung durch Nachbarn",
    "Briefkasten beschädigt",
    "Müllplatz verschmutzt",
    "Rollladen klemmt",
    "Balkontür undicht",
    "Garagentor öffnet nicht",
)
BULLETIN_SUBJECTS = (
    "Ablesung der Heizkostenverteiler am Dienstag",
    "Treppenhausreinigung: neuer Dienstleister",
    "Wasserabstellung wegen Wartungsarbeiten",
    "Sperrmüllabholung im Hof",
    "Fassadenarbeiten ab Montag",
)
TRADES = ("Heizung/Sanitär", "Elektro", "Schreiner", "Schlosser", "Maler", "Dachdecker", "Aufzug")
NOTE_TEXTS = (
    "Handwerker ist informiert und meldet sich zur Terminabsprache.",
    "Termin mit dem Mieter für Donnerstag vereinbart.",
    "Ersatzteil ist bestellt, Lieferzeit ca. eine Woche.",
    "Schaden wurde vor Ort begutachtet.",
    "Rückfrage beim Eigentümer wegen Kostenübernahme.",
    "Reparatur abgeschlossen, bitte kurze Rückmeldung.",
    "Versicherung wurde eingeschaltet.",
    "Bitte Fotos des Schadens über das Portal hochladen.",
)
INTERNAL_NOTE_TEXTS = (
    "Intern: Kosten über Freigabegrenze, Genehmigung einholen.",
    "Intern: Mieter hat Mietrückstand, Vorgang mit Buchhaltung abstimmen.",
    "Intern: Rechtsabteilung prüft Haftungsfrage.",
)
CONTRACTORS = (
    "Müller Haustechnik GmbH",
    "Schneider Elektro KG",
    "Wagner Sanitär GmbH & Co. KG",
    "Becker Dach und Fassade",
    "Hoffmann Aufzugsservice GmbH",
)
OBJECT_GROUPS = ("Wohnen Nord", "Wohnen Süd", "Gewerbe", "WEG-Verwaltung", "Sondereigentum")


@dataclass(frozen=True)
class Pools:
    female_names: tuple[str, ...]
    male_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    places: tuple[tuple[str, str], ...]  # (postcode, city)
    bank_codes: tuple[str, ...]


def build_pools(seed: int, size: int = 400) -> Pools:
    fake = Faker("de_DE")
    fake.seed_instance(seed)
    return Pools(
        female_names=tuple(sorted({fake.first_name_female() for _ in range(size)})),
        male_names=tuple(sorted({fake.first_name_male() for _ in range(size)})),
        last_names=tuple(sorted({fake.last_name() for _ in range(size * 2)})),
        streets=tuple(sorted({fake.street_name() for _ in range(size)})),
        places=tuple(sorted({(fake.postcode(), fake.city()) for _ in range(size // 2)})),
        bank_codes=tuple(sorted({fake.numerify("########") for _ in range(60)})),
    )


def german_iban(bank_code: str, account: int) -> str:
    """A checksum-valid German IBAN (ISO 13616 mod 97)."""
    bban = f"{bank_code}{account:010d}"
    check = 98 - int(f"{bban}131400") % 97  # "DE" -> 13 14, check digits "00"
    return f"DE{check:02d}{bban}"


def mail_address(first: str, last: str, rnd: random.Random) -> str:
    local = f"{first}.{last}".translate(_UMLAUTS).lower().replace(" ", "")
    return f"{local}{rnd.randint(1, 99)}@{rnd.choice(MAIL_DOMAINS)}"


def phone_number(rnd: random.Random) -> str:
    area = rnd.choice(("030", "040", "089", "0221", "069", "0711", "0351", "0511"))
    return f"{area} {rnd.randint(100000, 9999999)}"

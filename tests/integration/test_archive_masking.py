"""Issue 23 item 9: the opt-in support archive (rule C13, keep transfer payloads) masks bank
data and the personal data no rule needs; it used to keep IBANs in plain text. On SQLite and
PostgreSQL, through the store every run archives with."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import msgspec
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.archive import SqlPayloadArchive
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import ArchivedPayload
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import (
    ContactPayload,
    PersonPayload,
    PortalContact,
    PortalContract,
    PortalPerson,
    PortalTicket,
)
from app.domain.records import Address, BankAccount

SYSTEM = "production"  # the other tests of a session use "test"
IBAN = "DE89370400440532013000"
PERSON = PersonPayload(
    person=PortalPerson(
        number="100050",
        portal_user=True,
        salutation="Frau",
        first_name="Erika",
        last_name="Mustermann",
        email="erika.mustermann@example.org",
        phone="+49 30 1234567",
        bank_account=BankAccount(iban=IBAN, bic="COBADEFFXXX", holder="Erika Mustermann"),
    ),
    contracts=(
        PortalContract(
            number="5001",
            object_no="1001",
            unit_no="01",
            person_no="100050",
            rent_cents=85000,
            deposit_cents=255000,
            start=dt.date(2020, 1, 1),
        ),
    ),
)
OWNER = ContactPayload(
    contact=PortalContact(
        number="7001",
        role="owner",
        object_no="1001",
        last_name="Schmidt",
        address=Address(street="Gartenweg 12", postcode="10115", city="Berlin"),
        bank_account=BankAccount(iban="DE02 1203 0000 0000 2020 51"),
    ),
    object_nos=("1001",),
)
TICKET = PortalTicket(
    number=42,
    kind="normal",
    audience="reporter",
    type_no="1",
    subject="Erstattung",
    reported_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    object_no="1001",
    description=f"Bitte auf {IBAN} überweisen, Rückfragen an erika@example.org",
)


@pytest.fixture
async def sessions(backend_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(backend_url)
    factory = create_session_factory(engine)
    try:
        yield factory
    finally:
        async with factory() as session:
            await session.execute(delete(ArchivedPayload).where(ArchivedPayload.system == SYSTEM))
            await session.commit()
        await engine.dispose()


async def _kept(sessions: async_sessionmaker[AsyncSession], key: RecordKey) -> bytes:
    async with sessions() as session:
        payloads = list(
            await session.scalars(
                select(ArchivedPayload.payload).where(
                    ArchivedPayload.system == SYSTEM,
                    ArchivedPayload.entity_key == key.ledger_key,
                )
            )
        )
    assert len(payloads) == 1
    return bytes(payloads[0])


async def test_the_archive_keeps_no_bank_data_nor_contact_details(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # issue 23 item 9 (rule C13, rule P6)
    archive = SqlPayloadArchive(sessions)
    person = RecordKey.person("100050")
    owner = RecordKey.of(EntityKind.OWNER, "7001")
    ticket = RecordKey.ticket(42)
    for key, record in ((person, PERSON), (owner, OWNER), (ticket, TICKET)):
        await archive.keep(SYSTEM, None, key, msgspec.json.encode(record))

    kept_person = await _kept(sessions, person)
    for secret in (IBAN, "COBADEFFXXX", "Erika", "Mustermann", "erika.mustermann", "1234567"):
        assert secret.encode() not in kept_person, secret
    data = msgspec.json.decode(kept_person)
    assert data["person"]["bank_account"] == {"iban": "DE…3000", "bic": "***", "holder": "***"}
    assert data["person"]["email"] == "***@example.org"
    assert data["person"]["phone"] == "***67"
    assert (data["person"]["first_name"], data["person"]["last_name"]) == ("E***", "M***")
    # What support needs stays: the record, its flags and its contracts.
    assert data["person"]["number"] == "100050"
    assert data["person"]["portal_user"] is True
    assert data["person"]["salutation"] == "Frau"
    assert data["contracts"][0]["rent_cents"] == 85000

    kept_owner = msgspec.json.decode(await _kept(sessions, owner))
    assert kept_owner["contact"]["address"] == {
        "street": "***",
        "postcode": "10115",
        "city": "Berlin",
    }
    assert kept_owner["contact"]["bank_account"]["iban"] == "DE…2051"

    kept_ticket = await _kept(sessions, ticket)
    assert IBAN.encode() not in kept_ticket
    assert b"erika@" not in kept_ticket
    assert msgspec.json.decode(kept_ticket)["subject"] == "Erstattung"

"""Fingerprints (change detection) and the reason catalogue (rule S1 texts)."""

import hashlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.fingerprint import canonical_json, fingerprint
from app.domain.portal import PortalNote, PortalObject, PortalPerson, PortalUser
from app.domain.reasons import REASON_TEXTS, Reason, severity, text
from app.domain.records import Address, BankAccount, ObjectResponsible, ObjectRight


def test_fingerprint_is_sha256_of_sorted_canonical_json() -> None:
    person = PortalPerson(number="1", portal_user=True, first_name="Anna")
    body = canonical_json(person)
    assert body.index(b'"anonymised"') < body.index(b'"first_name"') < body.index(b'"number"')
    expected = hashlib.sha256(b"PortalPerson\x00" + body).hexdigest()
    assert fingerprint(person) == expected
    assert len(fingerprint(person)) == 64


def test_fingerprints_stay_as_the_ledger_recorded_them() -> None:
    # A fingerprint that changes with an upgrade makes the next run send every record again.
    # The records casavi's records embed keep their encoding (a map of field names), though
    # the source records encode as arrays for the input digests.
    obj = PortalObject(
        number="1001",
        name="Haus am See",
        management_start=date(2020, 1, 1),
        address=Address(street="Seeweg 1", postcode="10115", city="Berlin"),
        rights=(ObjectRight(object_no="1001", user_no="U1", right="write"),),
        responsibles=(ObjectResponsible(object_no="1001", user_no="U2", role="Hausmeister"),),
    )
    person = PortalPerson(
        number="100",
        portal_user=True,
        last_name="Muster",
        bank_account=BankAccount(
            iban="DE02120300000000202051", bic="BYLADEM1001", holder="M. Muster"
        ),
    )
    assert fingerprint(obj) == "5c12b6716410aece34585a3943076fc59859a24259c5cb74b7996fa6bdd09973"
    assert fingerprint(person) == "97d7c914b33d5af30488643367bc1a3e216e1a32d80a37a47df1861bc55fabcf"


@given(st.text(max_size=40), st.text(max_size=40))
def test_fingerprint_changes_iff_the_record_changes(a: str, b: str) -> None:
    left = PortalUser(number="001", first_name=a)
    right = PortalUser(number="001", first_name=b)
    assert (fingerprint(left) == fingerprint(right)) is (a == b)


def test_same_fields_different_entity_type_do_not_collide() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    note = PortalNote(id=1, ticket_no=1, created_at=when, content="x")
    assert fingerprint(note) != fingerprint(PortalUser(number="1"))
    assert fingerprint(note) == fingerprint(
        PortalNote(id=1, ticket_no=1, created_at=when, content="x")
    )


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_german_and_english_text(reason: Reason) -> None:
    assert reason in REASON_TEXTS
    assert text(reason, "de")
    assert text(reason, "en")
    assert text(reason, "de") != text(reason, "en")
    assert severity(reason) in ("info", "warning")

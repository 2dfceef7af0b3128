"""Canonical records of the new families -> casavi wire Structs (mapping.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from app.adapters.casavi import mapping
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import (
    ContactPayload,
    PortalAssignment,
    PortalContact,
    PortalNote,
    PortalObjectRole,
    PortalUser,
)
from app.domain.records import Address, BankAccount


def test_an_owner_is_a_contact_with_an_owner_contract_per_property() -> None:
    # rule M1: name, e-mail, phone, address, bank account
    contact = PortalContact(
        number="200001", role="owner", object_no="1001", last_name="Eigner",
        email="e@example.org", phone="030 1", address=Address(street="Weg 1", city="Berlin"),
        bank_account=BankAccount(iban="DE89370400440532013000"),
    )  # fmt: skip
    ref = RecordKey.of(EntityKind.OWNER, "200001").reference_id
    wire = mapping.to_owner_or_caretaker(
        ContactPayload(contact=contact, object_nos=("1001", "1002")), ref, IdentityMap()
    )
    body = msgspec.to_builtins(wire)
    assert body["id"] == "owner.200001"
    assert body["street"] == "Weg 1"
    assert body["customFields"]["iban"] == "DE89370400440532013000"
    assert body["customFields"]["role"] == "owner"
    assert [(c["type"], c["propertyId"], c["unitId"]) for c in body["contracts"]] == [
        ("OWNER", "1001", None),
        ("OWNER", "1002", None),
    ]


def test_a_caretaker_contract_is_typed_caretaker() -> None:
    # rule M2
    contact = PortalContact(number="3", role="caretaker", object_no="1001", last_name="Haus")
    payload = ContactPayload(contact=contact, object_nos=("1001",))
    wire = mapping.to_owner_or_caretaker(payload, "c", IdentityMap())
    assert [c.type for c in wire.contracts] == ["CARETAKER"]


def test_staff_carry_their_assignments_and_roles_their_names() -> None:
    # rule M4, rule M7: assignments per property in object roles and team roles
    role = RecordKey.object_role("responsible", "Objektbetreuer")
    user = PortalUser(
        number="001", last_name="Meyer", email="m@example.org",
        assignments=(
            PortalAssignment(object_no="1001", role=role),
            PortalAssignment(object_no="1001", role=RecordKey.of(EntityKind.TEAM, "T1")),
        ),
    )  # fmt: skip
    staff = msgspec.to_builtins(mapping.to_staff(user, "001", IdentityMap()))
    assert staff["responsibilities"] == [
        {"propertyId": "1001", "roleId": "responsible.Objektbetreuer"},
        {"propertyId": "1001", "roleId": "T1"},
    ]
    record = PortalObjectRole(category="responsible", label="Objektbetreuer", name="Objektbetreuer")
    wire = mapping.to_object_role(record, role.reference_id, IdentityMap())
    assert (wire.id, wire.name, wire.visible_in_portal) == (
        "responsible.Objektbetreuer", "Objektbetreuer", True,
    )  # fmt: skip


def test_a_commissioning_note_is_a_public_message_at_the_order_time() -> None:
    # rule T8
    placed = datetime(2026, 6, 14, 22, 30, tzinfo=UTC)
    note = PortalNote(id=77, ticket_no=1, created_at=placed, content="beauftragt")
    ticket, message = mapping.to_ticket_message(note, "work-order.77", "900", IdentityMap())
    assert ticket == "1"
    assert (message.visibility, message.author_id, message.written_at) == ("public", "900", placed)

"""The wire Structs decode the examples casavi's public documentation shows."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from app.adapters.casavi.wire import AuthResponse, Contact, Page, Property
from app.adapters.casavi.wire_tickets import TicketUpdate

# docs.locoia.com (casavi connector): the authentication answer.
AUTH_EXAMPLE = b'{"token": "xyz", "expiresAt": "2020-12-10T20:52:53Z"}'

# The property example of the v2 spec (GET /v2/properties/{propertyId}).
PROPERTY_EXAMPLE = b"""{
  "id": "P-00451", "internalId": 41251, "name": "Easy Living Apartments",
  "note": "Test description", "country": "Germany", "city": "Munich", "postalCode": "80331",
  "number": "12345", "mscNumber": "987654321",
  "mscProviderName": "Messdienstleistungen GmbH, M\\u00fcnchen", "mscProviderIdentifier": "99",
  "images": ["https://s3-eu-central-1.amazonaws.com/example.jpg"],
  "addresses": [{"street": "Main street 14", "units": ["U-1", "U-2"]}],
  "responsibilities": [{"contactId": "C412", "contactInternalId": 553,
    "contactName": "Max Mustermann", "roleName": "Hausverwaltung", "roleType": "internal",
    "email": "maxmustermann@hausverwaltung.de", "telephone": "123 23123-0"}],
  "customFields": {"Info": "Some additional info", "Area": 85.1},
  "appLink": "https://app.mycasavi.com/x"
}"""

# The contact example (v1 field names; v2 says companyName), a company without a person.
CONTACT_EXAMPLE = b"""{"id": "235655-43", "internalId": 123456, "title": null,
  "salutation": null, "firstName": null, "lastName": null, "email": null, "telephone": null,
  "mobile": null, "street": null, "postalCode": null, "city": null, "country": null,
  "companyName": "blabla KG", "isRegistered": false, "preferredWayOfContact": "ONLINE"}"""


def test_documented_auth_answer_decodes_and_hides_the_token() -> None:
    answer = msgspec.json.decode(AUTH_EXAMPLE, type=AuthResponse)
    assert answer.expires_at == datetime(2020, 12, 10, 20, 52, 53, tzinfo=UTC)
    assert "xyz" not in repr(answer)


def test_documented_property_decodes() -> None:
    prop = msgspec.json.decode(PROPERTY_EXAMPLE, type=Property)
    assert (prop.id, prop.internal_id) == ("P-00451", 41251)
    assert prop.addresses[0].units == ["U-1", "U-2"]
    assert prop.responsibilities[0].role_type == "internal"
    assert prop.custom_fields["Area"] == 85.1


def test_documented_contact_decodes() -> None:
    contact = msgspec.json.decode(CONTACT_EXAMPLE, type=Contact)
    assert contact.last_name is None
    assert contact.company_name == "blabla KG"
    assert contact.contracts == []


def test_pages_decode_and_the_last_page_has_no_next_link() -> None:
    page = msgspec.json.decode(
        b'{"list": [' + PROPERTY_EXAMPLE + b'], "_links": {"next": null}}', type=Page[Property]
    )
    assert len(page.items) == 1
    assert page.links.next is None


def test_ticket_update_sends_only_what_is_set() -> None:
    assert msgspec.json.encode(TicketUpdate(subject="x", unit_id=None)) == (
        b'{"subject":"x","unitId":null}'
    )

"""Master data: owners (M1), caretakers (M2), users (M3), objects (M4), units (M5),
contracts (M6), teams (M7, C8)."""

from datetime import date, timedelta

import pytest

from app.domain.config import Licences, SyncConfig, ranges
from app.domain.decisions import Delete, Exclude, Transfer
from app.domain.eligibility.master_data import (
    decide_caretaker,
    decide_contract,
    decide_object,
    decide_owner,
    decide_team,
    decide_unit,
    decide_user,
)
from app.domain.keys import RecordKey
from app.domain.reasons import Reason
from app.domain.records import (
    Address,
    BankAccount,
    CaretakerRecord,
    ContractRecord,
    ObjectRecord,
    ObjectResponsible,
    ObjectRight,
    OwnerRecord,
    TeamRecord,
    UnitRecord,
    UserRecord,
)

K = RecordKey.parse

TODAY = date(2026, 6, 15)
ADDRESS = Address(street="Goethestraße 12", postcode="10115", city="Berlin")
BANK = BankAccount(iban="DE89370400440532013000")
ALL = SyncConfig(
    object_range=ranges("1001-1009"),
    licences=Licences(owners=True, caretakers=True, komfortpaket=True),
    deletion_days=90,
)


def test_owners_only_with_owner_licence() -> None:
    # rule M1: name, e-mail, phone, address, bank account - only with the owner licence
    owner = OwnerRecord(
        number="300001", object_no="1001", first_name="Karl", last_name="Bauer",
        email="k.bauer@example.org", phone="089 123", address=ADDRESS, bank_account=BANK,
    )  # fmt: skip
    sent = decide_owner(owner, ALL)
    assert isinstance(sent, Transfer)
    assert (sent.record.role, sent.record.address, sent.record.bank_account) == (
        "owner", ADDRESS, BANK,
    )  # fmt: skip
    assert (sent.record.first_name, sent.record.last_name, sent.record.email) == (
        "Karl", "Bauer", "k.bauer@example.org",
    )  # fmt: skip
    assert decide_owner(owner, SyncConfig(object_range=ranges("1001"))) == Exclude(
        key=K("owner:300001"), reason=Reason.OWNER_LICENCE_MISSING
    )
    assert isinstance(decide_owner(OwnerRecord(number="3", object_no="2000"), ALL), Exclude)


def test_caretakers_only_with_caretaker_licence() -> None:
    # rule M2: first name, name, salutation, e-mail, phone, address, bank account
    caretaker = CaretakerRecord(
        number="400001", object_no="1002", salutation="Herr", first_name="Jens",
        last_name="Krüger", phone="030 555", address=ADDRESS, bank_account=BANK,
    )  # fmt: skip
    sent = decide_caretaker(caretaker, ALL)
    assert isinstance(sent, Transfer)
    assert (sent.record.role, sent.record.salutation, sent.record.last_name) == (
        "caretaker", "Herr", "Krüger",
    )  # fmt: skip
    missing = decide_caretaker(caretaker, SyncConfig(object_range=ranges("1002")))
    assert missing == Exclude(key=K("caretaker:400001"), reason=Reason.CARETAKER_LICENCE_MISSING)


def test_users_first_last_name_email_phone() -> None:
    # rule M3: users with first name, last name, e-mail and phone
    user = UserRecord(number="004", first_name="Eva", last_name="Lang", email="e@x.example",
                      phone="0221 1")  # fmt: skip
    sent = decide_user(user)
    assert isinstance(sent, Transfer)
    assert (sent.record.number, sent.record.first_name, sent.record.last_name,
            sent.record.email, sent.record.phone) == ("004", "Eva", "Lang", "e@x.example",
                                                      "0221 1")  # fmt: skip
    inactive = UserRecord(number="005", active=False)
    assert decide_user(inactive) == Exclude(key=K("user:005"), reason=Reason.USER_INACTIVE)


def test_objects_only_enabled_with_rights_and_responsibles() -> None:
    # rule M4: number, name, group, management start, address, rights, responsibles
    obj = ObjectRecord(number="1001", name="Wohnanlage Goethestraße", group="Wohnen Nord",
                       management_start=date(2010, 1, 1), address=ADDRESS)  # fmt: skip
    rights = [ObjectRight(object_no="1001", user_no="002"),
              ObjectRight(object_no="1001", user_no="001", right="write")]  # fmt: skip
    resp = [ObjectResponsible(object_no="1001", user_no="003", role="Objektbetreuer")]
    sent = decide_object(obj, ALL, rights, resp)
    assert isinstance(sent, Transfer)
    rec = sent.record
    assert (rec.number, rec.name, rec.group, rec.management_start, rec.address) == (
        "1001", "Wohnanlage Goethestraße", "Wohnen Nord", date(2010, 1, 1), ADDRESS,
    )  # fmt: skip
    assert [r.user_no for r in rec.rights] == ["001", "002"]  # sorted: stable fingerprints
    assert rec.responsibles == tuple(resp)
    other = ObjectRecord(number="2000", name="X")
    assert decide_object(other, ALL) == Exclude(
        key=K("object:2000"), reason=Reason.OBJECT_NOT_ENABLED
    )


def _contract(no: str, start_days: int, out_days_ago: int | None = None) -> ContractRecord:
    return ContractRecord(
        number=no, object_no="1001", unit_no="001", person_no="100001",
        start=TODAY + timedelta(days=start_days),
        move_out=None if out_days_ago is None else TODAY - timedelta(days=out_days_ago),
    )  # fmt: skip


def test_units_with_current_contract_dates() -> None:
    # rule M5: number, description, address, start, end, current contract start and end
    unit = UnitRecord(object_no="1001", number="001", description="3-Zimmer-Wohnung, 2. OG",
                      address=ADDRESS, start=date(1990, 1, 1), end=None)  # fmt: skip
    old = _contract("V1", -2000, 400)
    current = _contract("V2", -399, None)
    future = _contract("V3", 30)
    sent = decide_unit(unit, ALL, TODAY, [old, current, future])
    assert isinstance(sent, Transfer)
    rec = sent.record
    assert (rec.number, rec.description, rec.address, rec.start, rec.end) == (
        "001", "3-Zimmer-Wohnung, 2. OG", ADDRESS, date(1990, 1, 1), None,
    )  # fmt: skip
    assert (rec.contract_start, rec.contract_end) == (current.start, None)
    empty = decide_unit(unit, ALL, TODAY, [old])
    assert isinstance(empty, Transfer)
    assert empty.record.contract_start is None


@pytest.mark.parametrize(
    ("out_days_ago", "expected"), [(None, Transfer), (89, Transfer), (90, Delete)]
)
def test_contracts_object_person_rent_deposit_dates(
    out_days_ago: int | None, expected: type
) -> None:
    # rule M6: object number, person number, current rent, deposit, start, end
    contract = ContractRecord(
        number="V000001", object_no="1001", unit_no="001", person_no="100001",
        rent_cents=85_000, deposit_cents=255_000, start=date(2020, 4, 1),
        move_out=None if out_days_ago is None else TODAY - timedelta(days=out_days_ago),
    )  # fmt: skip
    decision = decide_contract(contract, ALL, TODAY)
    assert isinstance(decision, expected)
    if isinstance(decision, Transfer):
        rec = decision.record
        assert (rec.object_no, rec.person_no, rec.rent_cents, rec.deposit_cents, rec.start) == (
            "1001", "100001", 85_000, 255_000, date(2020, 4, 1),
        )  # fmt: skip
        assert rec.end == contract.move_out


def test_teams_with_members_need_komfortpaket_and_selection() -> None:
    # rule M7 / rule C8: team name and member users; Komfortpaket; only selected teams
    team = TeamRecord(number="T1", name="Team Nord", member_user_nos=("003", "001"))
    sent = decide_team(team, ALL)
    assert isinstance(sent, Transfer)
    assert (sent.record.name, sent.record.member_user_nos) == ("Team Nord", ("001", "003"))
    no_licence = decide_team(team, SyncConfig())
    assert no_licence == Exclude(key=K("team:T1"), reason=Reason.TEAM_LICENCE_MISSING)
    selected = SyncConfig(user_teams=("T2",), licences=Licences(komfortpaket=True))
    assert decide_team(team, selected) == Exclude(key=K("team:T1"), reason=Reason.TEAM_NOT_ENABLED)

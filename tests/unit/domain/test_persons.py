"""Persons: P1-P6 with C5 (person types), C10 (lead time) and C15 (deletion days)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.config import SyncConfig, ranges
from app.domain.decisions import Delete, Exclude, Transfer
from app.domain.eligibility.persons import decide_person, partner_contracts
from app.domain.keys import RecordKey
from app.domain.portal import PortalPerson
from app.domain.reasons import Reason
from app.domain.records import BankAccount, ContractRecord, PartnerRelation, PersonRecord

K = RecordKey.parse

TODAY = date(2026, 6, 15)
CONFIG = SyncConfig(
    object_range=ranges("1001-1009"),
    person_types=("MIETER",),
    portal_lead_days=14,
    deletion_days=90,
)


def person(no: str = "100001", **kw: object) -> PersonRecord:
    base: dict[str, object] = {
        "number": no,
        "person_type": "MIETER",
        "salutation": "Frau",
        "first_name": "Anna",
        "last_name": "Schäfer",
        "email": "anna.schaefer@example.org",
        "phone": "030 1234567",
        "bank_account": BankAccount(iban="DE89370400440532013000"),
    }
    base.update(kw)
    return PersonRecord(**base)  # type: ignore[arg-type]


def contract(
    *, person_no: str = "100001", object_no: str = "1001", start_days: int = -400,
    move_out_days_ago: int | None = None, end_days_ago: int | None = None,
) -> ContractRecord:  # fmt: skip
    return ContractRecord(
        number=f"V-{person_no}-{start_days}",
        object_no=object_no,
        unit_no="001",
        person_no=person_no,
        start=TODAY + timedelta(days=start_days),
        move_out=None if move_out_days_ago is None else TODAY - timedelta(days=move_out_days_ago),
        end=None if end_days_ago is None else TODAY - timedelta(days=end_days_ago),
    )


def test_active_person_of_enabled_object_is_sent_as_portal_user() -> None:
    # rule P1: active persons with a valid contract in enabled objects are sent
    decision = decide_person(person(), [contract()], CONFIG, TODAY)
    assert isinstance(decision, Transfer)
    assert decision.key == K("person:100001")
    assert decision.record.portal_user is True
    assert decision.note is None


@pytest.mark.parametrize(
    ("contracts", "reason"),
    [
        ([], Reason.NO_VALID_CONTRACT),
        ([contract(object_no="2000")], Reason.OBJECT_NOT_ENABLED),
    ],
)
def test_person_without_contract_in_enabled_object_is_excluded(
    contracts: list[ContractRecord], reason: Reason
) -> None:
    # rule P1: only persons with a valid contract in an enabled object
    decision = decide_person(person(), contracts, CONFIG, TODAY)
    assert decision == Exclude(key=K("person:100001"), reason=reason)
    assert decision.text_de
    assert decision.text_en


def test_disabled_person_type_is_sent_with_portal_user_false() -> None:
    # rule P2 / rule C5: person types not enabled are still sent, PortalUser=false
    decision = decide_person(person(person_type="GEWERBE"), [contract()], CONFIG, TODAY)
    assert isinstance(decision, Transfer)
    assert decision.record.portal_user is False
    assert decision.note is Reason.PERSON_TYPE_NOT_ENABLED


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        (0, Transfer),
        (30, Transfer),
        (89, Transfer),  # one day before the deletion date: still there
        (90, Delete),  # exactly N days after move-out: reported deleted
        (400, Delete),
    ],
)
def test_moved_out_tenant_is_deleted_after_deletion_days(days_ago: int, expected: type) -> None:
    # rule P3 / rule C15: reported as deleted once the configured days have passed
    decision = decide_person(person(), [contract(move_out_days_ago=days_ago)], CONFIG, TODAY)
    assert isinstance(decision, expected)
    if isinstance(decision, Delete):
        assert decision.reason is Reason.MOVED_OUT_DELETION_DUE


def test_contract_end_without_move_out_counts_as_move_out() -> None:
    # rule C15: a contract that ended N days ago is gone as well
    assert isinstance(decide_person(person(), [contract(end_days_ago=95)], CONFIG, TODAY), Delete)


def test_second_active_contract_keeps_a_moved_out_person() -> None:
    # rule P3: only when no valid contract remains is the person deleted
    contracts = [contract(move_out_days_ago=300), contract(start_days=-10)]
    assert isinstance(decide_person(person(), contracts, CONFIG, TODAY), Transfer)


@pytest.mark.parametrize(
    ("start_days", "expected"),
    [(-1, Transfer), (0, Transfer), (13, Transfer), (14, Transfer), (15, Exclude), (60, Exclude)],
)
def test_portal_access_opens_lead_days_before_contract_start(
    start_days: int, expected: type
) -> None:
    # rule C10: the tenant gets access N days before contract start (N = 14 here)
    decision = decide_person(person(), [contract(start_days=start_days)], CONFIG, TODAY)
    assert isinstance(decision, expected)
    if isinstance(decision, Exclude):
        assert decision.reason is Reason.PORTAL_ACCESS_NOT_YET_OPEN


def test_anonymised_person_syncs_the_anonymisation_without_personal_data() -> None:
    # rule P4: anonymised in iX-Haus before the deletion date -> anonymisation is sent
    anon = person(anonymised=True)
    decision = decide_person(anon, [contract(move_out_days_ago=10)], CONFIG, TODAY)
    assert isinstance(decision, Transfer)
    assert decision.record == PortalPerson(number="100001", portal_user=True, anonymised=True)
    later = decide_person(anon, [contract(move_out_days_ago=120)], CONFIG, TODAY)
    assert isinstance(later, Delete)


def test_partner_management_brings_co_residents_and_contract_partners() -> None:
    # rule P5: partners of a partner-managed person inherit its contracts
    main = contract(person_no="100001")
    relations = [
        PartnerRelation(person_no="100001", partner_no="200001", kind="co_resident"),
        PartnerRelation(person_no="100001", partner_no="200002", kind="contract_partner"),
        PartnerRelation(person_no="100002", partner_no="200003", kind="co_resident"),
    ]
    managed = {"100001": True, "100002": False}
    by_person = {"100001": (main,), "100002": (contract(person_no="100002"),)}
    for partner_no in ("200001", "200002"):
        inherited = partner_contracts(partner_no, relations, managed, by_person)
        assert inherited == (main,)
        decision = decide_person(person(partner_no), [], CONFIG, TODAY, inherited)
        assert isinstance(decision, Transfer)
    # rule P5: the partner of a person NOT kept in the partner management gets nothing
    assert partner_contracts("200003", relations, managed, by_person) == ()
    lone = decide_person(person("200003"), [], CONFIG, TODAY, ())
    assert isinstance(lone, Exclude)


def test_person_fields_are_exactly_the_documented_ones() -> None:
    # rule P6: first/last name, salutation, e-mail, phone, bank account; no balances
    decision = decide_person(person(), [contract()], CONFIG, TODAY)
    assert isinstance(decision, Transfer)
    assert set(PortalPerson.__struct_fields__) == {
        "number", "portal_user", "anonymised", "salutation", "first_name", "last_name",
        "email", "phone", "bank_account",
    }  # fmt: skip
    record = decision.record
    assert (record.first_name, record.last_name, record.salutation) == ("Anna", "Schäfer", "Frau")
    assert record.email == "anna.schaefer@example.org"
    assert record.phone == "030 1234567"
    assert record.bank_account == BankAccount(iban="DE89370400440532013000")


@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=365))
def test_deletion_boundary_property(days_ago: int, deletion_days: int) -> None:
    # rule P3 / rule C15 (property): deleted iff at least N days since the move-out
    config = SyncConfig(
        object_range=ranges("1001"), person_types=("MIETER",), deletion_days=deletion_days
    )
    decision = decide_person(person(), [contract(move_out_days_ago=days_ago)], config, TODAY)
    assert isinstance(decision, Delete) is (days_ago >= deletion_days)
    assert isinstance(decision, Transfer) is (days_ago < deletion_days)


@given(st.integers(min_value=-400, max_value=400), st.integers(min_value=0, max_value=120))
def test_lead_time_boundary_property(start_in_days: int, lead_days: int) -> None:
    # rule C10 (property): access iff the contract starts at most N days from today
    config = SyncConfig(
        object_range=ranges("1001"), person_types=("MIETER",), portal_lead_days=lead_days
    )
    decision = decide_person(person(), [contract(start_days=start_in_days)], config, TODAY)
    assert isinstance(decision, Transfer) is (start_in_days <= lead_days)

"""Master data: owners, caretakers, users, objects, units, contracts, teams (M1-M7, C8)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.domain.config import SyncConfig
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.eligibility.persons import contract_gone
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import (
    PortalContact,
    PortalContract,
    PortalObject,
    PortalTeam,
    PortalUnit,
    PortalUser,
)
from app.domain.reasons import Reason
from app.domain.records import (
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


def _contact(
    record: OwnerRecord | CaretakerRecord, role: str, config: SyncConfig
) -> Decision[PortalContact]:
    key = RecordKey.of(EntityKind(role), record.number)
    if not config.object_enabled(record.object_no):
        return Exclude(key=key, reason=Reason.OBJECT_NOT_ENABLED)
    contact = PortalContact(
        number=record.number,
        role="owner" if role == "owner" else "caretaker",
        object_no=record.object_no,
        salutation=record.salutation,
        first_name=record.first_name,
        last_name=record.last_name,
        email=record.email,
        phone=record.phone,
        address=record.address,
        bank_account=record.bank_account,
    )
    return Transfer(key=key, record=contact)


def decide_owner(owner: OwnerRecord, config: SyncConfig) -> Decision[PortalContact]:
    if not config.licences.owners:
        return Exclude(
            key=RecordKey.of(EntityKind.OWNER, owner.number), reason=Reason.OWNER_LICENCE_MISSING
        )  # M1
    return _contact(owner, "owner", config)


def decide_caretaker(caretaker: CaretakerRecord, config: SyncConfig) -> Decision[PortalContact]:
    if not config.licences.caretakers:  # M2
        return Exclude(
            key=RecordKey.of(EntityKind.CARETAKER, caretaker.number),
            reason=Reason.CARETAKER_LICENCE_MISSING,
        )
    return _contact(caretaker, "caretaker", config)


def decide_user(user: UserRecord) -> Decision[PortalUser]:
    key = RecordKey.of(EntityKind.USER, user.number)
    if not user.active:
        return Exclude(key=key, reason=Reason.USER_INACTIVE)
    record = PortalUser(
        number=user.number,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        phone=user.phone,
    )
    return Transfer(key=key, record=record)  # M3


def decide_object(
    obj: ObjectRecord,
    config: SyncConfig,
    rights: Iterable[ObjectRight] = (),
    responsibles: Iterable[ObjectResponsible] = (),
) -> Decision[PortalObject]:
    key = RecordKey.of(EntityKind.OBJECT, obj.number)
    if not config.object_enabled(obj.number):
        return Exclude(key=key, reason=Reason.OBJECT_NOT_ENABLED)  # M4: enabled ones only
    record = PortalObject(
        number=obj.number,
        name=obj.name,
        group=obj.group,
        management_start=obj.management_start,
        address=obj.address,
        rights=tuple(sorted(rights, key=lambda r: (r.user_no, r.right))),
        responsibles=tuple(sorted(responsibles, key=lambda r: (r.user_no, r.role or ""))),
    )
    return Transfer(key=key, record=record)


def _until(contract: ContractRecord) -> date | None:
    return contract.move_out or contract.end


def _runs(contract: ContractRecord, today: date) -> bool:
    until = _until(contract)
    return contract.start <= today and (until is None or today <= until)


def current_contract(contracts: Iterable[ContractRecord], today: date) -> ContractRecord | None:
    """M5: the contract running today (latest start wins if several overlap)."""
    running = [c for c in contracts if _runs(c, today)]
    return max(running, key=lambda c: c.start, default=None)


def decide_unit(
    unit: UnitRecord, config: SyncConfig, today: date, contracts: Iterable[ContractRecord] = ()
) -> Decision[PortalUnit]:
    key = RecordKey.unit(unit.object_no, unit.number)
    if not config.object_enabled(unit.object_no):
        return Exclude(key=key, reason=Reason.OBJECT_NOT_ENABLED)
    current = current_contract(contracts, today)
    record = PortalUnit(
        object_no=unit.object_no,
        number=unit.number,
        description=unit.description,
        address=unit.address,
        start=unit.start,
        end=unit.end,
        contract_start=current.start if current else None,
        contract_end=(current.move_out or current.end) if current else None,
    )
    return Transfer(key=key, record=record)


def decide_contract(
    contract: ContractRecord, config: SyncConfig, today: date
) -> Decision[PortalContract]:
    key = RecordKey.of(EntityKind.CONTRACT, contract.number)
    if not config.object_enabled(contract.object_no):
        return Exclude(key=key, reason=Reason.OBJECT_NOT_ENABLED)
    if contract_gone(contract, config, today):
        return Delete(key=key, reason=Reason.MOVED_OUT_DELETION_DUE)  # follows P3/C15
    record = PortalContract(
        number=contract.number,
        object_no=contract.object_no,
        unit_no=contract.unit_no,
        person_no=contract.person_no,
        rent_cents=contract.rent_cents,
        deposit_cents=contract.deposit_cents,
        start=contract.start,
        end=contract.move_out or contract.end,
    )
    return Transfer(key=key, record=record)  # M6


def decide_team(team: TeamRecord, config: SyncConfig) -> Decision[PortalTeam]:
    key = RecordKey.of(EntityKind.TEAM, team.number)
    if not config.licences.komfortpaket:
        return Exclude(key=key, reason=Reason.TEAM_LICENCE_MISSING)  # C8
    if config.user_teams and team.number not in config.user_teams:
        return Exclude(key=key, reason=Reason.TEAM_NOT_ENABLED)
    record = PortalTeam(
        number=team.number, name=team.name, member_user_nos=tuple(sorted(team.member_user_nos))
    )
    return Transfer(key=key, record=record)  # M7

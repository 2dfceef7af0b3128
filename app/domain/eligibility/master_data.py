"""Master data: owners, caretakers, users, objects, units, contracts, teams (M1-M7, C8)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from app.domain.config import SyncConfig, number_order
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.eligibility.persons import contract_active, contract_gone
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import (
    ContactPayload,
    PortalAssignment,
    PortalContact,
    PortalContract,
    PortalObject,
    PortalObjectRole,
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


def merge_contacts(decisions: Sequence[Decision[PortalContact]]) -> Decision[ContactPayload]:
    """M1/M2: one portal contact per owner/caretaker from its per-object decisions.

    iX-Haus keeps one row per (person, object); the portal gets one contact with every
    enabled object. Nothing to send: the first row's reason stands for the person.
    """
    if not decisions:
        raise ValueError("no decisions to merge")
    sent = [d.record for d in decisions if isinstance(d, Transfer)]
    if not sent:
        first = decisions[0]
        assert not isinstance(first, Transfer)
        return Exclude(key=first.key, reason=first.reason)
    objects = tuple(sorted({c.object_no for c in sent}, key=number_order))
    return Transfer(
        key=decisions[0].key, record=ContactPayload(contact=sent[0], object_nos=objects)
    )


_ROLE_NAMES = {"right": "Objektrecht", "responsible": "Objektverantwortlich"}


def object_role_key(category: Literal["right", "responsible"], label: str | None) -> RecordKey:
    return RecordKey.object_role(category, label or _ROLE_NAMES[category])


def decide_object_role(
    category: Literal["right", "responsible"], label: str | None
) -> Transfer[PortalObjectRole]:
    """M4: the casavi role a right kind ("read", "write") or a responsibility is shown under."""
    text = label or _ROLE_NAMES[category]
    name = f"{_ROLE_NAMES[category]} ({text})" if category == "right" else text
    record = PortalObjectRole(category=category, label=text, name=name)
    return Transfer(key=object_role_key(category, label), record=record)


def user_assignments(
    config: SyncConfig,
    rights: Iterable[ObjectRight] = (),
    responsibles: Iterable[ObjectResponsible] = (),
    teams: Iterable[str] = (),
) -> tuple[PortalAssignment, ...]:
    """M4 + M7: one user's staff assignments, on enabled objects only.

    Object rights and persons responsible become assignments in their object role (M4). Team
    membership (M7) is an assignment in the team's role on every enabled object the user
    works on (holds a right for or is responsible for) - casavi assigns roles per property.
    ``teams`` are the user's teams that reach casavi (C8).
    """
    found: set[PortalAssignment] = set()
    objects: set[str] = set()
    for right in rights:
        if config.object_enabled(right.object_no):
            objects.add(right.object_no)
            found.add(
                PortalAssignment(
                    object_no=right.object_no, role=object_role_key("right", right.right)
                )
            )
    for resp in responsibles:
        if config.object_enabled(resp.object_no):
            objects.add(resp.object_no)
            found.add(
                PortalAssignment(
                    object_no=resp.object_no, role=object_role_key("responsible", resp.role)
                )
            )
    for team in teams:
        role = RecordKey.of(EntityKind.TEAM, team)
        found.update(PortalAssignment(object_no=o, role=role) for o in objects)
    return tuple(sorted(found, key=lambda a: (number_order(a.object_no), a.role)))


def decide_user(
    user: UserRecord, assignments: tuple[PortalAssignment, ...] = ()
) -> Decision[PortalUser]:
    key = RecordKey.of(EntityKind.USER, user.number)
    if not user.active:
        return Exclude(key=key, reason=Reason.USER_INACTIVE)
    record = PortalUser(
        number=user.number,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        phone=user.phone,
        assignments=assignments,  # M4, M7
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


def contract_phase(contract: ContractRecord, config: SyncConfig, today: date) -> int:
    """Where ``today`` stands in a contract's dates, for every date rule that reads it: P1/C10
    (portal access open and deletion not due), P3/C15 (deletion due), M5 (running today).
    Equal phases on two days: every rule over the contract answers the same on both (the
    contract's part of an input digest, ``sync.outbound.digests``)."""
    active = contract_active(contract, config, today)
    return active | contract_gone(contract, config, today) << 1 | _runs(contract, today) << 2


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

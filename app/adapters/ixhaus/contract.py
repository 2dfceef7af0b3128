"""What each table and column of the iX-Haus interface is for: rules, features, grants.

``schema.py`` is the one definition of the interface (names, types, lengths); this module
annotates it for the people who build the views in iX-Haus: the rule each column serves
(the DDL's comments), the features that stop working when a table or column is missing or
has the wrong type (``portal-gateway ixhaus check``), and where the gateway writes (the
grants: read everywhere, insert/update only where tenants' tickets, messages, attachments,
ratings and two-way ticket fields come back from casavi). A test keeps both in step.

Every read selects all of a table's columns, so one missing column stops every read of
its table: every feature of the table is affected, not only the column's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.conflicts import TWO_WAY_FIELDS

# Feature id -> what an operator would miss (English, as the CLI and the check speak it).
FEATURES: dict[str, str] = {
    "configuration": "validating the configuration against iX-Haus (C3-C8, C11)",
    "master-data": "objects, units, contracts and users to casavi (M3-M6)",
    "persons": "persons to casavi (P1-P6, C5)",
    "owners": "owners to casavi (M1)",
    "caretakers": "caretakers to casavi (M2)",
    "teams": "user teams and team filtering (M7, C8, T2)",
    "tickets": "tickets to casavi and their portal status (T1-T9, S1)",
    "notes": "public notes to casavi (N1, N2)",
    "commissioning-notes": "portal notes on commissioning (T8)",
    "documents": "documents to casavi (D1-D6, C6, C7)",
    "tenant-tickets": "tenants' tickets into iX-Haus (T10, C11)",
    "tenant-messages": "tenants' messages as iX-Haus notes (N1, T10)",
    "tenant-message-edits": "tenants' edits of their messages into the notes (N1)",
    "tenant-attachments": "tenants' attachments as ticket documents (D6, T10)",
    "ratings": "tenants' ticket ratings into iX-Haus",
    "two-way-fields": "ticket fields changed in casavi (status, responsible, due dates, "
    "subject, description) into iX-Haus",
}

# Columns the gateway updates on ``tickets``: the two-way fields and the rating.
TICKET_UPDATE_COLUMNS: tuple[str, ...] = (
    *dict.fromkeys(TWO_WAY_FIELDS.values()),
    "rating_stars",
    "rating_comment",
    "rated_at",
)


@dataclass(frozen=True)
class TableUse:
    features: tuple[str, ...]
    columns: dict[str, str]  # column -> the rule it serves (the DDL's comment)
    inserts: bool = False
    updates: tuple[str, ...] = ()
    # What stops when the gateway may not insert into the table.
    insert_features: tuple[str, ...] = ()
    # Column -> the feature its type matters to, where that is not the table's.
    column_features: dict[str, tuple[str, ...]] = field(default_factory=dict)


_ADDRESS = {"street": "address (M1, M2, M4, M5)", "postcode": "address", "city": "address"}
_PERSON = {
    "salutation": "P6: salutation",
    "first_name": "P6: first name",
    "last_name": "P6: last name",
    "email": "P6: e-mail",
    "phone": "P6: phone",
    "iban": "P6: bank account (IBAN)",
    "bic": "P6: bank account (BIC)",
    "account_holder": "P6: bank account holder",
}


def _contacts(rule: str) -> dict[str, str]:
    return {
        "person_no": f"{rule}: person number",
        "object_no": f"{rule}: the object they serve",
        **_PERSON,
        **_ADDRESS,
    }


USES: dict[str, TableUse] = {
    "objects": TableUse(
        ("master-data", "configuration"),
        {
            "object_no": "M4, C3, C4: object number (the object range selects on it)",
            "name": "M4: name",
            "object_group": "M4: group",
            "management_start": "M4: start of management",
            **_ADDRESS,
        },
    ),
    "units": TableUse(
        ("master-data",),
        {
            "object_no": "M5: object of the unit",
            "unit_no": "M5: unit number",
            "description": "M5: description",
            **_ADDRESS,
            "start_date": "M5: start",
            "end_date": "M5: end",
        },
    ),
    "person_types": TableUse(
        ("persons", "configuration"),
        {"type_no": "C5: person type code (validated against)", "name": "C5: its name"},
    ),
    "persons": TableUse(
        ("persons",),
        {
            "person_no": "P1: person number",
            "person_type": "C5, P2: person type",
            **_PERSON,
            "anonymised": "P4: anonymised in iX-Haus",
            "partner_managed": "P5: kept in the partner management",
        },
    ),
    "partner_relations": TableUse(
        ("persons",),
        {
            "person_no": "P5: main person",
            "partner_no": "P5: co-resident or contract partner",
            "kind": "P5: co_resident | contract_partner",
        },
    ),
    "contracts": TableUse(
        ("master-data", "persons"),
        {
            "contract_no": "M6: contract number",
            "object_no": "M6: object number",
            "unit_no": "M5, M6: unit",
            "person_no": "M6, P1: person number",
            "rent_cents": "M6: current rent (cents)",
            "deposit_cents": "M6: deposit (cents)",
            "start_date": "M6, P1, C10: start",
            "end_date": "M6, P1: end",
            "move_out_date": "P3, C15: move-out",
        },
    ),
    "owners": TableUse(("owners",), _contacts("M1")),
    "caretakers": TableUse(("caretakers",), _contacts("M2")),
    "users": TableUse(
        ("master-data", "configuration"),
        {
            "user_no": "M3, C11: three-digit user number",
            "first_name": "M3: first name",
            "last_name": "M3: last name",
            "email": "M3: e-mail",
            "phone": "M3: phone",
            "active": "C11: the ticket user must be active",
            "plus_rights": "C11: the ticket user must have rights",
        },
    ),
    "teams": TableUse(
        ("teams", "configuration"),
        {"team_no": "M7, C8: team code", "name": "M7: name"},
    ),
    "team_members": TableUse(("teams",), {"team_no": "M7: team", "user_no": "M7: member user"}),
    "object_rights": TableUse(
        ("master-data",),
        {"object_no": "M4: object", "user_no": "M4: user", "right_kind": "M4: kind of right"},
    ),
    "object_responsibles": TableUse(
        ("master-data",),
        {"object_no": "M4: object", "user_no": "M4, C8: responsible user", "role": "M4: role"},
    ),
    "ticket_types": TableUse(
        ("tickets", "configuration"),
        {
            "type_no": "T9: ticket type code",
            "name": "T9: name",
            "portal_mode": "T4, T5, T6: normal | locked | bulletin_board | object_notice",
            "notify_unregistered": "T7: notify unregistered contacts by e-mail",
            "note_on_commissioning": "T8: portal note on commissioning",
            "note_template": "T8: the note's template",
        },
        column_features={
            "note_on_commissioning": ("commissioning-notes",),
            "note_template": ("commissioning-notes",),
        },
    ),
    "ticket_statuses": TableUse(
        ("tickets",),
        {
            "status_no": "T9: status number",
            "name": "T9: name",
            "kind": "T1: open | closed | cancelled",
        },
    ),
    "ticket_priorities": TableUse(
        ("tickets",),
        {"priority_no": "T9: priority number", "name": "T9: name", "kind": "T9: type"},
    ),
    "tickets": TableUse(
        ("tickets", "tenant-tickets", "two-way-fields", "ratings"),
        {
            "ticket_no": "T3: number (an identity: tenants' tickets get the next one)",
            "type_no": "T3, T4-T8: ticket type",
            "subject": "T3: subject (two-way)",
            "description": "T3: description (two-way)",
            "hint1": "T3: hint 1",
            "hint2": "T3: hint 2",
            "reporter_person_no": "T3: reporter",
            "trade": "T3: trade",
            "reported_at": "T3: date",
            "object_no": "T3, C3, C4: object",
            "unit_no": "T3: unit",
            "technical_object": "T3: technical object",
            "responsible_user_no": "T3: responsible user (two-way)",
            "team_no": "T3, T2: responsible team (two-way)",
            "due_from": "T3: due from (two-way)",
            "due_until": "T3: due until (two-way)",
            "status_no": "T1, T9: status (two-way)",
            "priority_no": "T9: priority",
            "closed_at": "T1, C3: closed",
            "cancelled_at": "T1, C3: cancelled",
            "modified_at": "S2: last change (staff changes reset the portal columns)",
            "created_by_user_no": "T10, C11: author of a tenant's ticket",
            "source_ref": "T10: casavi's ticket id (idempotent write-back)",
            "rating_stars": "a tenant's rating in casavi (stars)",
            "rating_comment": "a tenant's rating in casavi (comment)",
            "rated_at": "a tenant's rating in casavi (when)",
        },
        inserts=True,
        updates=TICKET_UPDATE_COLUMNS,
        insert_features=("tenant-tickets",),
        column_features={
            "source_ref": ("tenant-tickets",),
            "created_by_user_no": ("tenant-tickets",),
            "rating_stars": ("ratings",),
            "rating_comment": ("ratings",),
            "rated_at": ("ratings",),
        },
    ),
    "notes": TableUse(
        ("notes", "tenant-messages"),
        {
            "note_id": "N1: note id (an identity: tenants' messages get the next one)",
            "ticket_no": "N1: ticket",
            "author_user_no": "N1, C11: author",
            "created_at": "N1: time",
            "content": "N1: content",
            "internal": "N2: internal notes never go to casavi",
            "source_ref": "N1: casavi's message id (echo suppression, idempotent write-back)",
            "author_person_no": "N1: the tenant who wrote a casavi message (person number)",
            "author_name": "N1: who wrote a casavi message, as casavi shows the name",
        },
        inserts=True,
        updates=("content",),
        insert_features=("tenant-messages",),
        column_features={
            "source_ref": ("tenant-messages",),
            "author_person_no": ("tenant-messages",),
            "author_name": ("tenant-messages",),
        },
    ),
    "work_orders": TableUse(
        ("commissioning-notes",),
        {
            "order_no": "T8: work order number",
            "ticket_no": "T8: ticket",
            "placed_at": "T8: when it was placed",
            "contractor": "T8: contractor (template placeholder)",
            "description": "T8: description (template placeholder)",
        },
    ),
    "document_types": TableUse(
        ("documents", "configuration"),
        {
            "type_no": "C6, C7, D3: document type code",
            "name": "D3: name",
            "document_class": "D3: document class (sent instead of the type when set)",
        },
    ),
    "documents": TableUse(
        ("documents", "tenant-attachments"),
        {
            "document_id": "D1: document id",
            "type_no": "D3, C6, C7: document type",
            "name": "D3: name",
            "created_at": "D3, D4: creation date (time filter)",
            "size_bytes": "D5: size (larger than the limit is not sent)",
            "object_no": "D2: object",
            "person_no": "D1: recipient person",
            "ticket_no": "D6: ticket of a ticket document",
            "content_location": "D1: where the content is (below ixhaus.documentRoot)",
            "released": "D1, D2: released for the portal",
            "source": "ixhaus | casavi (a tenant's attachment)",
            "source_ref": "D6, T10: casavi's document id (idempotent write-back)",
        },
        inserts=True,
        insert_features=("tenant-attachments",),
        column_features={"source_ref": ("tenant-attachments",), "source": ("tenant-attachments",)},
    ),
}


def column_features(logical: str, column: str) -> tuple[str, ...]:
    """The features a wrong type of ``column`` affects."""
    use = USES[logical]
    return use.column_features.get(column, use.features)


_RATING = ("rating_stars", "rating_comment", "rated_at")


def update_features(logical: str, column: str) -> tuple[str, ...]:
    """What stops when the gateway may not update ``<logical>.<column>``."""
    if logical == "notes":
        return ("tenant-message-edits",)
    return ("ratings",) if column in _RATING else ("two-way-fields",)

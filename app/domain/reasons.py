"""Stable reason codes for every decision not to send a record (or to send a deletion).

The codes are part of the gateway's API (rule S1 shows them to staff): never rename one,
only add. Each code has a German and an English text and a severity: ``warning`` reasons need
an operator to act (D5: a document above the size limit is never sent until someone shrinks
it or raises the limit), ``info`` reasons are normal outcomes. Either way a reason is a rule's
outcome - the record is ``excluded`` with it - never an error of the run.
"""

from __future__ import annotations

import enum
from typing import Literal

import msgspec

Severity = Literal["info", "warning"]


class Reason(enum.StrEnum):
    OBJECT_NOT_ENABLED = "object_not_enabled"  # C3/C4/M4
    NO_VALID_CONTRACT = "no_valid_contract"  # P1
    PORTAL_ACCESS_NOT_YET_OPEN = "portal_access_not_yet_open"  # C10
    PERSON_TYPE_NOT_ENABLED = "person_type_not_enabled"  # P2 (sent with PortalUser=false)
    MOVED_OUT_DELETION_DUE = "moved_out_deletion_due"  # P3/C15
    DOCUMENT_NOT_RELEASED = "document_not_released"  # D2
    DOCUMENT_TYPE_NOT_CONFIGURED = "document_type_not_configured"  # D1/C6/C7
    DOCUMENT_BEFORE_TIME_FILTER = "document_before_time_filter"  # D4/C6
    DOCUMENT_TOO_LARGE = "document_too_large"  # D5
    DOCUWARE_SYNC_DISABLED = "docuware_sync_disabled"  # C13
    DOCUWARE_INDEX_MISSING = "docuware_index_missing"  # C9
    OWNER_LICENCE_MISSING = "owner_licence_missing"  # M1
    CARETAKER_LICENCE_MISSING = "caretaker_licence_missing"  # M2
    TEAM_LICENCE_MISSING = "team_licence_missing"  # C8/M7
    TEAM_NOT_ENABLED = "team_not_enabled"  # C8/T2
    TICKET_TYPE_LOCKED = "ticket_type_locked"  # T4
    TICKET_TYPE_UNKNOWN = "ticket_type_unknown"  # T3
    TICKET_NOT_OPEN = "ticket_not_open"  # T1 (first export)
    TICKET_ENDED_BEFORE_PREVIOUS_YEAR = "ticket_ended_before_previous_year"  # C3
    BULLETIN_CLOSED = "bulletin_closed"  # T5: removed from the board
    NOTE_INTERNAL = "note_internal"  # N2
    NOTE_TICKET_NOT_TRANSFERRED = "note_ticket_not_transferred"  # N1/T*
    NOTE_FROM_PORTAL = "note_from_portal"  # echo suppression: written from a casavi message
    DOCUMENT_FROM_PORTAL = "document_from_portal"  # echo suppression: a casavi attachment
    TICKET_USER_NOT_CONFIGURED = "ticket_user_not_configured"  # C11
    TICKET_USER_UNKNOWN = "ticket_user_unknown"  # C11
    TICKET_USER_WITHOUT_RIGHTS = "ticket_user_without_rights"  # C11
    TICKET_TYPE_NOT_FOR_TENANTS = "ticket_type_not_for_tenants"  # T4/T5/T6 inbound
    USER_INACTIVE = "user_inactive"  # M3
    COMMISSIONING_NOTE_NOT_CONFIGURED = "commissioning_note_not_configured"  # T8
    # Not a rule's outcome: the record waits (untouched) for a record it names, whose state
    # in casavi is unsettled (its creation failed or is under way).
    WAITING_FOR_PARENT = "waiting_for_parent"


class ReasonText(msgspec.Struct, frozen=True):
    de: str
    en: str
    severity: Severity = "info"


REASON_TEXTS: dict[Reason, ReasonText] = {
    Reason.WAITING_FOR_PARENT: ReasonText(
        "Wartet auf einen Datensatz, auf den er verweist (dessen Übertragung ist noch nicht "
        "abgeschlossen); wird danach übertragen.",
        "Waits for a record it refers to (whose transfer is not settled yet); sent after it.",
    ),
    Reason.OBJECT_NOT_ENABLED: ReasonText(
        "Objekt ist nicht für das Serviceportal freigegeben.",
        "The object is not enabled for the service portal.",
    ),
    Reason.NO_VALID_CONTRACT: ReasonText(
        "Person hat keinen gültigen Vertrag in einem freigegebenen Objekt.",
        "The person has no valid contract in an enabled object.",
    ),
    Reason.PORTAL_ACCESS_NOT_YET_OPEN: ReasonText(
        "Vertragsbeginn liegt nach der Vorlaufzeit für den Portalzugang.",
        "The contract starts after the portal access lead time.",
    ),
    Reason.PERSON_TYPE_NOT_ENABLED: ReasonText(
        "Personentyp ist nicht freigeschaltet; Übertragung mit PortalUser=false.",
        "The person type is not enabled; sent with PortalUser=false.",
    ),
    Reason.MOVED_OUT_DELETION_DUE: ReasonText(
        "Mieter ist ausgezogen und die Löschfrist ist abgelaufen; als gelöscht gemeldet.",
        "The tenant moved out and the deletion period has passed; reported as deleted.",
    ),
    Reason.DOCUMENT_NOT_RELEASED: ReasonText(
        "Dokument ist nicht freigegeben; als gelöscht gemeldet, ohne Inhalt.",
        "The document is not released; reported as deleted, without content.",
    ),
    Reason.DOCUMENT_TYPE_NOT_CONFIGURED: ReasonText(
        "Dokumententyp ist für das Serviceportal nicht freigegeben.",
        "The document type is not enabled for the service portal.",
    ),
    Reason.DOCUMENT_BEFORE_TIME_FILTER: ReasonText(
        "Dokument ist älter als der Beginn des letzten Kalenderjahres.",
        "The document is older than the start of the previous calendar year.",
    ),
    Reason.DOCUMENT_TOO_LARGE: ReasonText(
        "Dokument ist größer als die eingestellte Höchstgröße (Standard 100 MB) und wird "
        "nicht übertragen.",
        "The document is larger than the configured size limit (default 100 MB) and is not sent.",
        "warning",
    ),
    Reason.DOCUWARE_SYNC_DISABLED: ReasonText(
        "DocuWare-Synchronisation ist ausgeschaltet.",
        "DocuWare synchronisation is switched off.",
    ),
    Reason.DOCUWARE_INDEX_MISSING: ReasonText(
        "DocuWare-Dokument ohne Empfängertyp, Objektnummer oder EmpfängerHeaderID.",
        "DocuWare document lacks recipient type, object number or recipient header id.",
        "warning",
    ),
    Reason.OWNER_LICENCE_MISSING: ReasonText(
        "Lizenz Objekteigentümer ist nicht aktiv.",
        "The owner licence is not active.",
    ),
    Reason.CARETAKER_LICENCE_MISSING: ReasonText(
        "Lizenz Hausmeister ist nicht aktiv.",
        "The caretaker licence is not active.",
    ),
    Reason.TEAM_LICENCE_MISSING: ReasonText(
        "Benutzerteams erfordern das Komfortpaket.",
        "User teams require the Komfortpaket licence.",
    ),
    Reason.TEAM_NOT_ENABLED: ReasonText(
        "Benutzerteam ist nicht für das Serviceportal freigeschaltet.",
        "The user team is not enabled for the service portal.",
    ),
    Reason.TICKET_TYPE_LOCKED: ReasonText(
        "Meldungsart „Serviceportal – Sperre“: keine Synchronisation.",
        "Ticket type 'Service portal – lock': never synchronised.",
    ),
    Reason.TICKET_TYPE_UNKNOWN: ReasonText(
        "Meldungsart ist unbekannt.",
        "The ticket type is unknown.",
        "warning",
    ),
    Reason.TICKET_NOT_OPEN: ReasonText(
        "Meldung ist abgeschlossen oder storniert (Erstexport nur offene Meldungen).",
        "The ticket is closed or cancelled (first export sends open tickets only).",
    ),
    Reason.TICKET_ENDED_BEFORE_PREVIOUS_YEAR: ReasonText(
        "Meldung wurde vor Beginn des letzten Kalenderjahres abgeschlossen oder storniert.",
        "The ticket was closed or cancelled before the start of the previous calendar year.",
    ),
    Reason.BULLETIN_CLOSED: ReasonText(
        "Hausmitteilung ist abgeschlossen; Eintrag wird von der Pinnwand entfernt.",
        "The house notice is closed; it is removed from the bulletin board.",
    ),
    Reason.NOTE_INTERNAL: ReasonText(
        "Interne Notiz; wird nie an casavi übertragen.",
        "Internal note; never sent to casavi.",
    ),
    Reason.NOTE_TICKET_NOT_TRANSFERRED: ReasonText(
        "Die Meldung der Notiz wird nicht an das Serviceportal übertragen.",
        "The note's ticket is not transferred to the service portal.",
    ),
    Reason.NOTE_FROM_PORTAL: ReasonText(
        "Notiz stammt aus einer Nachricht im Serviceportal; sie wird nicht zurückgesendet.",
        "The note was written from a service-portal message; it is never sent back.",
    ),
    Reason.DOCUMENT_FROM_PORTAL: ReasonText(
        "Dokument stammt aus einem Anhang im Serviceportal; es wird nicht zurückgesendet.",
        "The document is an attachment from the service portal; it is never sent back.",
    ),
    Reason.TICKET_USER_NOT_CONFIGURED: ReasonText(
        "Kein Meldung-iX-Plus-Benutzer konfiguriert.",
        "No ticket user is configured.",
        "warning",
    ),
    Reason.TICKET_USER_UNKNOWN: ReasonText(
        "Der konfigurierte Meldung-Benutzer existiert nicht oder ist inaktiv.",
        "The configured ticket user does not exist or is inactive.",
        "warning",
    ),
    Reason.TICKET_USER_WITHOUT_RIGHTS: ReasonText(
        "Der konfigurierte Meldung-Benutzer hat keine Rechte für iX-Haus plus.",
        "The configured ticket user has no iX-Haus plus rights.",
        "warning",
    ),
    Reason.TICKET_TYPE_NOT_FOR_TENANTS: ReasonText(
        "Mieter können Meldungen dieser Meldungsart im Portal nicht anlegen.",
        "Tenants cannot create tickets of this type in the portal.",
        "warning",
    ),
    Reason.USER_INACTIVE: ReasonText(
        "Benutzer ist inaktiv.",
        "The user is inactive.",
    ),
    Reason.COMMISSIONING_NOTE_NOT_CONFIGURED: ReasonText(
        "Die Meldungsart erzeugt bei Beauftragung keine Portalnotiz.",
        "The ticket type creates no portal note when a work order is placed.",
    ),
}


def text(reason: Reason, language: Literal["de", "en"] = "de") -> str:
    entry = REASON_TEXTS[reason]
    return entry.de if language == "de" else entry.en


def severity(reason: Reason) -> Severity:
    return REASON_TEXTS[reason].severity

"""The console's words for the values the gateway stores, and the messages its routes decide.

``LABELS[group][value]`` is the English text of a stored value (a run's status, a system, a
form field's name...), marked with ``C_(group, text)`` so Babel extracts it with the group as
its gettext context (the same English word may need two German ones). ``MESSAGES[key]`` is
a message a route chooses by key (``signin.unknown``), marked with ``N_``. The German lives in
the catalogues (``app/console/locale``), never here.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks ``message`` for extraction; it is translated where it is shown."""
    return message


def C_(context: str, message: str) -> str:
    """Marks ``message`` for extraction with its gettext context (``pgettext``)."""
    return message


LABELS: dict[str, dict[str, str]] = {
    "language": {
        "label": C_("language", "Language"),
        "switch": C_("language", "Change language"),
        "de": C_("language", "German"),
        "en": C_("language", "English"),
    },
    "system": {
        "production": C_("system", "Production"),
        "test": C_("system", "Test"),
    },
    "run status": {
        "queued": C_("run status", "queued"),
        "running": C_("run status", "running"),
        "succeeded": C_("run status", "succeeded"),
        "failed": C_("run status", "failed"),
        "partial": C_("run status", "partly succeeded"),
    },
    "outcome": {
        "sent": C_("outcome", "sent"),
        "deleted": C_("outcome", "deleted"),
        "excluded": C_("outcome", "excluded"),
        "error": C_("outcome", "error"),
    },
    "show": {
        "open": C_("show", "open"),
        "all": C_("show", "all"),
    },
    "side": {
        "ixhaus": C_("side", "Take the iX-Haus value"),
        "casavi": C_("side", "Take the casavi value"),
        "value": C_("side", "Own value"),
    },
    "event state": {
        "parked": C_("event state", "parked"),
        "received": C_("event state", "waiting"),
        "done": C_("event state", "processed"),
        "discarded": C_("event state", "discarded"),
    },
    "section": {
        "secrets": C_("section", "Secrets"),
    },
    # The settings pages, one per group of rules.
    "settings group": {
        "casavi": C_("settings group", "casavi (C2, C12)"),
        "ixhaus": C_("settings group", "iX-Haus"),
        "docuware": C_("settings group", "DocuWare (C9)"),
        "objects": C_("settings group", "Objects and persons (C3–C5, C10, C15)"),
        "documents": C_("settings group", "Documents (C6, C7, D5)"),
        "tickets": C_("settings group", "Tickets (C8, C11)"),
        "schedule": C_("settings group", "Schedule and support (C13, C14)"),
    },
    "check part": {
        "casavi": C_("check part", "casavi"),
        "docuware": C_("check part", "DocuWare"),
        "ixhaus": C_("check part", "iX-Haus database"),
    },
    "check status": {
        "ok": C_("check status", "ok"),
        "failed": C_("check status", "failed"),
        "not_configured": C_("check status", "not configured"),
    },
    "scope": {
        "ixhaus": C_("scope", "ixhaus (iX-Haus plus)"),
        "admin": C_("scope", "admin (administration)"),
    },
    "field": {
        "active": C_("field", "Interface active (C12)"),
        "casavi.baseUrl": C_("field", "casavi address (C2)"),
        "casavi.allowWriteTest": C_(
            "field", "Contract check may create (and remove) marked test records"
        ),
        "ixhaus.schema": C_("field", "Schema (owner)"),
        "ixhaus.tablePrefix": C_("field", "Table name prefix"),
        "ixhaus.tableNames": C_("field", "Table names"),
        "objects.range": C_("field", "Object range (C3)"),
        "objects.fullHistoryRange": C_("field", "Object range with full ticket history (C4)"),
        "personTypes": C_("field", "Person types (C5)"),
        "documentTypes.withTimeFilter": C_("field", "Document types with time filter (C6)"),
        "documentTypes.withoutTimeFilter": C_("field", "Document types without time filter (C7)"),
        "userTeams": C_("field", "User teams (C8)"),
        "docuware.baseUrl": C_("field", "DocuWare address"),
        "docuware.username": C_("field", "DocuWare user"),
        "docuware.grant": C_("field", "DocuWare logon (password, trusted or client_credentials)"),
        "docuware.clientId": C_("field", "Registered application's client id (client_credentials)"),
        "docuware.impersonateName": C_("field", "DocuWare user to act as (trusted)"),
        "docuware.organization": C_(
            "field", "DocuWare organisation id (OrgId; on premises with several organisations)"
        ),
        "docuware.fileCabinetId": C_("field", "File cabinet id"),
        "docuware.filters": C_("field", "DocuWare filters (C9)"),
        "portalAccountLeadDays": C_("field", "Portal account lead time in days (C10)"),
        "ticketUserNumber": C_("field", "Ticket user (C11)"),
        "deleteAfterMoveOutDays": C_("field", "Days after move-out until deletion (C15)"),
        "licences.komfortpaket": C_("field", "Komfortpaket"),
        "licences.owners": C_("field", "Licence owners"),
        "licences.caretakers": C_("field", "Licence caretakers"),
        "support.keepTransferPayloads": C_("field", "Keep transfer payloads (@mpSave)"),
        "support.noDocuwareSync": C_("field", "No DocuWare sync (@noDwSync)"),
        "support.retentionDays": C_("field", "Keep transfer payloads and protocol (days)"),
        "support.inboundRetentionDays": C_("field", "Keep inbound events (days)"),
        "inbound.pollSeconds": C_("field", "Poll casavi every … seconds"),
        "inbound.callbacksEnabled": C_("field", "Accept casavi callbacks"),
        "ixhaus.documentRoot": C_("field", "iX-Haus document folder"),
        "maxDocumentBytes": C_(
            "field", "Largest document in bytes (D5; casavi's upload form: 50 MB)"
        ),
        "schedule.intervalMinutes": C_("field", "Interval in minutes"),
        "schedule.quietHours.start": C_("field", "Quiet hours from (HH:MM)"),
        "schedule.quietHours.end": C_("field", "Quiet hours until (HH:MM)"),
        "secrets.casaviApiKey": C_("field", "casavi API key"),
        "secrets.casaviSecret": C_("field", "casavi secret"),
        "secrets.docuwarePassword": C_("field", "DocuWare password"),
        "secrets.docuwareClientSecret": C_("field", "Registered DocuWare application's secret"),
        "secrets.docuwareWebhookSecret": C_("field", "DocuWare webhook secret"),
        "secrets.callbackSecret": C_("field", "Callback secret"),
        "secrets.ixhausDatabaseUrl": C_("field", "iX-Haus database URL"),
        "secrets.alertSmtpPassword": C_("field", "Alerts: SMTP password"),
        "secrets.alertWebhookSecret": C_("field", "Alerts: webhook secret (HMAC)"),
        "conflictPolicy.ticketType": C_("field", "Ticket type"),
        "conflictPolicy.subject": C_("field", "Subject"),
        "conflictPolicy.description": C_("field", "Description"),
        "conflictPolicy.hint1": C_("field", "Hint 1"),
        "conflictPolicy.hint2": C_("field", "Hint 2"),
        "conflictPolicy.reporter": C_("field", "Reporter"),
        "conflictPolicy.trade": C_("field", "Trade"),
        "conflictPolicy.date": C_("field", "Date"),
        "conflictPolicy.object": C_("field", "Object"),
        "conflictPolicy.unit": C_("field", "Unit"),
        "conflictPolicy.technicalObject": C_("field", "Technical object"),
        "conflictPolicy.responsibleUser": C_("field", "Responsible user"),
        "conflictPolicy.responsibleTeam": C_("field", "Responsible team"),
        "conflictPolicy.dueFrom": C_("field", "Due from"),
        "conflictPolicy.dueUntil": C_("field", "Due until"),
        "conflictPolicy.status": C_("field", "Status"),
        "conflictPolicy.notes": C_("field", "Notes (edited by the tenant)"),
    },
    "policy": {
        "ixhaus_wins": C_("policy", "iX-Haus wins"),
        "casavi_wins": C_("policy", "casavi wins"),
        "manual": C_("policy", "decide manually"),
    },
    "secret part": {
        "value": C_("secret part", "new value"),
        "confirmation": C_("secret part", "new value (again)"),
    },
    "conflict field": {
        "ticketType": C_("conflict field", "Ticket type"),
        "subject": C_("conflict field", "Subject"),
        "description": C_("conflict field", "Description"),
        "hint1": C_("conflict field", "Hint 1"),
        "hint2": C_("conflict field", "Hint 2"),
        "reporter": C_("conflict field", "Reporter"),
        "trade": C_("conflict field", "Trade"),
        "date": C_("conflict field", "Date"),
        "object": C_("conflict field", "Object"),
        "unit": C_("conflict field", "Unit"),
        "technicalObject": C_("conflict field", "Technical object"),
        "responsibleUser": C_("conflict field", "Responsible user"),
        "responsibleTeam": C_("conflict field", "Responsible team"),
        "dueFrom": C_("conflict field", "Due from"),
        "dueUntil": C_("conflict field", "Due until"),
        "status": C_("conflict field", "Status"),
    },
    "portal status": {
        "open": C_("portal status", "open"),
        "closed": C_("portal status", "closed"),
    },
    "trigger": {
        "schedule": C_("trigger", "schedule"),
        "api": C_("trigger", "API (iX-Haus plus)"),
        "console": C_("trigger", "console"),
        "cli": C_("trigger", "command line"),
        "demo": C_("trigger", "demo"),
    },
    "entity": {
        "object": C_("entity", "object"),
        "unit": C_("entity", "unit"),
        "person": C_("entity", "person"),
        "contract": C_("entity", "contract"),
        "owner": C_("entity", "owner"),
        "caretaker": C_("entity", "caretaker"),
        "user": C_("entity", "user"),
        "team": C_("entity", "team"),
        "object_role": C_("entity", "object role"),
        "ticket_type": C_("entity", "ticket type"),
        "ticket_status": C_("entity", "ticket status"),
        "ticket_priority": C_("entity", "ticket priority"),
        "ticket": C_("entity", "ticket"),
        "note": C_("entity", "note"),
        "work_order_note": C_("entity", "work order note"),
        "document": C_("entity", "document"),
    },
    "plan action": {
        "create": C_("plan action", "create"),
        "update": C_("plan action", "update"),
        "delete": C_("plan action", "remove"),
        "exclude": C_("plan action", "exclude"),
    },
    "yes no": {
        "yes": C_("yes no", "yes"),
        "no": C_("yes no", "no"),
    },
}

MESSAGES: dict[str, str] = {
    "signin.unknown": N_("The key is unknown or revoked."),
    "signin.scope": N_("Keys of scope “ixhaus” cannot sign in to the console."),
    "signin.blocked": N_("Too many failed sign-ins. Please try again in 15 minutes."),
    "signin.link_invalid": N_("The sign-in link is invalid, expired or was used already."),
    "signin.expired": N_("Your session has expired. Please sign in again."),
    "signin.signed_out": N_("You are signed out."),
    "signin.required": N_("Please sign in."),
    "csrf.invalid": N_(
        "The form is stale (its security token is missing or wrong). Please reload the page."
    ),
    "overview.lag_seconds": N_("oldest unprocessed event waiting %(n)s s"),
    "overview.lag_minutes": N_("oldest unprocessed event waiting %(n)s min"),
    "tickets.invalid_number": N_("Please enter a ticket number (digits)."),
    "inbound.refused": N_("The action on entry %(id)s was refused."),
    "inbound.not_found": N_("Entry %(id)s does not exist."),
    "inbound.unreachable": N_(
        "Entry %(id)s: iX-Haus or casavi cannot be reached. Please try again later."
    ),
    "conflicts.choose_side": N_("Conflict %(id)s: please choose iX-Haus, casavi or an own value."),
    "conflicts.value_needed": N_("Conflict %(id)s: “Own value” needs a value."),
    "events.done.retried": N_("Event %(id)s is being processed again."),
    "events.done.discarded": N_("Event %(id)s is discarded."),
}

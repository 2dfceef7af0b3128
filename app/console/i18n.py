"""Every string of the console, German first (the operators' language), English second.

Templates call ``t("key")`` (or ``t("key", name=value)`` for ``str.format`` fields); a test
checks that every key used in a template is here in both languages. Messages that come from
the configuration service are English; the common ones are translated by ``service_message``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LOCAL_ZONE = ZoneInfo("Europe/Berlin")

TEXT: dict[str, tuple[str, str]] = {
    # frame
    "app.title": ("Portal-Gateway – Konsole", "Portal gateway – console"),
    "app.skip": ("Zum Inhalt springen", "Skip to content"),
    "nav.label": ("Hauptnavigation", "Main navigation"),
    "nav.overview": ("Übersicht", "Overview"),
    "nav.settings_production": ("Einstellungen Produktiv", "Settings production"),
    "nav.settings_test": ("Einstellungen Test", "Settings test"),
    "nav.protocol": ("Protokoll", "Protocol"),
    "nav.tickets": ("Meldungen", "Tickets"),
    "nav.keys": ("API-Schlüssel", "API keys"),
    "nav.conflicts": ("Konflikte", "Conflicts"),
    "nav.inbound_events": ("Geparkte Ereignisse", "Parked inbound events"),
    "lang.label": ("Sprache", "Language"),
    "lang.switch": ("Sprache wechseln", "Change language"),
    "lang.de": ("Deutsch", "German"),
    "lang.en": ("Englisch", "English"),
    "signed_in_as": ("Angemeldet mit Schlüssel {name}", "Signed in with key {name}"),
    "signout": ("Abmelden", "Sign out"),
    "system.production": ("Produktiv", "Production"),
    "system.test": ("Test", "Test"),
    "yes": ("ja", "yes"),
    "no": ("nein", "no"),
    "none": ("–", "–"),
    "errors.summary": ("Bitte die markierten Felder korrigieren:", "Please correct these fields:"),
    "error.title": ("Fehler", "Error"),
    "error.back": ("Zur Übersicht", "Back to the overview"),
    # sign-in
    "signin.title": ("Anmelden", "Sign in"),
    "signin.intro": (
        "Melden Sie sich mit einem API-Schlüssel mit dem Bereich „admin“ an "
        "(erstellt mit „portal-gateway apikey create --scope admin“).",
        "Sign in with an API key of scope “admin” "
        "(created with “portal-gateway apikey create --scope admin”).",
    ),
    "signin.key": ("API-Schlüssel", "API key"),
    "signin.submit": ("Anmelden", "Sign in"),
    "signin.unknown": (
        "Der Schlüssel ist unbekannt oder widerrufen.",
        "The key is unknown or revoked.",
    ),
    "signin.scope": (
        "Schlüssel mit dem Bereich „ixhaus“ können sich nicht an der Konsole anmelden.",
        "Keys of scope “ixhaus” cannot sign in to the console.",
    ),
    "signin.blocked": (
        "Zu viele fehlgeschlagene Anmeldungen. Bitte in 15 Minuten erneut versuchen.",
        "Too many failed sign-ins. Please try again in 15 minutes.",
    ),
    "signin.link_invalid": (
        "Der Anmeldelink ist ungültig, abgelaufen oder wurde schon benutzt.",
        "The sign-in link is invalid, expired or was used already.",
    ),
    "signin.expired": (
        "Ihre Sitzung ist abgelaufen. Bitte erneut anmelden.",
        "Your session has expired. Please sign in again.",
    ),
    "signin.signed_out": ("Sie sind abgemeldet.", "You are signed out."),
    "signin.required": ("Bitte anmelden.", "Please sign in."),
    "csrf.invalid": (
        "Das Formular ist veraltet (Sicherheits-Token fehlt oder passt nicht). "
        "Bitte die Seite neu laden.",
        "The form is stale (its security token is missing or wrong). Please reload the page.",
    ),
    # overview
    "overview.title": ("Übersicht", "Overview"),
    "overview.active": ("Schnittstelle aktiv (C12)", "Interface active (C12)"),
    "overview.casavi_url": ("casavi-Adresse", "casavi address"),
    "overview.check": ("Verbindungstest", "Connection check"),
    "overview.check_never": (
        "Seit dem Start dieses Prozesses nicht getestet.",
        "Not checked since this process started.",
    ),
    "overview.check_at": ("Getestet am {at}", "Checked on {at}"),
    "overview.last_run": ("Letzter Lauf", "Last run"),
    "overview.no_run": ("Noch kein Lauf.", "No run yet."),
    "overview.next_run": ("Nächster geplanter Lauf (C14)", "Next scheduled run (C14)"),
    "overview.next_inactive": (
        "Keiner: die Schnittstelle ist ausgeschaltet.",
        "None: the interface is switched off.",
    ),
    "overview.next_due_now": ("Fällig (beim nächsten Takt)", "Due (at the next tick)"),
    "overview.every": ("alle {minutes} Minuten", "every {minutes} minutes"),
    "overview.quiet": (
        "keine geplanten Läufe von {start} bis {end} Uhr",
        "no scheduled runs from {start} to {end}",
    ),
    "overview.scheduler_here": (
        "Der Zeitplan läuft in diesem Prozess.",
        "This process runs the schedule.",
    ),
    "overview.scheduler_worker": (
        "Der Zeitplan läuft im Worker (portal-gateway worker).",
        "The worker (portal-gateway worker) runs the schedule.",
    ),
    "overview.scheduler_none": (
        "Kein Zeitplan in diesem Prozess und kein Redis: geplante Läufe starten nur, "
        "wenn ein anderer Prozess den Zeitplan ausführt.",
        "No schedule in this process and no Redis: scheduled runs start only if another "
        "process runs the schedule.",
    ),
    "overview.jobs": ("Aufträge", "Jobs"),
    "overview.jobs_here": (
        "Ohne Redis laufen Sync-Aufträge in diesem Prozess (kein Worker nötig).",
        "Without Redis, sync jobs run in this process (no worker needed).",
    ),
    "overview.jobs_redis": (
        "Sync-Aufträge gehen über Redis an den Worker. Ob ein Worker läuft, kann die Konsole "
        "nicht feststellen: ein Lauf bleibt dann „wartend“.",
        "Sync jobs go through Redis to the worker. The console cannot tell whether a worker "
        "is running: a run then stays “queued”.",
    ),
    "overview.start_run": ("Sync-Lauf starten", "Start a sync run"),
    "overview.parked": ("Geparkte Ereignisse (casavi → iX-Haus)", "Parked inbound events"),
    "overview.parked_link": ("{n} anzeigen", "show {n}"),
    "overview.lag": ("Eingangs-Rückstand", "Inbound lag"),
    "overview.lag_none": ("keiner", "none"),
    "overview.lag_seconds": (
        "ältestes unverarbeitetes Ereignis seit {n} s",
        "oldest unprocessed event waiting {n} s",
    ),
    "overview.lag_minutes": (
        "ältestes unverarbeitetes Ereignis seit {n} Min.",
        "oldest unprocessed event waiting {n} min",
    ),
    # runs
    "run.title": ("Lauf {id}", "Run {id}"),
    "run.system": ("System", "System"),
    "run.trigger": ("Auslöser", "Trigger"),
    "run.requested_by": ("Angefordert von", "Requested by"),
    "run.requested_at": ("Angefordert", "Requested"),
    "run.started_at": ("Gestartet", "Started"),
    "run.finished_at": ("Beendet", "Finished"),
    "run.status": ("Ergebnis", "Outcome"),
    "run.sent": ("Gesendet", "Sent"),
    "run.unchanged": ("Unverändert", "Unchanged"),
    "run.excluded": ("Ausgeschlossen", "Excluded"),
    "run.errors": ("Fehler", "Errors"),
    "run.last_error": ("Abbruchgrund", "Reason it failed"),
    "run.open": ("Lauf {id} öffnen", "Open run {id}"),
    "run.refresh": ("Aktualisieren", "Refresh"),
    "run.pending_note": (
        "Der Lauf ist noch nicht fertig; diese Anzeige aktualisiert sich selbst.",
        "The run has not finished; this part updates itself.",
    ),
    "status.queued": ("wartend", "queued"),
    "status.running": ("läuft", "running"),
    "status.succeeded": ("erfolgreich", "succeeded"),
    "status.failed": ("fehlgeschlagen", "failed"),
    "status.partial": ("teilweise erfolgreich", "partly succeeded"),
    # protocol
    "protocol.title": ("Protokoll", "Protocol"),
    "protocol.last_runs": ("Letzter Lauf je System (L2)", "Last run per system (L2)"),
    "protocol.runs": ("Läufe (L1)", "Runs (L1)"),
    "protocol.filter": ("Filtern", "Filter"),
    "protocol.date": ("Datum", "Date"),
    "protocol.system": ("System", "System"),
    "protocol.all_systems": ("beide Systeme", "both systems"),
    "protocol.no_runs": ("Keine Läufe an diesem Tag.", "No runs on this day."),
    "protocol.recent": ("die letzten {n} Läufe", "the last {n} runs"),
    "protocol.on_day": ("Läufe am {day}", "Runs on {day}"),
    "grid.title": ("Protokoll des Laufs (L3)", "The run's protocol (L3)"),
    "grid.outcome": ("Ergebnis", "Outcome"),
    "grid.entity": ("Art des Datensatzes", "Kind of record"),
    "grid.all": ("alle", "all"),
    "grid.record": ("Datensatz", "Record"),
    "grid.reason_code": ("Grund-Code", "Reason code"),
    "grid.message": ("Meldung", "Message"),
    "grid.at": ("Zeit", "Time"),
    "grid.empty": ("Keine Einträge für diesen Filter.", "No entries for this filter."),
    "grid.unchanged_note": (
        "Unveränderte Datensätze werden nicht einzeln protokolliert.",
        "Unchanged records are not listed one by one.",
    ),
    "grid.page": ("Seite {page}", "Page {page}"),
    "grid.previous": ("Vorherige Seite", "Previous page"),
    "grid.next": ("Nächste Seite", "Next page"),
    "grid.csv": ("Protokoll als CSV herunterladen", "Download the protocol as CSV"),
    "outcome.sent": ("gesendet", "sent"),
    "outcome.deleted": ("gelöscht", "deleted"),
    "outcome.excluded": ("ausgeschlossen", "excluded"),
    "outcome.error": ("Fehler", "error"),
    # tickets
    "tickets.title": ("Meldung nachschlagen (S1/S2)", "Look up a ticket (S1/S2)"),
    "tickets.number": ("Meldungsnummer", "Ticket number"),
    "tickets.system": ("System", "System"),
    "tickets.lookup": ("Nachschlagen", "Look up"),
    "tickets.invalid_number": (
        "Bitte eine Meldungsnummer aus Ziffern eingeben.",
        "Please enter a ticket number (digits).",
    ),
    "tickets.not_decided": (
        "Meldung {number} wurde von noch keinem Sync-Lauf beurteilt.",
        "Ticket {number} has not been decided by a sync run yet.",
    ),
    "tickets.result": ("Meldung {number}", "Ticket {number}"),
    "tickets.transferred": ("Im Serviceportal", "In the service portal"),
    "tickets.portal_status": ("Status im Portal", "Status in the portal"),
    "tickets.reason": ("Warum nicht übertragen", "Why not transferred"),
    "tickets.reason_code": ("Grund-Code", "Reason code"),
    "tickets.last_change_at": ("Letzte Änderung im Portal", "Last change in the portal"),
    "tickets.last_change": ("Was sich geändert hat", "What changed"),
    "tickets.updated_at": ("Zuletzt beurteilt", "Last decided"),
    "tickets.resend": (
        "Sync-Lauf für dieses System starten",
        "Start a sync run of this system",
    ),
    "tickets.resend_note": (
        "Einzelne Meldungen können noch nicht neu gesendet werden. Ein Sync-Lauf sendet alle "
        "geänderten Datensätze des Systems, auch diese Meldung, wenn sie sich geändert hat.",
        "Single tickets cannot be re-sent yet. A sync run sends every changed record of the "
        "system, this ticket included if it changed.",
    ),
    # inbound: conflicts and parked events
    "inbound.system": ("System", "System"),
    "inbound.filter": ("Anzeigen", "Show"),
    "inbound.first_rows": (
        "Es werden die ersten {n} Einträge gezeigt.",
        "The first {n} are shown.",
    ),
    "inbound.refused": (
        "Die Aktion für Eintrag {id} wurde abgelehnt.",
        "The action on entry {id} was refused.",
    ),
    "inbound.not_found": ("Eintrag {id} gibt es nicht.", "Entry {id} does not exist."),
    "inbound.unreachable": (
        "Eintrag {id}: iX-Haus oder casavi ist nicht erreichbar. Bitte später erneut versuchen.",
        "Entry {id}: iX-Haus or casavi cannot be reached. Please try again later.",
    ),
    "conflicts.title": ("Konflikte", "Conflicts"),
    "conflicts.show": ("Anzeigen", "Show"),
    "conflicts.show.open": ("offene", "open"),
    "conflicts.show.all": ("alle", "all"),
    "conflicts.none_open": ("Keine offenen Konflikte.", "No open conflicts."),
    "conflicts.none": ("Keine Konflikte.", "No conflicts."),
    "conflicts.item": ("Meldung {number}: {field}", "Ticket {number}: {field}"),
    "conflicts.ticket": ("Meldungsnummer", "Ticket number"),
    "conflicts.field": ("Feld", "Field"),
    "conflicts.base": ("Zuletzt abgeglichener Wert", "Last synced value"),
    "conflicts.ixhaus": ("Wert in iX-Haus", "iX-Haus value"),
    "conflicts.casavi": ("Wert in casavi", "casavi value"),
    "conflicts.policy": ("Regel", "Policy"),
    "conflicts.created": ("Erkannt", "Detected"),
    "conflicts.resolution": ("Entscheidung", "Resolution"),
    "conflicts.resolved_by": ("Entschieden von", "Resolved by"),
    "conflicts.resolved_at": ("Entschieden am", "Resolved on"),
    "conflicts.choose": (
        "Welcher Wert gilt für Meldung {number}?",
        "Which value holds for ticket {number}?",
    ),
    "conflicts.side.ixhaus": ("Wert aus iX-Haus", "iX-Haus value"),
    "conflicts.side.casavi": ("Wert aus casavi", "casavi value"),
    "conflicts.side.value": ("Eigener Wert", "Own value"),
    "conflicts.own_value": (
        "Eigener Wert (nur bei „Eigener Wert“)",
        "Own value (only with “Own value”)",
    ),
    "conflicts.resolve": (
        "Konflikt entscheiden (Meldung {number})",
        "Resolve the conflict (ticket {number})",
    ),
    "conflicts.resolved_notice": (
        "Konflikt {id} ist entschieden; der Wert ging an iX-Haus und casavi.",
        "Conflict {id} is resolved; the value went to iX-Haus and casavi.",
    ),
    "conflicts.choose_side": (
        "Konflikt {id}: bitte iX-Haus, casavi oder einen eigenen Wert wählen.",
        "Conflict {id}: please choose iX-Haus, casavi or an own value.",
    ),
    "conflicts.value_needed": (
        "Konflikt {id}: „Eigener Wert“ braucht einen Wert.",
        "Conflict {id}: “Own value” needs a value.",
    ),
    "events.title": ("Geparkte Ereignisse", "Parked inbound events"),
    "events.status": ("Zustand", "State"),
    "events.state.parked": ("geparkt", "parked"),
    "events.state.received": ("wartend", "waiting"),
    "events.state.done": ("verarbeitet", "processed"),
    "events.state.discarded": ("verworfen", "discarded"),
    "events.none": ("Keine Ereignisse in diesem Zustand.", "No events in this state."),
    "events.id": ("Nr.", "No."),
    "events.type": ("Art", "Type"),
    "events.ticket_ref": ("casavi-Meldung", "casavi ticket"),
    "events.reason": ("Grund (letzter Fehler)", "Reason (last error)"),
    "events.attempts": ("Versuche", "Attempts"),
    "events.next_attempt": ("Nächster Versuch", "Next attempt"),
    "events.received": ("Empfangen", "Received"),
    "events.actions": ("Aktionen", "Actions"),
    "events.retry": ("Erneut versuchen", "Retry"),
    "events.retry_named": ("Ereignis {id} erneut versuchen", "Retry event {id}"),
    "events.discard": ("Verwerfen", "Discard"),
    "events.discard_named": ("Ereignis {id} verwerfen", "Discard event {id}"),
    "events.done.retried": (
        "Ereignis {id} wird erneut verarbeitet.",
        "Event {id} is being processed again.",
    ),
    "events.done.discarded": ("Ereignis {id} ist verworfen.", "Event {id} is discarded."),
    # settings
    "settings.title": ("Einstellungen {system}", "Settings {system}"),
    "settings.saved": ("Gespeichert.", "Saved."),
    "settings.unchanged": ("Keine Änderung.", "Nothing changed."),
    "settings.save": ("Speichern", "Save"),
    "settings.version": (
        "Version {version}, geändert am {at}",
        "Version {version}, changed on {at}",
    ),
    "settings.never_saved": ("Noch nie gespeichert.", "Never saved."),
    "settings.lists_hint": ("Ein Eintrag pro Zeile.", "One entry per line."),
    "settings.ranges_hint": (
        "Ein Bereich pro Zeile: „1001“ oder „1001-1099“.",
        "One range per line: “1001” or “1001-1099”.",
    ),
    "settings.tables_hint": (
        "Eine Zuordnung pro Zeile: logischer Name=physischer Name.",
        "One mapping per line: logical name=physical name.",
    ),
    "settings.catalogue": ("Abgleich mit iX-Haus: {reason}", "Checked against iX-Haus: {reason}"),
    "settings.section.server": ("Server und Schalter (C2, C12)", "Server and switch (C2, C12)"),
    "settings.section.secrets": ("Geheimnisse (C2, C9)", "Secrets (C2, C9)"),
    "settings.section.ixhaus": ("iX-Haus-Schnittstelle", "iX-Haus interface"),
    "settings.section.selection": ("Auswahl (C3–C8)", "Selection (C3–C8)"),
    "settings.section.docuware": ("DocuWare (C9)", "DocuWare (C9)"),
    "settings.section.people": (
        "Fristen und Benutzer (C10, C11, C15)",
        "Periods and user (C10, C11, C15)",
    ),
    "settings.section.licences": ("Lizenzen", "Licences"),
    "settings.section.support": ("Support-Schalter (C13)", "Support switches (C13)"),
    "settings.section.schedule": ("Zeitplan (C14)", "Schedule (C14)"),
    "settings.section.conflicts": ("Konfliktregeln je Feld", "Conflict policy per field"),
    "settings.audit": ("Änderungsprotokoll", "Audit trail"),
    "settings.audit_empty": ("Noch keine Änderungen.", "No changes yet."),
    "settings.audit_actor": ("Wer", "Who"),
    "settings.audit_at": ("Wann", "When"),
    "settings.audit_fields": ("Felder", "Fields"),
    "settings.check": ("Verbindung testen", "Check the connection"),
    "secret.set_on": ("gesetzt am {at}", "set on {at}"),
    "secret.not_set": ("nicht gesetzt", "not set"),
    "secret.value": ("neuer Wert", "new value"),
    "secret.confirmation": ("neuer Wert (Wiederholung)", "new value (again)"),
    "secret.hint": (
        "Leer lassen, um den gespeicherten Wert zu behalten. Gespeicherte Werte werden nie "
        "angezeigt.",
        "Leave empty to keep the stored value. Stored values are never shown.",
    ),
    "check.casavi": ("casavi", "casavi"),
    "check.docuware": ("DocuWare", "DocuWare"),
    "check.ixhaus": ("iX-Haus-Datenbank", "iX-Haus database"),
    "check.ok": ("in Ordnung", "ok"),
    "check.failed": ("fehlgeschlagen", "failed"),
    "check.not_configured": ("nicht eingerichtet", "not configured"),
    "form.invalid_number": ("muss eine ganze Zahl sein", "must be a whole number"),
    "form.invalid_range": (
        "Zeile {line}: „1001“ oder „1001-1099“ erwartet",
        "line {line}: expected “1001” or “1001-1099”",
    ),
    "form.invalid_mapping": (
        "Zeile {line}: „logisch=physisch“ erwartet",
        "line {line}: expected “logical=physical”",
    ),
    "form.quiet_both": (
        "Beginn und Ende der Ruhezeit angeben (oder beide leer lassen)",
        "give both start and end of the quiet hours (or neither)",
    ),
    # keys
    "keys.title": ("API-Schlüssel", "API keys"),
    "keys.name": ("Name", "Name"),
    "keys.scope": ("Bereich", "Scope"),
    "keys.prefix": ("Kennung", "Prefix"),
    "keys.created_at": ("Erstellt", "Created"),
    "keys.revoked_at": ("Widerrufen", "Revoked"),
    "keys.revoke": ("Widerrufen", "Revoke"),
    "keys.revoke_named": ("Schlüssel {name} widerrufen", "Revoke key {name}"),
    "keys.active": ("aktiv", "active"),
    "keys.create": ("Neuen Schlüssel erstellen", "Create a new key"),
    "keys.create_submit": ("Erstellen", "Create"),
    "keys.created": (
        "Schlüssel „{name}“ erstellt. Er wird nur dieses eine Mal angezeigt:",
        "Key “{name}” created. It is shown this once only:",
    ),
    "keys.created_field": ("Neuer Schlüssel", "New key"),
    "keys.revoked": ("Schlüssel „{name}“ widerrufen.", "Key “{name}” revoked."),
    "keys.scope.ixhaus": ("ixhaus (iX-Haus plus)", "ixhaus (iX-Haus plus)"),
    "keys.scope.admin": ("admin (Verwaltung)", "admin (administration)"),
}

# Field names of the configuration document, by form field (the name the service reports).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "active": ("Schnittstelle aktiv (C12)", "Interface active (C12)"),
    "casavi.baseUrl": ("casavi-Adresse (C2)", "casavi address (C2)"),
    "casavi.allowWriteTest": (
        "Vertragsprüfung darf Testdatensätze anlegen und wieder löschen",
        "Contract check may create (and remove) marked test records",
    ),
    "ixhaus.schema": ("Schema (Eigentümer)", "Schema (owner)"),
    "ixhaus.tablePrefix": ("Präfix der Tabellennamen", "Table name prefix"),
    "ixhaus.tableNames": ("Tabellennamen", "Table names"),
    "objects.range": ("Objektbereich (C3)", "Object range (C3)"),
    "objects.fullHistoryRange": (
        "Objektbereich mit voller Meldungshistorie (C4)",
        "Object range with full ticket history (C4)",
    ),
    "personTypes": ("Personentypen (C5)", "Person types (C5)"),
    "documentTypes.withTimeFilter": (
        "Dokumenttypen mit Zeitfilter (C6)",
        "Document types with time filter (C6)",
    ),
    "documentTypes.withoutTimeFilter": (
        "Dokumenttypen ohne Zeitfilter (C7)",
        "Document types without time filter (C7)",
    ),
    "userTeams": ("Benutzerteams (C8)", "User teams (C8)"),
    "docuware.baseUrl": ("DocuWare-Adresse", "DocuWare address"),
    "docuware.username": ("DocuWare-Benutzer", "DocuWare user"),
    "docuware.grant": (
        "DocuWare-Anmeldung (password, trusted oder client_credentials)",
        "DocuWare logon (password, trusted or client_credentials)",
    ),
    "docuware.clientId": (
        "Client-ID der registrierten Anwendung (client_credentials)",
        "Registered application's client id (client_credentials)",
    ),
    "docuware.impersonateName": (
        "Handelnder DocuWare-Benutzer (trusted)",
        "DocuWare user to act as (trusted)",
    ),
    "docuware.organization": (
        "DocuWare-Organisations-ID (OrgId; nur vor Ort bei mehreren Organisationen)",
        "DocuWare organisation id (OrgId; on premises with several organisations only)",
    ),
    "docuware.fileCabinetId": ("Archiv-ID", "File cabinet id"),
    "docuware.filters": ("DocuWare-Filter (C9)", "DocuWare filters (C9)"),
    "portalAccountLeadDays": (
        "Vorlauf Portalzugang in Tagen (C10)",
        "Portal account lead time in days (C10)",
    ),
    "ticketUserNumber": ("Meldungsbenutzer (C11)", "Ticket user (C11)"),
    "deleteAfterMoveOutDays": (
        "Tage nach Auszug bis zur Löschung (C15)",
        "Days after move-out until deletion (C15)",
    ),
    "licences.komfortpaket": ("Komfortpaket", "Komfortpaket"),
    "licences.owners": ("Lizenz Objekteigentümer", "Licence owners"),
    "licences.caretakers": ("Lizenz Hausmeister", "Licence caretakers"),
    "support.keepTransferPayloads": (
        "Übertragungsdaten aufbewahren (@mpSave)",
        "Keep transfer payloads (@mpSave)",
    ),
    "support.noDocuwareSync": (
        "Keine DocuWare-Synchronisation (@noDwSync)",
        "No DocuWare sync (@noDwSync)",
    ),
    "support.retentionDays": (
        "Aufbewahrung von Übertragungsdaten und Protokoll (Tage)",
        "Keep transfer payloads and protocol (days)",
    ),
    "support.inboundRetentionDays": (
        "Aufbewahrung eingegangener Ereignisse (Tage)",
        "Keep inbound events (days)",
    ),
    "inbound.pollSeconds": ("Abfrage von casavi alle … Sekunden", "Poll casavi every … seconds"),
    "inbound.callbacksEnabled": ("casavi-Callbacks annehmen", "Accept casavi callbacks"),
    "ixhaus.documentRoot": ("Ablage der iX-Haus-Dokumente", "iX-Haus document folder"),
    "maxDocumentBytes": (
        "Größte Dokumentgröße in Bytes (D5; casavis Upload-Formular: 50 MB)",
        "Largest document in bytes (D5; casavi's upload form: 50 MB)",
    ),
    "schedule.intervalMinutes": ("Abstand in Minuten", "Interval in minutes"),
    "schedule.quietHours.start": ("Ruhezeit von (HH:MM)", "Quiet hours from (HH:MM)"),
    "schedule.quietHours.end": ("Ruhezeit bis (HH:MM)", "Quiet hours until (HH:MM)"),
    "secrets.casaviApiKey": ("casavi-API-Schlüssel", "casavi API key"),
    "secrets.casaviSecret": ("casavi-Secret", "casavi secret"),
    "secrets.docuwarePassword": ("DocuWare-Passwort", "DocuWare password"),
    "secrets.docuwareClientSecret": (
        "Client-Secret der registrierten DocuWare-Anwendung",
        "Registered DocuWare application's client secret",
    ),
    "secrets.docuwareWebhookSecret": ("DocuWare-Webhook-Secret", "DocuWare webhook secret"),
    "secrets.callbackSecret": ("Callback-Secret", "Callback secret"),
    "secrets.ixhausDatabaseUrl": ("iX-Haus-Datenbank-URL", "iX-Haus database URL"),
    "secrets.alertSmtpPassword": ("Alarme: SMTP-Passwort", "Alerts: SMTP password"),
    "secrets.alertWebhookSecret": (
        "Alarme: Webhook-Secret (HMAC)",
        "Alerts: webhook secret (HMAC)",
    ),
    "conflictPolicy.ticketType": ("Meldungsart", "Ticket type"),
    "conflictPolicy.subject": ("Betreff", "Subject"),
    "conflictPolicy.description": ("Beschreibung", "Description"),
    "conflictPolicy.hint1": ("Hinweis 1", "Hint 1"),
    "conflictPolicy.hint2": ("Hinweis 2", "Hint 2"),
    "conflictPolicy.reporter": ("Melder", "Reporter"),
    "conflictPolicy.trade": ("Gewerk", "Trade"),
    "conflictPolicy.date": ("Datum", "Date"),
    "conflictPolicy.object": ("Objekt", "Object"),
    "conflictPolicy.unit": ("Einheit", "Unit"),
    "conflictPolicy.technicalObject": ("Technisches Objekt", "Technical object"),
    "conflictPolicy.responsibleUser": ("Verantwortlicher Benutzer", "Responsible user"),
    "conflictPolicy.responsibleTeam": ("Verantwortliches Team", "Responsible team"),
    "conflictPolicy.dueFrom": ("Fällig ab", "Due from"),
    "conflictPolicy.dueUntil": ("Fällig bis", "Due until"),
    "conflictPolicy.status": ("Status", "Status"),
    "conflictPolicy.notes": ("Notizen (vom Mieter bearbeitet)", "Notes (edited by the tenant)"),
    "policy.ixhaus_wins": ("iX-Haus gewinnt", "iX-Haus wins"),
    "policy.casavi_wins": ("casavi gewinnt", "casavi wins"),
    "policy.manual": ("manuell entscheiden", "decide manually"),
}

# The configuration service's most common messages, in German (others stay English).
_SERVICE_DE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^does not match the value entered$"), "stimmt nicht mit dem Wert überein"),
    (
        re.compile(r"^must be between (\d+) and (\d+) minutes$"),
        r"muss zwischen \1 und \2 Minuten liegen",
    ),
    (
        re.compile(r"^must be between (\d+) and (\d+) days$"),
        r"muss zwischen \1 und \2 Tagen liegen",
    ),
    (
        re.compile(r"^must be a three-digit iX-Haus user number \(rule C11\)$"),
        "muss eine dreistellige iX-Haus-Benutzernummer sein (C11)",
    ),
    (re.compile(r"^must be an absolute http\(s\) URL$"), "muss eine absolute http(s)-Adresse sein"),
    (
        re.compile(r"^must use https in the production system$"),
        "muss im Produktivsystem https verwenden",
    ),
    (re.compile(r"^'from' is after 'to'$"), "„von“ liegt nach „bis“"),
    (re.compile(r"^overlaps (.+)$"), r"überschneidet \1"),
    (re.compile(r"^'(.+)' is listed twice$"), r"„\1“ steht doppelt in der Liste"),
    (re.compile(r"^unknown to iX-Haus: (.+)$"), r"in iX-Haus unbekannt: \1"),
    (
        re.compile(r"^needs the Komfortpaket licence \(rule C8\)$"),
        "braucht die Lizenz Komfortpaket (C8)",
    ),
    (
        re.compile(r"^the interface cannot be active without (.+)$"),
        r"die Schnittstelle kann ohne \1 nicht aktiv sein",
    ),
]


def service_message(language: str, message: str) -> str:
    if language != "de":
        return message
    for pattern, german in _SERVICE_DE:
        if pattern.match(message):
            return pattern.sub(german, message)
    return message


_OPEN_ENDED = ("status.", "outcome.")


def translator(language: str) -> Callable[..., str]:
    index = 0 if language == "de" else 1

    def t(key: str, **fields: object) -> str:
        if key in TEXT:
            text = TEXT[key][index]
        elif key in FIELD_LABELS:
            text = FIELD_LABELS[key][index]
        elif key.startswith(_OPEN_ENDED):
            # A run status or outcome added by a later release shows as it is stored.
            return key.split(".", 1)[1]
        else:
            raise KeyError(key)
        return text.format(**fields) if fields else text

    return t


def local_time(language: str) -> Callable[[dt.datetime | None], str]:
    """Times are stored in UTC and shown in German local time (Europe/Berlin)."""

    def show(value: dt.datetime | None) -> str:
        if value is None:
            return "–"
        local = value.astimezone(LOCAL_ZONE)
        return local.strftime("%d.%m.%Y %H:%M:%S" if language == "de" else "%Y-%m-%d %H:%M:%S")

    return show

"""Messages from the API and the domain, shown in the operator's language.

The configuration service, the connection check, the runs, the trigger flows and the key
store speak English (the API returns their texts as they are). The console translates them
through its catalogues by pattern: each pattern's named groups are its fields, and its
English template (marked ``N_``) is the msgid, so the German is in ``console.po`` like every
other string. Field names inside a message (``casavi.baseUrl``) become their labels.

Reason codes (rule S1) have a German and an English text in ``app/domain/reasons.py``; the
catalogue holds the same German for each English text (a test checks), so the console shows
them through gettext too. A message no pattern knows is shown as it came, marked
``lang="en"`` and ``class="untranslated"``: the browser tests fail on such a mark on a German
page, so a new message from the API is noticed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

from app.console.i18n import Texts
from app.console.labels import LABELS, N_
from app.console.messages_config import CONFIG_PATTERNS
from app.domain.reasons import REASON_TEXTS, Reason
from app.sync.outbound.status import SEND_FAILED

_FIELD = r"[A-Za-z][A-Za-z0-9_.\[\]]*"
_P = re.compile

PATTERNS: list[tuple[re.Pattern[str], str]] = [
    *CONFIG_PATTERNS,
    (
        _P(r"^GATEWAY_SECRET_KEY is not set, so secrets cannot be stored; nothing was changed\.$"),
        N_(
            "Secrets cannot be stored: the gateway was started without GATEWAY_SECRET_KEY. "
            "Nothing was changed."
        ),
    ),
    (
        _P(r"^GATEWAY_SECRET_KEY is not set, so secrets cannot be read\.$"),
        N_("Secrets cannot be read: the gateway was started without GATEWAY_SECRET_KEY."),
    ),
    # the connection check
    (_P(r"^authenticated with casavi$"), N_("authenticated with casavi")),
    (_P(r"^casavi rejected the API key or secret$"), N_("casavi rejected the API key or secret")),
    (_P(r"^cannot reach casavi: (?P<detail>.+)$"), N_("cannot reach casavi: %(detail)s")),
    (_P(r"^not set: (?P<fields>.+)$"), N_("not set: %(fields)s")),
    (
        _P(r"^DocuWare sync is switched off \(rule C13\)$"),
        N_("DocuWare sync is switched off (rule C13)"),
    ),
    (
        _P(r"^DocuWare refused the logon: (?P<detail>.+)$"),
        N_("DocuWare refused the logon: %(detail)s"),
    ),
    (_P(r"^cannot reach DocuWare: (?P<detail>.+)$"), N_("cannot reach DocuWare: %(detail)s")),
    (
        _P(r"^logged on to DocuWare; file cabinet (?P<name>.+) (?P<rest>.*)$"),
        N_("logged on to DocuWare; file cabinet %(name)s found"),
    ),
    (
        _P(r"^read the iX-Haus interface: (?P<objects>\d+) objects, (?P<rest>.*)$"),
        N_("read the iX-Haus interface: %(objects)s objects"),
    ),
    # runs (rule L2)
    (
        _P(r"^(?P<n>\d+) record\(s\) failed; see the run's protocol$"),
        N_("%(n)s record(s) failed; see the run's protocol below"),
    ),
    (
        _P(r"^The interface of this system is switched off \(rule C12\)\.$"),
        N_("The interface of this system is switched off (rule C12)."),
    ),
    (
        _P(r"^interrupted: the job was cancelled \(worker stopping\); the next job continues$"),
        N_("interrupted: the worker stopped; the next job continues the run"),
    ),
    (
        _P(r"^job time limit \((?P<limit>[^)]+)\) reached; a new job continues the run$"),
        N_("job time limit (%(limit)s) reached; a new job continues the run"),
    ),
    (
        _P(r"^stopped: the job time limit \((?P<limit>[^)]+)\) was reached (?P<n>\d+) time\(s\)$"),
        N_("stopped: the job time limit (%(limit)s) was reached %(n)s time(s)"),
    ),
    (
        _P(r"^could not enqueue the run: (?P<detail>.+)$"),
        N_("could not enqueue the run: %(detail)s"),
    ),
    # inbound events parked (rule T10)
    (
        _P(r"^no ticket user \(rule C11\) or no casavi client for this system$"),
        N_("no ticket user (rule C11) or no casavi connection for this system"),
    ),
    (_P(r"^casavi has no ticket (?P<ref>.+)$"), N_("casavi has no ticket %(ref)s")),
    (
        _P(r"^unknown (?P<what>\w+) '(?P<id>.+)': casavi did not get it from iX-Haus$"),
        N_("unknown %(what)s “%(id)s”: casavi did not get it from iX-Haus"),
    ),
    (
        _P(r"^unit '(?P<unit>.+)' is not in object '(?P<object>.+)'$"),
        N_("unit “%(unit)s” is not in object “%(object)s”"),
    ),
    (_P(r"^iX-Haus has no ticket (?P<number>.+)$"), N_("iX-Haus has no ticket %(number)s")),
    # tickets, records, conflicts, keys
    (
        _P(r"^Ticket (?P<number>\d+) does not exist in iX-Haus\.$"),
        N_("Ticket %(number)s does not exist in iX-Haus."),
    ),
    (
        _P(r"^Ticket (?P<number>\d+) has no service-portal state yet\.$"),
        N_("Ticket %(number)s has no service-portal state yet."),
    ),
    (
        _P(r"^(?P<key>\S+) failed before and is retried by a run once its backoff has passed; .*$"),
        N_("%(key)s failed before; a run retries it once its waiting time has passed."),
    ),
    (
        _P(r"^iX-Haus has no (?P<kind>\w+) (?P<key>\S+) within this system's scope .*$"),
        N_("iX-Haus has no record %(key)s within this system's scope (object range, types)."),
    ),
    (_P(r"^Conflict (?P<id>\d+) does not exist\.$"), N_("Conflict %(id)s does not exist.")),
    (
        _P(r"^Conflict (?P<id>\d+) is resolved already \((?P<how>\w+)\)\.$"),
        N_("Conflict %(id)s is resolved already."),
    ),
    (
        _P(r"^No ticket user \(rule C11\) is set: iX-Haus cannot be written\.$"),
        N_("No ticket user (rule C11) is set: iX-Haus cannot be written."),
    ),
    (
        _P(r"^The key name must be 1 to 128 characters, without control characters\.$"),
        N_("The key name must be 1 to 128 characters, without control characters."),
    ),
    (
        _P(r"^An API key named '(?P<name>.+)' exists already\.$"),
        N_("An API key named “%(name)s” exists already."),
    ),
    (_P(r"^No API key named '(?P<name>.+)'\.$"), N_("No API key named “%(name)s”.")),
    (_P(r"^No sync run (?P<id>\d+)\.$"), N_("There is no sync run %(id)s.")),
    (
        _P(r"^Inbound event (?P<id>\d+) does not exist\.$"),
        N_("Inbound event %(id)s does not exist."),
    ),
    (
        _P(r"^Event (?P<id>\d+) is (?P<state>\w+); only parked events are retried\.$"),
        N_("Event %(id)s is %(state)s; only parked events are retried."),
    ),
    (
        _P(r"^Event (?P<id>\d+) is (?P<state>\w+); it cannot be discarded\.$"),
        N_("Event %(id)s is %(state)s; it cannot be discarded."),
    ),
    (_P(r"^Unknown outcome '(?P<value>.*)'\.$"), N_("Unknown outcome “%(value)s”.")),
    (_P(r"^Unknown kind of record '(?P<value>.*)'\.$"), N_("Unknown kind of record “%(value)s”.")),
]

_UNTRANSLATED = Markup('<span class="untranslated" lang="en">{}</span>')
_BY_ENGLISH = {entry.en: reason for reason, entry in REASON_TEXTS.items()}


def _fields(texts: Texts, value: str) -> str:
    """Field names (``casavi.baseUrl``, ``casaviApiKey``) as the form labels them."""
    names = [part.strip() for part in value.split(",")]
    fields = LABELS["field"]
    labelled = []
    for name in names:
        key = name if name in fields else f"secrets.{name}"
        labelled.append(texts.label("field", key) if key in fields else name)
    return ", ".join(labelled)


_FIELD_GROUPS: dict[str, Callable[[Texts, str], str]] = {
    "fields": _fields,
    "other": _fields,
    "state": lambda texts, value: texts.label("event state", value),
    "what": lambda texts, value: texts.label("entity", value),
}


def translate(texts: Texts, message: str | None) -> Markup:
    """``message`` in the operator's language, or marked as untranslated English."""
    if not message:
        return escape("–")
    if message in _BY_ENGLISH:
        return escape(reason_text(texts, _BY_ENGLISH[message]))
    for pattern, template in PATTERNS:
        found = pattern.match(message)
        if found is not None:
            fields = {
                name: _FIELD_GROUPS[name](texts, value) if name in _FIELD_GROUPS else value
                for name, value in found.groupdict().items()
            }
            return escape(texts.gettext(template, **fields))
    if texts.language == "en":
        return escape(message)
    return _UNTRANSLATED.format(message)


_SEND_FAILED = N_("Sending to casavi failed; it is tried again (the protocol has the error)")


def reason_text(texts: Texts, reason: Reason | str | None) -> str:
    """A reason code's text (rule S1) through the catalogue; an unknown code as it is."""
    if reason is None:
        return "–"
    if reason == SEND_FAILED:  # not a rule's reason: casavi did not take the ticket
        return texts.gettext(_SEND_FAILED)
    try:
        entry = REASON_TEXTS[Reason(reason)]
    except ValueError:
        return str(reason)
    return texts.gettext(entry.en)

"""The configuration's messages (rules C1–C15) for ``messages.PATTERNS``: what its checks
say per field (``configuration.validation``) and what its shape check says a value must be
(``configuration.shape``; each ``Meta(extra={"expected": ...})`` of the document has its
sentence here, a test checks)."""

from __future__ import annotations

import re

from app.console.labels import N_

_FIELD = r"[A-Za-z][A-Za-z0-9_.\[\]]*"
_P = re.compile

# configuration.shape: what a value must be
SHAPE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (_P(r"^is required$"), N_("is required")),
    (_P(r"^must not be empty$"), N_("must not be empty")),
    (_P(r"^must be a whole number$"), N_("must be a whole number")),
    (_P(r"^must be a number$"), N_("must be a number")),
    (_P(r"^must be true or false$"), N_("must be true or false")),
    (_P(r"^must be text$"), N_("must be text")),
    (_P(r"^must be a list$"), N_("must be a list")),
    (_P(r"^must be an object$"), N_("must be an object")),
    (_P(r"^has the wrong type$"), N_("has the wrong type")),
    (_P(r"^is not in the expected form$"), N_("is not in the expected form")),
    (_P(r"^has an unknown field$"), N_("has an unknown field")),
    (_P(r"^has no field “(?P<name>.+)”$"), N_("has no field “%(name)s”")),
    (
        _P(r"^must be between (?P<low>-?\d+) and (?P<high>-?\d+)$"),
        N_("must be between %(low)s and %(high)s"),
    ),
    (_P(r"^must be at least (?P<low>-?\d+)$"), N_("must be at least %(low)s")),
    (_P(r"^must be at most (?P<high>-?\d+)$"), N_("must be at most %(high)s")),
    (_P(r"^must be greater than (?P<low>-?\d+)$"), N_("must be greater than %(low)s")),
    (_P(r"^must be less than (?P<high>-?\d+)$"), N_("must be less than %(high)s")),
    (
        _P(r"^must be at most (?P<n>\d+) characters long$"),
        N_("must be at most %(n)s characters long"),
    ),
    (_P(r"^must be one of: (?P<values>.+)$"), N_("must be one of: %(values)s")),
    (
        _P(r"^keys must not contain control characters$"),
        N_("keys must not contain control characters"),
    ),
]

# the document's ``expected`` texts, as "must be <expected>"
EXPECTED: dict[str, str] = {
    "an iX-Haus object number: a digit first, then digits, letters or dots, at most 20 "
    "characters": N_(
        "must be an iX-Haus object number: a digit first, then digits, letters or dots, at "
        "most 20 characters"
    ),
    "a code without spaces at either end": N_("must be a code without spaces at either end"),
    "a time of day from 00:00 to 23:59 (HH:MM)": N_(
        "must be a time of day from 00:00 to 23:59 (HH:MM)"
    ),
    "a three-digit iX-Haus user number (rule C11)": N_(
        "must be a three-digit iX-Haus user number (rule C11)"
    ),
    "a database name: a letter first, then letters, digits, _, $ or #, at most 128 characters": N_(
        "must be a database name: a letter first, then letters, digits, _, $ or #, at most "
        "128 characters"
    ),
    "at most 30 letters, digits, _, $ or #": N_("must be at most 30 letters, digits, _, $ or #"),
    "an e-mail address": N_("must be an e-mail address"),
    "a host name": N_("must be a host name"),
    "an absolute http(s) address": N_("must be an absolute http(s) address"),
}

CONFIG_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    *((_P("^must be " + re.escape(expected) + "$"), text) for expected, text in EXPECTED.items()),
    *SHAPE_PATTERNS,
    # configuration.validation, per field
    (_P(r"^does not match the value entered$"), N_("does not match the value entered")),
    (_P(r"^must be an absolute http\(s\) URL$"), N_("must be an absolute http(s) address")),
    (
        _P(r"^must not contain credentials \(use the secret fields\)$"),
        N_("must not contain credentials (use the secret fields)"),
    ),
    (
        _P(r"^must use https in the production system$"),
        N_("must use https in the production system"),
    ),
    (_P(r"^'from' is after 'to'$"), N_("“from” is after “to”")),
    (_P(rf"^overlaps (?P<other>{_FIELD})$"), N_("overlaps %(other)s")),
    (_P(r"^'(?P<value>.+)' is listed twice$"), N_("“%(value)s” is listed twice")),
    (
        _P(r"^'(?P<value>.+)' is also in withTimeFilter$"),
        N_("“%(value)s” is also listed with time filter"),
    ),
    (_P(r"^unknown to iX-Haus: (?P<values>.+)$"), N_("unknown to iX-Haus: %(values)s")),
    (_P(r"^no iX-Haus object in (?P<range>.+)$"), N_("no iX-Haus object in %(range)s")),
    (
        _P(r"^iX-Haus has no user (?P<number>\d+) \(rule C11\)$"),
        N_("iX-Haus has no user %(number)s (rule C11)"),
    ),
    (
        _P(r"^user (?P<number>\d+) is inactive or lacks iX-Haus plus rights$"),
        N_("user %(number)s is inactive or lacks iX-Haus plus rights"),
    ),
    (
        _P(r"^is not a table of the iX-Haus interface$"),
        N_("is not a table of the iX-Haus interface"),
    ),
    (
        _P(r"^needs the Komfortpaket licence \(rule C8\)$"),
        N_("needs the Komfortpaket licence (rule C8)"),
    ),
    (
        _P(r"^the interface cannot be active without (?P<fields>.+)$"),
        N_("the interface cannot be active without %(fields)s"),
    ),
    (
        _P(r"^must not contain control characters \(NUL, line breaks, tabs, escapes\)$"),
        N_("must not contain control characters (NUL, line breaks, tabs, escapes)"),
    ),
]

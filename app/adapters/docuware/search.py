"""Search expressions for ``Query/DialogExpression`` (rule C9).

A configured DocuWare filter is one line of conditions, all of which must hold::

    DOKUMENTTYP=Mietvertrag; OBJEKTNUMMER=10*; DWSTOREDATETIME=2025-01-01..

``FIELD=value`` matches (``*`` and ``?`` are DocuWare wildcards), ``a..b`` is an inclusive
range with either end open, ``EMPTY()`` / ``NOTEMPTY()`` test for a value. Several filters
select the union of their documents (one search each). This syntax is the gateway's own
(inferred); it maps one to one onto DocuWare's ``Condition`` list.

Without a filter, rule C9 requires the index fields recipient type (P or K), object number and
recipient header id. Two values in a DocuWare condition mean a *range*, not "either", so
"P or K" becomes two searches.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.adapters.docuware.settings import IndexFieldNames
from app.adapters.docuware.wire import Condition, DialogExpression
from app.errors import InvalidInput

RANGE = ".."
RECIPIENT_TYPES = ("P", "K")  # person, creditor (Kreditor)


def _condition(part: str, filter_text: str) -> Condition:
    name, sep, value = part.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise InvalidInput(
            "invalid DocuWare filter",
            errors=[("docuware.filters", f"expected FIELD=value in {filter_text!r}")],
        )
    if RANGE in value:
        low, _, high = value.partition(RANGE)
        return Condition(db_name=name, value=[low.strip() or None, high.strip() or None])
    return Condition(db_name=name, value=[value])


def parse_filter(text: str) -> DialogExpression:
    """One configured filter line as a DialogExpression (conditions AND-ed)."""
    parts = [part for part in text.split(";") if part.strip()]
    if not parts:
        raise InvalidInput("empty DocuWare filter", errors=[("docuware.filters", "empty")])
    return DialogExpression(condition=[_condition(part, text) for part in parts])


def default_expressions(names: IndexFieldNames) -> list[DialogExpression]:
    """Rule C9 without a filter: the three index fields must be set."""
    return [
        DialogExpression(
            condition=[
                Condition(db_name=names.recipient_type, value=[kind]),
                Condition(db_name=names.object_number, value=["NOTEMPTY()"]),
                Condition(db_name=names.recipient_header_id, value=["NOTEMPTY()"]),
            ]
        )
        for kind in RECIPIENT_TYPES
    ]


def expressions_for(filters: Sequence[str], names: IndexFieldNames) -> list[DialogExpression]:
    """The searches that select the documents of rule C9."""
    if filters:
        return [parse_filter(text) for text in filters]
    return default_expressions(names)

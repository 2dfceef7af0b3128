"""Document types (C6, C7) and documents (D1-D6) of the sandbox; sizes only, no content."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.sandbox.ixhaus.context import Context, Row
from app.sandbox.ixhaus.master_data import person_no
from app.sandbox.ixhaus.profiles import (
    DOC_CIRCULAR,
    DOC_INTERNAL,
    DOC_LEASE,
    DOC_MINUTES,
    DOC_STATEMENT,
    object_number,
)

MB = 1024 * 1024
_NAMES = {
    DOC_LEASE: "Mietvertrag",
    DOC_STATEMENT: "Nebenkostenabrechnung",
    DOC_CIRCULAR: "Rundschreiben",
    DOC_MINUTES: "Protokoll Eigentümerversammlung",
    DOC_INTERNAL: "Interner Vermerk",
}
_CLASSES = {DOC_STATEMENT: "Abrechnungen"}  # D3: a document class overrides the type name


def document_types(ctx: Context) -> Iterator[Row]:
    for no, name in _NAMES.items():
        yield {"type_no": no, "name": name, "document_class": _CLASSES.get(no)}


@dataclass(frozen=True)
class DocEdge:
    name: str
    type_no: str
    created: str = "recent"  # "recent" | "old" | "before_boundary" | "at_boundary"
    size: int = 250_000
    released: bool = True
    object_index: int = 1
    ticket: bool = False
    source: str = "ixhaus"


DOCUMENT_EDGES = (
    DocEdge("old_lease_without_time_filter", DOC_LEASE, created="old"),
    DocEdge("statement_before_boundary", DOC_STATEMENT, created="before_boundary"),
    DocEdge("statement_at_boundary", DOC_STATEMENT, created="at_boundary"),
    DocEdge("released_over_100mb", DOC_STATEMENT, size=150 * MB),
    DocEdge("unreleased", DOC_CIRCULAR, released=False),
    DocEdge("type_not_configured", DOC_INTERNAL),
    DocEdge("disabled_object", DOC_STATEMENT, object_index=-1),
    DocEdge("ticket_document", DOC_MINUTES, ticket=True),
    DocEdge("docuware_document", DOC_CIRCULAR, source="docuware"),
    DocEdge("exactly_100mb", DOC_CIRCULAR, size=100 * MB),
)
_TYPES = (
    (DOC_LEASE,) * 2
    + (DOC_STATEMENT,) * 7
    + (DOC_CIRCULAR,) * 5
    + (DOC_MINUTES,) * 3
    + (DOC_INTERNAL,) * 3
)


def _random_edge(rnd: random.Random, objects: int) -> DocEdge:
    size = (
        rnd.randint(400 * MB // 4, 400 * MB)
        if rnd.random() < 0.003
        else rnd.randint(20_000, 8 * MB)
    )
    return DocEdge(
        "",
        rnd.choice(_TYPES),
        created="random",
        size=size,
        released=rnd.random() < 0.9,
        object_index=rnd.randrange(objects),
        ticket=rnd.random() < 0.08,
        source="docuware" if rnd.random() < 0.1 else "ixhaus",
    )


def _created(ctx: Context, edge: DocEdge, rnd: random.Random) -> datetime:
    if edge.created == "before_boundary":
        return ctx.boundary - timedelta(seconds=1)
    if edge.created == "at_boundary":
        return ctx.boundary
    if edge.created == "old":
        return ctx.boundary - timedelta(days=8 * 365)
    if edge.created == "recent":
        return ctx.now - timedelta(days=10)
    return ctx.past_moment(rnd, 6 * 365)


def documents(ctx: Context) -> Iterator[Row]:
    rnd = ctx.rnd("documents")
    spec = ctx.spec
    for n in range(spec.documents):
        edge = DOCUMENT_EDGES[n] if n < len(DOCUMENT_EDGES) else _random_edge(rnd, spec.objects)
        obj = edge.object_index % spec.objects
        unit = rnd.randrange(spec.units_per_object)
        doc_id = n + 1
        yield {
            "document_id": doc_id,
            "type_no": edge.type_no,
            "name": f"{_NAMES[edge.type_no]} {object_number(obj)}-{unit + 1:03d}.pdf",
            "created_at": _created(ctx, edge, rnd),
            "size_bytes": edge.size,
            "object_no": object_number(obj),
            "person_no": person_no(obj * spec.units_per_object + unit),
            "ticket_no": 1
            if edge.ticket and n < len(DOCUMENT_EDGES)
            else (rnd.randrange(spec.tickets) + 1 if edge.ticket else None),
            "content_location": f"ixhaus://multimedia/{doc_id:08d}.pdf",
            "released": edge.released,
            "source": edge.source,
        }

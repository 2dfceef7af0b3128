"""Component schemas of the configuration API taken from msgspec itself (issue 10 item 8).

Litestar's schema generation drops constraints inside containers (the pattern and lengths
of each ``personTypes`` item, say) and does not state ``additionalProperties: false`` for
Structs that forbid unknown fields, so the document promised more than the server accepts.
msgspec's own JSON Schema of a Struct describes exactly what its decoder accepts; the
configuration Structs' components are replaced by it.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPI

from app.api.schemas import SyncRunRequest
from app.configuration.document import ConfigInput, ConfigView
from app.configuration.patch import ConfigPatch

REF_TEMPLATE = "#/components/schemas/{name}"
ALIGNED: tuple[type[msgspec.Struct], ...] = (ConfigInput, ConfigPatch, ConfigView, SyncRunRequest)
SYNC_RUNS = "/api/v1/systems/{system}/sync-runs"


def msgspec_components() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(ALIGNED, ref_template=REF_TEMPLATE)
    return components


# The aligned document per set of documented paths: every app of this process built from the
# same code documents the same routes, and building it cost about 0.1 s of CPU, half of
# ``create_app`` (the tests build hundreds of apps; ``serve --workers`` one per process).
_BUILT: dict[tuple[str, ...], OpenAPI] = {}


def align_openapi(app: Litestar) -> None:
    """Build the app's OpenAPI document now and swap in msgspec's component schemas; an app
    documenting the same paths as one before gets that (read-only) document."""
    plugin = app.plugins.get(OpenAPIPlugin)
    paths = tuple(sorted(plugin.included_routes))
    built = _BUILT.get(paths)
    if built is not None:
        plugin._openapi = built  # what ``provide_openapi`` builds when it has none
        return
    openapi = app.openapi_schema
    components = openapi.components
    schemas: dict[str, Any] = components.schemas if components and components.schemas else {}
    for name, schema in msgspec_components().items():
        if name in schemas:
            schemas[name] = schema
    align_query_lists(app)
    align_sync_runs(app)
    _BUILT[paths] = openapi


def align_sync_runs(app: Litestar) -> None:
    """``POST …/sync-runs``: the body is optional (no body starts a run), 202 is a run and
    200 a dry run's plan (Litestar states the handler's union for both and a required body)."""
    from litestar.openapi.spec import OpenAPIType, Reference, Schema

    item = (app.openapi_schema.paths or {}).get(SYNC_RUNS)
    operation = item.post if item is not None else None
    if operation is None:
        return
    body = operation.request_body
    if body is not None and not isinstance(body, Reference):
        body.required = False
        for media in (body.content or {}).values():  # JSON null is taken like no body
            request = Reference(ref=REF_TEMPLATE.format(name="SyncRunRequest"))
            media.schema = Schema(one_of=[request, Schema(type=OpenAPIType.NULL)])
    accepted = (operation.responses or {}).get("202")
    if accepted is not None and not isinstance(accepted, Reference):
        for media in (accepted.content or {}).values():
            if isinstance(media.schema, Schema) and media.schema.one_of:
                media.schema = Reference(ref=REF_TEMPLATE.format(name="SyncRunView"))


# Litestar drops the constraints of list items in query parameters too; state them here.
LIST_ITEM_PATTERNS: dict[tuple[str, str], str] = {
    ("/api/v1/systems/{system}/tickets/portal-status", "number"): r"^[0-9]{1,18}$",
}


def align_query_lists(app: Litestar) -> None:
    from litestar.openapi.spec import Schema

    paths = app.openapi_schema.paths or {}
    for (path, name), pattern in LIST_ITEM_PATTERNS.items():
        item = paths.get(path)
        operation = item.get if item is not None else None
        for parameter in (operation.parameters or []) if operation is not None else []:
            if getattr(parameter, "name", None) != name:
                continue
            schema = getattr(parameter, "schema", None)
            for variant in [schema, *(getattr(schema, "one_of", None) or [])]:
                items = getattr(variant, "items", None)
                if isinstance(items, Schema):
                    items.pattern = pattern

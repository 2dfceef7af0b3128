"""The API reference at ``/schema``: Swagger UI, served by the gateway itself.

Swagger UI's files come from the ``swagger-ui-bundle-v2`` package (the Swagger UI
distribution, maintained by the connexion project), not from a CDN: the page loads nothing
from elsewhere and works without internet. Litestar's own render plugins point at CDNs (and
at Google Fonts), so this one writes the page: a stylesheet, the bundle and a small start
script, all under ``/schema``; a Content-Security-Policy in the page allows nothing else.
"""

from __future__ import annotations

import html
from typing import Any

from litestar import Request, Response, Router, get
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/schema/assets"
START_SCRIPT = "/schema/swagger-start.js"
# Swagger UI sets inline styles and draws small images as data: URLs.
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'"
)
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<main id="swagger-ui"></main>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{start}" data-spec="{spec}"></script>
</body>
</html>
"""
# No validator badge (it would call validator.swagger.io), no top bar.
_START = """(function () {
  var spec = document.currentScript.dataset.spec;
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  });
})();
"""


class OfflineSwaggerPlugin(OpenAPIRenderPlugin):
    """Swagger UI from the gateway's own files, at ``/schema`` and ``/schema/swagger``."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"], favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _PAGE.format(
            policy=_POLICY,
            title=html.escape(str(openapi_schema["info"]["title"])),
            assets=ASSETS,
            start=START_SCRIPT,
            spec=html.escape(self.get_openapi_json_route(request)),
        ).encode()


@get(START_SCRIPT, include_in_schema=False, media_type="text/javascript")
async def swagger_start() -> Response[str]:
    return Response(_START, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


def reference_routes() -> list[Router | Any]:
    """The start script and Swagger UI's files (the package's distribution folder)."""
    return [
        swagger_start,
        create_static_files_router(
            path=ASSETS, directories=[swagger_ui_path], include_in_schema=False
        ),
    ]

"""Issue 19 item 7: ``/schema`` renders with the network cut. The page and everything it
loads come from the gateway (Swagger UI from a Python package), nothing from elsewhere. The
console's pages (the ``page`` fixture) reach the gateway and nothing else."""

from __future__ import annotations

import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.console.conftest import Gateway

EXTERNAL = re.compile(r"""(?:https?:)?//(?!127\.0\.0\.1|localhost)[A-Za-z0-9.-]+""")


def test_the_reference_page_names_no_external_url(gateway: Gateway) -> None:
    for path in ("/schema", "/schema/swagger"):
        page = httpx.get(gateway.base_url + path)
        assert page.status_code == 200
        assert EXTERNAL.findall(page.text) == [], path
        assert "default-src 'none'" in page.text  # the page's own CSP allows nothing else
    start = httpx.get(gateway.base_url + "/schema/swagger-start.js")
    assert "validatorUrl: null" in start.text
    assert EXTERNAL.findall(start.text) == []


def test_the_reference_renders_with_the_network_cut(browser: Browser, gateway: Gateway) -> None:
    context = browser.new_context(base_url=gateway.base_url)
    requested: list[str] = []

    def only_the_gateway(request: Request) -> None:
        requested.append(request.url)

    context.on("request", only_the_gateway)
    # The network is cut: anything not on the gateway's own address fails.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(gateway.base_url) else route.abort()
        ),
    )
    try:
        page = context.new_page()
        page.goto("/schema")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text(
            "iX-Haus ⇄ casavi service-portal gateway"
        )
        expect(
            page.locator(".opblock-summary-path", has_text="/api/v1/sync-runs").first
        ).to_be_visible()
    finally:
        context.close()
    assert requested
    assert [url for url in requested if not url.startswith(gateway.base_url)] == []


def test_the_console_pages_reach_the_gateway_and_nothing_else(page: Page, gateway: Gateway) -> None:
    # The `page` fixture's network: the gateway answers; another server on loopback and any
    # address elsewhere fail before a byte leaves the browser.
    elsewhere = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
    try:
        answer = page.goto("/console/signin")
        assert answer is not None
        assert answer.status == 200
        for url in (f"http://127.0.0.1:{elsewhere.server_address[1]}/", "https://example.org/"):
            with pytest.raises(PlaywrightError, match="net::ERR_"):
                page.goto(url)
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()

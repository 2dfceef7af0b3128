"""httpx's in-process transport for an ASGI app: requests go to the app's ``__call__`` with
no socket, server thread or event loop of their own."""

from __future__ import annotations

from typing import Any, cast

import httpx

# The base URL of an app reached in process (any host: no name is resolved).
IN_PROCESS = "http://in-process.test"


def asgi_transport(
    app: object, client: tuple[str, int] = ("127.0.0.1", 123)
) -> httpx.ASGITransport:
    # httpx annotates its app parameter with plain MutableMapping scopes; Litestar's typed
    # scopes are narrower, so the (sound) call needs a cast.
    return httpx.ASGITransport(app=cast(Any, app), client=client)

"""Catch secrets that reach a log line, a response or CLI output during a test module.

Tests register every secret value they use with ``SecretLeakCheck.use``; everything logged
(at DEBUG, SQLAlchemy's statement and parameter log included) and every response body and
header recorded with ``SecretLeakCheck.seen`` is scanned at the end of the module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


class _Capture(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self._sink.append(self.format(record))


class SecretLeakCheck:
    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.captured: list[str] = []

    def use(self, value: str) -> str:
        self.secrets.add(value)
        return value

    def seen(self, item: httpx.Response | str) -> None:
        if isinstance(item, httpx.Response):
            self.captured.append(item.text)
            self.captured.append(repr(dict(item.headers)))
        else:
            self.captured.append(item)

    @contextmanager
    def capturing_logs(self) -> Iterator[None]:
        handler = _Capture(self.captured)
        handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        engine_logger = logging.getLogger("sqlalchemy.engine")
        old_root, old_engine = root.level, engine_logger.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        engine_logger.setLevel(logging.INFO)  # every SQL statement and its parameters
        try:
            yield
        finally:
            root.removeHandler(handler)
            root.setLevel(old_root)
            engine_logger.setLevel(old_engine)

    def leaks(self) -> list[str]:
        return sorted(
            {secret for secret in self.secrets for text in self.captured if secret in text}
        )

"""The decode step: every casavi answer the gateway reads is checked against the contract.

The wire Structs are the contract's schemas (types, required fields, ranges; unknown fields
are ignored, so a casavi that adds fields keeps working). An answer that does not fit raises
``CasaviContractDeviation`` naming the operation and the field - never the value - after
reporting it (``deviations.report``: counted, logged once, announced). In a page, each item
is decoded on its own: one deviating record fails alone and the rest of the page goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import msgspec

from app.adapters.casavi import deviations
from app.adapters.casavi.errors import CasaviProtocolError
from app.adapters.casavi.wire import Links

T = TypeVar("T")

_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$")
_INDEX = re.compile(r"\[\d+\]")


class CasaviContractDeviation(CasaviProtocolError):
    """casavi's answer does not match openapi/casavi.yaml (the record concerned fails)."""

    code = "casavi-contract-deviation"
    title = "casavi answered outside the contract"

    def __init__(self, deviation: deviations.ContractDeviation, *, method: str, path: str) -> None:
        self.deviation = deviation
        super().__init__(deviation.describe(), method=method, path=path)


class PageOf(msgspec.Struct, kw_only=True):
    """A v2 page whose items are decoded one by one."""

    items: list[msgspec.Raw] = msgspec.field(name="list")
    links: Links = msgspec.field(name="_links", default_factory=Links)


def deviation_of(
    exc: msgspec.ValidationError, system: str, operation: str
) -> deviations.ContractDeviation:
    """Operation, field and kind of problem from msgspec's message (values left out)."""
    match = _AT.match(str(exc))
    what = match.group("what") if match else str(exc)
    path = _INDEX.sub("[]", (match.group("path") if match else "") or "").lstrip(".")
    missing = _MISSING.match(what)
    if missing:
        field = f"{path}.{missing.group('name')}" if path else missing.group("name")
        return deviations.ContractDeviation(system, operation, field, "missing")
    expected = _EXPECTED.match(what)
    problem = (
        f"expected {expected.group('want')}, got {expected.group('got')}"
        if expected
        else "value outside the contract"
    )
    return deviations.ContractDeviation(system, operation, path, problem)


def _where(response: httpx.Response) -> tuple[str, str]:
    request = response.request
    return request.method, request.url.path


def decode(response: httpx.Response, into: type[T], operation: str, system: str = "") -> T:
    """The answer as ``into``; a deviation is reported and raised."""
    return decode_bytes(response.content, into, operation, system, _where(response))


def decode_bytes(
    content: bytes, into: type[T], operation: str, system: str, where: tuple[str, str]
) -> T:
    try:
        return msgspec.json.decode(content, type=into)
    except msgspec.ValidationError as exc:
        found = deviation_of(exc, system, operation)
        deviations.report(found)
        raise CasaviContractDeviation(found, method=where[0], path=where[1]) from None
    except msgspec.DecodeError:
        found = deviations.ContractDeviation(system, operation, "", "is not JSON")
        deviations.report(found)
        raise CasaviContractDeviation(found, method=where[0], path=where[1]) from None


def decode_page(response: httpx.Response, operation: str, system: str = "") -> PageOf:
    """The page's envelope (``list`` and ``_links``), items still raw."""
    return decode(response, PageOf, operation, system)


Deviant = Callable[[Any, CasaviContractDeviation], Any]


def reference_of(raw: msgspec.Raw) -> str | None:
    """The reference id of a raw record, if it has one (to name the record that failed)."""
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    ident = value.get("id") if isinstance(value, dict) else None
    return ident if isinstance(ident, str) and ident else None

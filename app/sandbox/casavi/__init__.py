"""The casavi simulator: the contract of ``openapi/casavi.yaml`` with persistent state,
a simulated tenant that fires signed callbacks, and runtime fault injection.

Start it with ``run_simulator(host, port, state_path, callback_url=..., callback_secret=...)``
or, in tests, ``ServerThread(create_casavi_simulator(path)).start()``. Credentials:
``SANDBOX_KEY`` / ``SANDBOX_SECRET``. Endpoints outside the contract, under ``/_sandbox``:

- ``POST  /_sandbox/tenant/tickets`` ``{contactId, propertyId, ticketTypeId, subject, ...}``
- ``POST  /_sandbox/tenant/tickets/{ticketId}/messages`` ``{contactId, content}``
- ``POST  /_sandbox/tenant/tickets/{ticketId}/attachments?fileName=...`` (raw body = file)
- ``PATCH /_sandbox/tenant/tickets/{ticketId}`` ``{subject?, description?, statusId?}``
  (each fires a signed callback: ticket.created / ticket.message.created /
  ticket.attachment.created / ticket.updated)
- ``GET|PUT /_sandbox/faults`` (``Faults``: the PUT replaces every switch; counters count
  down), ``PUT /_sandbox/callbacks`` ``{url, secret}``, ``GET /_sandbox/stats``.
"""

from app.sandbox.casavi.app import (
    SANDBOX_KEY,
    SANDBOX_SECRET,
    CasaviSimulator,
    create_casavi_simulator,
)
from app.sandbox.casavi.server import ServerThread, run_simulator
from app.sandbox.casavi.state import Faults

__all__ = [
    "SANDBOX_KEY",
    "SANDBOX_SECRET",
    "CasaviSimulator",
    "Faults",
    "ServerThread",
    "create_casavi_simulator",
    "run_simulator",
]

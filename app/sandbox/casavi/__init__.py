"""The casavi simulator: the contract of ``openapi/casavi.yaml`` with persistent state,
a simulated tenant that fires signed callbacks, and runtime fault injection.

Start it with ``run_simulator(host, port, state_path, callback_url=..., callback_secret=...)``
or, in tests, ``ServerThread(create_casavi_simulator(path)).start()``. Credentials:
``SANDBOX_KEY`` / ``SANDBOX_SECRET``. Endpoints outside the contract, under ``/_sandbox``:

- ``POST  /_sandbox/tenant/tickets`` ``{contactId, propertyId, ticketTypeId, subject,
  unitId?, description?, fields?}`` (``fields``: form values by field id, checked against
  the ticket type's ``formFields``)
- ``POST  /_sandbox/tenant/tickets/{ticketId}/messages`` ``{contactId, content, documentIds?}``
- ``POST  /_sandbox/tenant/tickets/{ticketId}/attachments?fileName=...`` (raw body = file)
- ``PATCH /_sandbox/tenant/tickets/{ticketId}`` ``{subject?, description?, statusId?}``
- ``POST  /_sandbox/tenant/tickets/{ticketId}/rating`` ``{contactId, stars, comment?}``
  (each tenant action registers the contact and fires a signed callback: ticket.created /
  ticket.message.created / ticket.attachment.created / ticket.updated / ticket.rated)
- ``POST  /_sandbox/staff/tickets/{ticketId}/messages`` ``{staffId, content, visibility?}``:
  casavi staff writing in casavi's web app, internal by default (rule N2); fires
  ticket.message.created
- ``POST  /_sandbox/contacts/{contactId}/invite`` and ``.../register``: casavi's own portal
  state of a contact (``isInvited``, ``isRegistered``)
- ``PUT /_sandbox/variant`` ``{messagesSegment?, ticketCreate?, renamedFields?}``: serve a
  casavi that deviates from the contract (``variants.py``; ``{}`` = none)
- ``GET|PUT /_sandbox/faults`` (``Faults``: the PUT replaces every switch; counters count
  down; ``dropCallbacks``, ``duplicateCallbacks``, ``reorderCallbacks``, ``callbackDelayMs``
  for callback delivery), ``PUT /_sandbox/callbacks`` ``{url, secret}``,
  ``GET /_sandbox/stats`` (``unknownQuery``: query parameters no operation declares, which
  the simulator accepts and ignores - tests fail on any).

The documented v1 ``POST /authenticate`` works beside ``POST /v2/authenticate``.
"""

from app.sandbox.casavi.app import CasaviSimulator, create_casavi_simulator
from app.sandbox.casavi.server import ServerThread, run_simulator
from app.sandbox.casavi.state import Faults
from app.sandbox.credentials import SANDBOX_KEY, SANDBOX_SECRET

__all__ = [
    "SANDBOX_KEY",
    "SANDBOX_SECRET",
    "CasaviSimulator",
    "Faults",
    "ServerThread",
    "create_casavi_simulator",
    "run_simulator",
]

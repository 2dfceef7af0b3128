"""The DocuWare simulator: the contract of ``openapi/docuware.yaml`` over generated documents,
with licences, throttling and runtime fault injection.

Start it with ``run_simulator(host, port)`` or, in tests,
``ServerThread(create_docuware_simulator(...)).start()``. Credentials: ``SANDBOX_USER`` /
``SANDBOX_PASSWORD`` (password grant), ``TRUSTED_USER`` / ``TRUSTED_PASSWORD`` with
``impersonateName`` (trusted grant), ``APP_CLIENT_ID`` / ``APP_CLIENT_SECRET`` (a registered
application, ``client_credentials`` grant). ``OrgId`` on ``FileCabinets`` must be
``ORGANIZATION_ID`` when sent. Document content is generated on the fly from the
document id (``content.py``), so 150 MB documents cost nothing to hold. Endpoints outside the
contract, under ``/_sandbox``:

- ``GET|PUT /_sandbox/faults`` (``Faults``: the PUT replaces every switch; counters count down)
- ``GET /_sandbox/stats`` (requests by route, token requests, logons, refused logons, downloads)
- ``PUT /_sandbox/webhook`` ``{url, secret}`` and ``POST /_sandbox/webhook/fire``
  ``{documentId}``: a "document stored" notification signed with ``x-docuware-signature``.
"""

from app.sandbox.casavi.server import ServerThread
from app.sandbox.docuware.app import (
    APP_CLIENT_ID,
    APP_CLIENT_SECRET,
    ORGANIZATION_ID,
    SANDBOX_PASSWORD,
    SANDBOX_USER,
    TRUSTED_PASSWORD,
    TRUSTED_USER,
    DocuwareSimulator,
    create_docuware_simulator,
)
from app.sandbox.docuware.server import run_simulator
from app.sandbox.docuware.state import Faults

__all__ = [
    "APP_CLIENT_ID",
    "APP_CLIENT_SECRET",
    "ORGANIZATION_ID",
    "SANDBOX_PASSWORD",
    "SANDBOX_USER",
    "TRUSTED_PASSWORD",
    "TRUSTED_USER",
    "DocuwareSimulator",
    "Faults",
    "ServerThread",
    "create_docuware_simulator",
    "run_simulator",
]

"""casavi adapter: a resilient httpx client and wire Structs for ``openapi/casavi.yaml``."""

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.errors import (
    CasaviAuthFailed,
    CasaviConflict,
    CasaviDeadlineExceeded,
    CasaviError,
    CasaviNotFound,
    CasaviOutcomeUnknown,
    CasaviProtocolError,
    CasaviRejected,
    CasaviUnavailable,
    DocumentTooLarge,
)
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.http.retry import RetryPolicy

__all__ = [
    "CasaviAuthFailed",
    "CasaviClient",
    "CasaviClientConfig",
    "CasaviConflict",
    "CasaviDeadlineExceeded",
    "CasaviError",
    "CasaviNotFound",
    "CasaviOutcomeUnknown",
    "CasaviProtocolError",
    "CasaviRejected",
    "CasaviUnavailable",
    "DocumentTooLarge",
    "RetryPolicy",
]

"""DocuWare adapter: a resilient httpx client and wire Structs for ``openapi/docuware.yaml``."""

from app.adapters.docuware.client import DocuwareClient, docuware_client
from app.adapters.docuware.download import Download
from app.adapters.docuware.errors import (
    DocuwareAuthFailed,
    DocuwareDeadlineExceeded,
    DocuwareError,
    DocuwareNotFound,
    DocuwareProtocolError,
    DocuwareRejected,
    DocuwareUnavailable,
    DownloadInterrupted,
    LicencesExhausted,
)
from app.adapters.docuware.records import DocuwareCabinet, DocuwareDocument
from app.adapters.docuware.settings import DocuwareClientConfig, IndexFieldNames
from app.adapters.http.retry import RetryPolicy

__all__ = [
    "DocuwareAuthFailed",
    "DocuwareCabinet",
    "DocuwareClient",
    "DocuwareClientConfig",
    "DocuwareDeadlineExceeded",
    "DocuwareDocument",
    "DocuwareError",
    "DocuwareNotFound",
    "DocuwareProtocolError",
    "DocuwareRejected",
    "DocuwareUnavailable",
    "Download",
    "DownloadInterrupted",
    "IndexFieldNames",
    "LicencesExhausted",
    "RetryPolicy",
    "docuware_client",
]

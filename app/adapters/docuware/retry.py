"""The retry policy of the DocuWare client: the casavi client's rules, for DocuWare's reasons.

Transient, retried with exponential backoff and full jitter under the call's overall deadline
(``RetryPolicy`` is shared with the casavi client so both systems back off the same way):
- connect errors and timeouts, read errors: every DocuWare call we make is a read (searches
  are POSTs but change nothing), so a lost answer is always safe to ask for again;
- 429: DocuWare Cloud throttles (KBA-36385: the request is *not processed* and must be sent
  again); we wait what ``Retry-After`` says, capped, else back off;
- 502, 503, 504: DocuWare's own retry sample retries exactly these (DotNet-Retry-Example).
Never retried: every other 4xx (the request itself is wrong: a retry cannot help and a
refused logon would only book more licences), other 5xx, redirects.
"""

from __future__ import annotations

import httpx

from app.adapters.casavi.retry import RetryPolicy, parse_retry_after

RETRY_STATUSES = frozenset({429, 502, 503, 504})
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError,)

__all__ = ["RETRY_STATUSES", "TRANSIENT_ERRORS", "RetryPolicy", "parse_retry_after"]

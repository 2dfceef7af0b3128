"""casavi's retry rules are the engine's (``app/adapters/http/retry.py``): reads are retried
on transport errors, 429 (after ``Retry-After``), 502/503/504; creates are not retried where
casavi may have stored the record already (a lost answer, 502/504): the caller looks it up."""

from app.adapters.http.retry import RetryPolicy, parse_retry_after

__all__ = ["RetryPolicy", "parse_retry_after"]

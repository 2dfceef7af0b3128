"""The outbound sync pipeline (iX-Haus -> casavi).

Until the iX-Haus reader and the casavi client are wired in, a run has no entity sources and
therefore sends nothing; it still records a complete run (rule L1/L2).
"""

from __future__ import annotations

from app.sync.ports import RunCounts


class NoSources:
    """An outbound sync with no entity sources configured: nothing to read, nothing to send."""

    async def __call__(self, system: str, run_id: int) -> RunCounts:
        return RunCounts()

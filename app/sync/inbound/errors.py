"""Why an inbound event is not applied now."""

from __future__ import annotations


class Park(Exception):
    """The event cannot be applied now; ``reason`` says why (shown to operators)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Ignored(Exception):
    """The event concerns nothing that comes to iX-Haus; ``outcome`` says why (logged)."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome

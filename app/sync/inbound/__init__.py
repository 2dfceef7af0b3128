"""Inbound (casavi -> iX-Haus): callbacks and the poll feed one inbox; a job per ticket
applies its events in order (rules T10, N1, N2, S2, conflicts).

- ``events.py``: inbox events from callbacks and polled tickets (stable ids);
- ``handlers.py``: what one event does to iX-Haus (idempotent); ``fields.py``: two-way
  fields and conflicts; ``errors.py``: ``Park`` (not applicable now, with the reason);
- ``fingerprints.py``: what the outbound run would compute for a ticket (no second ticket);
- ``process.py``: the per-ticket job (lease, order, parking with backoff);
- ``poll.py`` / ``sweeper.py``: the periodic feeders and the inbox's safety net;
- ``conflicts.py``: resolving a recorded conflict by an operator.
"""

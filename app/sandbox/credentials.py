"""The casavi simulator's published test credentials (sandbox only, never production).

Kept apart from the simulator so ``portal-gateway sandbox casavi --help`` can show them
without importing the simulator.
"""

SANDBOX_KEY = "sandbox-key"
SANDBOX_SECRET = "sandbox-secret"  # noqa: S105 - a published test credential

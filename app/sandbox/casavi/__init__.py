"""The casavi simulator: the contract of ``openapi/casavi.yaml`` with persistent state,
a simulated tenant that fires signed callbacks, and runtime fault injection."""

from app.sandbox.casavi.app import (
    SANDBOX_KEY,
    SANDBOX_SECRET,
    CasaviSimulator,
    create_casavi_simulator,
)
from app.sandbox.casavi.server import ServerThread, run_simulator
from app.sandbox.casavi.state import Faults

__all__ = [
    "SANDBOX_KEY",
    "SANDBOX_SECRET",
    "CasaviSimulator",
    "Faults",
    "ServerThread",
    "create_casavi_simulator",
    "run_simulator",
]

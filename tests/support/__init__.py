"""Shared test helpers: real stand-ins for the services around the engine (no mocking library)."""

from tests.support.core_standin import CoreStandin, ReceivedRequest, run_core_standin

__all__ = ["CoreStandin", "ReceivedRequest", "run_core_standin"]

"""Exponential back-off with jitter, and retrying a call while SMEV reports a temporary failure."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kontingent_ws.smev.client import SmevExchangeError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """How long to wait after consecutive temporary failures."""

    base_seconds: float = 1.0
    """Ceiling of the first wait; each further failure doubles it."""
    cap_seconds: float = 300.0
    """No wait is longer than this."""
    attempts: int = 6
    """Calls made for one operation before the failure is handed to the loop."""

    def delay(self, failures: int, rng: random.Random) -> float:
        """Wait after ``failures`` (>= 1) failures in a row: between half and all of the ceiling."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (max(failures, 1) - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def with_retries(
    call: Callable[[], T],
    *,
    backoff: Backoff,
    sleep: Callable[[float], object],
    rng: random.Random,
    what: str,
) -> T:
    """Run ``call``; on a temporary ``SmevExchangeError`` wait and call again, up to ``backoff.attempts``."""
    failures = 0
    while True:
        try:
            return call()
        except SmevExchangeError as error:
            failures += 1
            if not error.temporary or failures >= backoff.attempts:
                raise
            wait = backoff.delay(failures, rng)
            log.warning("SMEV %s: temporary failure %s (attempt %d), next in %.1f s", what, error.fault, failures, wait)
            sleep(wait)

"""Splitting a whole number into parts by weight (largest remainder), exactly."""

from __future__ import annotations

from collections.abc import Sequence


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Non-negative integers proportional to ``weights`` that sum to exactly ``total``."""
    whole = sum(weights)
    shares = [total * weight / whole for weight in weights]
    parts = [int(share) for share in shares]
    order = sorted(range(len(weights)), key=lambda i: parts[i] - shares[i])
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts

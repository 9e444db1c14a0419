"""The one normal form of person names kept in the ``*_norm`` columns.

Upper case, Ё as Е, runs of whitespace as one space. Search, identity matching, the EPGU
service, intake and the demo generator all compare names in this form.
"""

from __future__ import annotations


def normalize_name(value: str | None) -> str:
    """``"  Алёна  "`` → ``"АЛЕНА"``; ``None`` → ``""``."""
    return " ".join((value or "").upper().replace("Ё", "Е").split())

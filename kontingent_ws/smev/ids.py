"""SMEV message identifiers: UUID version 1 (time and node based, RFC 4122), lower-case hex."""

from __future__ import annotations

import re
import uuid

_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_message_id() -> str:
    """A fresh MessageID as SMEV wants it: a version-1 UUID written in lower case."""
    return str(uuid.uuid1()).lower()


def is_message_id(value: str) -> bool:
    """Whether ``value`` is a lower-case version-1 UUID of the RFC 4122 variant."""
    if not _PATTERN.match(value):
        return False
    parsed = uuid.UUID(value)
    return parsed.version == 1 and parsed.variant == uuid.RFC_4122

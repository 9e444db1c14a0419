"""A page of the change feed as a ``ChangePacket`` of ``xsd/change-feed-1.0.0.xsd`` (the SMEV push)."""

from __future__ import annotations

import datetime as dt
from functools import cache

from lxml import etree

from adapters.safexml import parse_bytes
from db.models import utcnow
from kontingent_ws.usecases.changefeed_model import ChangePage
from kontingent_ws.usecases.changefeed_xml import changes_text, datetime_text
from xsd import schema_path

NAMESPACE = "urn://kontingent-region.ru/changes/1.0.0"
SCHEMA_FILE = "change-feed-1.0.0.xsd"


@cache
def change_feed_schema() -> etree.XMLSchema:
    """The compiled packet schema (read once per process)."""
    return etree.XMLSchema(etree.ElementTree(parse_bytes(schema_path(SCHEMA_FILE).read_bytes())))


def render_change_packet(page: ChangePage, *, since: int, generated_at: dt.datetime | None = None) -> bytes:
    """The UTF-8 ``ChangePacket`` document of one page (without an XML declaration: SMEV embeds it)."""
    return (
        f'<ChangePacket xmlns="{NAMESPACE}"><GeneratedAt>{datetime_text(generated_at or utcnow())}</GeneratedAt>'
        f"<SinceVersion>{since:d}</SinceVersion><NextVersion>{page.next_version:d}</NextVersion>"
        f"<HasMore>{'true' if page.has_more else 'false'}</HasMore>{changes_text(page.changes)}</ChangePacket>"
    ).encode()

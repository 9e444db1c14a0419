"""A page of the change feed as a ``ChangePacket`` of ``xsd/change-feed-1.0.0.xsd`` (the SMEV push)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import cast

from lxml import etree

from adapters.safexml import parse_bytes
from db.models import utcnow
from kontingent_ws.usecases.changefeed_model import ChangePage
from kontingent_ws.usecases.changefeed_xml import append_changes, datetime_text, tags
from xsd import schema_path

NAMESPACE = "urn://kontingent-region.ru/changes/1.0.0"
SCHEMA_FILE = "change-feed-1.0.0.xsd"


@cache
def change_feed_schema() -> etree.XMLSchema:
    """The compiled packet schema (read once per process)."""
    return etree.XMLSchema(etree.ElementTree(parse_bytes(schema_path(SCHEMA_FILE).read_bytes())))


def render_change_packet(page: ChangePage, *, since: int, generated_at: dt.datetime | None = None) -> bytes:
    """The UTF-8 ``ChangePacket`` document of one page (without an XML declaration: SMEV embeds it)."""
    return cast(
        bytes, etree.tostring(change_packet_element(page, since=since, generated_at=generated_at), encoding="UTF-8")
    )


def change_packet_element(page: ChangePage, *, since: int, generated_at: dt.datetime | None = None) -> etree._Element:
    """The ``ChangePacket`` element of one page."""
    t = tags(NAMESPACE)
    root = etree.Element(t.q("ChangePacket"), nsmap={None: NAMESPACE})
    for name, text in (
        ("GeneratedAt", datetime_text(generated_at or utcnow())),
        ("SinceVersion", str(since)),
        ("NextVersion", str(page.next_version)),
        ("HasMore", "true" if page.has_more else "false"),
    ):
        etree.SubElement(root, t.q(name)).text = text
    append_changes(root, page.changes, NAMESPACE)
    return root

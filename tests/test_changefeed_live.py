"""ChangeFeed's GetChangePacket over a live gunicorn, called with zeep as a consumer system: the page
as the SMEV ``ChangePacket``, valid against ``xsd/change-feed-1.0.0.xsd`` and inside an answer valid
against the golden WSDL, the same changes as GetChanges, page after page; a provider is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import zeep
from lxml import etree
from zeep.plugins import HistoryPlugin

from kontingent_ws.usecases.changefeed_packet import NAMESPACE, change_feed_schema
from tests.live import SOAP11_NS, zeep_client
from tests.test_epgu_live import checked, region  # noqa: F401  (region: the fixture of the consumer's world)

P = f"{{{NAMESPACE}}}"
WIRE = "{urn://kontingent-region.ru/ws/changefeed/1.0}"


def _packet(history: HistoryPlugin) -> etree._Element:
    """The ChangePacket inside the last answer (the raw envelope, as the consumer received it)."""
    received = history.last_received
    assert received is not None
    body = received["envelope"].find(f"{{{SOAP11_NS}}}Body")
    (packet,) = body.findall(f"{WIRE}GetChangePacketResponse/{WIRE}ChangePacket/{P}ChangePacket")
    return packet


def test_change_packet_over_http_pages_like_get_changes(
    request: pytest.FixtureRequest, live_server_factory: Callable[..., str]
) -> None:
    diary, consumer, provider = request.getfixturevalue("region")
    base_url = live_server_factory()
    history = HistoryPlugin()
    client = zeep_client(base_url, "ChangeFeed", wsse=consumer)
    client.plugins.append(history)

    seen, since, pages = [], 0, 0
    while True:
        checked(history, "ChangeFeed", client.service.GetChangePacket(SinceVersion=since, PageSize=2))
        packet = _packet(history)
        assert change_feed_schema().validate(packet), change_feed_schema().error_log
        assert packet.findtext(f"{P}SinceVersion") == str(since)
        seen += [
            (int(c.findtext(f"{P}Version") or 0), c.findtext(f"{P}Entity"), c.findtext(f"{P}Operation"))
            for c in packet.findall(f"{P}Change")
        ]
        since, pages = int(packet.findtext(f"{P}NextVersion") or 0), pages + 1
        if packet.findtext(f"{P}HasMore") != "true":
            break
    assert pages == 3
    assert [s[1:] for s in seen] == [
        ("organization", "upsert"),
        ("student", "upsert"),
        ("student", "upsert"),
        ("authority", "upsert"),
        ("enrolment", "delete"),
    ]
    page = client.service.GetChanges(SinceVersion=0, PageSize=5)
    assert [s[0] for s in seen] == [c.Version for c in page.Change]

    client.service.GetChangePacket(SinceVersion=0, PageSize=2)
    first = _packet(history).findall(f"{P}Change")
    assert first[0].findtext(f"{P}Organization/{P}Id") == str(diary.region.north_school_id)
    assert first[1].findtext(f"{P}Student/{P}CurrentEnrolment/{P}OrganizationId") == str(diary.region.north_school_id)

    with pytest.raises(zeep.exceptions.Fault) as fault:
        zeep_client(base_url, "ChangeFeed", wsse=provider).service.GetChangePacket(SinceVersion=0, PageSize=2)
    assert fault.value.code.endswith("Client.AccessDenied")

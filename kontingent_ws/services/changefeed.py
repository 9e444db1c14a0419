"""The ChangeFeed contract: ``GetChanges(SinceVersion, PageSize)`` → ``ChangePage``, and
``GetChangePacket(SinceVersion, PageSize)`` → the same page as the ``ChangePacket`` of
``xsd/change-feed-1.0.0.xsd`` that the SMEV push sends (one parser and one schema for a consumer
that takes both channels).

A consumer keeps ``NextVersion`` and calls again with it; while ``HasMore`` is true more changes
are waiting. Every committed change arrives exactly once. Thin: unpack, call the use case, pack.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from spyne import AnyXml, Integer, Long, ServiceBase
from spyne.protocol.xml import SubXmlBase

from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types import changefeed as wire
from kontingent_ws.usecases.changefeed import MAX_PAGE_SIZE, changes_for_call, packet_for_call
from kontingent_ws.usecases.changefeed_model import ChangePage
from kontingent_ws.usecases.changefeed_xml import changes_text

SinceVersionField = Long(min_occurs=1, nillable=False, ge=0, doc="Вернуть изменения с номером версии больше этого")
PageSizeField = Integer(
    min_occurs=1, nillable=False, ge=1, le=MAX_PAGE_SIZE, doc=f"Число изменений на странице (1–{MAX_PAGE_SIZE})"
)


_OWN_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def own_xml(document: bytes) -> etree._Element:
    """Parse XML this service has just written (never input from outside: that goes through ``adapters.safexml``)."""
    return etree.fromstring(document, _OWN_XML)


class ChangePageXml(SubXmlBase):
    """Writes the ``ChangePage`` answer straight from the use case's page.

    Spyne's generic serializer walks the wire classes value by value (about thirty per change);
    this writes the same elements of the contract's schema as text
    (:func:`~kontingent_ws.usecases.changefeed_xml.changes_text`, shared with the SMEV packet) and
    has lxml parse it into the answer's tree, several times faster. The WSDL does not change.
    """

    def subserialize(
        self,
        ctx: Any,
        cls: Any,
        inst: ChangePage,
        parent: Any,
        ns: str | None = None,
        name: str | None = None,
        **_: Any,
    ) -> None:
        text = (
            f'<ChangePage xmlns="{wire.NAMESPACE}"><NextVersion>{inst.next_version:d}</NextVersion>'
            f"<HasMore>{'true' if inst.has_more else 'false'}</HasMore>"
            f"{changes_text(inst.changes, check=False)}</ChangePage>"  # the parser refuses what XML cannot carry
        )
        written = own_xml(text.encode())
        written.tag = f"{{{ns}}}{name}" if ns else str(name)  # the member's name; its children stay in the contract's
        parent.append(written)


class ChangeFeedService(ServiceBase):
    """Лента изменений регионального сегмента для федерального сегмента и других потребителей."""

    @operation(
        SinceVersionField,
        PageSizeField,
        _returns=wire.ChangePage.customize(min_occurs=1, nillable=False, prot=ChangePageXml()),
        _out_variable_name="ChangePage",
    )
    def GetChanges(ctx: Any, SinceVersion: int, PageSize: int) -> ChangePage:
        return changes_for_call(call_of(ctx), SinceVersion, PageSize)

    @operation(
        SinceVersionField,
        PageSizeField,
        _returns=AnyXml(
            min_occurs=1,
            nillable=False,
            doc="Пакет изменений ChangePacket (схема change-feed-1.0.0.xsd, пространство имён "
            "urn://kontingent-region.ru/changes/1.0.0) – тот же, что передаётся в федеральный сегмент через СМЭВ",
        ),
        _out_variable_name="ChangePacket",
    )
    def GetChangePacket(ctx: Any, SinceVersion: int, PageSize: int) -> etree._Element:
        return own_xml(packet_for_call(call_of(ctx), SinceVersion, PageSize))

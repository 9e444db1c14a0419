"""Build the SOAP 1.1 envelopes of SMEV 3 message exchange 1.1, signed by the participant.

Every builder returns the bytes to POST. The signed element carries ``Id="SIGNED_BY_CALLER"``
and its detached signature goes into ``CallerInformationSystemSignature``, as the schema says:
``MessageTypeSelector`` for GetRequest/GetResponse, ``AckTargetMessage`` for Ack,
``SenderProvidedRequestData``/``SenderProvidedResponseData`` for SendRequest/SendResponse.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from kontingent_ws.smev.client import SOAP_NS
from kontingent_ws.smev.keys import SmevSigner

TYPES_NS = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1"
BASIC_NS = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1"
FAULTS_NS = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/faults/1.1"
SIGNED_ID = "SIGNED_BY_CALLER"
REJECTION_CODES = frozenset({"ACCESS_DENIED", "NO_DATA", "UNKNOWN_REQUEST_DESCRIPTION", "FAILURE"})
_NSMAP = {"soap": SOAP_NS, "ns": TYPES_NS, "ns2": BASIC_NS}


def types(local: str) -> str:
    return f"{{{TYPES_NS}}}{local}"


def basic(local: str) -> str:
    return f"{{{BASIC_NS}}}{local}"


def timestamp(moment: datetime | None = None) -> str:
    """An xs:dateTime with milliseconds and an explicit offset."""
    return (moment or datetime.now(UTC)).isoformat(timespec="milliseconds")


@dataclass(frozen=True, kw_only=True)
class Rejection:
    """A refusal to answer: ``RequestRejected`` with a code of the schema and a Russian description."""

    code: str
    """ACCESS_DENIED, NO_DATA, UNKNOWN_REQUEST_DESCRIPTION or FAILURE."""
    description: str
    """What the person who asked reads (up to 4000 characters)."""

    def __post_init__(self) -> None:
        if self.code not in REJECTION_CODES:
            raise ValueError(f"unknown RequestRejected code {self.code!r}")


def _envelope(operation: str) -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap=_NSMAP)
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    return envelope, etree.SubElement(body, types(operation))


def _finish(envelope: etree._Element, request: etree._Element, signed: etree._Element, signer: SmevSigner) -> bytes:
    holder = etree.SubElement(request, types("CallerInformationSystemSignature"))
    holder.append(signer.sign(signed))
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _content(parent: etree._Element, content: etree._Element) -> None:
    etree.SubElement(parent, basic("MessagePrimaryContent")).append(copy.deepcopy(content))


def _polling(
    operation: str, *, signer: SmevSigner, selector: etree.QName | None, node_id: str | None, now: datetime | None
) -> bytes:
    envelope, request = _envelope(operation)
    selector_element = etree.SubElement(request, basic("MessageTypeSelector"), Id=SIGNED_ID)
    if selector is not None:
        etree.SubElement(selector_element, basic("NamespaceURI")).text = selector.namespace
        etree.SubElement(selector_element, basic("RootElementLocalName")).text = selector.localname
    etree.SubElement(selector_element, basic("Timestamp")).text = timestamp(now)
    if node_id:
        etree.SubElement(selector_element, basic("NodeID")).text = node_id
    return _finish(envelope, request, selector_element, signer)


def get_request(
    *, signer: SmevSigner, selector: etree.QName | None = None, node_id: str | None = None, now: datetime | None = None
) -> bytes:
    """GetRequest: take the next request from this participant's queue (of one type, if ``selector``)."""
    return _polling("GetRequestRequest", signer=signer, selector=selector, node_id=node_id, now=now)


def get_response(
    *, signer: SmevSigner, selector: etree.QName | None = None, node_id: str | None = None, now: datetime | None = None
) -> bytes:
    """GetResponse: take the next answer to this participant's own requests."""
    return _polling("GetResponseRequest", signer=signer, selector=selector, node_id=node_id, now=now)


def ack(*, signer: SmevSigner, message_id: str, accepted: bool = True) -> bytes:
    """Ack: the message ``message_id`` was received (``accepted=False``: its SMEV signature was refused)."""
    envelope, request = _envelope("AckRequest")
    target = etree.SubElement(
        request, basic("AckTargetMessage"), Id=SIGNED_ID, accepted="true" if accepted else "false"
    )
    target.text = message_id
    return _finish(envelope, request, target, signer)


def send_request(
    *,
    signer: SmevSigner,
    message_id: str,
    content: etree._Element,
    reference_message_id: str | None = None,
    transaction_code: str | None = None,
    test_message: bool = False,
) -> bytes:
    """SendRequest carrying ``content`` (the business document) as MessagePrimaryContent."""
    envelope, request = _envelope("SendRequestRequest")
    data = etree.SubElement(request, types("SenderProvidedRequestData"), Id=SIGNED_ID)
    etree.SubElement(data, types("MessageID")).text = message_id
    if reference_message_id:
        etree.SubElement(data, types("ReferenceMessageID")).text = reference_message_id
    if transaction_code:
        etree.SubElement(data, types("TransactionCode")).text = transaction_code
    _content(data, content)
    if test_message:
        etree.SubElement(data, types("TestMessage"))
    return _finish(envelope, request, data, signer)


def send_response(
    *,
    signer: SmevSigner,
    message_id: str,
    to: str,
    content: etree._Element | None = None,
    rejection: Rejection | None = None,
) -> bytes:
    """SendResponse to the request whose ReplyTo is ``to``: either ``content`` or a ``rejection``."""
    if (content is None) == (rejection is None):
        raise ValueError("a response carries either content or a rejection")
    envelope, request = _envelope("SendResponseRequest")
    data = etree.SubElement(request, types("SenderProvidedResponseData"), Id=SIGNED_ID)
    etree.SubElement(data, types("MessageID")).text = message_id
    etree.SubElement(data, types("To")).text = to
    if content is not None:
        _content(data, content)
    elif rejection is not None:
        rejected = etree.SubElement(data, types("RequestRejected"))
        etree.SubElement(rejected, types("RejectionReasonCode")).text = rejection.code
        etree.SubElement(rejected, types("RejectionReasonDescription")).text = rejection.description[:4000]
    return _finish(envelope, request, data, signer)
